//! `capture:` entries: a value taken from a live response, used as `${name}` in later requests
//! of the replay recording, for what request chaining cannot see on its own (a short id, a
//! value the target never echoes).
//!
//! ```yaml
//! capture:
//!   - {from: {exchange: 1, pointer: /id}, as: customer_id}
//! ```
//!
//! Preparing the scenario checks, from what its streaming pass over the replay recording kept
//! ([`Seen`]), that the exchange exists, that its recorded response has the pointer, and that
//! every `${name}` is used after its capture. The requests as written are kept to be filled in
//! with live values, and the recorded values to fill them where the replay needs the recording
//! as it was (the recorded stand-in, the snapshots).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{InputError, Position, did_you_mean};
use crate::recording::{HeaderValue, Request, Response};

/// One `capture:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub name: String,
    /// 1-based exchange of the replay recording whose response holds the value.
    pub exchange: usize,
    /// JSON pointer into that response's body.
    pub pointer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCapture {
    from: RawFrom,
    #[serde(rename = "as")]
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrom {
    exchange: usize,
    pointer: String,
}

/// What the streaming pass over a replay recording keeps for the `capture:` entries: the
/// number of exchanges, the recorded responses captures take values from, and the requests
/// holding `${name}` placeholders.
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub exchanges: usize,
    /// 1-based exchange → its recorded response.
    pub responses: BTreeMap<usize, Response>,
    /// (0-based exchange, line, request as written) of each request with a placeholder.
    pub templated: Vec<(usize, usize, Request)>,
}

impl Seen {
    /// Keeps what the captures need of one exchange of the recording.
    pub(super) fn keep(
        &mut self,
        raw: &[RawCapture],
        line: usize,
        exchange: crate::recording::Exchange,
    ) {
        let index = self.exchanges;
        self.exchanges += 1;
        let mut placeholder = false;
        visit_request(&exchange.request, &mut |text| {
            placeholder |= !placeholders(text).is_empty()
        });
        if placeholder {
            self.templated.push((index, line, exchange.request));
        }
        if raw.iter().any(|c| c.from.exchange == index + 1) {
            self.responses.insert(index + 1, exchange.response);
        }
    }
}

/// The checked captures, the requests as written by 0-based exchange, and each capture's
/// recorded value.
pub(super) type Loaded = (
    Vec<Capture>,
    BTreeMap<usize, Request>,
    BTreeMap<String, Value>,
);

/// Checks the `capture:` entries against what the pass over the replay recording saw; `having`
/// finds the first exchange whose recorded response has a pointer (for a did-you-mean; it may
/// read the recording again).
pub(super) fn load(
    file: &Path,
    text: &str,
    raw: &[RawCapture],
    replay_file: &Path,
    seen: &Seen,
    having: &dyn Fn(&str) -> Option<usize>,
    errors: &mut Vec<InputError>,
) -> Loaded {
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
        let Some(response) = seen.responses.get(&n) else {
            errors.push(
                at(
                    format!("{base}/from/exchange"),
                    format!(
                        "exchange {n} does not exist: the replay recording {} has {} exchange(s), numbered from 1",
                        replay_file.display(),
                        seen.exchanges
                    ),
                )
                .with_hint_opt(having(pointer).map(|k| {
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
            let value = seen
                .responses
                .get(&c.exchange)?
                .body
                .json()?
                .pointer(&c.pointer)?;
            Some((c.name.as_str(), (c.exchange, value.clone())))
        })
        .collect();
    for (index, line, request) in &seen.templated {
        let (index, line) = (*index, *line);
        let mut used = Vec::new();
        visit_request(request, &mut |text| used.extend(placeholders(text)));
        let mut resolved = false;
        for name in used {
            match recorded.get(name.as_str()) {
                Some((from, _)) if *from > index => errors.push(
                    InputError::new(replay_file, Position::Line(line), format!(
                        "`${{{name}}}` is used in exchange {} but captured from the response of exchange {from}, which comes later",
                        index + 1
                    )),
                ),
                Some(_) => resolved = true,
                None => {
                    if let Some(hint) = did_you_mean(&name, captures.iter().map(|c| c.name.as_str())) {
                        errors.push(
                            InputError::new(replay_file, Position::Line(line), format!(
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
            templates.insert(index, request.clone());
        }
    }
    let values = recorded
        .into_iter()
        .map(|(k, (_, v))| (k.to_string(), v))
        .collect();
    (captures, templates, values)
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
    if let Some(json) = out.body.json_mut() {
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
