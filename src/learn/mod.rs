//! Noise learning: replay each scenario several times against the same target and tell the
//! fields that differ between runs of the same version (noise) from a real change.
//!
//! A run compares every live response with the recording, so each run says, per exchange and
//! field, either "as recorded" or the live value (a drift finding). Lined up over the runs, a
//! field is:
//! - **noise**, learned as an ignore rule, when its value differs between every consecutive pair
//!   of runs, or when it is of a volatile class (a date-time, a UUID, a long random token) and
//!   differs at all;
//! - **unstable**, reported and not learned, when it changes and then stays (`status open → won`
//!   because the first run changed shared state);
//! - **format drift**, never learned, when a run reports it as `format-drift` (a timestamp's
//!   offset moved): ignore rules leave formats checked, so learning it would hide nothing and
//!   claim too much.
//!
//! A field that has the same (changed) value in every run is a real change, left to `run`.
//! Only the target's responses (body fields and headers) are learned; requests the target sends
//! to mocked peers are not. [`rules`] writes what was learned into `scenario.yaml`.

pub mod rules;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::model::{FindingKind, Location, RunResult};
use crate::scenario::Scenario;

/// What the runs of one scenario showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Learning {
    pub scenario: String,
    pub file: PathBuf,
    /// Ignore rules to add: body pointers (array positions folded to `*` where several
    /// positions of one field are noise) and `header:NAME`.
    pub noise: Vec<String>,
    /// Fields that changed and then stayed, with their values run by run.
    pub unstable: Vec<Unstable>,
    /// Fields whose format drifted: never learned.
    pub format_drift: Vec<String>,
}

/// A field that changed between runs and then stayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unstable {
    /// `POST /customers #2`.
    pub exchange: String,
    pub path: String,
    /// Its value in each run; `None` where it was as recorded.
    pub values: Vec<Option<Value>>,
}

/// One field of one exchange across the runs.
#[derive(Default)]
struct Field {
    exchange: String,
    /// Per run: the live value when the run reported a change, `None` when as recorded.
    values: Vec<Option<Option<Value>>>,
    format_drift: bool,
}

/// Lines up the results of `runs` (each a run of the same `scenarios`) and classifies every
/// field of the target's responses that differed from the recording in any run.
pub fn learn(scenarios: &[Scenario], runs: &[RunResult]) -> Vec<Learning> {
    scenarios
        .iter()
        .map(|scenario| learn_scenario(scenario, runs))
        .collect()
}

fn learn_scenario(scenario: &Scenario, runs: &[RunResult]) -> Learning {
    // (exchange index, path) → the field across runs.
    let mut fields: BTreeMap<(usize, String), Field> = BTreeMap::new();
    for (run, result) in runs.iter().enumerate() {
        let Some(s) = result.scenarios.iter().find(|s| s.name == scenario.name) else {
            continue;
        };
        for exchange in &s.exchanges {
            for finding in &exchange.findings {
                if finding.location != Location::Response || !drifts(finding.kind) {
                    continue;
                }
                let field = fields
                    .entry((exchange.index, finding.path.clone()))
                    .or_default();
                field.exchange.clone_from(&exchange.name);
                field.values.resize_with(runs.len(), || None);
                field.values[run] = Some(finding.new.clone());
                field.format_drift |= finding.kind == FindingKind::FormatDrift;
            }
        }
    }
    let mut noise: Vec<String> = Vec::new();
    let mut unstable = Vec::new();
    let mut format_drift = Vec::new();
    for ((_, path), field) in fields {
        if field.format_drift {
            format_drift.push(path);
            continue;
        }
        let values: Vec<Option<Value>> = field.values.iter().map(|v| v.clone().flatten()).collect();
        let changed: Vec<bool> = field.values.windows(2).map(|w| w[0] != w[1]).collect();
        if !changed.iter().any(|c| *c) {
            continue;
        }
        let volatile = values.iter().flatten().any(is_volatile);
        if changed.iter().all(|c| *c) || volatile {
            noise.push(path);
        } else {
            unstable.push(Unstable {
                exchange: field.exchange,
                path,
                values: field.values.into_iter().map(Option::flatten).collect(),
            });
        }
    }
    Learning {
        scenario: scenario.name.clone(),
        file: scenario.file.clone(),
        noise: fold_positions(noise, &scenario.ignore.raw()),
        unstable,
        format_drift,
    }
}

/// The finding kinds that say a field's value differs from the recording.
fn drifts(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::ValueChanged
            | FindingKind::TypeChanged
            | FindingKind::FormatDrift
            | FindingKind::FieldAdded
            | FindingKind::FieldRemoved
            | FindingKind::HeaderChanged
    )
}

/// A value of a class that changes by nature: a date or date-time, a UUID, a long token of
/// letters and digits (a request id, a nonce).
fn is_volatile(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let date_time = text.len() >= 10
        && text.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let uuid = text.len() == 36
        && text.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    let token = text.len() >= 16
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && text.chars().any(|c| c.is_ascii_digit())
        && text.chars().any(|c| c.is_ascii_alphabetic());
    date_time || uuid || token
}

