//! Where a value sits in a message, and reading the value at such a place.
//!
//! Requests are read at their path segments, query parameters, headers (cookies one by one)
//! and JSON body fields; responses at their JSON body fields and the headers that carry
//! server-made values: `Location` and `Content-Location` (whole and by path segment), `ETag`
//! and `Set-Cookie` (by cookie name).

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::recording::{Body, Headers, Request, Response};

/// A place in a request or a response.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "at", content = "name", rename_all = "kebab-case")]
pub enum Site {
    /// A JSON body field, by pointer (`/id`).
    Body(String),
    /// A path segment, 0-based after the leading `/`.
    PathSegment(usize),
    /// A query parameter, by name.
    Query(String),
    /// A whole header value, by lower-case name.
    Header(String),
    /// A path segment of a URL in a header (`location`).
    HeaderSegment(String, usize),
    /// A cookie, by name (`Set-Cookie` in a response, `Cookie` in a request).
    Cookie(String),
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Body(pointer) if pointer.is_empty() => f.write_str("/"),
            Site::Body(pointer) => f.write_str(pointer),
            Site::PathSegment(i) => write!(f, "path segment {}", i + 1),
            Site::Query(name) => write!(f, "query `{name}`"),
            Site::Header(name) => write!(f, "header `{name}`"),
            Site::HeaderSegment(name, i) => write!(f, "header `{name}` segment {}", i + 1),
            Site::Cookie(name) => write!(f, "cookie `{name}`"),
        }
    }
}

/// Request headers never read for values: they describe the message, not the data, or carry
/// credentials (which are never linked).
const REQUEST_HEADERS_SKIPPED: &[&str] = &[
    "accept",
    "accept-encoding",
    "accept-language",
    "authorization",
    "proxy-authorization",
    "connection",
    "content-length",
    "content-type",
    "host",
    "user-agent",
];

/// Response headers that carry values the server made.
const RESPONSE_HEADERS_READ: &[&str] = &["location", "content-location", "etag"];

/// Every scalar of a request with its place, in a fixed order: path, query, headers, body (its
/// linkable ones).
pub fn request_values(request: &Request) -> Vec<(Site, Value)> {
    let mut out = Vec::new();
    for (i, segment) in path_segments(request.path()).into_iter().enumerate() {
        out.push((Site::PathSegment(i), Value::String(segment)));
    }
    for (name, value) in request.query() {
        out.push((Site::Query(name), Value::String(value)));
    }
    for (name, values) in &request.headers {
        if REQUEST_HEADERS_SKIPPED.contains(&name.as_str()) {
            continue;
        }
        for value in values.values() {
            if name == "cookie" {
                for (cookie, v) in cookies(value) {
                    out.push((Site::Cookie(cookie), Value::String(v)));
                }
            } else {
                out.push((Site::Header(name.clone()), Value::String(value.to_string())));
            }
        }
    }
    body_values(&request.body, &mut out);
    out
}

/// Every scalar of a response with its place: the value-carrying headers, then the body's
/// linkable ones.
pub fn response_values(response: &Response) -> Vec<(Site, Value)> {
    let mut out = Vec::new();
    header_values(&response.headers, &mut out);
    body_values(&response.body, &mut out);
    out
}

fn header_values(headers: &Headers, out: &mut Vec<(Site, Value)>) {
    for (name, values) in headers {
        for value in values.values() {
            if name == "set-cookie" {
                if let Some((cookie, v)) = value.split(';').next().and_then(|c| c.split_once('=')) {
                    out.push((
                        Site::Cookie(cookie.trim().to_string()),
                        Value::String(v.trim().to_string()),
                    ));
                }
            } else if RESPONSE_HEADERS_READ.contains(&name.as_str()) {
                if name == "etag" {
                    out.push((Site::Header(name.clone()), Value::String(value.to_string())));
                    continue;
                }
                // A URL is read by its segments: the id in it is the value, not the URL.
                for (i, segment) in path_segments(url_path(value)).into_iter().enumerate() {
                    out.push((Site::HeaderSegment(name.clone(), i), Value::String(segment)));
                }
            }
        }
    }
}

/// The body's scalars that may be linked ([`super::value::linkable`]): every caller looks at
/// those only, so the others are not copied.
fn body_values(body: &Body, out: &mut Vec<(Site, Value)>) {
    if let Some(json) = body.json() {
        crate::json::for_each_leaf(json, &mut |pointer, value| {
            if super::value::is_linkable(value) {
                out.push((Site::Body(pointer.to_string()), value.clone()));
            }
        });
    }
}

