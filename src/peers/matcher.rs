//! Matchers: small values that each compare one part of a live request with a recorded one.
//!
//! A recorded request becomes a [`RequestMatcher`]: [`method`] `and` [`path`] `and` [`query`]
//! `and` [`body`]. Every matcher answers two questions: does the request match (the hot path,
//! no allocation when it does), and if not, *why* not — a list of [`Mismatch`]es a person can
//! read, e.g. ``query `rollback=true` not in the recording`` or
//! ``body field `/credit_limit`: 500000 → "500000"``. Headers are compared only when a peer
//! names them (`match.headers`).

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use hyper::{HeaderMap, Method, Uri};
use serde_json::Value;

use super::body::body;
use crate::recording::Request;
use crate::scenario::IgnoreRules;

/// A request as the peer received it, parsed once.
#[derive(Debug)]
pub(crate) struct LiveRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    /// Query pairs, percent-decoded, sorted (order does not matter for matching); parsed
    /// only when a comparison of the raw query is not enough.
    query: OnceLock<Vec<(String, String)>>,
    pub body: Bytes,
    /// The body parsed as JSON, when it is JSON (same rule as recordings use).
    pub json: Option<Value>,
}

impl LiveRequest {
    pub(crate) fn new(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Self {
        let json = if body.is_empty() {
            None
        } else {
            let content_type = headers
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            parse_json(content_type, &body)
        };
        LiveRequest {
            method,
            uri,
            headers,
            query: OnceLock::new(),
            body,
            json,
        }
    }

    /// Query pairs, percent-decoded, sorted.
    pub(crate) fn query(&self) -> &[(String, String)] {
        self.query.get_or_init(|| {
            let mut pairs = crate::recording::query_pairs(self.url());
            pairs.sort_unstable();
            pairs
        })
    }

    /// A recorded request in the same shape, to group identical recordings.
    pub(crate) fn from_recorded(request: &Request) -> Option<Self> {
        let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes()).ok()?;
        let uri: Uri = request.url.parse().ok()?;
        let body = Bytes::from(request.body.to_bytes());
        let mut live = LiveRequest::new(method, uri, HeaderMap::new(), body);
        live.json = request.body.json().cloned();
        Some(live)
    }

    pub(crate) fn path(&self) -> &str {
        self.uri.path()
    }

    /// Path and query as received.
    pub(crate) fn url(&self) -> &str {
        self.uri
            .path_and_query()
            .map_or_else(|| self.uri.path(), |pq| pq.as_str())
    }
}

/// A non-empty body as JSON, unless its content type says it is something else.
fn parse_json(content_type: Option<&str>, bytes: &[u8]) -> Option<Value> {
    if !content_type.is_none_or(|ct| ct.contains("json")) {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

/// Which part of the request a mismatch is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Method,
    Path,
    Query,
    Header,
    Body,
}

/// One way a live request differs from a recorded one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mismatch {
    pub part: Part,
    /// Where, in finding terms: `method`, `path`, `query:NAME`, or a body JSON pointer.
    pub path: String,
    /// One phrase, e.g. ``body field `/tax_id` missing``.
    pub text: String,
    pub recorded: Option<Value>,
    pub live: Option<Value>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One comparable aspect of a request.
pub(crate) trait Matcher: fmt::Debug + Send + Sync {
    /// Whether the request satisfies this matcher.
    fn matches(&self, request: &LiveRequest) -> bool;
    /// Why the request does not satisfy it; adds nothing when it does.
    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>);
}

/// The method, exactly (upper case).
#[derive(Debug)]
pub(crate) struct MethodMatcher(String);

pub(crate) fn method(method: &str) -> MethodMatcher {
    MethodMatcher(method.to_ascii_uppercase())
}

impl Matcher for MethodMatcher {
    fn matches(&self, request: &LiveRequest) -> bool {
        request.method.as_str() == self.0
    }

    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>) {
        if !self.matches(request) {
            out.push(Mismatch {
                part: Part::Method,
                path: "method".to_string(),
                text: format!("method `{}` (recorded `{}`)", request.method, self.0),
                recorded: Some(Value::String(self.0.clone())),
                live: Some(Value::String(request.method.to_string())),
            });
        }
    }
}

