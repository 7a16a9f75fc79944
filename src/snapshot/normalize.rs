//! Normalization: a live response turned into stable snapshot text.
//!
//! The snapshot of a response is one pretty-printed JSON document:
//!
//! ```json
//! {
//!   "status": 200,
//!   "headers": {
//!     "content-type": "application/json"
//!   },
//!   "body": {
//!     "id": "c-1001",
//!     "updated_at": "[timestamp]"
//!   }
//! }
//! ```
//!
//! - `headers` holds `content-type` and the headers the exchange's contract declares for the
//!   status, nothing else: `date`, `server`, connection headers and the like change with every
//!   server and every run.
//! - Every value an ignore rule covers (`/updated_at`, `header:x-request-id`) is replaced by a
//!   placeholder that keeps its format: `[timestamp]` for a date-time, `[date]` for a date,
//!   `[uuid]`, and `[ignored]` for anything else.
//! - Object keys of the body are sorted, so the text does not depend on the server's key order.
//! - A body that is not JSON is kept as `body_text` (or `body_base64`), like in recordings.

use serde_json::{Map, Value};

use crate::json::escape_pointer_token;
use crate::json::format::StringFormat;
use crate::recording::{Body, HeaderValue, Response};
use crate::scenario::IgnoreRules;

/// The placeholders Interlock writes in place of ignored values.
pub(crate) const PLACEHOLDERS: &[&str] = &["[timestamp]", "[date]", "[uuid]", "[ignored]"];

/// The normalized document of a response. `declared` lists the contract's header names.
pub(crate) fn document(response: &Response, declared: &[&str], ignore: &IgnoreRules) -> Value {
    let mut doc = Map::new();
    doc.insert("status".into(), response.status.into());
    let headers: Map<String, Value> = response
        .headers
        .iter()
        .filter(|(name, _)| {
            name.eq_ignore_ascii_case("content-type")
                || declared.iter().any(|d| d.eq_ignore_ascii_case(name))
        })
        .map(|(name, value)| (name.to_ascii_lowercase(), header_value(value)))
        .collect();
    if !headers.is_empty() {
        doc.insert("headers".into(), Value::Object(headers));
    }
    match &response.body {
        Body::Empty => {}
        Body::Json(json) => {
            doc.insert("body".into(), sorted(json));
        }
        Body::Text(text) => {
            doc.insert("body_text".into(), Value::String(text.clone()));
        }
        Body::Base64(b64) => {
            doc.insert("body_base64".into(), Value::String(b64.clone()));
        }
    }
    let mut doc = Value::Object(doc);
    apply_ignore(&mut doc, ignore);
    doc
}

/// The snapshot text of a document: pretty JSON.
pub(crate) fn render(doc: &Value) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| doc.to_string())
}

/// Replaces every value the rules cover by its placeholder, in a snapshot document.
pub(crate) fn apply_ignore(doc: &mut Value, ignore: &IgnoreRules) {
    let Value::Object(map) = doc else {
        return;
    };
    if let Some(Value::Object(headers)) = map.get_mut("headers") {
        for (name, value) in headers.iter_mut() {
            if ignore.covers_header(name) {
                *value = placeholder(value);
            }
        }
    }
    for key in ["body", "body_text", "body_base64"] {
        if let Some(body) = map.get_mut(key) {
            let text_body = key != "body";
            if text_body {
                if ignore.covers("") {
                    *body = placeholder(body);
                }
            } else {
                mask(body, String::new(), ignore);
            }
        }
    }
}

fn mask(value: &mut Value, pointer: String, ignore: &IgnoreRules) {
    if ignore.covers(&pointer) {
        *value = placeholder(value);
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                mask(
                    child,
                    format!("{pointer}/{}", escape_pointer_token(key)),
                    ignore,
                );
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                mask(child, format!("{pointer}/{index}"), ignore);
            }
        }
        _ => {}
    }
}

/// The placeholder for an ignored value; one already in place stays as it is.
fn placeholder(value: &Value) -> Value {
    let name = match value {
        Value::String(s) if PLACEHOLDERS.contains(&s.as_str()) => return value.clone(),
        Value::String(s) => match StringFormat::of(s) {
            StringFormat::DateTime { .. } | StringFormat::LocalDateTime => "[timestamp]",
            StringFormat::Date => "[date]",
            StringFormat::Uuid => "[uuid]",
            StringFormat::Plain => "[ignored]",
        },
        _ => "[ignored]",
    };
    Value::String(name.to_string())
}

fn header_value(value: &HeaderValue) -> Value {
    match value {
        HeaderValue::One(v) => Value::String(v.clone()),
        HeaderValue::Many(vs) => Value::Array(vs.iter().cloned().map(Value::String).collect()),
    }
}

/// A copy with every object's keys in sorted order.
pub(crate) fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .filter_map(|k| map.get(k).map(|v| (k.clone(), sorted(v))))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::Headers;
    use crate::scenario::IgnoreRule;
    use serde_json::json;

    fn rules(raw: &[&str]) -> IgnoreRules {
        IgnoreRules::new(raw.iter().map(|r| IgnoreRule::parse(r).unwrap()).collect())
    }

    #[test]
    fn ignored_values_become_placeholders_and_keys_are_sorted() {
        let headers = Headers::from([
            (
                "content-type".into(),
                HeaderValue::One("application/json".into()),
            ),
            ("date".into(), HeaderValue::One("Tue, 01 Dec 2026".into())),
            ("x-request-id".into(), HeaderValue::One("abc".into())),
            ("etag".into(), HeaderValue::One("\"v1\"".into())),
        ]);
        let body = Body::from_json(json!({
            "z": 1,
            "id": "3f2b8c1e-1d2a-4c3b-9e8f-1a2b3c4d5e6f",
            "updated_at": "2026-03-02T09:15:00+08:00",
            "items": [{"at": "2026-03-02", "n": 5}],
            "a": "keep"
        }));
        let response = Response {
            status: 201,
            headers,
            body,
        };
        let ignore = rules(&[
            "/id",
            "/updated_at",
            "/items/*/at",
            "/z",
            "header:x-request-id",
        ]);
        let doc = document(&response, &["etag", "x-request-id"], &ignore);
        assert_eq!(
            render(&doc),
            render(&json!({
                "status": 201,
                "headers": {"content-type": "application/json", "etag": "\"v1\"", "x-request-id": "[ignored]"},
                "body": {"a": "keep", "id": "[uuid]", "items": [{"at": "[date]", "n": 5}],
                         "updated_at": "[timestamp]", "z": "[ignored]"}
            }))
        );
        let keys: Vec<_> = doc["body"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "id", "items", "updated_at", "z"]);
    }

    #[test]
    fn renormalizing_keeps_placeholders() {
        let mut doc = json!({"status": 200, "body": {"at": "[timestamp]", "n": 1}});
        apply_ignore(&mut doc, &rules(&["/at", "/n"]));
        assert_eq!(doc["body"], json!({"at": "[timestamp]", "n": "[ignored]"}));
    }

    #[test]
    fn text_bodies_are_ignored_only_as_a_whole() {
        let response = Response {
            status: 200,
            headers: Headers::new(),
            body: Body::Text("hello".into()),
        };
        assert_eq!(
            document(&response, &[], &rules(&["/x"]))["body_text"],
            "hello"
        );
        assert_eq!(
            document(&response, &[], &rules(&[""]))["body_text"],
            "[ignored]"
        );
    }
}