/// Pointers with array positions folded: when two or more pointers differ only in their
/// numeric tokens, they become one rule with `*` there (`/items/0/id`, `/items/1/id` →
/// `/items/*/id`). Rules the scenario already has are left out. Sorted, without duplicates.
fn fold_positions(paths: Vec<String>, existing: &[String]) -> Vec<String> {
    let folded = |path: &str| -> String {
        if path.starts_with("header:") {
            return path.to_owned();
        }
        crate::json::wildcard_indices(path)
    };
    let mut out: Vec<String> = Vec::new();
    for path in &paths {
        let pattern = folded(path);
        let siblings = paths.iter().filter(|p| folded(p) == pattern).count();
        let rule = if siblings > 1 { pattern } else { path.clone() };
        if !existing.contains(&rule) && !out.contains(&rule) {
            out.push(rule);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A run of scenario `s` whose one exchange reports `findings` as `(kind, path, new)`.
    fn run(findings: &[(&str, &str, Value)]) -> RunResult {
        let findings: Vec<Value> = findings
            .iter()
            .map(|(kind, path, new)| {
                json!({"kind": kind, "severity": "failure", "location": {"kind": "response"},
                       "path": path, "new": new, "message": "m"})
            })
            .collect();
        serde_json::from_value(json!({
            "duration_ms": 1.0,
            "scenarios": [{"name": "s", "target": "t", "duration_ms": 1.0, "findings": [],
                "latency": [], "exchanges": [{"index": 0, "name": "GET /x #1", "method": "GET",
                "url": "/x", "recorded_status": 200, "duration_ms": 1.0, "findings": findings}]}]
        }))
        .expect("a run result")
    }

    fn scenario() -> Scenario {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("crm.jsonl"),
            "{\"request\":{\"method\":\"GET\",\"url\":\"/x\"},\"response\":{\"status\":200}}\n",
        )
        .expect("recording");
        let file = dir.path().join("scenario.yaml");
        std::fs::write(&file, "name: s\ntarget: crm\nreplay: crm.jsonl\n").expect("scenario");
        crate::scenario::load(&file).expect("a scenario")
    }

    #[test]
    fn noise_unstable_format_drift_and_real_changes_are_told_apart() {
        let runs = [
            run(&[
                ("value-changed", "/n", json!(1)),
                ("value-changed", "/at", json!("2026-03-02T09:15:01+08:00")),
                ("format-drift", "/when", json!("2026-03-02T10:15:00+09:00")),
                ("value-changed", "/price", json!(12)),
            ]),
            run(&[
                ("value-changed", "/n", json!(2)),
                ("value-changed", "/at", json!("2026-03-02T09:15:01+08:00")),
                ("value-changed", "/status", json!("won")),
                ("format-drift", "/when", json!("2026-03-02T10:15:07+09:00")),
                ("value-changed", "/price", json!(12)),
            ]),
            run(&[
                ("value-changed", "/n", json!(3)),
                ("value-changed", "/at", json!("2026-03-02T09:15:09+08:00")),
                ("value-changed", "/status", json!("won")),
                ("format-drift", "/when", json!("2026-03-02T10:15:09+09:00")),
                ("value-changed", "/price", json!(12)),
            ]),
        ];
        let learned = learn(&[scenario()], &runs);
        let l = &learned[0];
        // `/n` differs every time; `/at` is a date-time that differs at all.
        assert_eq!(l.noise, ["/at", "/n"]);
        assert_eq!(l.unstable.len(), 1);
        assert_eq!(l.unstable[0].path, "/status");
        assert_eq!(
            l.unstable[0].values,
            [None, Some(json!("won")), Some(json!("won"))]
        );
        assert_eq!(l.format_drift, ["/when"]);
        // `/price` is 12 in every run: a real change, not learned, not unstable.
    }

    #[test]
    fn volatile_classes() {
        for v in [
            "2026-03-02T09:15:00+08:00",
            "2026-03-02",
            "3f2b8c1e-9a4d-4c7e-8b1a-2d3e4f5a6b7c",
            "req_8f3a9c2e1b7d4f60",
        ] {
            assert!(is_volatile(&Value::from(v)), "{v}");
        }
        for v in ["open", "won", "C-10023", "negotiation-stage"] {
            assert!(!is_volatile(&Value::from(v)), "{v}");
        }
        assert!(!is_volatile(&Value::from(42)));
    }

    #[test]
    fn positions_fold_only_when_several_are_noise() {
        let paths = vec![
            "/items/0/etag".to_owned(),
            "/items/1/etag".to_owned(),
            "/history/3/at".to_owned(),
            "header:x-trace".to_owned(),
        ];
        assert_eq!(
            fold_positions(paths, &["header:x-trace".to_owned()]),
            ["/history/3/at", "/items/*/etag"]
        );
    }
}
