//! Recorded-vs-live structural diff.
//!
//! Walks the recorded and the live JSON body together and reports every field added, removed,
//! retyped or changed, with its JSON pointer and old → new. Strings are also compared by
//! *format*: a date-time whose offset moved (+08:00 → +09:00), a date-time that became a date,
//! a UUID that became something else. Ignored paths (volatile values) skip the value comparison
//! but keep presence, type and format checks, so a time-zone move in a timestamp that changes on
//! every run is still caught.

use serde_json::{Map, Value};

pub(crate) use crate::json::format::{StringFormat, is_uuid};
use crate::json::type_name;
use crate::json::{display_pointer, escape_pointer_token};
use crate::model::{Finding, FindingKind, Location};
use crate::recording::{Body, Headers};
use crate::scenario::IgnoreRules;

/// Compares a recorded body with the live one.
pub(crate) fn compare_bodies(recorded: &Body, live: &Body, ignore: &IgnoreRules) -> Vec<Finding> {
    let mut findings = Vec::new();
    match (recorded, live) {
        // A body equal to the recording has nothing to report: no walk.
        (Body::Json(_), Body::Json(_)) if recorded == live => {}
        (Body::Json(old), Body::Json(new)) => {
            compare_values(old, new, &mut String::new(), ignore, &mut findings)
        }
        _ if recorded.kind() != live.kind() => findings.push(
            Finding::new(
                FindingKind::BodyChanged,
                Location::Response,
                "",
                format!("body changed from {} to {}", recorded.kind(), live.kind()),
            )
            .with_values(body_summary(recorded), body_summary(live)),
        ),
        _ => {
            if !ignore.covers("") && recorded.to_bytes() != live.to_bytes() {
                findings.push(
                    Finding::new(
                        FindingKind::ValueChanged,
                        Location::Response,
                        "",
                        format!("{} body changed", recorded.kind()),
                    )
                    .with_values(body_summary(recorded), body_summary(live)),
                );
            }
        }
    }
    link_renames(&mut findings);
    findings
}

fn body_summary(body: &Body) -> Option<Value> {
    let text = match body {
        Body::Empty => return None,
        Body::Json(v) => return Some(Value::clone(v)),
        Body::Text(text) | Body::Base64(text) => text,
    };
    let short: String = text.chars().take(120).collect();
    Some(Value::String(if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }))
}

