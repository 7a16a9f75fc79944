//! Recordings: one JSON object per line, one line per exchange.
//!
//! Keys are written in a fixed order and headers sorted by name, so a re-recorded exchange
//! changes only its own line in a git diff. JSON bodies are kept as JSON (`body`), other text as
//! `body_text`, binary as `body_base64`. The format is specified in `docs/recordings.md`.

pub(crate) mod encoding;
mod message;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{InputError, Position};

pub mod stream;

/// One recorded request/response pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// The contract interface id, when known at capture time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The peer that answered (for recordings that serve mocked peers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    pub request: Request,
    pub response: Response,
    /// How long the response took when it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// RFC 3339 time of capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
    /// The places whose values redaction replaced (pseudonyms and `[redacted]` credentials);
    /// a recording written before redaction listed them has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pseudonymised: Vec<Pseudonymised>,
}

/// One place of an exchange whose value was replaced by redaction.
///
/// `at` is `/request/body/<JSON pointer>` or `/response/body/<JSON pointer>` inside a JSON
/// body (also JSON sent as text), `/request/headers/<name>`, `/response/headers/<name>`,
/// `/request/query/<name>`, `/request/form/<name>` (form and multipart fields),
/// `/request/path`, `/request/url`, or `/request/body` / `/response/body` for a text body;
/// `kind` is what was there: `email`, `phone`, `national_id`, `bank_account`, `card`, `name`,
/// `address`, `date`, `generic`, `secret` (a credential, `[redacted]`) or `text` (free text
/// with values replaced inside it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pseudonymised {
    pub at: String,
    pub kind: String,
}

/// A recorded request. `url` is the path and query only, so it replays against any host.
/// (Read by [`message`]: its members and its body's, in one pass.)
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub headers: Headers,
    #[serde(flatten)]
    pub body: Body,
}

/// A recorded response. (Read by [`message`].)
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Response {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub headers: Headers,
    #[serde(flatten)]
    pub body: Body,
}

/// Header name (lower-case) → one value, or several in order.
pub type Headers = BTreeMap<String, HeaderValue>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderValue {
    One(String),
    Many(Vec<String>),
}

impl HeaderValue {
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            HeaderValue::One(v) => std::slice::from_ref(v),
            HeaderValue::Many(vs) => vs,
        };
        slice.iter().map(String::as_str)
    }

    /// The first value (what most checks compare).
    pub fn first(&self) -> &str {
        self.values().next().unwrap_or("")
    }

    pub(crate) fn push(&mut self, value: String) {
        *self = match std::mem::replace(self, HeaderValue::Many(Vec::new())) {
            HeaderValue::One(first) => HeaderValue::Many(vec![first, value]),
            HeaderValue::Many(mut all) => {
                all.push(value);
                HeaderValue::Many(all)
            }
        };
    }
}

/// Adds a header (name lower-cased), keeping repeated values.
pub fn add_header(headers: &mut Headers, name: &str, value: String) {
    match headers.get_mut(&name.to_ascii_lowercase()) {
        Some(existing) => existing.push(value),
        None => {
            headers.insert(name.to_ascii_lowercase(), HeaderValue::One(value));
        }
    }
}

/// A message body as stored: nothing, JSON, text, or bytes (base64). On the wire of a recording
/// line it is one of the members `body`, `body_text`, `body_base64` (or none), beside the
/// message's other members.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "StoredBody")]
pub enum Body {
    #[default]
    Empty,
    /// Shared: a live body repeating its recording is the recorded value, not a copy of it.
    Json(Arc<Value>),
    Text(String),
    /// Bytes that are not UTF-8, base64-encoded as stored.
    Base64(String),
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        match (self, other) {
            (Body::Empty, Body::Empty) => true,
            (Body::Json(a), Body::Json(b)) => Arc::ptr_eq(a, b) || crate::json::equal(a, b),
            (Body::Text(a), Body::Text(b)) | (Body::Base64(a), Body::Base64(b)) => a == b,
            _ => false,
        }
    }
}

