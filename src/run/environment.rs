//! Environment or contract? A scenario replayed against a live target whose failures all point
//! at the environment becomes an environment error (exit 3) with a hint, instead of a contract
//! failure (exit 1). It does so only when nothing in the scenario points at a contract break:
//!
//! - **credentials**: every replayed exchange answered 401 or 403, at least one where the
//!   recording had a success;
//! - **gateway**: every replayed exchange answered 502, 503 or 504 (or a proxy's error page: a
//!   5xx whose body is not JSON and speaks of a gateway, proxy or upstream), at least one where
//!   the recording had a success, no `expect` entry names a status for the scenario, and no
//!   fault is injected into its peers.
//!
//! Either way a finding about what the target sent a mocked peer (it reached the target after
//! all), or an `expect`ed status that did not come back, keeps the scenario a failure. The peer
//! calls the target never made are explained by the rejection and fold into the diagnosis.
//!
//! A 401, 403, 502, 503 or 504 where the recording had another status leaves no snapshot: it is
//! the environment's answer, and accepting it would bury the real one.
//!
//! Apart from that, a mocked peer that received no request at all while its recording expects
//! some gets a hint naming its URL: the target may be pointed at another ERP. The missing calls
//! stay failures (a CRM that stopped syncing the ERP is a real break).

use crate::model::{
    Diagnosis, DiagnosisKind, ExchangeResult, Finding, FindingKind, Location, ScenarioResult,
};
use crate::scenario::Scenario;

/// The diagnosis of a finished scenario against a live target, if the environment explains it.
///
/// `profile` is the chosen profile, `None` in ad-hoc mode (where only `--header` applies).
pub(super) fn diagnose(
    scenario: &Scenario,
    result: &ScenarioResult,
    profile: Option<&str>,
) -> Option<Diagnosis> {
    let replayed: Vec<&ExchangeResult> = result
        .exchanges
        .iter()
        .filter(|e| !e.skipped && e.error.is_none())
        .collect();
    // Exchanges that passed without a finding are only counted, with their live statuses.
    let unlisted = &result.unlisted;
    let answered = replayed.len() + unlisted.passed;
    if answered == 0 || replayed.len() != result.exchanges.iter().filter(|e| !e.skipped).count() {
        return None;
    }
    if result.all_findings().any(points_at_contract) {
        return None;
    }
    let had_success = |e: &&ExchangeResult| e.recorded_status < 400;
    let statuses: Vec<u16> = replayed.iter().filter_map(|e| e.live_status).collect();
    if statuses.len() != replayed.len()
        || unlisted.live_statuses.values().sum::<usize>() != unlisted.passed
    {
        return None;
    }
    let summary = |codes: &[u16]| {
        let mut codes = codes.to_vec();
        codes.extend(unlisted.live_statuses.keys());
        codes.sort_unstable();
        codes.dedup();
        codes
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join("/")
    };
    let unlisted_all = |want: fn(u16) -> bool| unlisted.live_statuses.keys().all(|s| want(*s));
    let any_success = replayed.iter().any(had_success) || unlisted.recorded_successes > 0;
    if replayed
        .iter()
        .all(|e| matches!(e.live_status, Some(401 | 403)))
        && unlisted_all(|s| matches!(s, 401 | 403))
        && any_success
    {
        return Some(Diagnosis {
            kind: DiagnosisKind::Credentials,
            message: format!(
                "the target answered {} to every exchange ({}), where the recording had a success: it did not accept the request's credentials",
                summary(&statuses),
                answered
            ),
            hint: match profile {
                Some(profile) => format!(
                    "check the credentials: pass --header \"Authorization: Bearer $TOKEN\", or set them under [profiles.{profile}.headers.{}] in interlock.toml (recordings hold [redacted] in their place)",
                    scenario.target
                ),
                None => "check the credentials: pass --header \"Authorization: Bearer $TOKEN\" (recordings hold [redacted] in their place)".to_string(),
            },
        });
    }
    let predicted = scenario.expectations.iter().any(|e| e.status.is_some());
    let faulted = scenario
        .peers
        .iter()
        .any(|p| !p.behaviour.faults.is_empty());
    if !predicted
        && !faulted
        && replayed.iter().all(|e| is_gateway_answer(e))
        && unlisted_all(|s| matches!(s, 502..=504))
        && any_success
    {
        return Some(Diagnosis {
            kind: DiagnosisKind::Gateway,
            message: format!(
                "the target answered {} to every exchange ({}), where the recording had a success: a gateway or proxy in front of it answered instead",
                summary(&statuses),
                answered
            ),
            hint: format!(
                "check that the target is up behind its gateway and that the URL of `{}` is right ({}); nothing in the answers points at a contract change",
                scenario.target, result.target
            ),
        });
    }
    None
}

