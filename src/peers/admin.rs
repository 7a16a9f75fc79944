//! The admin endpoint every peer serves on its own port, so a developer's tests can assert on
//! what their system sent: `GET /__interlock/requests` returns the journal as JSON,
//! `DELETE /__interlock/requests` clears it. Admin requests are not journaled themselves.
//!
//! ```json
//! {"peer": "erp", "count": 1, "unmatched_count": 0, "dropped": 0,
//!  "requests": [{"seq": 1, "method": "POST", "url": "/erp/v2/customers",
//!                "route": "/erp/v2/customers", "headers": {"content-type": "application/json"},
//!                "body": {"crm_customer_id": "C-10023"}, "outcome": "matched", "index": 0,
//!                "status": 201, "duration_ms": 0.4, "fault": null, "closest": null,
//!                "differences": [], "findings": []}],
//!  "unmatched": []}
//! ```
//!
//! `unmatched` repeats the requests no recording matched (outcome `unmatched` or
//! `recorded-error`), with the closest recorded request and the differences.
//!
//! Credentials in the journal (`Authorization`, `Cookie`, API-key headers, token parameters
//! and JSON fields, tokens in free text) are shown as `[redacted]`, and personal data (emails,
//! phones, ids, cards, IBANs, names by field) as a typed placeholder (`[pseudonymised:email]`),
//! by the built-in rules of [`crate::redact`]. The endpoint answers only requests whose `Host` is a loopback
//! name, the machine's name or a name allowed in [`AdminAccess`] (a web page on another name
//! that resolves to this machine cannot read it), and can be switched off.

use hyper::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::handler::{PeerResponse, json_response};
use super::journal::Journal;
use super::matcher::LiveRequest;
use super::wire::PeerBody;
use super::{Outcome, PeerCall};
use crate::recording::{Body, Request};

/// A line about a journaled request as it may be shown: credentials `[redacted]`, personal
/// data a typed placeholder.
pub(crate) fn shown_text(text: &str) -> String {
    crate::redact::Redactor::shown().redact_display(text)
}

/// A journaled request as it may be shown: credentials `[redacted]`, personal data a typed
/// placeholder.
pub(crate) fn shown_request(call: &PeerCall) -> Request {
    let mut headers = crate::recording::Headers::new();
    for (name, value) in call.headers() {
        crate::recording::add_header(&mut headers, name, value.to_string());
    }
    let body = Body::from_bytes(call.header("content-type"), &call.body);
    crate::redact::Redactor::shown().redact_request(Request {
        method: call.method().to_string(),
        url: call.url().to_string(),
        headers,
        body,
    })
}

/// The reserved path prefix of the admin endpoint.
pub(crate) const ADMIN_PATH: &str = "/__interlock/";

/// The journal's path.
const REQUESTS: &str = "/__interlock/requests";

/// Whether the admin endpoint answers, and to which `Host` names.
#[derive(Debug, Clone)]
pub struct AdminAccess {
    /// `false` (`--no-admin`): admin paths are served like any other request.
    pub enabled: bool,
    /// `Host` names accepted besides loopback names and the machine's name
    /// (`--admin-allow-host`, the `--host` address).
    pub allow_hosts: Vec<String>,
}

impl Default for AdminAccess {
    fn default() -> Self {
        AdminAccess {
            enabled: true,
            allow_hosts: Vec::new(),
        }
    }
}

impl AdminAccess {
    /// Whether a request is for the admin endpoint (which faults never touch).
    pub(crate) fn serves(&self, request: &LiveRequest) -> bool {
        self.enabled && request.path().starts_with(ADMIN_PATH)
    }

    /// Whether the request's `Host` (or HTTP/2 authority) names this machine.
    fn allows(&self, request: &LiveRequest) -> bool {
        let host = request
            .headers
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| request.uri.authority().map(|a| a.to_string()));
        let Some(host) = host else {
            return false;
        };
        let name = host_name(&host);
        let loopback = name == "localhost"
            || name.ends_with(".localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        loopback
            || machine_name().is_some_and(|m| m == name)
            || self
                .allow_hosts
                .iter()
                .any(|allowed| host_name(allowed) == name)
    }
}