/// The path without the query, exactly as sent.
#[derive(Debug)]
pub(crate) struct PathMatcher(String);

pub(crate) fn path(path: &str) -> PathMatcher {
    PathMatcher(path.to_string())
}

impl Matcher for PathMatcher {
    fn matches(&self, request: &LiveRequest) -> bool {
        request.path() == self.0
    }

    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>) {
        if !self.matches(request) {
            out.push(Mismatch {
                part: Part::Path,
                path: "path".to_string(),
                text: format!("path `{}` (recorded `{}`)", request.path(), self.0),
                recorded: Some(Value::String(self.0.clone())),
                live: Some(Value::String(request.path().to_string())),
            });
        }
    }
}

/// The query as a multiset of decoded pairs: order does not matter, repetition does.
#[derive(Debug)]
pub(crate) struct QueryMatcher {
    pairs: Vec<(String, String)>,
    /// The recorded query string as sent, when known: a request sending the same bytes
    /// matches without being parsed.
    raw: Option<String>,
}

pub(crate) fn query(mut pairs: Vec<(String, String)>) -> QueryMatcher {
    pairs.sort_unstable();
    QueryMatcher { pairs, raw: None }
}

/// The query of a recorded request.
fn recorded_query(request: &Request) -> QueryMatcher {
    let raw = request.url.split_once('?').map_or("", |(_, q)| q);
    QueryMatcher {
        raw: Some(raw.to_string()),
        ..query(request.query())
    }
}

impl Matcher for QueryMatcher {
    fn matches(&self, request: &LiveRequest) -> bool {
        let raw = request.uri.query().unwrap_or_default();
        self.raw.as_deref() == Some(raw) || request.query() == self.pairs
    }

    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>) {
        if self.matches(request) {
            return;
        }
        let (missing, extra) = multiset_difference(&self.pairs, request.query());
        let mut found: Vec<(&str, Mismatch)> = Vec::new();
        let mut paired_extra = vec![false; extra.len()];
        for (name, old) in &missing {
            let named = |list: &[&(String, String)]| list.iter().filter(|(n, _)| n == name).count();
            let only_one_each = named(&missing) == 1 && named(&extra) == 1;
            let partner = extra.iter().position(|(n, _)| n == name);
            match partner {
                Some(i) if only_one_each => {
                    paired_extra[i] = true;
                    let new = &extra[i].1;
                    found.push((
                        name,
                        Mismatch {
                            part: Part::Query,
                            path: format!("query:{name}"),
                            text: format!(
                                "query `{name}`: {} → {}",
                                Value::String(old.clone()),
                                Value::String(new.clone())
                            ),
                            recorded: Some(Value::String(old.clone())),
                            live: Some(Value::String(new.clone())),
                        },
                    ));
                }
                _ => found.push((
                    name,
                    Mismatch {
                        part: Part::Query,
                        path: format!("query:{name}"),
                        text: format!("query `{}` missing", show_pair(name, old)),
                        recorded: Some(Value::String(old.clone())),
                        live: None,
                    },
                )),
            }
        }
        for ((name, new), paired) in extra.iter().zip(paired_extra) {
            if !paired {
                found.push((
                    name,
                    Mismatch {
                        part: Part::Query,
                        path: format!("query:{name}"),
                        text: format!("query `{}` not in the recording", show_pair(name, new)),
                        recorded: None,
                        live: Some(Value::String(new.clone())),
                    },
                ));
            }
        }
        found.sort_by(|a, b| a.0.cmp(b.0));
        out.extend(found.into_iter().map(|(_, m)| m));
    }
}

fn show_pair(name: &str, value: &str) -> String {
    if value.is_empty() {
        name.to_string()
    } else {
        format!("{name}={value}")
    }
}

/// Query pairs borrowed from a request.
type PairRefs<'a> = Vec<&'a (String, String)>;

