//! `capture:` entries: a value taken from a live response, used as `${name}` in later requests
//! of the replay recording, for what request chaining cannot see on its own (a short id, a
//! value the target never echoes).
//!
//! ```yaml
//! capture:
//!   - {from: {exchange: 1, pointer: /id}, as: customer_id}
//! ```
//!
//! Loading checks that the exchange exists, that its recorded response has the pointer, and
//! that every `${name}` is used after its capture; the recording in memory then carries the
//! recorded values in place of the placeholders (what the recorded stand-in and the snapshots
//! see), and the requests as written are kept to be filled in with live values.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{InputError, Position, did_you_mean};
use crate::recording::{HeaderValue, Recording, Request};

/// One `capture:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub name: String,
    /// 1-based exchange of the replay recording whose response holds the value.
    pub exchange: usize,
    /// JSON pointer into that response's body.
    pub pointer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapture {
    from: RawFrom,
    #[serde(rename = "as")]
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrom {
    exchange: usize,
    pointer: String,
}

/// Checks the `capture:` entries against the replay recording, resolves the placeholders in
/// it to recorded values, and hands back the captures and the requests as written.
pub(super) fn load(
    file: &Path,
    text: &str,
    raw: &[RawCapture],
    replay_file: &Path,
    replay: &mut Recording,
    errors: &mut Vec<InputError>,
) -> (Vec<Capture>, BTreeMap<usize, Request>) {
    let at = |pointer: String, message: String| {
        let position = match crate::json::yaml_position(text, &pointer) {
            Some((line, column)) => Position::LineColumn { line, column },
            None => Position::Pointer(pointer.clone()),
        };
        InputError::new(file, position, format!("at {pointer}: {message}"))
    };
    let mut captures: Vec<Capture> = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        let base = format!("/capture/{i}");
        if !valid_name(&entry.name) {
            errors.push(
                at(
                    format!("{base}/as"),
                    format!("`{}` is not a capture name", entry.name),
                )
                .with_hint("a name is letters, digits and `_`, not starting with a digit"),
            );
            continue;
        }
        if captures.iter().any(|c| c.name == entry.name) {
            errors.push(at(
                format!("{base}/as"),
                format!("capture `{}` is defined twice", entry.name),
            ));
            continue;
        }
        let (n, pointer) = (entry.from.exchange, &entry.from.pointer);
        if !pointer.is_empty() && !pointer.starts_with('/') {
            errors.push(
                at(
                    format!("{base}/from/pointer"),
                    format!("`{pointer}` is not a JSON pointer"),
                )
                .with_hint(format!("write `/{pointer}`")),
            );
            continue;
        }
        let Some(response) = n
            .checked_sub(1)
            .and_then(|i| replay.exchanges.get(i))
            .map(|(_, e)| &e.response)
        else {
            let having = replay.iter().position(|e| {
                e.response
                    .body
                    .json()
                    .and_then(|b| b.pointer(pointer))
                    .is_some()
            });
            errors.push(
                at(
                    format!("{base}/from/exchange"),
                    format!(
                        "exchange {n} does not exist: the replay recording {} has {} exchange(s), numbered from 1",
                        replay_file.display(),
                        replay.len()
                    ),
                )
                .with_hint_opt(having.map(|k| {
                    format!("did you mean exchange {}? its response has `{pointer}`", k + 1)
                })),
            );
            continue;
        };
        let Some(body) = response.body.json() else {
            errors.push(at(
                format!("{base}/from/pointer"),
                format!("the recorded response of exchange {n} has no JSON body to take `{pointer}` from"),
            ));
            continue;
        };
        if body.pointer(pointer).is_none() {
            let mut known = Vec::new();
            pointers(body, &mut String::new(), &mut known);
            errors.push(
                at(
                    format!("{base}/from/pointer"),
                    format!("the recorded response of exchange {n} has no `{pointer}`"),
                )
                .with_hint_opt(did_you_mean(pointer, known.iter().map(String::as_str))),
            );
            continue;
        }
        captures.push(Capture {
            name: entry.name.clone(),
            exchange: n,
            pointer: pointer.clone(),
        });
    }
    let mut templates = BTreeMap::new();
    let recorded: BTreeMap<&str, (usize, Value)> = captures
        .iter()
        .filter_map(|c| {
            let value = replay
                .exchanges
                .get(c.exchange - 1)?
                .1
                .response
                .body
                .json()?
                .pointer(&c.pointer)?;
            Some((c.name.as_str(), (c.exchange, value.clone())))
        })
        .collect();
    for (index, (line, exchange)) in replay.exchanges.iter_mut().enumerate() {
        let mut used = Vec::new();
        visit_request(&exchange.request, &mut |text| {
            used.extend(placeholders(text))
        });
        let mut resolved = false;
        for name in used {
            match recorded.get(name.as_str()) {
                Some((from, _)) if *from > index => errors.push(
                    InputError::new(replay_file, Position::Line(*line), format!(
                        "`${{{name}}}` is used in exchange {} but captured from the response of exchange {from}, which comes later",
                        index + 1
                    )),
                ),
                Some(_) => resolved = true,
                None => {
                    if let Some(hint) = did_you_mean(&name, captures.iter().map(|c| c.name.as_str())) {
                        errors.push(
                            InputError::new(replay_file, Position::Line(*line), format!(
                                "`${{{name}}}` in exchange {} names no `capture:` entry of {}",
                                index + 1,
                                file.display()
                            ))
                            .with_hint(hint),
                        );
                    }
                }
            }
        }
        if resolved {
            templates.insert(index, exchange.request.clone());
            let values: BTreeMap<String, Value> = recorded
                .iter()
                .map(|(k, (_, v))| (k.to_string(), v.clone()))
                .collect();
            exchange.request = interpolate(&exchange.request, &|name| values.get(name).cloned());
        }
    }
    (captures, templates)
}

