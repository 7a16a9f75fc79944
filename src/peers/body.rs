//! Body matching: JSON compared as values modulo ignore rules, anything else byte for byte,
//! with every difference named by its JSON pointer (``body field `/tax_id` missing``).

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::matcher::{LiveRequest, Matcher, Mismatch, Part};
use crate::recording::Body;
use crate::scenario::IgnoreRules;

/// The body: JSON compared as values modulo ignore rules, anything else as bytes.
#[derive(Debug)]
pub(crate) enum BodyMatcher {
    Json {
        expected: Value,
        ignore: Arc<IgnoreRules>,
    },
    Bytes(Bytes),
}

pub(crate) fn body(body: &Body, ignore: Arc<IgnoreRules>) -> BodyMatcher {
    match body.json() {
        Some(value) => BodyMatcher::Json {
            expected: value.clone(),
            ignore,
        },
        None => BodyMatcher::Bytes(Bytes::from(body.to_bytes())),
    }
}

impl Matcher for BodyMatcher {
    fn matches(&self, request: &LiveRequest) -> bool {
        match self {
            BodyMatcher::Json { expected, ignore } => match &request.json {
                Some(live) if ignore.is_empty() => expected == live,
                Some(live) => {
                    let mut out = Vec::new();
                    diff_json(expected, live, &mut String::new(), ignore, &mut out, true);
                    out.is_empty()
                }
                None => false,
            },
            BodyMatcher::Bytes(expected) => *expected == request.body,
        }
    }

    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>) {
        match self {
            BodyMatcher::Json { expected, ignore } => match &request.json {
                Some(live) => diff_json(expected, live, &mut String::new(), ignore, out, false),
                None => out.push(Mismatch {
                    part: Part::Body,
                    path: String::new(),
                    text: if request.body.is_empty() {
                        "body missing (the recording has a JSON body)".to_string()
                    } else {
                        format!(
                            "body is not JSON ({} bytes; the recording has a JSON body)",
                            request.body.len()
                        )
                    },
                    recorded: Some(expected.clone()),
                    live: None,
                }),
            },
            BodyMatcher::Bytes(expected) => {
                if *expected == request.body {
                    return;
                }
                let text = match (expected.is_empty(), request.body.is_empty()) {
                    (true, _) => format!(
                        "body not in the recording ({} bytes sent, none recorded)",
                        request.body.len()
                    ),
                    (false, true) => {
                        format!("body missing (the recording has {} bytes)", expected.len())
                    }
                    (false, false) => match (
                        std::str::from_utf8(expected),
                        std::str::from_utf8(&request.body),
                    ) {
                        (Ok(old), Ok(new)) => format!(
                            "body: {} → {}",
                            shorten(&Value::String(old.to_string())),
                            shorten(&Value::String(new.to_string()))
                        ),
                        _ => format!(
                            "body differs ({} bytes, recorded {} bytes)",
                            request.body.len(),
                            expected.len()
                        ),
                    },
                };
                out.push(Mismatch {
                    part: Part::Body,
                    path: String::new(),
                    text,
                    recorded: None,
                    live: None,
                });
            }
        }
    }
}

/// Compares two JSON values modulo ignore rules: a covered pointer's value is not compared,
/// but whether it is present still is. Stops at the first difference when `first_only`.
fn diff_json(
    recorded: &Value,
    live: &Value,
    pointer: &mut String,
    ignore: &IgnoreRules,
    out: &mut Vec<Mismatch>,
    first_only: bool,
) {
    if !ignore.is_empty() && ignore.covers(pointer) {
        return;
    }
    match (recorded, live) {
        (Value::Object(rec), Value::Object(liv)) => {
            for (key, rec_value) in rec {
                if first_only && !out.is_empty() {
                    return;
                }
                let len = pointer.len();
                push_token(pointer, key);
                match liv.get(key) {
                    Some(live_value) => {
                        diff_json(rec_value, live_value, pointer, ignore, out, first_only)
                    }
                    None => out.push(missing(pointer, rec_value)),
                }
                pointer.truncate(len);
            }
            for (key, live_value) in liv {
                if first_only && !out.is_empty() {
                    return;
                }
                if !rec.contains_key(key) {
                    let len = pointer.len();
                    push_token(pointer, key);
                    out.push(unrecorded(pointer, live_value));
                    pointer.truncate(len);
                }
            }
        }
        (Value::Array(rec), Value::Array(liv)) => {
            for i in 0..rec.len().max(liv.len()) {
                if first_only && !out.is_empty() {
                    return;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                match (rec.get(i), liv.get(i)) {
                    (Some(r), Some(l)) => diff_json(r, l, pointer, ignore, out, first_only),
                    (Some(r), None) => out.push(missing(pointer, r)),
                    (None, Some(l)) => out.push(unrecorded(pointer, l)),
                    (None, None) => {}
                }
                pointer.truncate(len);
            }
        }
        _ if recorded == live => {}
        _ => {
            let text = if pointer.is_empty() {
                format!("body: {} → {}", shorten(recorded), shorten(live))
            } else {
                format!(
                    "body field `{pointer}`: {} → {}",
                    shorten(recorded),
                    shorten(live)
                )
            };
            out.push(Mismatch {
                part: Part::Body,
                path: pointer.clone(),
                text,
                recorded: Some(recorded.clone()),
                live: Some(live.clone()),
            });
        }
    }
}

fn missing(pointer: &str, recorded: &Value) -> Mismatch {
    Mismatch {
        part: Part::Body,
        path: pointer.to_string(),
        text: format!("body field `{pointer}` missing"),
        recorded: Some(recorded.clone()),
        live: None,
    }
}

fn unrecorded(pointer: &str, live: &Value) -> Mismatch {
    Mismatch {
        part: Part::Body,
        path: pointer.to_string(),
        text: format!("body field `{pointer}` not in the recording"),
        recorded: None,
        live: Some(live.clone()),
    }
}

/// Appends `/token` with JSON-pointer escaping.
pub(super) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for ch in token.chars() {
        match ch {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Compact JSON, cut to a readable length.
pub(crate) fn shorten(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