/// Pairs in `recorded` but not `live`, and in `live` but not `recorded` (both sorted).
fn multiset_difference<'a>(
    recorded: &'a [(String, String)],
    live: &'a [(String, String)],
) -> (PairRefs<'a>, PairRefs<'a>) {
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    let (mut r, mut l) = (recorded.iter().peekable(), live.iter().peekable());
    loop {
        match (r.peek(), l.peek()) {
            (Some(a), Some(b)) => match a.cmp(b) {
                std::cmp::Ordering::Equal => {
                    r.next();
                    l.next();
                }
                std::cmp::Ordering::Less => missing.extend(r.next()),
                std::cmp::Ordering::Greater => extra.extend(l.next()),
            },
            (Some(_), None) => missing.extend(r.next()),
            (None, Some(_)) => extra.extend(l.next()),
            (None, None) => break,
        }
    }
    (missing, extra)
}

/// One header by name: the live values must equal the recorded ones (none when the recording
/// has none).
#[derive(Debug)]
pub(crate) struct HeaderMatcher {
    name: String,
    expected: Vec<String>,
}

pub(crate) fn header(name: &str, request: &Request) -> HeaderMatcher {
    HeaderMatcher {
        name: name.to_ascii_lowercase(),
        expected: request
            .header(name)
            .map(|v| v.values().map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

impl Matcher for HeaderMatcher {
    fn matches(&self, request: &LiveRequest) -> bool {
        let mut live = request.headers.get_all(self.name.as_str()).iter();
        self.expected
            .iter()
            .all(|e| live.next().is_some_and(|v| v.as_bytes() == e.as_bytes()))
            && live.next().is_none()
    }

    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>) {
        if self.matches(request) {
            return;
        }
        let live: Vec<String> = request
            .headers
            .get_all(self.name.as_str())
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let show = |values: &[String]| Value::String(values.join(", "));
        let text = match (self.expected.is_empty(), live.is_empty()) {
            (false, true) => format!("header `{}` missing", self.name),
            (true, false) => format!("header `{}` not in the recording", self.name),
            _ => format!(
                "header `{}`: {} → {}",
                self.name,
                show(&self.expected),
                show(&live)
            ),
        };
        out.push(Mismatch {
            part: Part::Header,
            path: format!("header:{}", self.name),
            text,
            recorded: (!self.expected.is_empty()).then(|| show(&self.expected)),
            live: (!live.is_empty()).then(|| show(&live)),
        });
    }
}

/// All parts of one recorded request, each tagged with the part it compares so that looser
/// matching can leave some out.
#[derive(Debug)]
pub(crate) struct RequestMatcher {
    parts: Vec<(Part, Box<dyn Matcher>)>,
}

impl RequestMatcher {
    /// The matcher for a recorded request: method, path, query, the named headers and body.
    pub(crate) fn recorded(
        request: &Request,
        headers: &[String],
        ignore: &Arc<IgnoreRules>,
    ) -> Self {
        let mut matcher = RequestMatcher { parts: Vec::new() }
            .and(Part::Method, method(&request.method))
            .and(Part::Path, path(request.path()))
            .and(Part::Query, recorded_query(request));
        for name in headers {
            matcher = matcher.and(Part::Header, header(name, request));
        }
        matcher.and(Part::Body, body(&request.body, Arc::clone(ignore)))
    }

    #[must_use]
    pub(crate) fn and(mut self, part: Part, matcher: impl Matcher + 'static) -> Self {
        self.parts.push((part, Box::new(matcher)));
        self
    }

    /// Whether the request matches every part except those in `skip`.
    pub(crate) fn matches_except(&self, request: &LiveRequest, skip: &[Part]) -> bool {
        self.parts
            .iter()
            .filter(|(part, _)| !skip.contains(part))
            .all(|(_, m)| m.matches(request))
    }
}

impl Matcher for RequestMatcher {
    fn matches(&self, request: &LiveRequest) -> bool {
        self.parts.iter().all(|(_, m)| m.matches(request))
    }

    fn explain(&self, request: &LiveRequest, out: &mut Vec<Mismatch>) {
        for (_, part) in &self.parts {
            part.explain(request, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::Body;
    use crate::scenario::ignore::IgnoreRule;
    use serde_json::json;

    fn live(method: &str, url: &str, body: &str) -> LiveRequest {
        LiveRequest::new(
            Method::from_bytes(method.as_bytes()).expect("a method"),
            url.parse().expect("a path"),
            HeaderMap::new(),
            Bytes::from(body.to_string()),
        )
    }

    fn explain(m: &dyn Matcher, r: &LiveRequest) -> Vec<String> {
        let mut out = Vec::new();
        m.explain(r, &mut out);
        assert_eq!(out.is_empty(), m.matches(r), "matches and explain disagree");
        out.into_iter().map(|m| m.text).collect()
    }

    #[test]
    fn a_recorded_query_matches_the_same_bytes_and_the_same_pairs_in_any_encoding() {
        let recorded = |url: &str| Request {
            method: "GET".into(),
            url: url.into(),
            headers: Default::default(),
            body: Body::default(),
        };
        let m = recorded_query(&recorded("/x?b=2&a=1"));
        assert!(explain(&m, &live("GET", "/x?b=2&a=1", "")).is_empty());
        assert!(explain(&m, &live("GET", "/x?a=1&b=2", "")).is_empty());
        assert_eq!(
            explain(&m, &live("GET", "/x?b=2&a=3", "")),
            ["query `a`: \"1\" → \"3\""]
        );
        assert_eq!(
            explain(&m, &live("GET", "/x", "")),
            ["query `a=1` missing", "query `b=2` missing"]
        );
        let unicode = recorded_query(&recorded("/x?city=深圳"));
        assert!(explain(&unicode, &live("GET", "/x?city=%E6%B7%B1%E5%9C%B3", "")).is_empty());
        let none = recorded_query(&recorded("/x"));
        assert!(explain(&none, &live("GET", "/x", "")).is_empty());
        assert!(explain(&none, &live("GET", "/x?", "")).is_empty());
        assert_eq!(
            explain(&none, &live("GET", "/x?rollback=true", "")),
            ["query `rollback=true` not in the recording"]
        );
    }

    #[test]
    fn query_is_an_order_insensitive_multiset() {
        let m = query(vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert!(explain(&m, &live("GET", "/x?b=2&a=1", "")).is_empty());
        assert_eq!(
            explain(&m, &live("GET", "/x?b=2&a=1&a=1", "")),
            ["query `a=1` not in the recording"]
        );
        assert_eq!(
            explain(&m, &live("GET", "/x?a=3&b=2&rollback=true", "")),
            [
                "query `a`: \"1\" → \"3\"",
                "query `rollback=true` not in the recording"
            ]
        );
        assert_eq!(
            explain(&m, &live("GET", "/x?a=1", "")),
            ["query `b=2` missing"]
        );
    }

    #[test]
    fn json_body_differences_name_the_field() {
        let m = body(
            &Body::from_json(json!({"name": "ACME", "tax_id": "T1", "credit_limit": 500000})),
            Arc::new(IgnoreRules::default()),
        );
        let r = live(
            "POST",
            "/c",
            r#"{"name":"ACME","taxNumber":"T1","credit_limit":"500000"}"#,
        );
        assert_eq!(
            explain(&m, &r),
            [
                "body field `/tax_id` missing",
                "body field `/credit_limit`: 500000 → \"500000\"",
                "body field `/taxNumber` not in the recording"
            ]
        );
    }

    #[test]
    fn ignored_values_are_not_compared_but_presence_is() {
        let ignore = Arc::new(IgnoreRules::new(vec![
            IgnoreRule::parse("/items/*/at").expect("a rule"),
        ]));
        let m = body(
            &Body::from_json(json!({"items": [{"id": 1, "at": "x"}]})),
            ignore,
        );
        assert!(explain(&m, &live("POST", "/", r#"{"items":[{"id":1,"at":"y"}]}"#)).is_empty());
        assert_eq!(
            explain(&m, &live("POST", "/", r#"{"items":[{"id":1}]}"#)),
            ["body field `/items/0/at` missing"]
        );
    }

    #[test]
    fn non_json_bodies_compare_as_bytes() {
        let text = Body::Text("a=1".into());
        let m = body(&text, Arc::new(IgnoreRules::default()));
        assert!(m.matches(&live("POST", "/", "a=1")));
        assert_eq!(
            explain(&m, &live("POST", "/", "a=2")),
            ["body: \"a=1\" → \"a=2\""]
        );
        assert_eq!(
            explain(&m, &live("POST", "/", "")),
            ["body missing (the recording has 3 bytes)"]
        );
    }
}