/// A request with each `${name}` that `value` knows replaced: a JSON string that is only the
/// placeholder takes the value itself (a number stays a number), other text gets its text.
pub(crate) fn interpolate(request: &Request, value: &dyn Fn(&str) -> Option<Value>) -> Request {
    let text = |s: &str| -> String {
        let mut out = s.to_string();
        for name in placeholders(s) {
            if let Some(v) = value(&name) {
                let shown = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out = out.replace(&format!("${{{name}}}"), &shown);
            }
        }
        out
    };
    let mut out = request.clone();
    out.url = text(&request.url);
    for header in out.headers.values_mut() {
        *header = match header {
            HeaderValue::One(v) => HeaderValue::One(text(v)),
            HeaderValue::Many(vs) => HeaderValue::Many(vs.iter().map(|v| text(v)).collect()),
        };
    }
    if let crate::recording::Body::Json(json) = &mut out.body {
        interpolate_json(json, &text, value);
    }
    out
}

fn interpolate_json(
    json: &mut Value,
    text: &dyn Fn(&str) -> String,
    value: &dyn Fn(&str) -> Option<Value>,
) {
    match json {
        Value::String(s) => {
            let whole = s
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|n| valid_name(n))
                .and_then(value);
            *json = whole.unwrap_or_else(|| Value::String(text(s)));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| interpolate_json(v, text, value)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| interpolate_json(v, text, value)),
        _ => {}
    }
}

fn visit_request(request: &Request, f: &mut dyn FnMut(&str)) {
    f(&request.url);
    for value in request.headers.values() {
        value.values().for_each(&mut *f);
    }
    if let Some(json) = request.body.json() {
        visit_json(json, f);
    }
}

fn visit_json(json: &Value, f: &mut dyn FnMut(&str)) {
    match json {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| visit_json(v, f)),
        Value::Object(map) => map.values().for_each(|v| visit_json(v, f)),
        _ => {}
    }
}

/// The names of the `${name}` placeholders in a piece of text.
fn placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find('}') {
            let name = &rest[..end];
            if valid_name(name) {
                names.push(name.to_string());
            }
            rest = &rest[end + 1..];
        }
    }
    names
}

fn valid_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every pointer of a JSON value (containers and leaves), for did-you-mean.
fn pointers(value: &Value, at: &mut String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&crate::json::escape_pointer_token(key));
                out.push(at.clone());
                pointers(child, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                out.push(at.clone());
                pointers(child, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}
