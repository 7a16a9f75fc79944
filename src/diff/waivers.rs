//! Waivers: a reviewed file in the contracts directory where a team acknowledges a specific
//! change, with a reason, an owner and an expiry date.
//!
//! ```yaml
//! # contracts/waivers.yaml
//! waivers:
//!   - kind: response-required-property-removed
//!     interface: erp.customer-sync
//!     location: response 200 body customer.tax_id
//!     reason: finance reads taxNumber since release 42
//!     owner: team-erp
//!     expires: 2026-03-31
//! ```
//!
//! `location` is the change's location as the text output prints it. A waived change is shown
//! as waived and does not fail the gate; once its waiver has expired it fails the gate again.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::Date;

use super::change::{Change, WaiverNote};
use super::rules;
use crate::error::{Error, InputError, did_you_mean};
use crate::json::read_value;

/// File names looked up in a contracts directory, in order.
pub(crate) const WAIVER_FILES: &[&str] = &["waivers.yaml", "waivers.yml", "waivers.json"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waivers: Vec<RawWaiver>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    kind: String,
    interface: String,
    location: String,
    reason: String,
    owner: String,
    expires: String,
}

/// One acknowledged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Waiver {
    pub kind: String,
    pub interface: String,
    pub location: String,
    pub reason: String,
    pub owner: String,
    pub expires: Date,
}

/// The waivers file of a directory, if it has one.
pub(crate) fn find(dir: &Path) -> Option<PathBuf> {
    WAIVER_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// Reads and validates a waivers file; every problem is reported with its pointer.
pub(crate) fn load(path: &Path) -> Result<Vec<Waiver>, Error> {
    let value = read_value(path)?;
    let raw: RawFile = serde_path_to_error::deserialize(&value).map_err(|err| {
        let pointer = err
            .path()
            .iter()
            .map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => format!("/{index}"),
                serde_path_to_error::Segment::Map { key } => format!("/{key}"),
                _ => String::new(),
            })
            .collect::<String>();
        let message = err.inner().to_string();
        InputError::at_pointer(path, pointer, format!("invalid waiver: {message}"))
            .with_hint_opt(crate::contract::unknown_field_hint(&message))
    })?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, w) in raw.waivers.into_iter().enumerate() {
        let at = |field: &str| format!("/waivers/{i}/{field}");
        if !rules::is_rule_id(&w.kind) {
            errors.push(
                InputError::at_pointer(path, at("kind"), format!("unknown rule id `{}`", w.kind))
                    .with_hint_opt(did_you_mean(
                        &w.kind,
                        rules::all_rule_ids().iter().map(|r| r.id.as_str()),
                    )),
            );
        }
        for (field, value) in [
            ("reason", &w.reason),
            ("owner", &w.owner),
            ("location", &w.location),
        ] {
            if value.trim().is_empty() {
                errors.push(InputError::at_pointer(
                    path,
                    at(field),
                    format!("`{field}` must not be empty"),
                ));
            }
        }
        match Date::parse(w.expires.trim(), &format) {
            Ok(expires) => out.push(Waiver {
                kind: w.kind,
                interface: w.interface,
                location: normalise(&w.location),
                reason: w.reason,
                owner: w.owner,
                expires,
            }),
            Err(_) => errors.push(
                InputError::at_pointer(
                    path,
                    at("expires"),
                    format!("`{}` is not a date", w.expires),
                )
                .with_hint("write the expiry as YYYY-MM-DD"),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Input(errors))
    }
}

fn normalise(location: &str) -> String {
    location.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Marks the changes the waivers match; returns the waivers that matched nothing.
pub(crate) fn apply<'w>(
    waivers: &'w [Waiver],
    changes: &mut [Change],
    today: Date,
) -> Vec<&'w Waiver> {
    let mut used = vec![false; waivers.len()];
    for change in changes.iter_mut() {
        let location = normalise(&change.location.summary());
        let found = waivers.iter().position(|w| {
            w.kind == change.kind && w.interface == change.interface && w.location == location
        });
        if let Some(i) = found {
            used[i] = true;
            let w = &waivers[i];
            change.waiver = Some(WaiverNote {
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires.to_string(),
                expired: w.expires < today,
            });
        }
    }
    waivers
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(w, _)| w)
        .collect()
}
