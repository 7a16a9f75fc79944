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

use hyper::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::handler::{PeerResponse, json_response};
use super::journal::Journal;
use super::matcher::LiveRequest;
use super::wire::PeerBody;
use super::{Outcome, PeerCall};
use crate::recording::Body;

/// The reserved path prefix of the admin endpoint.
pub(crate) const ADMIN_PATH: &str = "/__interlock/";

/// The journal's path.
const REQUESTS: &str = "/__interlock/requests";

/// Whether a request is for the admin endpoint (which faults never touch).
pub(crate) fn is_admin(request: &LiveRequest) -> bool {
    request.path().starts_with(ADMIN_PATH)
}

/// Answers an admin request, or `None` when the request is not for the admin endpoint.
pub(crate) fn handle(peer: &str, journal: &Journal, request: &LiveRequest) -> Option<PeerResponse> {
    if !is_admin(request) {
        return None;
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
    let mut headers = Map::new();
    for (name, value) in call.headers() {
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
    entry.insert("url".into(), json!(call.url()));
    entry.insert("route".into(), json!(&*call.route));
    entry.insert("headers".into(), Value::Object(headers));
    if call.body_size > call.body.len() {
        entry.insert("body_omitted_bytes".into(), json!(call.body_size));
    } else {
        let content_type = call.header("content-type");
        if let Ok(Value::Object(body)) =
            serde_json::to_value(Body::from_bytes(content_type, &call.body))
        {
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
    entry.insert("closest".into(), json!(call.closest));
    entry.insert("differences".into(), json!(call.differences));
    entry.insert(
        "findings".into(),
        Value::Array(
            call.findings
                .iter()
                .map(|f| json!({"kind": f.kind.id(), "severity": f.severity, "path": f.path, "message": f.message}))
                .collect(),
        ),
    );
    Value::Object(entry)
}
