//! One replayed exchange: send the recorded request, check the live response, collect what the
//! target sent its mocked peers meanwhile, and decide the exchange's snapshot.

use std::time::Duration;

use crate::check;
use crate::contract::{Contract, ContractSet};
use crate::error::Error;
use crate::json::display_pointer;
use crate::model::{ExchangeResult, Finding, FindingKind, Location};
use crate::recording::{Body, Exchange};
use crate::replay::LiveResponse;
use crate::scenario::{Expectation, IgnoreRules, SCENARIO_FILE, Scenario};
use crate::snapshot::{self, Mode, SNAPSHOT_DIR};

use super::input::Recorded;
use super::stage::{Stage, Timings};

/// What one exchange left behind.
pub(super) struct Replayed<'p> {
    pub result: ExchangeResult,
    /// The recorded exchange with bound values replaced by their live values, when that
    /// changed it: what the live response was compared with.
    pub expected: Option<Exchange>,
    /// The contract the exchange was checked against.
    pub contract: Option<&'p Contract>,
    /// The scenario's ignore rules merged with the exchange's own.
    pub ignore: IgnoreRules,
    pub snapshot: Option<snapshot::Outcome>,
}

/// Replays the exchange at `index` of the scenario's recording (as the reading thread made it
/// ready); one the scenario skips is reported as skipped, not replayed.
pub(super) async fn replay<'p>(
    scenario: &Scenario,
    index: usize,
    recorded: &Recorded,
    contracts: &'p ContractSet,
    stage: &mut Stage,
    timings: &mut Timings,
    snapshots: Mode,
) -> Result<Option<Replayed<'p>>, Error> {
    let exchange = &recorded.exchange;
    let contract = find_contract(contracts, &scenario.target, exchange);
    let interface = contract
        .map(|c| c.interface.clone())
        .or_else(|| exchange.interface.clone());
    let expectation = scenario.expectation_for(index, interface.as_deref());
    let route = contract.map_or_else(
        || exchange.request.path().to_string(),
        |c| c.path.to_string(),
    );
    let mut result = ExchangeResult {
        index,
        name: format!("{} {} #{}", exchange.request.method, route, index + 1),
        method: exchange.request.method.clone(),
        url: exchange.request.url.clone(),
        interface: interface.clone(),
        recorded_status: exchange.response.status,
        live_status: None,
        duration: Duration::ZERO,
        recorded_duration_ms: exchange.duration_ms,
        findings: Vec::new(),
        error: None,
        recorded_body: None,
        live_body: None,
        skipped: expectation.skip,
    };
    let ignore = scenario.ignore.with(&expectation.ignore);
    if expectation.skip {
        super::chaining::bind_response(scenario, index, recorded, None, &stage.chain);
        return Ok(Some(Replayed {
            result,
            expected: None,
            contract,
            ignore,
            snapshot: None,
        }));
    }
    let mut live_response = None;
    // Placeholders not yet put in: nothing of the live response has been shown.
    let mut unmasked = None;
    let mut expected = None;
    let request = super::chaining::request_to_send(scenario, index, exchange, &stage.chain);
    result.url = request.url.clone();
    match (stage.replayer)
        .send(
            &request,
            &exchange.response.body,
            recorded.body_text.as_deref(),
        )
        .await
    {
        Ok(mut live) => {
            super::chaining::bind_response(
                scenario,
                index,
                recorded,
                Some(&live.response),
                &stage.chain,
            );
            // A generated value that changed is not a finding: the recorded response is
            // compared with its bound values replaced by the live ones.
            let exchange = match stage.chain.response_changed_to_live(&exchange.response) {
                None => exchange,
                Some(translated) => &*expected.insert(Exchange {
                    response: translated,
                    ..exchange.clone()
                }),
            };
            result.live_status = Some(live.response.status);
            result.duration = live.duration;
            let key = interface.unwrap_or_else(|| format!("{} {route}", exchange.request.method));
            timings.target(key, exchange.duration_ms, live.duration);
            // Compared in the pseudonym domain; shown only with placeholders.
            let headers_compared = !declared_headers(contract, live.response.status).is_empty();
            let mut aligned = stage
                .privacy
                .align(exchange, &mut live.response, headers_compared);
            result.findings = check_exchange(exchange, &live, contract, &expectation, &ignore);
            if let Some(c) = contract
                && !expectation.contract_only
            {
                // A value the staging generated (bound by request chaining) may differ from
                // every recorded one; its shape may not.
                let ignore = live
                    .response
                    .body
                    .json()
                    .map_or_else(|| ignore.clone(), |b| with_generated(&ignore, b, stage));
                add_domain_drift(&mut result.findings, contracts, c, &live.response, &ignore);
            }
            if let Some(c) = contract {
                super::usage::weigh(&mut result.findings, contracts, c);
            }
            if result.findings.is_empty() {
                unmasked = Some(aligned);
            } else {
                aligned.mask(&stage.privacy, &mut live.response, &mut result.findings);
                // Both bodies are kept only where a report will show them side by side.
                if result.findings.iter().any(Finding::is_failure) {
                    result.recorded_body = aligned.masked_body(&exchange.response.body);
                    result.live_body = live.response.body.json().cloned();
                }
            }
            live_response = Some(live);
        }
        Err(err) => {
            super::chaining::bind_response(scenario, index, recorded, None, &stage.chain);
            result.duration = err.duration;
            result.error = Some(err.message);
        }
    }
    let faults = stage.collect_peer_calls(&mut result.findings, timings);
    if !expectation.contract_only {
        add_peer_request_drift(&mut result.findings, contracts, stage);
    }
    if let (Some(c), Some(live)) = (contract, live_response.as_mut())
        && contracts
            .lineage()
            .from_interface(&c.interface)
            .next()
            .is_some()
    {
        // The response's values a broken lineage shows are shown with placeholders.
        put_placeholders(&mut unmasked, &stage.privacy, &mut live.response);
        add_lineage_breaks(&mut result.findings, contracts, c, &request, live, stage);
    }
    if !faults.is_empty() {
        note_faults(&mut result, &faults);
    }
    // Snapshots keep the recorded values, so a new id on every run leaves them unchanged.
    let snapshot = match live_response.as_mut() {
        // A success refused by the staging's login or its gateway is no answer to keep.
        Some(live) if super::environment::refused(exchange.response.status, live) => None,
        Some(live) => take_snapshot(
            scenario,
            &route,
            &result,
            &mut || {
                put_placeholders(&mut unmasked, &stage.privacy, &mut live.response);
                LiveResponse {
                    response: stage.chain.response_to_recorded(&live.response),
                    duration: live.duration,
                }
            },
            contract,
            &ignore,
            snapshots,
        )?,
        None => None,
    };
    Ok(Some(Replayed {
        result,
        expected,
        contract,
        ignore,
        snapshot,
    }))
}

