//! Request keys: one 64-bit hash of everything exact matching compares, so a peer serving a
//! large recording finds the recorded requests a live one may match without holding them.
//!
//! A key hashes the method, the path, the query as a sorted multiset of decoded pairs, the
//! headers the peer names, and the body: JSON as a value modulo the ignore rules (an ignored
//! value counts only as present, object members in any order), anything else as bytes. Two
//! requests the matchers call identical have the same key; a shared key is confirmed with the
//! matchers before it is trusted. Looser matching leaves the body, the path, or both out.

use std::hash::{BuildHasher, Hasher};

use foldhash::quality::{FixedState, FoldHasher};
use serde_json::Value;

use super::matcher::LiveRequest;
use crate::recording::{Body, Request};
use crate::scenario::IgnoreRules;

const STATE: FixedState = FixedState::with_seed(0x1e7e_10c4_5eed_b0d1);

/// Stands for a value the ignore rules leave uncompared.
const IGNORED: u64 = 0x9e37_79b9_7f4a_7c15;

fn hasher() -> FoldHasher<'static> {
    STATE.build_hasher()
}

/// The hashes of each part of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts {
    method: u64,
    path: u64,
    query: u64,
    headers: u64,
    body: u64,
}

/// The keys of one request: exact, and for each looser matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keys {
    pub exact: u64,
    /// Everything but the body (`match.body: contract`).
    pub no_body: u64,
    /// Everything but the path (`match.path: template`).
    pub no_path: u64,
    /// Neither path nor body.
    pub no_path_body: u64,
}

impl Parts {
    /// The parts of a recorded request.
    pub(crate) fn recorded(request: &Request, headers: &[String], ignore: &IgnoreRules) -> Parts {
        let mut query = request.query();
        query.sort_unstable();
        let mut named = hasher();
        for name in headers {
            let values = request.header(name);
            let count = values.map_or(0, |v| v.values().count());
            named.write_usize(count);
            for value in values.iter().flat_map(|v| v.values()) {
                named.write(value.as_bytes());
                named.write_u8(0xff);
            }
        }
        let body = match &request.body {
            Body::Json(value) => json_body(value, ignore),
            other => bytes_body(&other.to_bytes()),
        };
        Parts {
            method: text(&request.method.to_ascii_uppercase()),
            path: text(request.path()),
            query: pairs(&query),
            headers: named.finish(),
            body,
        }
    }

    /// The parts of a live request, its body as bytes; and, when the body is JSON, the hash of
    /// the body as JSON (a recording with a JSON body compares it so).
    pub(crate) fn live(
        request: &LiveRequest,
        headers: &[String],
        ignore: &IgnoreRules,
    ) -> (Parts, Option<u64>) {
        let mut named = hasher();
        for name in headers {
            let values = request.headers.get_all(name.as_str());
            named.write_usize(values.iter().count());
            for value in values {
                named.write(value.as_bytes());
                named.write_u8(0xff);
            }
        }
        let parts = Parts {
            method: text(request.method.as_str()),
            path: text(request.path()),
            query: pairs(request.query()),
            headers: named.finish(),
            body: bytes_body(&request.body),
        };
        (parts, request.json.as_ref().map(|v| json_body(v, ignore)))
    }

    /// The same parts with another body hash.
    pub(crate) fn with_body(self, body: u64) -> Parts {
        Parts { body, ..self }
    }

    pub(crate) fn keys(&self) -> Keys {
        Keys {
            exact: combine(&[self.method, self.path, self.query, self.headers, self.body]),
            no_body: combine(&[self.method, self.path, self.query, self.headers, 1]),
            no_path: combine(&[self.method, 2, self.query, self.headers, self.body]),
            no_path_body: combine(&[self.method, 3, self.query, self.headers, 4]),
        }
    }
}

fn combine(parts: &[u64]) -> u64 {
    let mut h = hasher();
    for part in parts {
        h.write_u64(*part);
    }
    h.finish()
}

/// The hash of a literal path, as keys use it.
pub(crate) fn path_hash(path: &str) -> u64 {
    text(path)
}

fn text(text: &str) -> u64 {
    let mut h = hasher();
    h.write(text.as_bytes());
    h.finish()
}

