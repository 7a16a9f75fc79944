//! `interlock import har`: a HAR 1.2 capture → a recording.
//!
//! HAR files are large (every body of a browsing session, base64 for binaries), so the import
//! streams: serde walks the document with [`DeserializeSeed`] visitors down to `log.entries`,
//! and each entry is deserialized, converted, redacted and written before the next one is read.
//! Memory stays at one entry, however big the file. Output goes to a temporary file next to
//! `--out`, renamed into place only when the whole file was read: a bad or truncated HAR leaves
//! nothing behind.
//!
//! What a HAR entry becomes:
//! - `request.url` → the recording's path and query (scheme and host dropped; `data:`, `ws:`,
//!   `chrome-extension:` and other non-HTTP entries are skipped);
//! - headers keep their order and duplicates; HTTP/2 pseudo headers (`:authority`, …) are
//!   dropped, and so are the response's `content-encoding`, `content-length` and
//!   `transfer-encoding`, because a HAR stores the body already decoded;
//! - `postData.text` / `content.text` (base64 when `encoding` says so) → JSON, text or base64
//!   bodies as in every recording;
//! - `time` (or the sum of `timings`) → `duration_ms`, `startedDateTime` → `recorded_at`;
//! - an entry without a response (status 0: blocked, aborted) is skipped.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufReader, Write};
use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, InputError, Position};
use crate::recording::{self, Body, Exchange, Headers, Request, Response};

/// Which entries to keep and how to rewrite them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub host: Option<String>,
    pub path_prefix: Option<String>,
    pub strip_prefix: bool,
    pub peer: Option<String>,
}

/// Why an entry was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Skip {
    NotHttp,
    OtherHost,
    OutsidePrefix,
    NoResponse,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skip::NotHttp => "not HTTP (data:, ws:, extension URLs)",
            Skip::OtherHost => "other host",
            Skip::OutsidePrefix => "outside the path prefix",
            Skip::NoResponse => "no response (status 0)",
        })
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub imported: usize,
    pub skipped: BTreeMap<Skip, usize>,
}

impl Summary {
    pub(crate) fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// The one-line summary printed after an import.
pub(crate) fn describe(summary: &Summary, from: &Path, to: &Path) -> String {
    let mut line = format!(
        "imported {} {} from {} into {}",
        summary.imported,
        if summary.imported == 1 {
            "exchange"
        } else {
            "exchanges"
        },
        from.display(),
        to.display()
    );
    if summary.skipped_total() > 0 {
        let reasons: Vec<String> = summary
            .skipped
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        line.push_str(&format!(
            "; skipped {}: {}",
            summary.skipped_total(),
            reasons.join(", ")
        ));
    }
    line
}

/// Imports `har` into the recording `out`, passing each exchange through `redact` first.
/// `out` is replaced only when the whole HAR was read.
pub(crate) fn import(
    har: &Path,
    out: &Path,
    options: &Options,
    redact: &mut dyn FnMut(&mut Exchange),
) -> Result<Summary, Error> {
    let input: Box<dyn std::io::Read> = if crate::fsutil::is_stdio(har) {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(har)
                .map_err(|err| InputError::in_file(har, format!("cannot read HAR file: {err}")))?,
        )
    };
    // Buffered by the file itself.
    let mut file = crate::fsutil::AtomicFile::create_held(out)?;
    let mut write = |exchange: &Exchange| -> std::io::Result<()> {
        file.write_all(recording::to_line(exchange).as_bytes())?;
        file.write_all(b"\n")
    };
    let summary = stream(har, BufReader::new(input), options, redact, &mut write)?;
    file.commit()?;
    Ok(summary)
}

/// Reads a HAR document from `reader`, handing each converted exchange to `write`.
pub(crate) fn stream(
    har: &Path,
    reader: impl std::io::Read,
    options: &Options,
    redact: &mut dyn FnMut(&mut Exchange),
    write: &mut dyn FnMut(&Exchange) -> std::io::Result<()>,
) -> Result<Summary, Error> {
    let mut sink = Sink {
        options,
        redact,
        write,
        summary: Summary::default(),
        entries: 0,
        failure: None,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let outcome = Document { sink: &mut sink }
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|()| found));
    if let Some(failure) = sink.failure.take() {
        return Err(failure);
    }
    match outcome {
        Ok(Found {
            log: true,
            entries: true,
            ..
        }) => Ok(sink.summary),
        Ok(found) => Err(not_har(har, &found)),
        Err(err) => Err(syntax_error(har, &err)),
    }
}

/// Where the walk through the document found `log` and `log.entries`.
#[derive(Debug, Default)]
struct Found {
    log: bool,
    entries: bool,
    top_keys: Vec<String>,
}