/// Puts the placeholders into a live response whose placeholders are not in yet (`unmasked`
/// holds its alignment until then), once.
fn put_placeholders(
    unmasked: &mut Option<crate::redact::Aligned>,
    privacy: &crate::redact::LivePrivacy,
    live: &mut crate::recording::Response,
) {
    if let Some(mut aligned) = unmasked.take() {
        aligned.mask(privacy, live, &mut []);
    }
}

/// Writes (or compares) the snapshot of a live response, given with placeholders and as its
/// recorded values by `live` (called only when there is a snapshot to write or compare). Only
/// scenarios loaded from a `scenario.yaml` keep snapshots: an ad-hoc `--replay` has no folder
/// to keep them in.
fn take_snapshot(
    scenario: &Scenario,
    route: &str,
    result: &ExchangeResult,
    live: &mut dyn FnMut() -> LiveResponse,
    contract: Option<&Contract>,
    ignore: &IgnoreRules,
    mode: Mode,
) -> Result<Option<snapshot::Outcome>, Error> {
    if scenario.file.file_name().is_none_or(|n| n != SCENARIO_FILE) {
        return Ok(None);
    }
    let Some(folder) = scenario.file.parent() else {
        return Ok(None);
    };
    let name = snapshot::file_name(&scenario.name, result.index, &result.method, route);
    let snap = || {
        let live = live();
        let declared = declared_headers(contract, live.response.status);
        snapshot::of_response(&scenario.file, result, &live, &declared, ignore)
    };
    snapshot::record(&folder.join(SNAPSHOT_DIR).join(name), snap, mode).map(Some)
}