/// The stored members of a body, as they appear in a recording line.
#[derive(Default, Deserialize)]
struct StoredBody {
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_text: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Body::Empty => {}
            Body::Json(value) => map.serialize_entry("body", &**value)?,
            Body::Text(text) => map.serialize_entry("body_text", text)?,
            Body::Base64(b64) => map.serialize_entry("body_base64", b64)?,
        }
        map.end()
    }
}

impl Body {
    pub fn is_empty(&self) -> bool {
        matches!(self, Body::Empty)
    }

    /// A JSON body.
    pub fn from_json(value: Value) -> Self {
        Body::Json(Arc::new(value))
    }

    /// The JSON value, when the body is JSON.
    pub fn json(&self) -> Option<&Value> {
        match self {
            Body::Json(value) => Some(value),
            _ => None,
        }
    }

    /// The JSON value to change, when the body is JSON (copied first when it is shared).
    pub fn json_mut(&mut self) -> Option<&mut Value> {
        match self {
            Body::Json(value) => Some(Arc::make_mut(value)),
            _ => None,
        }
    }

    /// The text, when the body is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Body::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The base64 text, when the body is bytes that are not UTF-8.
    pub fn base64(&self) -> Option<&str> {
        match self {
            Body::Base64(b64) => Some(b64),
            _ => None,
        }
    }

    /// Classifies wire bytes: JSON when they parse as JSON (and the content type does not say
    /// otherwise), text when UTF-8, base64 otherwise.
    pub(crate) fn from_bytes(content_type: Option<&str>, bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Body::Empty;
        }
        let says_json = content_type.is_none_or(|ct| ct.contains("json"));
        if says_json && let Ok(value) = serde_json::from_slice::<Value>(bytes) {
            return Body::from_json(value);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Body::Text(text.to_string()),
            Err(_) => Body::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    /// Classifies wire bytes as [`Body::from_bytes`] does; bytes that hold exactly the JSON of
    /// `recorded` (a live body repeating its recording: byte for byte its compact
    /// `recorded_text` when given, or written otherwise) give the recorded value itself, shared,
    /// without parsing them into a new value.
    pub(crate) fn from_bytes_as(
        content_type: Option<&str>,
        bytes: &[u8],
        recorded: &Body,
        recorded_text: Option<&[u8]>,
    ) -> Self {
        if let Body::Json(value) = recorded
            && content_type.is_none_or(|ct| ct.contains("json"))
            && (recorded_text == Some(bytes) || crate::json::parses_to(bytes, value))
        {
            return Body::Json(Arc::clone(value));
        }
        Body::from_bytes(content_type, bytes)
    }

    /// The bytes to send on the wire.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        match self {
            Body::Empty => Vec::new(),
            Body::Json(value) => serde_json::to_vec(&**value).unwrap_or_default(),
            Body::Text(text) => text.clone().into_bytes(),
            Body::Base64(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default(),
        }
    }

    /// A short description for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Body::Empty => "empty",
            Body::Json(_) => "JSON",
            Body::Text(_) => "text",
            Body::Base64(_) => "binary",
        }
    }
}

impl Request {
    /// The path without the query string.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or(&self.url)
    }

    /// Query parameters in order, percent-decoded.
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        query_pairs(&self.url)
    }

    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.get(&name.to_ascii_lowercase())
    }
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.get(&name.to_ascii_lowercase())
    }
}

/// Query parameters of a path-and-query string, percent-decoded, in order.
pub(crate) fn query_pairs(url: &str) -> Vec<(String, String)> {
    match url.split_once('?') {
        Some((_, query)) => url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        None => Vec::new(),
    }
}

/// A recording read from disk: its exchanges with their 1-based line numbers.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    pub exchanges: Vec<(usize, Exchange)>,
}

impl Recording {
    pub(crate) fn len(&self) -> usize {
        self.exchanges.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter().map(|(_, e)| e)
    }
}