fn not_har(har: &Path, found: &Found) -> Error {
    let what = if found.log {
        "an object with `log` but no `log.entries` array".to_string()
    } else if found.top_keys.is_empty() {
        "an empty JSON object".to_string()
    } else {
        format!(
            "a JSON object with keys {}",
            found
                .top_keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    InputError::in_file(
        har,
        format!("not a HAR file: expected HAR 1.2 (an object with `log.entries`), found {what}"),
    )
    .with_hint(HAR_HINT)
    .into()
}

const HAR_HINT: &str = "save the capture as HAR: devtools Network tab → \"Save all as HAR\", \
                        Charles → Export → HAR, mitmproxy → `--set hardump=FILE`";

fn syntax_error(har: &Path, err: &serde_json::Error) -> Error {
    let position = Position::LineColumn {
        line: err.line(),
        column: err.column(),
    };
    let detail = strip_position(&err.to_string());
    let (message, hint) = match err.classify() {
        serde_json::error::Category::Eof => (
            format!("the HAR file ends early (truncated?): {detail}"),
            "the file is cut off: save or download the capture again",
        ),
        serde_json::error::Category::Syntax if err.line() == 1 && err.column() <= 1 => (
            format!(
                "not a HAR file: expected HAR 1.2 JSON (an object with `log.entries`), \
                 found text that is not JSON ({detail})"
            ),
            HAR_HINT,
        ),
        serde_json::error::Category::Syntax => {
            (format!("invalid JSON in HAR file: {detail}"), HAR_HINT)
        }
        serde_json::error::Category::Data => {
            (format!("not a valid HAR 1.2 file: {detail}"), HAR_HINT)
        }
        serde_json::error::Category::Io => {
            return Error::environment(format!("cannot read {}: {detail}", har.display()));
        }
    };
    InputError::new(har, position, message)
        .with_hint(hint)
        .into()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Receives entries as they are read.
struct Sink<'a> {
    options: &'a Options,
    redact: &'a mut dyn FnMut(&mut Exchange),
    write: &'a mut dyn FnMut(&Exchange) -> std::io::Result<()>,
    summary: Summary,
    entries: usize,
    /// A failure that is not the HAR's fault (the output could not be written).
    failure: Option<Error>,
}

impl Sink<'_> {
    /// Converts, redacts and writes one entry; a message when the entry is invalid.
    fn accept(&mut self, entry: Value) -> Result<(), String> {
        let index = self.entries;
        self.entries += 1;
        let entry: RawEntry = serde_path_to_error::deserialize(entry).map_err(|err| {
            let path = err.path().to_string();
            let at = if path == "." {
                format!("log.entries[{index}]")
            } else {
                format!("log.entries[{index}].{path}")
            };
            format!("at `{at}`: {}", err.inner())
        })?;
        match convert(entry, self.options) {
            Ok(mut exchange) => {
                (self.redact)(&mut exchange);
                // What is written must load and replay: the same validation as every recording.
                recording::validate(&exchange)
                    .map_err(|message| format!("at `log.entries[{index}]`: {message}"))?;
                if let Err(err) = (self.write)(&exchange) {
                    self.failure = Some(Error::environment(format!(
                        "cannot write the recording: {err}"
                    )));
                    return Err("the recording could not be written".to_string());
                }
                self.summary.imported += 1;
            }
            Err(Converted::Skip(reason)) => {
                *self.summary.skipped.entry(reason).or_default() += 1;
            }
            Err(Converted::Invalid(message)) => {
                return Err(format!("at `log.entries[{index}]`: {message}"));
            }
        }
        Ok(())
    }
}

/// The top-level object: only `log` matters.
struct Document<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = Found;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HAR 1.2: an object with `log.entries`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut found = Found::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == "log" {
                found.log = true;
                found.entries = map.next_value_seed(Log {
                    sink: &mut *self.sink,
                })?;
            } else {
                if found.top_keys.len() < 5 {
                    found.top_keys.push(key);
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// `log`: only `entries` matters; `creator`, `pages` and the rest are skipped.
struct Log<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Log<'_, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`log`: an object with `entries`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut entries = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                entries = true;
                map.next_value_seed(Entries {
                    sink: &mut *self.sink,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(entries)
    }
}

/// `log.entries`: each element handed to the sink as soon as it is read.
struct Entries<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`log.entries`: an array of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Value>()? {
            self.sink.accept(entry).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// A HAR entry, with every field real tools leave out optional.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    started_date_time: Option<String>,
    time: Option<f64>,
    request: RawRequest,
    response: Option<RawResponse>,
    timings: Option<BTreeMap<String, Option<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest {
    method: String,
    url: String,
    headers: Option<Vec<RawHeader>>,
    post_data: Option<RawPostData>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResponse {
    status: Option<i64>,
    headers: Option<Vec<RawHeader>>,
    content: Option<RawContent>,
}

#[derive(Debug, Deserialize)]
struct RawHeader {
    name: String,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPostData {
    mime_type: Option<String>,
    text: Option<String>,
    encoding: Option<String>,
    params: Option<Vec<RawParam>>,
}

#[derive(Debug, Deserialize)]
struct RawParam {
    name: String,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContent {
    mime_type: Option<String>,
    text: Option<String>,
    encoding: Option<String>,
}

enum Converted {
    Skip(Skip),
    Invalid(String),
}

/// Response headers that describe the wire encoding of a body the HAR stores decoded.
const WIRE_ENCODING_HEADERS: &[&str] = &["content-encoding", "content-length", "transfer-encoding"];

fn convert(entry: RawEntry, options: &Options) -> Result<Exchange, Converted> {
    let url = url::Url::parse(&entry.request.url).map_err(|_| Converted::Skip(Skip::NotHttp))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Converted::Skip(Skip::NotHttp));
    }
    if let Some(host) = &options.host
        && !host_matches(&url, host)
    {
        return Err(Converted::Skip(Skip::OtherHost));
    }
    let path = match &options.path_prefix {
        Some(prefix) => keep_path(url.path(), prefix, options.strip_prefix)
            .ok_or(Converted::Skip(Skip::OutsidePrefix))?,
        None => url.path().to_string(),
    };
    let response = entry.response.ok_or(Converted::Skip(Skip::NoResponse))?;
    let status = match response.status {
        Some(status @ 100..=999) => status as u16,
        Some(0) | None => return Err(Converted::Skip(Skip::NoResponse)),
        Some(other) => {
            return Err(Converted::Invalid(format!(
                "response status {other} is not an HTTP status"
            )));
        }
    };
    let request_headers = headers(entry.request.headers.unwrap_or_default(), &[]);
    let response_headers = headers(response.headers.unwrap_or_default(), WIRE_ENCODING_HEADERS);
    let request_body = request_body(entry.request.post_data, &request_headers)?;
    let response_body = response_body(response.content, &response_headers)?;
    let url_out = match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    Ok(Exchange {
        interface: None,
        peer: options.peer.clone(),
        request: Request {
            method: entry.request.method.to_ascii_uppercase(),
            url: url_out,
            headers: request_headers,
            body: request_body,
        },
        response: Response {
            status,
            headers: response_headers,
            body: response_body,
        },
        duration_ms: duration(entry.time, entry.timings.as_ref()),
        recorded_at: entry.started_date_time.filter(|t| !t.is_empty()),
        pseudonymised: Vec::new(),
    })
}

fn host_matches(url: &url::Url, wanted: &str) -> bool {
    let host = url.host_str().unwrap_or("");
    if wanted.eq_ignore_ascii_case(host) {
        return true;
    }
    match url.port_or_known_default() {
        Some(port) => wanted.eq_ignore_ascii_case(&format!("{host}:{port}")),
        None => false,
    }
}

/// The path to record when `path` lies at or below `prefix`, with the prefix removed if asked.
fn keep_path(path: &str, prefix: &str, strip: bool) -> Option<String> {
    let prefix = prefix.trim_end_matches('/');
    let rest = path.strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(match (strip, rest) {
        (false, _) => path.to_string(),
        (true, "") => "/".to_string(),
        (true, rest) => rest.to_string(),
    })
}

fn headers(raw: Vec<RawHeader>, drop: &[&str]) -> Headers {
    let mut out = Headers::new();
    for header in raw {
        let name = header.name.to_ascii_lowercase();
        if name.starts_with(':') || name.is_empty() || drop.contains(&name.as_str()) {
            continue;
        }
        recording::add_header(&mut out, &name, header.value.unwrap_or_default());
    }
    out
}

fn content_type(explicit: Option<&str>, headers: &Headers) -> Option<String> {
    explicit
        .filter(|m| !m.is_empty())
        .map(String::from)
        .or_else(|| headers.get("content-type").map(|v| v.first().to_string()))
}

fn request_body(post: Option<RawPostData>, headers: &Headers) -> Result<Body, Converted> {
    let Some(post) = post else {
        return Ok(Body::default());
    };
    let mime = content_type(post.mime_type.as_deref(), headers);
    let bytes = match (post.text, post.params) {
        (Some(text), _) if !text.is_empty() => decode(text, post.encoding.as_deref())
            .map_err(|e| Converted::Invalid(format!("request.postData.text: {e}")))?,
        (_, Some(params)) if !params.is_empty() => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for p in &params {
                form.append_pair(&p.name, p.value.as_deref().unwrap_or(""));
            }
            form.finish().into_bytes()
        }
        _ => Vec::new(),
    };
    Ok(Body::from_bytes(mime.as_deref(), &bytes))
}

fn response_body(content: Option<RawContent>, headers: &Headers) -> Result<Body, Converted> {
    let Some(content) = content else {
        return Ok(Body::default());
    };
    let mime = content_type(content.mime_type.as_deref(), headers);
    let bytes = match content.text {
        Some(text) => decode(text, content.encoding.as_deref())
            .map_err(|e| Converted::Invalid(format!("response.content.text: {e}")))?,
        None => Vec::new(),
    };
    Ok(Body::from_bytes(mime.as_deref(), &bytes))
}

fn decode(text: String, encoding: Option<&str>) -> Result<Vec<u8>, String> {
    match encoding {
        Some(e) if e.eq_ignore_ascii_case("base64") => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|err| format!("`encoding: base64` but the text is not base64 ({err})")),
        _ => Ok(text.into_bytes()),
    }
}

/// `time`, or when a tool leaves it out (or writes -1) the sum of the known `timings`.
fn duration(time: Option<f64>, timings: Option<&BTreeMap<String, Option<f64>>>) -> Option<f64> {
    if let Some(t) = time.filter(|t| t.is_finite() && *t >= 0.0) {
        return Some(t);
    }
    let timings = timings?;
    let phases = ["blocked", "dns", "connect", "send", "wait", "receive"];
    let known: Vec<f64> = phases
        .iter()
        .filter_map(|p| timings.get(*p).copied().flatten())
        .filter(|t| t.is_finite() && *t >= 0.0)
        .collect();
    (!known.is_empty()).then(|| known.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_stream(text: &str, options: &Options) -> Result<(Summary, Vec<Exchange>), Error> {
        let mut out = Vec::new();
        let summary = stream(
            Path::new("t.har"),
            text.as_bytes(),
            options,
            &mut |_| {},
            &mut |e| {
                out.push(e.clone());
                Ok(())
            },
        )?;
        Ok((summary, out))
    }

    fn entry(url: &str, status: i64) -> String {
        format!(
            r#"{{"startedDateTime":"2026-01-01T00:00:00Z","time":-1,"timings":{{"send":1,"wait":2.5,"receive":-1}},
               "request":{{"method":"get","url":"{url}","headers":[{{"name":":authority","value":"x"}},{{"name":"X-A","value":"1"}},{{"name":"x-a","value":"2"}}]}},
               "response":{{"status":{status},"headers":[{{"name":"Content-Encoding","value":"gzip"}}],"content":{{"size":-1,"mimeType":"application/json","text":"eyJhIjoxfQ==","encoding":"base64"}}}}}}"#
        )
    }

    #[test]
    fn converts_entries_one_by_one() {
        let text = format!(
            r#"{{"log":{{"version":"1.2","entries":[{},{},{}],"pages":[]}}}}"#,
            entry("https://api.example.com/a/b?x=1", 200),
            entry("data:image/gif;base64,R0lG", 200),
            entry("https://api.example.com/a/c", 0)
        );
        let (summary, out) = run_stream(&text, &Options::default()).unwrap();
        assert_eq!(summary.imported, 1);
        assert_eq!(summary.skipped.get(&Skip::NotHttp), Some(&1));
        assert_eq!(summary.skipped.get(&Skip::NoResponse), Some(&1));
        let e = &out[0];
        assert_eq!(e.request.method, "GET");
        assert_eq!(e.request.url, "/a/b?x=1");
        assert_eq!(
            e.request.headers.get("x-a"),
            Some(&recording::HeaderValue::Many(vec!["1".into(), "2".into()]))
        );
        assert!(!e.request.headers.contains_key(":authority"));
        assert!(!e.response.headers.contains_key("content-encoding"));
        assert_eq!(
            e.response.body.json().cloned(),
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(e.duration_ms, Some(3.5));
    }

    #[test]
    fn path_prefix_is_segment_aware() {
        assert_eq!(
            keep_path("/api/x", "/api", false).as_deref(),
            Some("/api/x")
        );
        assert_eq!(keep_path("/api/x", "/api/", true).as_deref(), Some("/x"));
        assert_eq!(keep_path("/api", "/api", true).as_deref(), Some("/"));
        assert_eq!(keep_path("/apix", "/api", false), None);
    }

    #[test]
    fn not_har_and_truncated() {
        let err = run_stream(r#"{"openapi":"3.0.0"}"#, &Options::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("found a JSON object with keys `openapi`")
        );
        let err = run_stream(r#"[1]"#, &Options::default()).unwrap_err();
        assert!(err.to_string().contains("t.har:1:1"), "{err}");
        let err = run_stream("{\"log\":{\"entries\":[\n{", &Options::default()).unwrap_err();
        assert!(err.to_string().contains("ends early"), "{err}");
    }
}