/// The response headers the contract declares for a status: the only headers compared.
fn declared_headers(contract: Option<&Contract>, status: u16) -> Vec<&str> {
    contract
        .and_then(|c| c.response_for(status))
        .map(|(_, spec)| spec.headers.iter().map(|h| h.name.as_str()).collect())
        .unwrap_or_default()
}

/// Names the injected faults in every failure of an exchange made while they were active, so
/// a failed drill says which fault the target did not handle.
fn note_faults(result: &mut ExchangeResult, faults: &[String]) {
    let during = format!("while the peer was faulted ({})", faults.join("; "));
    for finding in &mut result.findings {
        if finding.is_failure() && finding.location == Location::Response {
            finding.message = format!("{} — {during}", finding.message);
        }
    }
    if let Some(error) = &mut result.error {
        *error = format!("{error} — {during}");
    }
}

/// The contract for a replayed exchange: by the recorded interface id, else by operation
/// among the target's own contracts, else among all.
fn find_contract<'a>(
    contracts: &'a ContractSet,
    target: &str,
    exchange: &Exchange,
) -> Option<&'a Contract> {
    let (method, path) = (exchange.request.method.as_str(), exchange.request.path());
    exchange
        .interface
        .as_deref()
        .and_then(|i| contracts.by_interface(i))
        .or_else(|| contracts.find(Some(target), method, path))
        .or_else(|| contracts.find(None, method, path))
}

/// The values the recordings always passed on to a peer that the live peer requests of this
/// exchange (of an interface lineage maps from) no longer carry.
fn add_lineage_breaks(
    findings: &mut Vec<Finding>,
    contracts: &ContractSet,
    contract: &Contract,
    request: &crate::recording::Request,
    live: &LiveResponse,
    stage: &Stage,
) {
    let lineage = contracts.lineage();
    let bodies: Vec<(&str, Option<&str>, serde_json::Value)> = stage
        .last_calls
        .iter()
        .filter_map(|(peer, call)| {
            let body = serde_json::from_slice(&call.body).ok()?;
            let path = call.url().split('?').next().unwrap_or("");
            let interface = contracts
                .find(Some(peer), call.method(), path)
                .map(|c| c.interface.as_str());
            Some((peer.as_str(), interface, body))
        })
        .collect();
    let sent: Vec<check::lineage::PeerRequest<'_>> = bodies
        .iter()
        .map(|(peer, interface, body)| check::lineage::PeerRequest {
            peer,
            interface: *interface,
            body,
        })
        .collect();
    // What the target sent its peers is shown through the same redaction as its other findings.
    findings.extend(
        check::lineage::check_exchange(
            lineage,
            &contract.interface,
            request.body.json(),
            live.response.body.json(),
            &sent,
        )
        .iter()
        .map(|f| super::stage::scrubbed(stage.privacy.redact_finding(f))),
    );
}