/// A refusal (401, 403) or a gateway's answer (502, 503, 504) where the recording had another
/// status: the environment's answer, not the target's, so no snapshot is taken of it.
pub(super) fn refused(recorded_status: u16, live: &crate::replay::LiveResponse) -> bool {
    let status = live.response.status;
    status != recorded_status && matches!(status, 401 | 403 | 502..=504)
}

/// A finding that says the contract broke whatever the environment: anything about what the
/// target sent a mocked peer except a call it never made, and an expected status that did not
/// come back.
fn points_at_contract(finding: &Finding) -> bool {
    match (&finding.location, finding.kind) {
        (Location::PeerRequest { .. }, FindingKind::PeerCallMissing) => false,
        (Location::PeerRequest { .. }, _) => true,
        (_, FindingKind::ExpectationFailed) => finding.path == "status",
        _ => false,
    }
}

/// 502/503/504, or a proxy's error page: another 5xx with a non-JSON body about a gateway,
/// proxy or upstream.
fn is_gateway_answer(exchange: &ExchangeResult) -> bool {
    match exchange.live_status {
        Some(502..=504) => true,
        Some(500..=599) => exchange
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::StatusChanged)
            .is_some_and(|f| {
                let lower = f.message.to_ascii_lowercase();
                !lower.contains(": {")
                    && ["gateway", "proxy", "upstream"]
                        .iter()
                        .any(|w| lower.contains(w))
            }),
        _ => false,
    }
}