/// Parses recording text. Every bad line is reported as `file:line` and the rest still parsed.
pub fn parse(path: &Path, text: &str) -> (Recording, Vec<InputError>) {
    let mut recording = Recording::default();
    let mut errors = Vec::new();
    for (i, line) in crate::fsutil::strip_bom(text).lines().enumerate() {
        match parse_line(path, i + 1, line) {
            Some(Ok(exchange)) => recording.exchanges.push((i + 1, exchange)),
            Some(Err(err)) => errors.push(err),
            None => {}
        }
    }
    (recording, errors)
}

/// One recording line as an exchange: `None` for a blank line, an error naming `file:line` for
/// a line over the size cap, one that is not an exchange, or one that cannot be replayed.
pub(crate) fn parse_line(
    path: &Path,
    line_no: usize,
    line: &str,
) -> Option<Result<Exchange, InputError>> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return None;
    }
    let limit = crate::fsutil::max_document_bytes();
    let at_line = |message: String| InputError::new(path, Position::Line(line_no), message);
    if trimmed.len() as u64 > limit {
        return Some(Err(at_line(too_long(limit))));
    }
    Some(match serde_json::from_str::<Exchange>(trimmed) {
        Ok(exchange) => validate(&exchange).map(|()| exchange).map_err(at_line),
        Err(err) => Err(at_line(if err.is_eof() {
            "truncated exchange: the line ends before the JSON object does".to_string()
        } else {
            format!(
                "invalid exchange: {}",
                err.to_string().split(" at line ").next().unwrap_or("")
            )
        })),
    })
}

/// The message for a recording line over the cap on one line.
fn too_long(limit: u64) -> String {
    format!(
        "the exchange is larger than {} MiB, the cap on one recording line",
        limit / (1024 * 1024)
    )
}

/// Checks that an exchange can be loaded and replayed: one body kind per side, valid base64, a
/// path URL, an HTTP status, and a method, header names and header values HTTP can send.
pub(crate) fn validate(exchange: &Exchange) -> Result<(), String> {
    for (side, body) in [
        ("request", &exchange.request.body),
        ("response", &exchange.response.body),
    ] {
        if let Body::Base64(b64) = body
            && base64::engine::general_purpose::STANDARD
                .decode(b64)
                .is_err()
        {
            return Err(format!("{side}.body_base64 is not valid base64"));
        }
    }
    if !exchange.request.url.starts_with('/') {
        return Err(format!(
            "request.url `{}` must be a path starting with `/` (the host comes from the target)",
            exchange.request.url
        ));
    }
    if !(100..=599).contains(&exchange.response.status) {
        return Err(format!(
            "response.status {} is not an HTTP status",
            exchange.response.status
        ));
    }
    let method = &exchange.request.method;
    if reqwest::Method::from_bytes(method.as_bytes()).is_err() {
        return Err(format!(
            "request.method {method:?} is not an HTTP method (a token such as GET or POST, no spaces or control characters)"
        ));
    }
    for (side, headers) in [
        ("request", &exchange.request.headers),
        ("response", &exchange.response.headers),
    ] {
        for (name, value) in headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!(
                    "{side}.headers: {name:?} is not an HTTP header name (a token, no spaces or control characters)"
                ));
            }
            if value
                .values()
                .any(|v| reqwest::header::HeaderValue::from_str(v).is_err())
            {
                return Err(format!(
                    "{side}.headers.{name}: the value holds a line break or another control character HTTP cannot send"
                ));
            }
        }
    }
    Ok(())
}

/// Reads a recording; any bad line fails the whole read with every problem listed.
pub fn read(path: &Path) -> Result<Recording, Vec<InputError>> {
    let (recording, errors) = read_all(path).map_err(|err| vec![err])?;
    if errors.is_empty() {
        Ok(recording)
    } else {
        Err(errors)
    }
}