/// `ignore` plus the places of `body` holding a value the staging generated (a binding whose
/// live value differs from the recorded one): like an ignored field, its value may be one the
/// recordings never had, its shape (type, scale, length, characters, offset) may not.
fn with_generated(ignore: &IgnoreRules, body: &serde_json::Value, stage: &Stage) -> IgnoreRules {
    let generated: Vec<String> = stage
        .chain
        .bindings()
        .into_iter()
        .filter(|b| b.changed())
        .map(|b| b.live)
        .collect();
    if generated.is_empty() {
        return ignore.clone();
    }
    let mut rules = Vec::new();
    crate::json::for_each_leaf(body, &mut |pointer, value| {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return,
        };
        if generated.contains(&text)
            && let Ok(rule) = crate::scenario::IgnoreRule::parse(pointer)
        {
            rules.push(rule);
        }
    });
    ignore.with(&IgnoreRules::new(rules))
}

/// The values of the requests the target sent its peers during this exchange that lie outside
/// the domains learned from the peers' recordings (`request:` in `domains.yaml`): the CRM
/// sending the ERP `800000.0` where the recordings hold integers. A field the peer's contract
/// already rejects is not reported twice; a value the staging generated (bound by request
/// chaining) keeps only its shape checked.
fn add_peer_request_drift(findings: &mut Vec<Finding>, contracts: &ContractSet, stage: &Stage) {
    let domains = contracts.domains();
    if domains.is_empty() {
        return;
    }
    for (peer, call) in &stage.last_calls {
        let path = call.url().split('?').next().unwrap_or("");
        let Some(contract) = contracts.find(Some(peer), call.method(), path) else {
            continue;
        };
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&call.body) else {
            continue;
        };
        let location = Location::PeerRequest { peer: peer.clone() };
        let drift = check::domain::check_body(
            domains,
            &contract.interface,
            None,
            &body,
            &with_generated(&IgnoreRules::default(), &body, stage),
            &location,
        );
        for mut finding in drift {
            // The peer's contract already rejecting the field says it first; "matches no
            // recording" says less than the domain does, and both are kept.
            if findings.iter().any(|f| {
                f.location == finding.location
                    && f.path == finding.path
                    && f.kind == FindingKind::PeerRequestInvalid
            }) {
                continue;
            }
            finding.affected = contract.affected();
            findings.push(super::stage::scrubbed(
                stage.privacy.redact_finding(&finding),
            ));
        }
    }
}

/// The live body's values outside the domains learned from recordings. A domain finding says
/// more than a plain value change at the same field and replaces it (keeping the recorded
/// value); a field another check already reported otherwise (a type change, a format drift, a
/// schema violation) is not reported twice.
fn add_domain_drift(
    findings: &mut Vec<Finding>,
    contracts: &ContractSet,
    contract: &Contract,
    live: &crate::recording::Response,
    ignore: &IgnoreRules,
) {
    let Some(body) = live.body.json() else {
        return;
    };
    let drift = check::domain::check_body(
        contracts.domains(),
        &contract.interface,
        Some(live.status),
        body,
        ignore,
        &Location::Response,
    );
    for mut finding in drift {
        let same_field = |f: &Finding| f.path == finding.path;
        if findings
            .iter()
            .any(|f| same_field(f) && f.kind != FindingKind::ValueChanged)
        {
            continue;
        }
        if let Some(at) = findings.iter().position(same_field) {
            finding.old = findings.remove(at).old;
        }
        finding.affected = contract.affected();
        findings.push(finding);
    }
}

/// All checks of one live response: contract, expectation, recorded-vs-live drift.
pub(crate) fn check_exchange(
    exchange: &Exchange,
    live: &LiveResponse,
    contract: Option<&Contract>,
    expectation: &Expectation,
    ignore: &IgnoreRules,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match contract {
        Some(c) => findings.extend(
            check::schema::check_response(
                c,
                live.response.status,
                &live.response.headers,
                &live.response.body,
            )
            .into_iter()
            .map(|f| with_recorded_value(f, exchange)),
        ),
        None => findings.push(Finding::new(
            FindingKind::NoContract,
            Location::Response,
            "",
            format!(
                "no contract covers {} {}; only the recording is compared",
                exchange.request.method,
                exchange.request.path()
            ),
        )),
    }
    findings.extend(check_expectation(exchange, live, expectation));
    // A success that became an error is one change: its status (with the error body); the
    // error body is not diffed field by field against the recorded success body.
    let became_error = exchange.response.status < 400 && live.response.status >= 400;
    if !expectation.contract_only {
        let declared = declared_headers(contract, live.response.status);
        let drift = check::drift::compare_headers(
            &exchange.response.headers,
            &live.response.headers,
            &declared,
            ignore,
        )
        .into_iter()
        .chain(if became_error {
            Vec::new()
        } else {
            check::drift::compare_bodies(&exchange.response.body, &live.response.body, ignore)
        });
        findings.extend(drift.map(|f| f.for_contract(contract)));
    }
    findings
}

