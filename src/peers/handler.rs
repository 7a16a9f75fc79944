//! Answering one request: match it to a recording, check it against its contract, apply any
//! injected fault, journal it.
//!
//! [`Peer::answer`] is the whole decision for a parsed request without faults and does no I/O;
//! [`Peer::handle`] reads the request, serves the admin endpoint, applies faults around the
//! answer and journals the call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

use super::admin;
use super::chained;
use super::fault::{Fault, Faults, Hit};
use super::index::Loose;
use super::journal::Journal;
use super::matcher::{LiveRequest, Mismatch, Part};
use super::routes::{Closest, Reply, Routes, contract_index};
use super::validate;
use super::wire::PeerBody;
use super::{Behaviour, BodyMatch, InvalidRequests, Outcome, PathMatch, PeerCall, PeerOptions};
use crate::contract::{Contract, ContractSet};
use crate::error::Error;
use crate::link::Chain;
use crate::model::{Finding, FindingKind};
use crate::scenario::fault::Action;

/// Largest request body a peer reads.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;

/// How many differences a message lists before summarising the rest.
const MAX_LISTED: usize = 10;

/// The longest a `hang` fault holds a request before closing the connection.
const HANG_LIMIT: Duration = Duration::from_secs(300);

pub(crate) type PeerResponse = Response<PeerBody>;