fn pairs(pairs: &[(String, String)]) -> u64 {
    let mut h = hasher();
    h.write_usize(pairs.len());
    for (name, value) in pairs {
        h.write(name.as_bytes());
        h.write_u8(0xff);
        h.write(value.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}

fn bytes_body(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write_u8(b'b');
    h.write(bytes);
    h.finish()
}

fn json_body(value: &Value, ignore: &IgnoreRules) -> u64 {
    let mut h = hasher();
    h.write_u8(b'j');
    h.write_u64(json(value, ignore, &mut String::new()));
    h.finish()
}

/// A JSON value's hash, equal for values `==` calls equal (numbers compare as serde_json
/// compares them; object members in any order), with the values the rules ignore replaced by
/// one constant.
fn json(value: &Value, ignore: &IgnoreRules, pointer: &mut String) -> u64 {
    if !ignore.is_empty() && ignore.covers(pointer) {
        return IGNORED;
    }
    let mut h = hasher();
    match value {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => {
            h.write_u8(1);
            h.write_u8(u8::from(*b));
        }
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                h.write_u8(2);
                h.write_u64(u);
            } else if let Some(i) = n.as_i64() {
                h.write_u8(3);
                h.write_i64(i);
            } else {
                let f = n.as_f64().unwrap_or_default();
                h.write_u8(4);
                // -0.0 == 0.0
                h.write_u64(if f == 0.0 { 0 } else { f.to_bits() });
            }
        }
        Value::String(s) => {
            h.write_u8(5);
            h.write(s.as_bytes());
        }
        Value::Array(items) => {
            h.write_u8(6);
            h.write_usize(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                if !ignore.is_empty() {
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                }
                h.write_u64(json(item, ignore, pointer));
                pointer.truncate(len);
            }
        }
        Value::Object(members) => {
            h.write_u8(7);
            h.write_usize(members.len());
            // Members in any order: their hashes are summed.
            let mut sum = 0u64;
            for (key, member) in members {
                let len = pointer.len();
                if !ignore.is_empty() {
                    super::body::push_token(pointer, key);
                }
                let mut entry = hasher();
                entry.write(key.as_bytes());
                entry.write_u64(json(member, ignore, pointer));
                sum = sum.wrapping_add(entry.finish());
                pointer.truncate(len);
            }
            h.write_u64(sum);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ignore::IgnoreRule;
    use bytes::Bytes;
    use hyper::{HeaderMap, Method};
    use serde_json::json;

    fn recorded(method: &str, url: &str, body: Body) -> Request {
        Request {
            method: method.into(),
            url: url.into(),
            headers: Default::default(),
            body,
        }
    }

    fn live(method: &str, url: &str, body: &str) -> LiveRequest {
        LiveRequest::new(
            Method::from_bytes(method.as_bytes()).expect("a method"),
            url.parse().expect("a url"),
            HeaderMap::new(),
            Bytes::from(body.to_string()),
        )
    }

    fn live_key(request: &LiveRequest, ignore: &IgnoreRules) -> u64 {
        let (parts, json) = Parts::live(request, &[], ignore);
        json.map_or(parts, |j| parts.with_body(j)).keys().exact
    }

    #[test]
    fn requests_the_matchers_call_identical_share_a_key() {
        let none = IgnoreRules::default();
        let rec = recorded(
            "post",
            "/c?b=2&a=1",
            Body::from_json(json!({"name": "ACME", "limit": 5, "tags": ["x"]})),
        );
        let key = Parts::recorded(&rec, &[], &none).keys().exact;
        let same = live(
            "POST",
            "/c?a=1&b=2",
            r#"{"tags":["x"],"limit":5,"name":"ACME"}"#,
        );
        assert_eq!(live_key(&same, &none), key);
        for other in [
            live(
                "POST",
                "/c?a=1&b=2",
                r#"{"tags":["x"],"limit":"5","name":"ACME"}"#,
            ),
            live(
                "POST",
                "/c?a=1&b=2",
                r#"{"tags":["x"],"limit":5.0,"name":"ACME"}"#,
            ),
            live(
                "POST",
                "/c?a=1",
                r#"{"tags":["x"],"limit":5,"name":"ACME"}"#,
            ),
            live(
                "PUT",
                "/c?a=1&b=2",
                r#"{"tags":["x"],"limit":5,"name":"ACME"}"#,
            ),
            live(
                "POST",
                "/d?a=1&b=2",
                r#"{"tags":["x"],"limit":5,"name":"ACME"}"#,
            ),
            live(
                "POST",
                "/c?a=1&b=2",
                r#"{"tags":["x","x"],"limit":5,"name":"ACME"}"#,
            ),
        ] {
            assert_ne!(live_key(&other, &none), key, "{}", other.url());
        }
    }

    #[test]
    fn ignored_values_leave_the_key_alone_but_their_presence_does_not() {
        let ignore = IgnoreRules::new(vec![IgnoreRule::parse("/items/*/at").expect("a rule")]);
        let rec = recorded(
            "POST",
            "/c",
            Body::from_json(json!({"items": [{"id": 1, "at": "x"}]})),
        );
        let key = Parts::recorded(&rec, &[], &ignore).keys().exact;
        let later = live("POST", "/c", r#"{"items":[{"id":1,"at":"y"}]}"#);
        assert_eq!(live_key(&later, &ignore), key);
        let without = live("POST", "/c", r#"{"items":[{"id":1}]}"#);
        assert_ne!(live_key(&without, &ignore), key);
    }

    #[test]
    fn text_bodies_are_keyed_as_bytes_and_looser_keys_leave_parts_out() {
        let none = IgnoreRules::default();
        let rec = recorded("POST", "/o/1", Body::Text("order 7".into()));
        let keys = Parts::recorded(&rec, &[], &none).keys();
        let same = live("POST", "/o/1", "order 7");
        assert_eq!(Parts::live(&same, &[], &none).0.keys(), keys);
        let other = Parts::live(&live("POST", "/o/2", "order 8"), &[], &none)
            .0
            .keys();
        assert_ne!(other.exact, keys.exact);
        assert_ne!(other.no_body, keys.no_body);
        assert_ne!(other.no_path, keys.no_path);
        assert_eq!(other.no_path_body, keys.no_path_body);
    }
}
