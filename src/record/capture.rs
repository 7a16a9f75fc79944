//! Turning one proxied request/response pair into a recorded [`Exchange`].
//!
//! What is stored: the method, the path and query the client sent, request and response headers
//! without hop-by-hop headers, `host` and `content-length` (they belong to one connection, not to
//! the exchange), the status, and the bodies. A `gzip`, `deflate`, `br` or `zstd` encoded body is stored
//! decoded (as JSON or text) without its `content-encoding` header, so the recording replays as
//! plain HTTP; a body that cannot be decoded is stored as `body_base64` with its header kept.

use base64::Engine as _;
use std::time::Duration;

use hyper::HeaderMap;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE};

use crate::recording::{self, Body, Exchange, Headers, Request, Response};

/// Headers that describe one connection, never forwarded nor recorded.
pub(crate) const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Both halves of a proxied exchange, as seen on the wire.
pub(crate) struct Wire<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub request_headers: &'a HeaderMap,
    pub request_body: &'a [u8],
    pub status: u16,
    pub response_headers: &'a HeaderMap,
    pub response_body: &'a [u8],
}

/// The exchange to record (before redaction).
pub(crate) fn exchange(wire: &Wire<'_>, peer: Option<&str>, duration: Duration) -> Exchange {
    let (request_headers, request_body) = side(wire.request_headers, wire.request_body);
    let (response_headers, response_body) = side(wire.response_headers, wire.response_body);
    Exchange {
        interface: None,
        peer: peer.map(str::to_string),
        request: Request {
            method: wire.method.to_string(),
            url: wire.url.to_string(),
            headers: request_headers,
            body: request_body,
        },
        response: Response {
            status: wire.status,
            headers: response_headers,
            body: response_body,
        },
        duration_ms: Some((duration.as_secs_f64() * 10_000.0).round() / 10.0),
        recorded_at: Some(now_rfc3339()),
        pseudonymised: Vec::new(),
    }
}

fn side(headers: &HeaderMap, bytes: &[u8]) -> (Headers, Body) {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let (body, decoded) = match encoding.as_deref() {
        None | Some("" | "identity") => (Body::from_bytes(content_type, bytes), false),
        Some(encoding) => match recording::encoding::decode(encoding, bytes) {
            Some(plain) => (Body::from_bytes(content_type, &plain), true),
            None => (encoded(bytes), false),
        },
    };
    let mut recorded = Headers::new();
    for (name, value) in headers {
        let name = name.as_str();
        let skip = HOP_BY_HOP.contains(&name)
            || name == "host"
            || name == "content-length"
            || (decoded && name == "content-encoding");
        if !skip {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            recording::add_header(&mut recorded, name, value);
        }
    }
    (recorded, body)
}

/// Bytes kept as they came, for a body whose encoding is not undone.
fn encoded(bytes: &[u8]) -> Body {
    Body::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn now_rfc3339() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_json_is_stored_decoded_without_its_encoding() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"id":"C-1"}"#).unwrap();
        let body = gz.finish().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        headers.insert(CONTENT_ENCODING, "gzip".parse().unwrap());
        headers.insert("transfer-encoding", "chunked".parse().unwrap());
        let (recorded, stored) = side(&headers, &body);
        assert_eq!(stored.json(), Some(&serde_json::json!({"id": "C-1"})));
        assert_eq!(recorded.keys().collect::<Vec<_>>(), vec!["content-type"]);
        let (recorded, stored) = side(&headers, b"not gzip");
        assert!(stored.base64().is_some());
        assert!(recorded.contains_key("content-encoding"));
    }
}