impl Site {
    /// The value at this place of a request.
    pub fn in_request(&self, request: &Request) -> Option<Value> {
        match self {
            Site::Body(pointer) => request.body.json()?.pointer(pointer).cloned(),
            Site::PathSegment(i) => path_segments(request.path())
                .into_iter()
                .nth(*i)
                .map(Value::String),
            Site::Query(name) => request
                .query()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| Value::String(v)),
            Site::Header(name) => request
                .header(name)
                .map(|v| Value::String(v.first().to_string())),
            Site::HeaderSegment(name, i) => {
                let value = request.header(name)?.first().to_string();
                path_segments(url_path(&value))
                    .into_iter()
                    .nth(*i)
                    .map(Value::String)
            }
            Site::Cookie(name) => request
                .header("cookie")?
                .values()
                .flat_map(cookies)
                .find(|(n, _)| n == name)
                .map(|(_, v)| Value::String(v)),
        }
    }

    /// The value at this place of a response.
    pub fn in_response(&self, response: &Response) -> Option<Value> {
        match self {
            Site::Body(pointer) => response.body.json()?.pointer(pointer).cloned(),
            Site::Cookie(name) => response.header("set-cookie")?.values().find_map(|v| {
                let (n, value) = v.split(';').next()?.split_once('=')?;
                (n.trim() == name).then(|| Value::String(value.trim().to_string()))
            }),
            Site::Header(name) => response
                .header(name)
                .map(|v| Value::String(v.first().to_string())),
            Site::HeaderSegment(name, i) => {
                let value = response.header(name)?.first().to_string();
                path_segments(url_path(&value))
                    .into_iter()
                    .nth(*i)
                    .map(Value::String)
            }
            Site::PathSegment(_) | Site::Query(_) => None,
        }
    }
}

/// The path of a URL or of a path-and-query.
fn url_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(at) => {
            let after = &url[at + 3..];
            after.find('/').map_or("", |slash| &after[slash..])
        }
        None => url,
    };
    rest.split(['?', '#']).next().unwrap_or(rest)
}

/// The non-empty segments of a path, percent-decoded.
fn path_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The `name=value` pairs of a `Cookie` header.
fn cookies(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(line: &str) -> Request {
        serde_json::from_str(line).expect("a request")
    }

    #[test]
    fn a_request_is_read_at_path_query_headers_cookies_and_body() {
        let r = request(
            r#"{"method":"PUT","url":"/api/v1/customers/C-10023?rev=7","headers":{"accept":"application/json","cookie":"session=s3cr3t99; lang=zh","if-match":"\"e-4471\""},"body":{"owner":{"id":"U-5521"}}}"#,
        );
        let values = request_values(&r);
        let sites: Vec<String> = values.iter().map(|(s, _)| s.to_string()).collect();
        assert_eq!(
            sites,
            [
                "path segment 1",
                "path segment 2",
                "path segment 3",
                "path segment 4",
                "query `rev`",
                "cookie `session`",
                "cookie `lang`",
                "header `if-match`",
                "/owner/id",
            ]
        );
        for (site, value) in &values {
            assert_eq!(site.in_request(&r).as_ref(), Some(value), "{site}");
        }
    }

    #[test]
    fn a_response_is_read_at_location_etag_cookies_and_body() {
        let r: Response = serde_json::from_str(
            r#"{"status":201,"headers":{"location":"https://crm.example.com/api/v1/customers/C-10023","etag":"\"e-4471\"","set-cookie":"session=abc123; Path=/; HttpOnly","x-request-id":"ignored"},"body":{"id":"C-10023"}}"#,
        )
        .expect("a response");
        let values = response_values(&r);
        assert!(values.contains(&(
            Site::HeaderSegment("location".into(), 3),
            Value::String("C-10023".into())
        )));
        assert!(values.contains(&(
            Site::Cookie("session".into()),
            Value::String("abc123".into())
        )));
        assert!(values.contains(&(
            Site::Header("etag".into()),
            Value::String("\"e-4471\"".into())
        )));
        assert!(
            !values
                .iter()
                .any(|(s, _)| s == &Site::Header("x-request-id".into()))
        );
        for (site, value) in &values {
            assert_eq!(site.in_response(&r).as_ref(), Some(value), "{site}");
        }
    }
}
