//! Contract checks of the requests a peer receives: does what the target sent satisfy the
//! contract of the operation it called? Each problem is a [`Finding`] located at the peer:
//! missing or undeclared parameters are `parameter-violation`s, schema breaks in a parameter
//! or the body are `peer-request-invalid`, one per violation with its instance path.

use serde_json::Value;

use super::matcher::LiveRequest;
use crate::contract::{Contract, ParamProblem, ParamSpec};
use crate::model::{Finding, FindingKind, Location};

/// Every way a request breaks its contract (empty when it satisfies it): query, body, headers.
pub(crate) fn check_request(
    peer: &str,
    contract: &Contract,
    request: &LiveRequest,
) -> Vec<Finding> {
    let mut check = Check::new(peer, contract);
    check.query(request);
    check.body(request);
    check.headers(request);
    check.findings
}

/// The query and body checks alone: what is fixed for every request matching one recording.
pub(crate) fn check_query_and_body(
    peer: &str,
    contract: &Contract,
    request: &LiveRequest,
) -> Vec<Finding> {
    let mut check = Check::new(peer, contract);
    check.query(request);
    check.body(request);
    check.findings
}

pub(crate) fn check_query(peer: &str, contract: &Contract, request: &LiveRequest) -> Vec<Finding> {
    let mut check = Check::new(peer, contract);
    check.query(request);
    check.findings
}

pub(crate) fn check_body(peer: &str, contract: &Contract, request: &LiveRequest) -> Vec<Finding> {
    let mut check = Check::new(peer, contract);
    check.body(request);
    check.findings
}

/// Header checks (headers are not compared when matching, so they are checked every time).
pub(crate) fn check_headers(
    peer: &str,
    contract: &Contract,
    request: &LiveRequest,
) -> Vec<Finding> {
    let mut check = Check::new(peer, contract);
    check.headers(request);
    check.findings
}

/// The note that no contract covers a request (information, never a failure).
pub(crate) fn no_contract(peer: &str, request: &LiveRequest) -> Finding {
    Finding::new(
        FindingKind::NoContract,
        location(peer),
        "",
        format!(
            "request to {peer} `{} {}`: no contract covers it",
            request.method,
            request.path()
        ),
    )
}

/// Whether a finding means the request breaks its contract.
pub(crate) fn is_violation(finding: &Finding) -> bool {
    finding.is_failure()
        && matches!(
            finding.kind,
            FindingKind::ParameterViolation | FindingKind::PeerRequestInvalid
        )
}

pub(crate) fn location(peer: &str) -> Location {
    Location::PeerRequest {
        peer: peer.to_string(),
    }
}

struct Check<'a> {
    peer: &'a str,
    contract: &'a Contract,
    findings: Vec<Finding>,
}

impl<'a> Check<'a> {
    fn new(peer: &'a str, contract: &'a Contract) -> Self {
        Check {
            peer,
            contract,
            findings: Vec::new(),
        }
    }

    fn push(&mut self, kind: FindingKind, path: String, message: String, live: Option<Value>) {
        self.findings.push(
            Finding::new(kind, location(self.peer), path, message)
                .with_values(None, live)
                .for_contract(Some(self.contract)),
        );
    }

    fn prefix(&self) -> String {
        format!("request to {} `{}`", self.peer, self.contract.interface)
    }

    fn query(&mut self, request: &LiveRequest) {
        let contract = self.contract;
        let spec = &contract.request;
        for param in &spec.query {
            let values: Vec<&str> = request
                .query()
                .iter()
                .filter(|(name, _)| *name == param.name)
                .map(|(_, value)| value.as_str())
                .collect();
            self.param("query parameter", "query", param, &values);
        }
        if !spec.additional_query {
            let mut undeclared: Vec<&(String, String)> = request
                .query()
                .iter()
                .filter(|(name, _)| !spec.query.iter().any(|p| p.name == *name))
                .collect();
            undeclared.dedup_by(|a, b| a.0 == b.0);
            for (name, value) in undeclared {
                let declared: Vec<String> =
                    spec.query.iter().map(|p| format!("`{}`", p.name)).collect();
                let allowed = if declared.is_empty() {
                    "it declares none".to_string()
                } else {
                    format!("it declares {}", declared.join(", "))
                };
                self.push(
                    FindingKind::ParameterViolation,
                    format!("query:{name}"),
                    format!(
                        "{}: query parameter `{name}` is not declared by the contract ({allowed})",
                        self.prefix()
                    ),
                    Some(Value::String(value.clone())),
                );
            }
        }
    }

    fn headers(&mut self, request: &LiveRequest) {
        let contract = self.contract;
        for param in &contract.request.headers {
            let mut values = Vec::new();
            for value in request.headers.get_all(param.name.as_str()) {
                match value.to_str() {
                    Ok(text) => values.push(text),
                    Err(_) => self.push(
                        FindingKind::PeerRequestInvalid,
                        format!("header:{}", param.name),
                        format!(
                            "{}: header `{}` is not visible ASCII text",
                            self.prefix(),
                            param.name
                        ),
                        None,
                    ),
                }
            }
            self.param("header", "header", param, &values);
        }
    }

    /// Presence and schema of one parameter's values.
    fn param(&mut self, what: &str, path_prefix: &str, param: &ParamSpec, values: &[&str]) {
        let path = format!("{path_prefix}:{}", param.name);
        for problem in param.problems(values) {
            match problem {
                ParamProblem::Missing => self.push(
                    FindingKind::ParameterViolation,
                    path.clone(),
                    format!("{} lacks required {what} `{}`", self.prefix(), param.name),
                    None,
                ),
                ParamProblem::Invalid { value, message } => self.push(
                    FindingKind::PeerRequestInvalid,
                    path.clone(),
                    format!("{}: {what} `{}`: {message}", self.prefix(), param.name),
                    Some(Value::String(value.to_string())),
                ),
            }
        }
    }

    fn body(&mut self, request: &LiveRequest) {
        let contract = self.contract;
        let Some(spec) = &contract.request.body else {
            return;
        };
        match &request.json {
            Some(json) => {
                for v in spec.schema.violations(json) {
                    let shown = crate::json::display_pointer(&v.instance_path);
                    let message = format!("{}: `{shown}` {}", self.prefix(), v.message);
                    let live = crate::check::schema::scalar_at(json, &v.instance_path);
                    self.push(
                        FindingKind::PeerRequestInvalid,
                        v.instance_path,
                        message,
                        live,
                    );
                }
            }
            None => {
                let what = if request.body.is_empty() {
                    "it has none".to_string()
                } else {
                    format!("it has {} bytes that are not JSON", request.body.len())
                };
                self.push(
                    FindingKind::PeerRequestInvalid,
                    String::new(),
                    format!("{}: the body must be JSON; {what}", self.prefix()),
                    None,
                );
            }
        }
    }
}
