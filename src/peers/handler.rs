//! Answering one request: match it to a recording, check it against its contract, journal it.
//!
//! [`Peer::answer`] is the whole decision for a parsed request and does no I/O, so per-request
//! behaviour (faults, delays, an admin endpoint) can wrap it without touching the server loop.

use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

use super::journal::Journal;
use super::matcher::{LiveRequest, Mismatch};
use super::routes::{Closest, Routes, contract_index};
use super::validate;
use super::{PeerCall, PeerOptions};
use crate::check::{Finding, FindingKind};
use crate::contract::{Contract, ContractSet};

/// Largest request body a peer reads.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// How many differences a message lists before summarising the rest.
const MAX_LISTED: usize = 10;

pub type PeerResponse = Response<Full<Bytes>>;

/// What a peer decided for one request.
#[derive(Debug)]
pub struct Answer {
    pub response: PeerResponse,
    /// Index of the recorded exchange served.
    pub matched: Option<usize>,
    /// Contract path template, or the literal path.
    pub route: String,
    pub findings: Vec<Finding>,
}

/// Everything one peer serves from, shared by its connections.
#[derive(Debug)]
pub struct Peer {
    pub name: String,
    pub routes: Routes,
    contracts: ContractSet,
    validate: bool,
    /// Per stub, the contract checks every request matching it shares.
    fixed_checks: Vec<Option<FixedChecks>>,
    pub journal: Journal,
}

/// Checks decided by the recording alone: a request matching a stub has its query (a multiset
/// equal to the recorded one) and, when nothing in it is ignored, its JSON body.
#[derive(Debug)]
struct FixedChecks {
    findings: Vec<Finding>,
    body_fixed: bool,
}

impl Peer {
    pub fn new(options: PeerOptions) -> Self {
        let contracts = ContractSet::new(options.contracts);
        let body_values_vary = !options.ignore.is_empty();
        let routes = Routes::new(&options.exchanges, options.ignore, &contracts);
        let fixed_checks = routes
            .stubs()
            .iter()
            .map(|stub| {
                let contract = contracts.iter().nth(stub.contract?)?;
                let recorded = &options.exchanges.get(*stub.members.first()?)?.request;
                let as_live = LiveRequest::from_recorded(recorded)?;
                let body_fixed = recorded.body.body.is_some() && !body_values_vary;
                let findings = if body_fixed {
                    validate::check_query_and_body(&options.name, contract, &as_live)
                } else {
                    validate::check_query(&options.name, contract, &as_live)
                };
                Some(FixedChecks {
                    findings,
                    body_fixed,
                })
            })
            .collect();
        Peer {
            routes,
            name: options.name,
            contracts,
            validate: options.validate_requests,
            fixed_checks,
            journal: Journal::new(Journal::CAPACITY),
        }
    }

    /// Every way the request breaks its contract, reusing what its stub fixes.
    fn check(
        &self,
        contract: &Contract,
        stub: Option<usize>,
        request: &LiveRequest,
    ) -> Vec<Finding> {
        let Some(fixed) = stub.and_then(|s| self.fixed_checks.get(s)?.as_ref()) else {
            return validate::check_request(&self.name, contract, request);
        };
        let mut findings = fixed.findings.clone();
        if !fixed.body_fixed {
            findings.extend(validate::check_body(&self.name, contract, request));
        }
        findings.extend(validate::check_headers(&self.name, contract, request));
        findings
    }

