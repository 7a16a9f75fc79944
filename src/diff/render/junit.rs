//! `--format junit`: one test suite per interface, one test case per change.
//!
//! A change at or above `--fail-on` is a `<failure>`; a waived change is `<skipped>` with its
//! reason; anything below the gate passes. Input problems never reach this report (they exit 2).

use std::collections::BTreeMap;

use junit_report::{Duration, ReportBuilder, TestCase, TestSuiteBuilder};

use super::super::change::DiffReport;
use super::source;
use crate::error::Error;

pub(crate) fn render(report: &DiffReport) -> Result<String, Error> {
    let mut suites: BTreeMap<&str, Vec<TestCase>> = BTreeMap::new();
    for change in &report.changes {
        let name = format!("{} {}", change.kind, change.location.summary());
        let mut case = if change.is_waived() {
            let reason = change
                .waiver
                .as_ref()
                .map(|w| format!("waived until {} by {}: {}", w.expires, w.owner, w.reason))
                .unwrap_or_default();
            TestCase::skipped_with_cause(&name, "waived", &reason)
        } else if change.fails(report.fail_on) {
            TestCase::failure(
                &name,
                Duration::ZERO,
                change.severity.as_str(),
                &change.message,
            )
        } else {
            TestCase::success(&name, Duration::ZERO)
        };
        case.set_classname(&change.interface);
        case.set_filepath(&source(change));
        suites
            .entry(change.interface.as_str())
            .or_default()
            .push(case);
    }
    let mut builder = ReportBuilder::new();
    for (interface, cases) in suites {
        let suite = TestSuiteBuilder::new(&format!("interlock diff {interface}"))
            .set_timestamp(junit_report::OffsetDateTime::now_utc())
            .add_testcases(cases)
            .build();
        builder.add_testsuite(suite);
    }
    let mut out = Vec::new();
    builder
        .build()
        .write_xml(&mut out)
        .map_err(|err| Error::environment(format!("cannot write JUnit XML: {err}")))?;
    String::from_utf8(out)
        .map_err(|err| Error::environment(format!("JUnit XML is not UTF-8: {err}")))
}