/// Reads a recording: the exchanges of its good lines and an error for each bad line. Fails
/// only when the file cannot be read at all.
pub(crate) fn read_all(path: &Path) -> Result<(Recording, Vec<InputError>), InputError> {
    let bytes = std::fs::read(path)
        .map_err(|err| InputError::in_file(path, format!("cannot read recording: {err}")))?;
    let text = crate::fsutil::decode_text(path, bytes)?;
    Ok(parse(path, &text))
}

/// One exchange as its recording line (no trailing newline).
pub fn to_line(exchange: &Exchange) -> String {
    serde_json::to_string(exchange).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"interface":"crm.customer.get","request":{"method":"GET","url":"/api/v1/customers/C-1?expand=owner","headers":{"accept":"application/json"}},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"id":"C-1"}},"duration_ms":12.5}"#;

    #[test]
    fn changing_a_live_body_that_repeats_its_recording_leaves_the_recording_as_it_was() {
        let recorded = Body::from_json(serde_json::json!({"email": "li.wei@example.cn"}));
        let mut live =
            Body::from_bytes_as(None, br#"{"email":"li.wei@example.cn"}"#, &recorded, None);
        live.json_mut().expect("JSON")["email"] = "[email]".into();
        assert_eq!(recorded.json().unwrap()["email"], "li.wei@example.cn");
        assert_eq!(live.json().unwrap()["email"], "[email]");
    }

    #[test]
    fn a_live_body_repeating_its_recording_is_the_recorded_value_however_it_is_written() {
        let recorded = Body::from_json(serde_json::json!({"id": "C-1", "limit": 500000.0}));
        let text = br#"{"id":"C-1","limit":500000.0}"#;
        for bytes in [&text[..], b"{ \"id\": \"C-1\",\n  \"limit\": 5e5 }"] {
            let body = Body::from_bytes_as(Some("application/json"), bytes, &recorded, Some(text));
            let (Body::Json(live), Body::Json(shared)) = (&body, &recorded) else {
                panic!("{body:?}");
            };
            assert!(
                Arc::ptr_eq(live, shared),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        // Anything else is read as it came: another value, or text the content type says is
        // not JSON.
        let other = Body::from_bytes_as(
            None,
            br#"{"id":"C-2","limit":500000.0}"#,
            &recorded,
            Some(text),
        );
        assert_eq!(other.json().unwrap()["id"], "C-2");
        let plain = Body::from_bytes_as(Some("text/plain"), text, &recorded, Some(text));
        assert_eq!(
            plain,
            Body::Text(String::from_utf8_lossy(text).into_owned())
        );
        assert_eq!(
            Body::from_bytes_as(None, b"", &recorded, Some(text)),
            Body::Empty
        );
    }

    #[test]
    fn round_trips_with_stable_key_order() {
        let (rec, errors) = parse(Path::new("r.jsonl"), LINE);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(to_line(&rec.exchanges[0].1), LINE);
        assert_eq!(
            rec.exchanges[0].1.request.query(),
            vec![("expand".into(), "owner".into())]
        );
    }

    #[test]
    fn truncated_line_is_reported_with_its_number_and_the_rest_parsed() {
        let text = format!("{LINE}\n{}\n{LINE}\n", &LINE[..40]);
        let (rec, errors) = parse(Path::new("r.jsonl"), &text);
        assert_eq!(rec.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].position, Position::Line(2));
        assert!(
            errors[0].message.contains("truncated"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn body_kinds() {
        assert_eq!(
            Body::from_bytes(Some("application/json"), b"{\"a\":1}").kind(),
            "JSON"
        );
        assert_eq!(
            Body::from_bytes(Some("text/plain"), b"{\"a\":1}").kind(),
            "text"
        );
        assert_eq!(Body::from_bytes(None, &[0xff, 0xfe]).kind(), "binary");
        let b = Body::from_bytes(None, &[0xff, 0xfe]);
        assert_eq!(b.to_bytes(), vec![0xff, 0xfe]);
    }
}
