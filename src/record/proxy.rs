//! Forwarding one request: the client's request goes to the upstream byte for byte, the
//! upstream's response comes back byte for byte, and the exchange is redacted and appended to
//! the recording before the client gets its answer.
//!
//! When the upstream cannot be reached the client gets a `502` (a `504` on timeout) with a JSON
//! body saying why, and nothing is recorded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{HeaderMap, Request, Response, StatusCode};
use serde_json::json;

use super::capture::{self, HOP_BY_HOP, Wire};
use super::writer::Appender;
use crate::contract::ContractSet;
use crate::redact::Redactor;

/// Largest request body the recorder reads.
pub(crate) const MAX_REQUEST_BODY: usize = 1024 * 1024 * 1024;

pub(crate) type ProxyResponse = Response<Full<Bytes>>;

/// Everything the connections share.
pub(crate) struct Proxy {
    pub client: reqwest::Client,
    /// The upstream base URL without a trailing `/`; the client's path and query are appended.
    pub upstream: String,
    pub peer: Option<String>,
    pub redactor: Redactor,
    /// The project's contracts, to store each exchange's `interface`.
    pub contracts: ContractSet,
    pub appender: Appender,
    pub recorded: AtomicUsize,
}

/// What went wrong talking to the upstream.
struct UpstreamError {
    status: StatusCode,
    summary: &'static str,
    detail: String,
}

impl Proxy {
    /// Builds the upstream client: no proxy from the environment, no redirects followed, no
    /// decompression (bytes are forwarded unchanged), bounded connect and request times.
    pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()
    }

    /// Handles one client request end to end.
    pub(crate) async fn handle(&self, request: Request<Incoming>) -> ProxyResponse {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let method = parts.method.as_str().to_string();
        let path = parts.uri.path().to_string();
        let url = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_string();
        let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                let path = self.redactor.redact_display(&path);
                let line = format!("{method} {path} 400 request body not read: {err}");
                log_line(&line);
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "request body not read",
                    &err.to_string(),
                    &self.upstream,
                );
            }
        };
        let forwarded = self
            .forward(&parts.method, &url, &parts.headers, body.clone())
            .await;
        let elapsed = started.elapsed();
        match forwarded {
            Ok((status, headers, response_body)) => {
                let wire = Wire {
                    method: &method,
                    url: &url,
                    request_headers: &parts.headers,
                    request_body: &body,
                    status: status.as_u16(),
                    response_headers: &headers,
                    response_body: &response_body,
                };
                let path = self.record(&wire, elapsed).await;
                log_line(&format!(
                    "{method} {path} {} {}ms",
                    status.as_u16(),
                    elapsed.as_millis()
                ));
                client_response(status, &headers, response_body)
            }
            Err(err) => {
                let path = self.redactor.redact_display(&path);
                log_line(&format!(
                    "{method} {path} {} {}ms {}: {} (not recorded)",
                    err.status.as_u16(),
                    elapsed.as_millis(),
                    err.summary,
                    err.detail
                ));
                error_response(err.status, err.summary, &err.detail, &self.upstream)
            }
        }
    }

    async fn forward(
        &self,
        method: &hyper::Method,
        url: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), UpstreamError> {
        let target = format!("{}{url}", self.upstream);
        let mut outgoing = end_to_end(headers);
        outgoing.remove(HOST);
        outgoing.remove(CONTENT_LENGTH);
        let response = self
            .client
            .request(method.clone(), &target)
            .headers(outgoing)
            .body(body)
            .send()
            .await
            .map_err(|err| upstream_error(&err))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|err| upstream_error(&err))?;
        Ok((status, headers, bytes))
    }

    /// Redacts and appends the exchange; returns its path as recorded (redacted), the only
    /// form of it that is printed.
    async fn record(&self, wire: &Wire<'_>, elapsed: Duration) -> String {
        let mut exchange = capture::exchange(wire, self.peer.as_deref(), elapsed);
        let path = exchange.request.path();
        exchange.interface = self
            .peer
            .as_deref()
            .and_then(|peer| self.contracts.find(Some(peer), wire.method, path))
            .or_else(|| self.contracts.find(None, wire.method, path))
            .map(|c| c.interface.clone());
        self.redactor.redact_exchange(&mut exchange);
        match self.appender.append(&exchange).await {
            Ok(()) => {
                self.recorded.fetch_add(1, Ordering::Relaxed);
            }
            Err(message) => eprintln!(
                "error: {} {}: not recorded: {message}",
                wire.method, exchange.request.url
            ),
        }
        exchange.request.path().to_string()
    }
}

/// The headers without hop-by-hop ones (including those named in `Connection`).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name_str = name.as_str();
        if !HOP_BY_HOP.contains(&name_str) && !named.iter().any(|n| n == name_str) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The upstream's response for the client: same status, headers and bytes. `content-length`
/// stays as the upstream sent it (the bytes are unchanged; a `HEAD` answer needs it), a chunked
/// body gets one from the collected bytes.
fn client_response(status: StatusCode, headers: &HeaderMap, body: Bytes) -> ProxyResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = end_to_end(headers);
    response
}

fn error_response(
    status: StatusCode,
    summary: &str,
    detail: &str,
    upstream: &str,
) -> ProxyResponse {
    let body = json!({
        "error": format!("interlock record: {summary}"),
        "upstream": upstream,
        "detail": detail,
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn upstream_error(err: &reqwest::Error) -> UpstreamError {
    let detail = error_chain(err);
    if err.is_timeout() {
        UpstreamError {
            status: StatusCode::GATEWAY_TIMEOUT,
            summary: "upstream timed out",
            detail,
        }
    } else if err.is_connect() {
        UpstreamError {
            status: StatusCode::BAD_GATEWAY,
            summary: "upstream unreachable",
            detail,
        }
    } else {
        UpstreamError {
            status: StatusCode::BAD_GATEWAY,
            summary: "upstream failed",
            detail,
        }
    }
}

/// The innermost cause is the useful one (`Connection refused (os error 111)`).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// One line per exchange on stdout, flushed at once.
fn log_line(line: &str) {
    use std::io::Write;
    let mut out = crate::fsutil::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