/// The scenario's expectations for this exchange (status, fields, answer time); without an
/// expected status, a status that differs from the recording.
fn check_expectation(
    exchange: &Exchange,
    live: &LiveResponse,
    expectation: &Expectation,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match expectation.status {
        Some(expected) if expected != live.response.status => findings.push(
            Finding::new(
                FindingKind::ExpectationFailed,
                Location::Response,
                "status",
                format!(
                    "the scenario expects status {expected}, the target answered {}",
                    live.response.status
                ),
            )
            .with_values(Some(expected.into()), Some(live.response.status.into())),
        ),
        Some(_) => {}
        None if exchange.response.status != live.response.status => findings.push(
            Finding::new(
                FindingKind::StatusChanged,
                Location::Response,
                "status",
                status_change(exchange.response.status, live),
            )
            .with_values(
                Some(exchange.response.status.into()),
                Some(live.response.status.into()),
            ),
        ),
        None => {}
    }
    for (pointer, expected) in &expectation.fields {
        let actual = live.response.body.json().and_then(|b| b.pointer(pointer));
        if actual != Some(expected) {
            let shown = actual.map_or_else(|| "nothing".to_string(), ToString::to_string);
            findings.push(
                Finding::new(
                    FindingKind::ExpectationFailed,
                    Location::Response,
                    pointer.clone(),
                    format!(
                        "the scenario expects `{}` = {expected}, the target answered {shown}",
                        display_pointer(pointer)
                    ),
                )
                .with_values(Some(expected.clone()), actual.cloned()),
            );
        }
    }
    if let Some(limit) = expectation.within_ms {
        let took = live.duration.as_secs_f64() * 1000.0;
        if took > limit as f64 {
            findings.push(
                Finding::new(
                    FindingKind::ExpectationFailed,
                    Location::Response,
                    "duration",
                    format!(
                        "the scenario expects an answer within {limit} ms, it took {took:.0} ms"
                    ),
                )
                .with_values(Some(limit.into()), Some(took.round().into())),
            );
        }
    }
    findings
}

/// A schema violation of the response body shows the recorded value at its path too, when the
/// recording has one there.
fn with_recorded_value(mut finding: Finding, exchange: &Exchange) -> Finding {
    if finding.kind == FindingKind::SchemaViolation
        && finding.old.is_none()
        && finding.path.starts_with('/')
        && let Some(recorded) = exchange.response.body.json()
    {
        finding.old = check::schema::scalar_at(recorded, &finding.path);
    }
    finding
}

/// `status changed from 201 to 502`, with the error body when a success became an error.
fn status_change(recorded: u16, live: &LiveResponse) -> String {
    let mut text = format!("status changed from {recorded} to {}", live.response.status);
    if recorded < 400 && live.response.status >= 400 {
        let body = match &live.response.body {
            Body::Json(value) => value.to_string(),
            Body::Text(text) => text.clone(),
            Body::Empty | Body::Base64(_) => String::new(),
        };
        if !body.is_empty() {
            let short: String = body.chars().take(200).collect();
            text.push_str(": ");
            text.push_str(&short);
            if short.len() < body.len() {
                text.push('…');
            }
        }
    }
    text
}