/// Compares the headers a contract declares, plus the media type of `content-type`.
pub(crate) fn compare_headers(
    recorded: &Headers,
    live: &Headers,
    declared: &[&str],
    ignore: &IgnoreRules,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let media = |h: &Headers| {
        h.get("content-type").map(|v| {
            v.first()
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    };
    if !ignore.covers_header("content-type") && media(recorded) != media(live) {
        findings.push(
            Finding::new(
                FindingKind::HeaderChanged,
                Location::Response,
                "header:content-type",
                "content type changed",
            )
            .with_values(
                media(recorded).map(Value::from),
                media(live).map(Value::from),
            ),
        );
    }
    for name in declared {
        let name = name.to_ascii_lowercase();
        if name == "content-type" || ignore.covers_header(&name) {
            continue;
        }
        let old = recorded.get(&name).map(|v| v.first().to_string());
        let new = live.get(&name).map(|v| v.first().to_string());
        if old != new {
            findings.push(
                Finding::new(
                    FindingKind::HeaderChanged,
                    Location::Response,
                    format!("header:{name}"),
                    format!("header `{name}` changed"),
                )
                .with_values(old.map(Value::from), new.map(Value::from)),
            );
        }
    }
    findings
}

fn compare_values(
    old: &Value,
    new: &Value,
    pointer: &mut String,
    ignore: &IgnoreRules,
    out: &mut Vec<Finding>,
) {
    let ignored = ignore.covers(pointer);
    match (old, new) {
        (Value::Object(a), Value::Object(b)) if !ignored => {
            compare_objects(a, b, pointer, ignore, out)
        }
        (Value::Array(a), Value::Array(b)) if !ignored => {
            compare_arrays(a, b, pointer, ignore, out)
        }
        // Equal strings cannot drift: skip the format analysis on the common path.
        (Value::String(a), Value::String(b)) if a == b => {}
        (Value::String(a), Value::String(b)) => {
            let (fa, fb) = (StringFormat::of(a), StringFormat::of(b));
            if let Some(reason) = fa.drift_to(&fb) {
                out.push(
                    Finding::new(
                        FindingKind::FormatDrift,
                        Location::Response,
                        pointer.clone(),
                        format!("`{}` {reason}", display_pointer(pointer)),
                    )
                    .with_values(Some(old.clone()), Some(new.clone())),
                );
            } else if !ignored && a != b {
                out.push(value_changed(old, new, pointer));
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if !ignored && a.as_f64() != b.as_f64() {
                out.push(value_changed(old, new, pointer));
            }
        }
        _ if type_name(old) != type_name(new) && !(is_number(old) && is_number(new)) => out.push(
            Finding::new(
                FindingKind::TypeChanged,
                Location::Response,
                pointer.clone(),
                format!(
                    "`{}` changed type from {} to {}",
                    display_pointer(pointer),
                    type_name(old),
                    type_name(new)
                ),
            )
            .with_values(Some(old.clone()), Some(new.clone())),
        ),
        _ => {
            if !ignored && old != new {
                out.push(value_changed(old, new, pointer));
            }
        }
    }
}

fn compare_objects(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    pointer: &mut String,
    ignore: &IgnoreRules,
    out: &mut Vec<Finding>,
) {
    for (key, old) in a {
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(key));
        match b.get(key) {
            Some(new) => compare_values(old, new, pointer, ignore, out),
            None => out.push(
                Finding::new(
                    FindingKind::FieldRemoved,
                    Location::Response,
                    pointer.clone(),
                    format!("`{}` removed", display_pointer(pointer)),
                )
                .with_values(Some(old.clone()), None),
            ),
        }
        pointer.truncate(len);
    }
    for (key, new) in b {
        if a.contains_key(key) {
            continue;
        }
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(key));
        out.push(
            Finding::new(
                FindingKind::FieldAdded,
                Location::Response,
                pointer.clone(),
                format!("`{}` added", display_pointer(pointer)),
            )
            .with_values(None, Some(new.clone())),
        );
        pointer.truncate(len);
    }
}

fn compare_arrays(
    a: &[Value],
    b: &[Value],
    pointer: &mut String,
    ignore: &IgnoreRules,
    out: &mut Vec<Finding>,
) {
    for i in 0..a.len().max(b.len()) {
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&i.to_string());
        match (a.get(i), b.get(i)) {
            (Some(old), Some(new)) => compare_values(old, new, pointer, ignore, out),
            (Some(old), None) => out.push(
                Finding::new(
                    FindingKind::FieldRemoved,
                    Location::Response,
                    pointer.clone(),
                    format!("item `{}` removed", display_pointer(pointer)),
                )
                .with_values(Some(old.clone()), None),
            ),
            (None, Some(new)) => out.push(
                Finding::new(
                    FindingKind::FieldAdded,
                    Location::Response,
                    pointer.clone(),
                    format!("item `{}` added", display_pointer(pointer)),
                )
                .with_values(None, Some(new.clone())),
            ),
            (None, None) => {}
        }
        pointer.truncate(len);
    }
}

fn is_number(v: &Value) -> bool {
    v.is_number()
}

fn value_changed(old: &Value, new: &Value, pointer: &str) -> Finding {
    Finding::new(
        FindingKind::ValueChanged,
        Location::Response,
        pointer,
        format!("`{}` changed value", display_pointer(pointer)),
    )
    .with_values(Some(old.clone()), Some(new.clone()))
}