/// `Host` without its port and IPv6 brackets, lower-cased.
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            name.to_string()
        }
        _ => host,
    }
}

fn machine_name() -> Option<String> {
    static NAME: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| {
        gethostname::gethostname()
            .into_string()
            .ok()
            .map(|n| n.to_ascii_lowercase())
            .filter(|n| !n.is_empty())
    });
    NAME.clone()
}

/// Answers an admin request, or `None` when the request is not for the admin endpoint.
pub(crate) fn handle(
    peer: &str,
    journal: &Journal,
    access: &AdminAccess,
    request: &LiveRequest,
) -> Option<PeerResponse> {
    if !access.serves(request) {
        return None;
    }
    if !access.allows(request) {
        return Some(json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": "the admin endpoint answers only requests addressed to a loopback name, this machine's name or a name given with --admin-allow-host"}),
        ));
    }
    if request.path() != REQUESTS {
        return Some(json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no admin endpoint {}", request.path()), "endpoints": [REQUESTS]}),
        ));
    }
    Some(match request.method {
        Method::GET => json_response(StatusCode::OK, &render(peer, journal)),
        Method::DELETE => {
            journal.clear();
            let mut response = PeerResponse::new(PeerBody::full(bytes::Bytes::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        _ => {
            let mut response = json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({"error": format!("{REQUESTS} takes GET (the journal) or DELETE (clear it)")}),
            );
            response.headers_mut().insert(
                hyper::header::ALLOW,
                hyper::header::HeaderValue::from_static("GET, DELETE"),
            );
            response
        }
    })
}

/// The journal as JSON.
pub(crate) fn render(peer: &str, journal: &Journal) -> Value {
    let history = journal.history();
    let requests: Vec<Value> = history.iter().map(|(seq, c)| call_json(*seq, c)).collect();
    let unmatched: Vec<Value> = history
        .iter()
        .zip(&requests)
        .filter(|((_, c), _)| matches!(c.outcome, Outcome::Unmatched | Outcome::RecordedError))
        .map(|(_, json)| json.clone())
        .collect();
    json!({
        "peer": peer,
        "count": requests.len(),
        "unmatched_count": unmatched.len(),
        "dropped": journal.dropped(),
        "requests": requests,
        "unmatched": unmatched,
    })
}

fn call_json(seq: u64, call: &PeerCall) -> Value {
    let shown = shown_request(call);
    let mut headers = Map::new();
    for (name, value) in shown
        .headers
        .iter()
        .flat_map(|(n, v)| v.values().map(move |v| (n.as_str(), v)))
    {
        let value = Value::String(value.to_string());
        match headers.get_mut(name) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.clone(), value]),
            None => {
                headers.insert(name.to_string(), value);
            }
        }
    }
    let mut entry = Map::new();
    entry.insert("seq".into(), json!(seq));
    entry.insert("method".into(), json!(call.method()));
    entry.insert("url".into(), json!(shown.url));
    entry.insert("route".into(), json!(&*call.route));
    entry.insert("headers".into(), Value::Object(headers));
    if call.body_size > call.body.len() {
        entry.insert("body_omitted_bytes".into(), json!(call.body_size));
    } else {
        if let Ok(Value::Object(body)) = serde_json::to_value(&shown.body) {
            entry.extend(body);
        }
    }
    entry.insert("outcome".into(), json!(call.outcome.id()));
    entry.insert("index".into(), json!(call.matched));
    entry.insert("status".into(), json!(call.status));
    entry.insert(
        "duration_ms".into(),
        json!((call.duration.as_secs_f64() * 1e4).round() / 10.0),
    );
    entry.insert("fault".into(), json!(call.fault));
    entry.insert(
        "closest".into(),
        json!(call.closest.as_deref().map(shown_text)),
    );
    entry.insert(
        "differences".into(),
        json!(
            call.differences
                .iter()
                .map(|d| shown_text(d))
                .collect::<Vec<_>>()
        ),
    );
    entry.insert(
        "findings".into(),
        Value::Array(
            call.findings
                .iter()
                .map(|f| json!({"kind": f.kind.id(), "severity": f.severity, "path": f.path, "message": shown_text(&f.message)}))
                .collect(),
        ),
    );
    Value::Object(entry)
}
