//! Secrets a run sends but never shows: the values of `--header` flags and of the chosen
//! profile's `headers` and `query` credentials.
//!
//! They are registered once, when the run is planned, and every text that could carry one to an
//! output is passed through [`scrub`] first: live responses (a target that echoes the token in
//! an error body), transport errors (a URL with a query credential), what the target sent its
//! mocked peers, the output of setup and teardown steps. Each occurrence becomes `[redacted]`.

use std::sync::RwLock;

use serde_json::Value;

use super::REDACTED;
use crate::recording::{Body, Headers, Response};

/// The registered secret values, longest first (so a value containing another is replaced
/// whole).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Adds secret values to the process-wide list; empty values are ignored.
pub(crate) fn register<I, S>(values: I)
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let Ok(mut secrets) = SECRETS.write() else {
        return;
    };
    for value in values {
        let value = value.into();
        if !value.is_empty() && !secrets.contains(&value) {
            secrets.push(value);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Whether any secret is registered (sweeping costs nothing otherwise).
pub(crate) fn any() -> bool {
    SECRETS.read().is_ok_and(|s| !s.is_empty())
}

/// `text` with every registered secret replaced by `[redacted]`.
pub(crate) fn scrub(text: &str) -> String {
    let Ok(secrets) = SECRETS.read() else {
        return text.to_string();
    };
    let mut out = text.to_string();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

/// Scrubs `text` in place, allocating only when a secret is in it.
pub(crate) fn scrub_in_place(text: &mut String) {
    if any() {
        let scrubbed = scrub(text);
        if scrubbed != *text {
            *text = scrubbed;
        }
    }
}

/// Scrubs every string (and object key) inside a JSON value.
pub(crate) fn scrub_json(value: &mut Value) {
    match value {
        Value::String(s) => scrub_in_place(s),
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let clean = scrub(&key);
                if let Some(mut inner) = map.remove(&key) {
                    scrub_json(&mut inner);
                    map.insert(clean, inner);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Scrubs a message body; a binary body that holds a secret is replaced by `[redacted]`.
pub(crate) fn scrub_body(body: &mut Body) {
    if !any() {
        return;
    }
    match body {
        Body::Json(value) => scrub_json(std::sync::Arc::make_mut(value)),
        Body::Text(text) => scrub_in_place(text),
        Body::Base64(encoded) => {
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.as_bytes())
                .unwrap_or_default();
            let lossy = String::from_utf8_lossy(&decoded);
            if scrub(&lossy) != lossy {
                *body = Body::Text(REDACTED.to_string());
            }
        }
        Body::Empty => {}
    }
}

/// Scrubs every header value.
pub(crate) fn scrub_headers(headers: &mut Headers) {
    if !any() {
        return;
    }
    for value in headers.values_mut() {
        let values: Vec<String> = value.values().map(scrub).collect();
        *value = match values.as_slice() {
            [one] => crate::recording::HeaderValue::One(one.clone()),
            _ => crate::recording::HeaderValue::Many(values),
        };
    }
}

/// Scrubs a whole response: headers and body.
pub(crate) fn scrub_response(response: &mut Response) {
    scrub_headers(&mut response.headers);
    scrub_body(&mut response.body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_scrubbed_everywhere_longest_first() {
        register(["unit-secret-abc", "unit-secret-abc-longer"]);
        assert_eq!(
            scrub("a unit-secret-abc-longer and unit-secret-abc"),
            "a [redacted] and [redacted]"
        );
        let mut value = serde_json::json!({"echo": ["x unit-secret-abc"], "unit-secret-abc": 1});
        scrub_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"echo": ["x [redacted]"], "[redacted]": 1})
        );
    }
}
