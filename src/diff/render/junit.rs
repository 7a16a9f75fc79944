//! `--format junit`: one test suite per interface, one test case per change.
//!
//! A change at or above `--fail-on` is a `<failure>`; a waived change is `<skipped>` with its
//! reason; anything below the gate passes and says what changed in `<system-out>`. Every
//! message names the file and JSON pointer of the change (`file#/pointer`); testcases carry no
//! `file` attribute, which `junit-10.xsd` does not allow. Input problems never reach this report
//! (they exit 2).

use std::collections::BTreeMap;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::super::change::{Change, DiffReport};
use super::{source, usage_line};
use crate::error::Error;
use crate::report::junit_xml::{Case, Detail, Outcome, Suite, Suites};

pub(crate) fn render(report: &DiffReport) -> Result<String, Error> {
    let timestamp = OffsetDateTime::now_utc().format(&Rfc3339).ok();
    let mut suites: BTreeMap<&str, Vec<Case>> = BTreeMap::new();
    for change in &report.changes {
        let mut line = format!("{} ({})", change.message, source(change));
        if let Some(usage) = usage_line(change) {
            line.push_str(&format!("; {usage}"));
        }
        let results = if change.is_waived() {
            let reason = change
                .waiver
                .as_ref()
                .map(|w| format!("waived until {} by {}: {}", w.expires, w.owner, w.reason))
                .unwrap_or_default();
            vec![Outcome::Skipped {
                message: Some(format!("{reason} — {line}")),
            }]
        } else if change.fails(report.fail_on) {
            vec![Outcome::Failure(Detail {
                kind: change.severity.as_str().to_owned(),
                message: line.clone(),
                text: Some(text(change)),
            })]
        } else {
            Vec::new()
        };
        let system_out = results
            .is_empty()
            .then(|| format!("{}: {line}\n{}", change.severity.as_str(), text(change)));
        suites
            .entry(change.interface.as_str())
            .or_default()
            .push(Case {
                name: format!("{} {}", change.kind, change.location.summary()),
                classname: Some(change.interface.clone()),
                time: Duration::ZERO,
                results,
                system_out,
            });
    }
    Ok(Suites {
        suites: suites
            .into_iter()
            .map(|(interface, cases)| Suite {
                name: format!("interlock diff {interface}"),
                package: None,
                timestamp: timestamp.clone(),
                cases,
            })
            .collect(),
    }
    .to_xml())
}

/// Where the change is, what it was and is, and who feels it.
fn text(change: &Change) -> String {
    let mut text = format!("{}\n", source(change));
    if !change.operation.is_empty() {
        text.push_str(&format!("operation: {}\n", change.operation));
    }
    if !(change.old.is_null() && change.new.is_null()) {
        text.push_str(&format!(
            "{} → {}\n",
            compact(&change.old),
            compact(&change.new)
        ));
    }
    if !change.consumers.is_empty() {
        text.push_str(&format!("consumers: {}\n", change.consumers.join(", ")));
    }
    if let Some(usage) = usage_line(change) {
        text.push_str(&format!("{usage}\n"));
    }
    text
}

fn compact(value: &serde_json::Value) -> String {
    if value.is_null() {
        "(absent)".to_owned()
    } else {
        value.to_string()
    }
}
