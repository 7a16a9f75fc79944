//! Contract checks of a live response: is the status declared, do the body and the declared
//! headers satisfy the contract's schemas? Every violation is its own finding, with the
//! instance path of the offending field.

use crate::contract::{Contract, ParamSpec};
use crate::json::display_pointer;
use crate::recording::{Body, Headers};

use crate::model::{Finding, FindingKind, Location};

/// Checks a target's response against the contract of the operation it answered.
pub(crate) fn check_response(
    contract: &Contract,
    status: u16,
    headers: &Headers,
    body: &Body,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some((key, spec)) = contract.response_for(status) else {
        if !contract.responses.is_empty() {
            let declared: Vec<&str> = contract.responses.keys().map(String::as_str).collect();
            findings.push(
                Finding::new(
                    FindingKind::StatusUndeclared,
                    Location::Response,
                    "status",
                    format!(
                        "`{}` answered {status}, which its contract does not declare (declared: {})",
                        contract.interface,
                        declared.join(", ")
                    ),
                )
                .with_values(None, Some(status.into()))
                .for_contract(Some(contract)),
            );
        }
        return findings;
    };
    check_headers(contract, key, &spec.headers, headers, &mut findings);
    if let Some(body_spec) = &spec.body {
        match body.json() {
            Some(json) => {
                for v in body_spec.schema.violations(json) {
                    let shown = display_pointer(&v.instance_path);
                    findings.push(
                        Finding::new(
                            FindingKind::SchemaViolation,
                            Location::Response,
                            v.instance_path.clone(),
                            format!(
                                "response {key} of `{}` at `{shown}`: {}",
                                contract.interface, v.message
                            ),
                        )
                        .with_values(None, scalar_at(json, &v.instance_path))
                        .for_contract(Some(contract)),
                    );
                }
            }
            None => findings.push(
                Finding::new(
                    FindingKind::SchemaViolation,
                    Location::Response,
                    "",
                    format!(
                        "response {key} of `{}` must have a JSON body; it has {} body",
                        contract.interface,
                        crate::json::with_article(body.kind())
                    ),
                )
                .for_contract(Some(contract)),
            ),
        }
    }
    findings
}

fn check_headers(
    contract: &Contract,
    key: &str,
    specs: &[ParamSpec],
    headers: &Headers,
    findings: &mut Vec<Finding>,
) {
    for spec in specs {
        let path = format!("header:{}", spec.name);
        match headers.get(&spec.name) {
            None if spec.required => findings.push(
                Finding::new(
                    FindingKind::ParameterViolation,
                    Location::Response,
                    path,
                    format!(
                        "response {key} of `{}` lacks required header `{}`",
                        contract.interface, spec.name
                    ),
                )
                .for_contract(Some(contract)),
            ),
            None => {}
            Some(value) => {
                if let Some(schema) = &spec.schema {
                    for v in schema.violations_for_wire_value(value.first()) {
                        findings.push(
                            Finding::new(
                                FindingKind::ParameterViolation,
                                Location::Response,
                                path.clone(),
                                format!(
                                    "response {key} of `{}`: header `{}`: {}",
                                    contract.interface, spec.name, v.message
                                ),
                            )
                            .with_values(None, Some(value.first().into()))
                            .for_contract(Some(contract)),
                        );
                    }
                }
            }
        }
    }
}

/// The offending value when it is a scalar; an object or array (e.g. one missing a required
/// property) would only repeat the body, so it is left out.
pub(crate) fn scalar_at(json: &serde_json::Value, pointer: &str) -> Option<serde_json::Value> {
    json.pointer(pointer)
        .filter(|v| !v.is_object() && !v.is_array())
        .cloned()
}