    /// Reads the request, answers it and journals the call.
    pub async fn handle(&self, request: Request<hyper::body::Incoming>) -> PeerResponse {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let (answer, method, url) = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => {
                let live =
                    LiveRequest::new(parts.method, parts.uri, parts.headers, collected.to_bytes());
                let answer = self.answer(&live);
                (answer, live.method.to_string(), live.url().to_string())
            }
            Err(err) => {
                let (status, error) = if err.downcast_ref::<LengthLimitError>().is_some() {
                    (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("request body larger than {MAX_BODY} bytes"),
                    )
                } else {
                    (
                        StatusCode::BAD_REQUEST,
                        format!("cannot read the request body: {err}"),
                    )
                };
                let answer = Answer {
                    response: json_response(status, &json!({ "error": error })),
                    matched: None,
                    route: parts.uri.path().to_string(),
                    findings: Vec::new(),
                };
                let url = parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
                (answer, parts.method.to_string(), url)
            }
        };
        self.journal.push(PeerCall {
            method,
            url,
            route: answer.route,
            matched: answer.matched,
            status: answer.response.status().as_u16(),
            duration: started.elapsed(),
            findings: answer.findings,
        });
        answer.response
    }

    /// The decision for one parsed request.
    pub fn answer(&self, request: &LiveRequest) -> Answer {
        let stub = self.routes.find(request);
        let contract_at = match stub {
            Some(s) => self.routes.stub(s).contract,
            None => contract_index(&self.contracts, request.method.as_str(), request.path()),
        };
        let contract: Option<&Contract> = contract_at.and_then(|i| self.contracts.iter().nth(i));
        let route = contract.map_or_else(
            || request.path().to_string(),
            |c| c.path.as_str().to_string(),
        );
        let mut findings = match (self.validate, contract) {
            (false, _) => Vec::new(),
            (true, Some(c)) => self.check(c, stub, request),
            (true, None) => vec![validate::no_contract(&self.name, request)],
        };

        if let Some(stub) = stub {
            let (index, reply) = self.routes.take(stub);
            let mut response = Response::new(Full::new(reply.body.clone()));
            *response.status_mut() = reply.status;
            *response.headers_mut() = reply.headers.clone();
            return Answer {
                response,
                matched: Some(index),
                route,
                findings,
            };
        }

        let closest = self.routes.closest(request);
        let violations: Vec<Value> = findings
            .iter()
            .filter(|f| validate::is_violation(f))
            .map(|f| json!({ "kind": f.kind.id(), "path": f.path, "message": f.message }))
            .collect();
        let (closest_json, differences) = match &closest {
            Some(c) => (
                json!({ "index": c.index, "request": c.label }),
                c.mismatches.iter().map(|m| m.text.clone()).collect(),
            ),
            None => (Value::Null, Vec::new()),
        };
        let response = if violations.is_empty() {
            json_response(
                StatusCode::NOT_FOUND,
                &json!({
                    "error": "no recorded exchange matches",
                    "closest": closest_json,
                    "differences": differences,
                }),
            )
        } else {
            json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({
                    "error": "the request breaks its contract",
                    "interface": contract.map(|c| c.interface.as_str()),
                    "violations": violations,
                    "closest": closest_json,
                    "differences": differences,
                }),
            )
        };
        if self.validate {
            findings.push(self.unmatched(request, closest.as_ref(), contract));
        }
        Answer {
            response,
            matched: None,
            route,
            findings,
        }
    }

    /// The finding for a request no recording matches, naming the closest and how it differs.
    fn unmatched(
        &self,
        request: &LiveRequest,
        closest: Option<&Closest>,
        contract: Option<&Contract>,
    ) -> Finding {
        let head = format!(
            "request to {} `{} {}` matches no recording",
            self.name,
            request.method,
            request.url()
        );
        let message = match closest {
            None => format!("{head}; the peer has no recorded exchanges"),
            Some(c) => format!(
                "{head}; closest is recorded exchange #{} `{}`: {}",
                c.index + 1,
                c.label,
                describe(&c.mismatches)
            ),
        };
        let (path, recorded, live) = match closest.map(|c| c.mismatches.as_slice()) {
            Some([only]) => (only.path.clone(), only.recorded.clone(), only.live.clone()),
            _ => (String::new(), None, None),
        };
        Finding::new(
            FindingKind::PeerRequestUnmatched,
            validate::location(&self.name),
            path,
            message,
        )
        .with_values(recorded, live)
        .for_contract(contract)
    }
}

/// Differences as one line: `a; b; c` (and how many more past the first few).
fn describe(mismatches: &[Mismatch]) -> String {
    let mut text = mismatches
        .iter()
        .take(MAX_LISTED)
        .map(|m| m.text.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    if mismatches.len() > MAX_LISTED {
        text.push_str(&format!(
            "; and {} more differences",
            mismatches.len() - MAX_LISTED
        ));
    }
    text
}

fn json_response(status: StatusCode, body: &Value) -> PeerResponse {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