/// A removed and an added field in the same object, holding values of the same type, are
/// probably one field renamed: say so on both findings.
fn link_renames(findings: &mut [Finding]) {
    let parent = |p: &str| {
        p.rsplit_once('/')
            .map(|(a, _)| a.to_string())
            .unwrap_or_default()
    };
    let leaf = |p: &str| {
        p.rsplit_once('/')
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    };
    let removed: Vec<(usize, String, &'static str)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FindingKind::FieldRemoved)
        .map(|(i, f)| (i, f.path.clone(), f.old.as_ref().map_or("null", type_name)))
        .collect();
    let mut used = std::collections::HashSet::new();
    for (ri, rpath, rtype) in removed {
        let candidate = findings.iter().enumerate().position(|(i, f)| {
            f.kind == FindingKind::FieldAdded
                && !used.contains(&i)
                && parent(&f.path) == parent(&rpath)
                && f.new.as_ref().map_or("null", type_name) == rtype
        });
        if let Some(ai) = candidate {
            used.insert(ai);
            let (old_name, new_name) = (leaf(&rpath), leaf(&findings[ai].path));
            findings[ri].message = format!(
                "{} (possibly renamed to `{new_name}`)",
                findings[ri].message
            );
            findings[ai].message = format!(
                "{} (possibly renamed from `{old_name}`)",
                findings[ai].message
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::IgnoreRule;
    use serde_json::json;

    fn diff(old: Value, new: Value, ignore: &[&str]) -> Vec<Finding> {
        let rules = IgnoreRules::new(
            ignore
                .iter()
                .map(|r| IgnoreRule::parse(r).unwrap())
                .collect(),
        );
        compare_bodies(&Body::from_json(old), &Body::from_json(new), &rules)
    }

    #[test]
    fn rename_type_change_and_offset_drift() {
        let old = json!({"tax_id": "91310115MA1K4ABC12", "credit_limit": 500000, "created_at": "2026-03-02T09:15:00+08:00"});
        let new = json!({"taxNumber": "91310115MA1K4ABC12", "credit_limit": "500000.00", "created_at": "2026-03-02T10:15:00+09:00"});
        let f = diff(old, new, &[]);
        let by_path = |p: &str| {
            f.iter()
                .find(|x| x.path == p)
                .unwrap_or_else(|| panic!("{p} missing in {f:?}"))
        };
        assert_eq!(by_path("/tax_id").kind, FindingKind::FieldRemoved);
        assert!(
            by_path("/tax_id")
                .message
                .contains("possibly renamed to `taxNumber`")
        );
        assert_eq!(by_path("/taxNumber").kind, FindingKind::FieldAdded);
        assert_eq!(by_path("/credit_limit").kind, FindingKind::TypeChanged);
        assert_eq!(by_path("/created_at").kind, FindingKind::FormatDrift);
        assert!(by_path("/created_at").message.contains("+08:00 → +09:00"));
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn ignored_timestamp_still_reports_offset_drift_but_not_value() {
        let old = json!({"items": [{"updated_at": "2026-03-02T09:15:00+08:00"}]});
        let same_offset = json!({"items": [{"updated_at": "2026-03-05T11:00:00+08:00"}]});
        let moved = json!({"items": [{"updated_at": "2026-03-05T12:00:00+09:00"}]});
        assert!(diff(old.clone(), same_offset, &["/items/*/updated_at"]).is_empty());
        let f = diff(old, moved, &["/items/*/updated_at"]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].kind, f[0].path.as_str()),
            (FindingKind::FormatDrift, "/items/0/updated_at")
        );
    }

    #[test]
    fn integer_and_float_of_equal_value_are_equal() {
        assert!(diff(json!({"a": 1}), json!({"a": 1.0}), &[]).is_empty());
        assert_eq!(
            diff(json!({"a": 1}), json!({"a": 2}), &[])[0].kind,
            FindingKind::ValueChanged
        );
    }

    #[test]
    fn date_time_to_date_is_drift() {
        let f = diff(
            json!({"d": "2026-03-02T00:00:00Z"}),
            json!({"d": "2026-03-02"}),
            &[],
        );
        assert_eq!(f[0].kind, FindingKind::FormatDrift);
        assert!(
            f[0].message.contains("from date-time to date"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn array_length_changes() {
        let f = diff(json!([1, 2, 3]), json!([1, 2]), &[]);
        assert_eq!(
            (f[0].kind, f[0].path.as_str()),
            (FindingKind::FieldRemoved, "/2")
        );
    }
}