/// A request answered with no response at all (reset, close, hang): hyper drops the
/// connection when the service fails.
#[derive(Debug, thiserror::Error)]
#[error("no response: {0}")]
pub(crate) struct NoResponse(pub &'static str);

/// What a peer decided for one request.
#[derive(Debug)]
pub(crate) struct Answer {
    pub response: PeerResponse,
    /// Index of the recorded exchange served.
    pub matched: Option<usize>,
    pub outcome: Outcome,
    /// Contract path template, or the literal path.
    pub route: Arc<str>,
    pub closest: Option<Closest>,
    pub findings: Vec<Finding>,
}

/// Everything one peer serves from, shared by its connections.
#[derive(Debug)]
pub(crate) struct Peer {
    pub name: String,
    pub routes: Routes,
    contracts: ContractSet,
    validate: bool,
    behaviour: Behaviour,
    faults: Faults,
    /// Per stub, the contract checks every request matching it shares.
    fixed_checks: Vec<Option<FixedChecks>>,
    /// Per contract, its path template, shared by the calls it covers.
    templates: Vec<Arc<str>>,
    pub journal: Journal,
    admin: admin::AdminAccess,
    /// The scenario's generated values, when the peer takes part in request chaining.
    chain: Option<Arc<Chain>>,
}

/// Checks decided by the recording alone: a request matching a stub has its query (a multiset
/// equal to the recorded one) and, when nothing in it is ignored, its JSON body.
#[derive(Debug)]
struct FixedChecks {
    findings: Vec<Finding>,
    body_fixed: bool,
}

impl Peer {
    pub(crate) fn new(
        options: PeerOptions,
        faults: Vec<Fault>,
        chain: Option<Arc<Chain>>,
    ) -> Result<Self, Error> {
        let contracts = ContractSet::new(options.contracts);
        let behaviour = options.behaviour;
        // Bodies matched by contract, not by value, are checked per request.
        let body_values_vary =
            !options.ignore.is_empty() || behaviour.match_body == BodyMatch::Contract;
        let loose = Loose {
            no_body: behaviour.match_body == BodyMatch::Contract,
            no_path: behaviour.match_path == PathMatch::Template,
        };
        let routes = Routes::load(
            options.recording,
            options.ignore,
            &behaviour.match_headers,
            &contracts,
            loose,
        )?;
        let fixed_checks = routes
            .first_requests()
            .into_iter()
            .map(|(contract, recorded)| {
                let contract = contracts.iter().nth(contract?)?;
                let recorded = recorded?;
                let as_live = LiveRequest::from_recorded(recorded)?;
                let body_fixed = recorded.body.json().is_some() && !body_values_vary;
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
        let templates = contracts
            .iter()
            .map(|c| Arc::from(c.path.as_str()))
            .collect();
        let seed = behaviour.seed;
        Ok(Peer {
            routes,
            name: options.name,
            contracts,
            validate: options.validate_requests,
            behaviour,
            faults: Faults::new(faults, seed),
            fixed_checks,
            templates,
            journal: Journal::with_bytes(Journal::CAPACITY, options.journal_bytes),
            admin: options.admin,
            chain,
        })
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

    /// Whether a request can be answered at once: no body to read and no fault rules.
    pub(crate) fn answers_now<B: hyper::body::Body>(&self, request: &Request<B>) -> bool {
        self.faults.is_empty() && request.body().is_end_stream()
    }

    /// Answers a request with nothing to wait for (see [`Peer::answers_now`]) and journals it.
    pub(crate) fn handle_now<B>(&self, request: Request<B>) -> PeerResponse {
        let started = Instant::now();
        let (parts, _) = request.into_parts();
        let live = LiveRequest::new(parts.method, parts.uri, parts.headers, Bytes::new());
        self.respond(live, started)
    }

    /// The admin endpoint's answer, or the recorded answer, journaled.
    fn respond(&self, live: LiveRequest, started: Instant) -> PeerResponse {
        if let Some(response) = admin::handle(&self.name, &self.journal, &self.admin, &live) {
            return response;
        }
        let answer = self.answer(&live);
        self.record(live, answer, None, started)
    }

    /// Reads the request, answers it (or injects a fault) and journals the call.
    pub(crate) async fn handle(
        &self,
        request: Request<hyper::body::Incoming>,
        reset: &Arc<AtomicBool>,
    ) -> Result<PeerResponse, NoResponse> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let live = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => {
                LiveRequest::new(parts.method, parts.uri, parts.headers, collected.to_bytes())
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
                let url = parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
                let mut call = PeerCall::new(parts.method.as_str(), &url);
                call.status = status.as_u16();
                call.duration = started.elapsed();
                self.journal.push(call);
                return Ok(json_response(status, &json!({ "error": error })));
            }
        };
        if self.faults.is_empty() || self.admin.serves(&live) {
            return Ok(self.respond(live, started));
        }
        let contract_at = self.contract_of(&live);
        let route = self.route(contract_at, &live);
        let Some(hit) = self
            .faults
            .pick(live.method.as_str(), live.path(), Some(&route))
        else {
            return Ok(self.respond(live, started));
        };
        if let Some(delay) = hit.delay {
            tokio::time::sleep(delay).await;
        }
        self.faulted(live, contract_at, route, hit, reset, started)
            .await
    }

    /// Applies a fault that fired for this call, to a request covered by the contract at
    /// `contract_at` on `route`.
    async fn faulted(
        &self,
        live: LiveRequest,
        contract_at: Option<usize>,
        route: Arc<str>,
        hit: Hit,
        reset: &Arc<AtomicBool>,
        started: Instant,
    ) -> Result<PeerResponse, NoResponse> {
        let Hit { action, label, .. } = hit;
        let contract = self.contract(contract_at);
        match action {
            None => {
                let answer = self.answer(&live);
                Ok(self.record(live, answer, Some(label), started))
            }
            Some(Action::Status {
                status,
                retry_after,
            }) => {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let mut response = json_response(
                    code,
                    &json!({"error": "fault injected by interlock", "fault": label}),
                );
                if let Some(secs) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                let answer = Answer {
                    response,
                    matched: None,
                    outcome: Outcome::Faulted,
                    route,
                    closest: None,
                    findings: self.contract_findings(contract, &live),
                };
                Ok(self.record(live, answer, Some(label), started))
            }
            Some(action @ (Action::Truncate | Action::Malformed)) => {
                let mut answer = self.answer(&live);
                answer.outcome = Outcome::Faulted;
                let (parts, body) = self.record(live, answer, Some(label), started).into_parts();
                let body = if action == Action::Truncate {
                    PeerBody::truncated(&body.bytes())
                } else {
                    PeerBody::full(malformed(&body.bytes()))
                };
                Ok(Response::from_parts(parts, body))
            }
            Some(action @ (Action::Reset | Action::Close | Action::Hang)) => {
                let findings = self.contract_findings(contract, &live);
                self.journal.push_with(|call| {
                    Peer::describe(call, &live, route, Some(label), started);
                    call.findings = findings;
                    call.outcome = Outcome::Faulted;
                });
                Err(match action {
                    Action::Reset => {
                        reset.store(true, Ordering::Relaxed);
                        NoResponse("connection reset")
                    }
                    Action::Hang => {
                        tokio::time::sleep(HANG_LIMIT).await;
                        NoResponse("hung until the client gave up")
                    }
                    _ => NoResponse("connection closed"),
                })
            }
        }
    }

    /// The contract's path template, or the literal path when no contract covers the request.
    fn route(&self, contract: Option<usize>, request: &LiveRequest) -> Arc<str> {
        match contract.and_then(|i| self.templates.get(i)) {
            Some(template) => Arc::clone(template),
            None => Arc::from(request.path()),
        }
    }

    /// The index of the contract covering a request, by operation.
    fn contract_of(&self, request: &LiveRequest) -> Option<usize> {
        contract_index(&self.contracts, request.method.as_str(), request.path())
    }

    fn contract(&self, index: Option<usize>) -> Option<&Contract> {
        index.and_then(|i| self.contracts.iter().nth(i))
    }

    /// Contract findings for a request whose answer a fault replaced.
    fn contract_findings(
        &self,
        contract: Option<&Contract>,
        request: &LiveRequest,
    ) -> Vec<Finding> {
        match (self.validate, contract) {
            (false, _) => Vec::new(),
            (true, Some(c)) => validate::check_request(&self.name, c, request),
            (true, None) => vec![validate::no_contract(&self.name, request)],
        }
    }

    /// Writes a request into a journal entry (everything but its outcome).
    fn describe(
        call: &mut PeerCall,
        live: &LiveRequest,
        route: Arc<str>,
        fault: Option<String>,
        started: Instant,
    ) {
        call.set_request(live.method.as_str(), live.url(), &live.headers, route);
        call.keep_body(&live.body);
        call.duration = started.elapsed();
        call.fault = fault;
    }

    /// Journals an answered call and hands back the response to send.
    fn record(
        &self,
        live: LiveRequest,
        answer: Answer,
        fault: Option<String>,
        started: Instant,
    ) -> PeerResponse {
        let Answer {
            response,
            matched,
            outcome,
            route,
            closest,
            findings,
        } = answer;
        let status = response.status().as_u16();
        self.journal.push_with(|call| {
            Peer::describe(call, &live, route, fault, started);
            call.matched = matched;
            call.outcome = outcome;
            call.status = status;
            call.findings = findings;
            if let Some(closest) = closest {
                call.differences = closest.mismatches.iter().map(|m| m.text.clone()).collect();
                call.closest = Some(closest.label);
            }
        });
        response
    }

    /// For a request no recording matches exactly, the most specific looser match the peer
    /// allows: the same path with any contract-valid body, the same operation at another path,
    /// and both.
    fn find_loose(
        &self,
        request: &LiveRequest,
        contract: Option<(usize, &Contract)>,
    ) -> Option<(usize, Outcome)> {
        let (index, contract) = contract?;
        let by_contract = self.behaviour.match_body == BodyMatch::Contract
            && validate::check_body(&self.name, contract, request)
                .iter()
                .all(|f| !validate::is_violation(f));
        let by_template = self.behaviour.match_path == PathMatch::Template;
        if by_contract && let Some(stub) = self.routes.find_loosely(request, None, &[Part::Body]) {
            return Some((stub, Outcome::MatchedByContract));
        }
        if by_template {
            if let Some(stub) = self
                .routes
                .find_loosely(request, Some(index), &[Part::Path])
            {
                return Some((stub, Outcome::MatchedByTemplate));
            }
            if by_contract {
                let stub =
                    self.routes
                        .find_loosely(request, Some(index), &[Part::Path, Part::Body])?;
                return Some((stub, Outcome::MatchedByTemplate));
            }
        }
        None
    }

    /// The decision for one parsed request, without faults.
    pub(crate) fn answer(&self, live: &LiveRequest) -> Answer {
        // With request chaining, matching sees the request with the recorded values of what it
        // binds; contract checks see the request as sent.
        let translated =
            (self.chain.as_deref()).and_then(|c| chained::to_recorded(c, &self.name, live));
        let request = translated.as_ref().unwrap_or(live);
        let exact = self.routes.find(request);
        let contract_at = match exact {
            Some(stub) => self.routes.contract(stub),
            None => self.contract_of(request),
        };
        let contract = self.contract(contract_at);
        let found = match exact {
            Some(stub) => Some((stub, Outcome::Matched)),
            None => self.find_loose(request, contract_at.zip(contract)),
        };
        let route = self.route(contract_at, request);
        let mut findings = match (self.validate, contract) {
            (false, _) => Vec::new(),
            (true, Some(c)) => self.check(c, found.map(|(s, _)| s), live),
            (true, None) => vec![validate::no_contract(&self.name, live)],
        };

        if let Some((stub, outcome)) = found {
            return match self.routes.take(stub, self.behaviour.playback) {
                Some((index, reply)) => Answer {
                    response: self.reply(&reply),
                    matched: Some(index),
                    outcome,
                    route,
                    closest: None,
                    findings,
                },
                None => Answer {
                    response: json_response(
                        StatusCode::NOT_FOUND,
                        &json!({
                            "error": "every recorded reply to this request has been served",
                            "request": self.routes.label(stub),
                            "recorded": self.routes.members(stub),
                            "playback": "not-found",
                        }),
                    ),
                    matched: None,
                    outcome: Outcome::Exhausted,
                    route,
                    closest: None,
                    findings,
                },
            };
        }

        let closest = self.routes.closest(request, contract_at);
        let violations: Vec<Value> = findings
            .iter()
            .filter(|f| validate::is_violation(f))
            .map(|f| json!({ "kind": f.kind.id(), "path": f.path, "message": f.message }))
            .collect();
        if self.validate {
            findings.push(self.unmatched(request, closest.as_ref(), contract));
        }
        let recorded_error = match (self.behaviour.invalid_requests, contract_at) {
            (InvalidRequests::RecordedError, Some(c)) if !violations.is_empty() => {
                self.routes.recorded_error(c)
            }
            _ => None,
        };
        if let Some((index, reply)) = recorded_error {
            return Answer {
                response: self.reply(&reply),
                matched: Some(index),
                outcome: Outcome::RecordedError,
                route,
                closest,
                findings,
            };
        }
        let (closest_json, differences): (Value, Vec<String>) = match &closest {
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
        Answer {
            response,
            matched: None,
            outcome: Outcome::Unmatched,
            route,
            closest,
            findings,
        }
    }

    /// A recorded reply, with the live values of what the scenario bound.
    fn reply(&self, reply: &Reply) -> PeerResponse {
        match self
            .chain
            .as_deref()
            .and_then(|c| chained::to_live(c, reply))
        {
            Some(live) => reply_response(&live),
            None => reply_response(reply),
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

/// A response carrying a recorded reply (bytes are shared, not copied).
fn reply_response(reply: &Reply) -> PeerResponse {
    let mut response = Response::new(PeerBody::full(reply.body.clone()));
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers.clone();
    response
}

/// Bytes that are not valid JSON: the first half of the body and an unterminated string.
fn malformed(bytes: &Bytes) -> Bytes {
    let mut out = bytes.slice(..bytes.len() / 2).to_vec();
    out.extend_from_slice(b"\"\\u00");
    if !out.starts_with(b"{") && !out.starts_with(b"[") {
        out.insert(0, b'{');
    }
    Bytes::from(out)
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> PeerResponse {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(PeerBody::full(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