/// `the target made no call to erp at http://127.0.0.1:18081 — if unexpected, check the
/// target's ERP URL`, for every peer whose recording has calls and that saw none.
pub(super) fn silent_peer_hints(
    scenario: &Scenario,
    calls: &[(String, String, usize)],
) -> Vec<String> {
    scenario
        .peers
        .iter()
        .filter(|p| p.exchanges > 0)
        .filter_map(|peer| {
            let (_, url, count) = calls.iter().find(|(name, _, _)| *name == peer.name)?;
            (*count == 0).then(|| {
                format!(
                    "the target made no call to {} at {url} — if unexpected, check the target's {} URL",
                    peer.name,
                    peer.name.to_ascii_uppercase()
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::scenario::{Expectation, Selector};

    fn exchange(index: usize, recorded: u16, live: u16, findings: Vec<Finding>) -> ExchangeResult {
        ExchangeResult {
            index,
            name: format!("GET /x #{}", index + 1),
            method: "GET".into(),
            url: "/x".into(),
            interface: None,
            recorded_status: recorded,
            live_status: Some(live),
            duration: Duration::ZERO,
            recorded_duration_ms: None,
            findings,
            error: None,
            recorded_body: None,
            live_body: None,
            skipped: false,
        }
    }

    fn result(exchanges: Vec<ExchangeResult>, findings: Vec<Finding>) -> ScenarioResult {
        ScenarioResult {
            exchanges,
            findings,
            ..ScenarioResult::new("s", "http://127.0.0.1:1")
        }
    }

    fn scenario() -> Scenario {
        Scenario {
            target: "crm".into(),
            file: "scenarios/s/scenario.yaml".into(),
            ..Scenario::default()
        }
    }

    fn peer(kind: FindingKind) -> Finding {
        Finding::new(kind, Location::PeerRequest { peer: "erp".into() }, "", "x")
    }

    #[test]
    fn refusals_everywhere_are_credentials_unless_the_target_reached_a_peer() {
        let refused = || {
            vec![
                exchange(0, 201, 401, Vec::new()),
                exchange(1, 200, 403, Vec::new()),
            ]
        };
        let missing = vec![peer(FindingKind::PeerCallMissing)];
        let found = diagnose(&scenario(), &result(refused(), missing), Some("staging"));
        let found = found.expect("a diagnosis");
        assert_eq!(found.kind, DiagnosisKind::Credentials);
        assert!(
            found.hint.contains("[profiles.staging.headers.crm]"),
            "{}",
            found.hint
        );

        let invalid = vec![peer(FindingKind::PeerRequestInvalid)];
        assert_eq!(
            diagnose(&scenario(), &result(refused(), invalid), None),
            None
        );

        let mixed = vec![
            exchange(0, 201, 401, Vec::new()),
            exchange(1, 200, 200, Vec::new()),
        ];
        assert_eq!(
            diagnose(&scenario(), &result(mixed, Vec::new()), None),
            None
        );
    }

    #[test]
    fn exchanges_only_counted_still_decide_the_diagnosis() {
        // As a run keeps them: exchanges without a finding are counted, with their statuses.
        let counted = |kept: Vec<ExchangeResult>, passed: Vec<ExchangeResult>| {
            let mut r = result(kept, Vec::new());
            for exchange in &passed {
                r.unlisted.count(exchange);
            }
            r
        };
        let changed = || {
            Finding::new(
                FindingKind::StatusChanged,
                Location::Response,
                "status",
                "status changed from 200 to 401",
            )
        };
        let refused = counted(
            vec![exchange(0, 200, 401, vec![changed()])],
            vec![
                exchange(1, 401, 401, Vec::new()),
                exchange(2, 403, 403, Vec::new()),
            ],
        );
        let found = diagnose(&scenario(), &refused, None).expect("a diagnosis");
        assert_eq!(found.kind, DiagnosisKind::Credentials);
        assert!(
            found
                .message
                .contains("answered 401/403 to every exchange (3)"),
            "{}",
            found.message
        );

        let one_passed = counted(
            vec![exchange(0, 200, 401, vec![changed()])],
            vec![exchange(1, 200, 200, Vec::new())],
        );
        assert_eq!(diagnose(&scenario(), &one_passed, None), None);

        let gateway = counted(
            vec![exchange(0, 200, 503, vec![changed()])],
            vec![exchange(1, 502, 502, Vec::new())],
        );
        assert_eq!(
            diagnose(&scenario(), &gateway, None).map(|d| d.kind),
            Some(DiagnosisKind::Gateway)
        );
    }

    #[test]
    fn a_gateway_is_not_blamed_when_the_scenario_predicted_a_status_or_a_fault_ran() {
        let down = || {
            vec![
                exchange(0, 201, 503, Vec::new()),
                exchange(1, 200, 502, Vec::new()),
            ]
        };
        let found = diagnose(&scenario(), &result(down(), Vec::new()), None);
        assert_eq!(found.map(|d| d.kind), Some(DiagnosisKind::Gateway));

        let mut predicted = scenario();
        predicted.expectations.push(Expectation {
            selector: Selector::Exchange(1),
            status: Some(502),
            ..Expectation::default()
        });
        assert_eq!(
            diagnose(&predicted, &result(down(), Vec::new()), None),
            None
        );

        let expected_status = Finding::new(
            FindingKind::ExpectationFailed,
            crate::model::Location::Response,
            "status",
            "the scenario expects status 201",
        );
        let broken = vec![
            exchange(0, 201, 503, vec![expected_status]),
            exchange(1, 200, 503, Vec::new()),
        ];
        assert_eq!(
            diagnose(&scenario(), &result(broken, Vec::new()), None),
            None
        );
    }
}
