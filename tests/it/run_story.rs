//! The failure stories on the bundled example: a test "staging" CRM (v1, then the broken v2
//! upgrade) behind real HTTP, the mocked ERP served by `interlock run` on the scenario's port,
//! and the console, JSON and JUnit outputs checked for every change by name.

use serde_json::{Value, json};

use crate::harness::{Output, Project, normalize};
use crate::support::crm::{self, CrmVersion};

const SCENARIOS: &[(&str, u16)] = crm::BUNDLED_SCENARIOS;

/// Runs one bundled scenario against a test CRM, its ERP peer moved to a free port.
fn run_against(version: CrmVersion, scenario: &str) -> (Project, Output) {
    run_edited_against(version, scenario, |_| {})
}

/// [`run_against`], after `edit` has changed the copied project.
fn run_edited_against(
    version: CrmVersion,
    scenario: &str,
    edit: impl FnOnce(&Project),
) -> (Project, Output) {
    run_edited_against_with(version, scenario, edit, &[])
}

/// [`run_edited_against`] with more command-line arguments, writing JUnit and JSON reports
/// to `out/`.
fn run_edited_against_with(
    version: CrmVersion,
    scenario: &str,
    edit: impl FnOnce(&Project),
    more: &[&str],
) -> (Project, Output) {
    let mut args = vec![
        "--junit",
        "out/junit.xml",
        "--report-json",
        "out/report.json",
    ];
    args.extend_from_slice(more);
    crm::run_bundled_against(version, scenario, edit, &args, &[])
}

/// `(kind, path)` of every finding in the JSON report, with the finding itself.
fn findings(project: &Project) -> Vec<Value> {
    let report: Value = project.json("out/report.json");
    let mut all = Vec::new();
    for scenario in report["scenarios"].as_array().expect("scenarios") {
        for exchange in scenario["exchanges"].as_array().expect("exchanges") {
            all.extend(
                exchange["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .cloned(),
            );
        }
        all.extend(
            scenario["findings"]
                .as_array()
                .expect("scenario findings")
                .iter()
                .cloned(),
        );
    }
    all
}

fn has(findings: &[Value], kind: &str, path: &str) -> bool {
    findings
        .iter()
        .any(|f| f["kind"] == kind && f["path"] == path)
}

#[test]
fn bundled_example_passes_on_the_embedded_default() {
    let out = Project::bundled().run(&["run"]);
    out.assert_code(0);
    for (name, _) in SCENARIOS {
        assert!(
            out.stdout.contains(name),
            "{name} missing from\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("interlock: passed"), "{}", out.stdout);
}

#[test]
fn every_bundled_scenario_passes_against_crm_v1() {
    for (scenario, _) in SCENARIOS {
        let (project, out) = run_against(CrmVersion::V1, scenario);
        out.assert_code(0);
        let failing: Vec<Value> = findings(&project)
            .into_iter()
            .filter(|f| f["severity"] == "failure")
            .collect();
        assert!(failing.is_empty(), "{scenario}: {failing:#?}");
    }
}

#[test]
fn crm_v2_customer_onboarding_fails_naming_every_change_and_who_is_affected() {
    let (project, out) = run_against(CrmVersion::V2, "customer-onboarding");
    out.assert_code(1);
    let all = findings(&project);

    // Story 1 / 2: the renamed and retyped customer fields, by name.
    assert!(has(&all, "field-removed", "/tax_id"), "{all:#?}");
    assert!(has(&all, "field-added", "/taxNumber"), "{all:#?}");
    assert!(has(&all, "type-changed", "/credit_limit"), "{all:#?}");
    let removed = all
        .iter()
        .find(|f| f["kind"] == "field-removed" && f["path"] == "/tax_id")
        .expect("removal");
    assert!(
        removed["message"]
            .as_str()
            .unwrap_or("")
            .contains("possibly renamed to `taxNumber`"),
        "{removed}"
    );
    // Story 4: the time zone moved.
    let drift = all
        .iter()
        .find(|f| f["kind"] == "format-drift" && f["path"] == "/created_at")
        .expect("created_at drift");
    assert!(
        drift["message"]
            .as_str()
            .unwrap_or("")
            .contains("+08:00 → +09:00"),
        "{drift}"
    );
    // The ERP rejects the sync: its contract requires tax_id; the finding says who is affected.
    let invalid = all
        .iter()
        .find(|f| {
            f["kind"] == "peer-request-invalid"
                && f["message"].as_str().unwrap_or("").contains("tax_id")
        })
        .expect("ERP request violation");
    assert_eq!(invalid["interface"], "erp.customer-sync");
    let affected: Vec<&str> = invalid["affected"]
        .as_array()
        .expect("affected")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(affected.first(), Some(&"erp"), "{affected:?}");
    assert!(affected.contains(&"crm"), "{affected:?}");

    // The console names each of them too.
    for needle in [
        "/tax_id",
        "/taxNumber",
        "/credit_limit",
        "/created_at",
        "peer-request-invalid",
        "affects: erp",
    ] {
        assert!(
            out.stdout.contains(needle),
            "console lacks {needle}:\n{}",
            out.stdout
        );
    }
    // And so does the JUnit XML, as failures (the CRM and ERP were reachable: no errors).
    let junit = project.read("out/junit.xml");
    for needle in [
        "field-removed",
        "/tax_id",
        "/taxNumber",
        "type-changed",
        "/credit_limit",
        "format-drift",
        "/created_at",
        "peer-request-invalid",
    ] {
        assert!(junit.contains(needle), "JUnit lacks {needle}:\n{junit}");
    }
    assert!(junit.contains("<failure"), "{junit}");
    assert!(!junit.contains("<error"), "{junit}");

    insta::assert_snapshot!("v2_onboarding_console", normalize(&out.stdout, &project));
    insta::assert_snapshot!("v2_onboarding_junit", normalize_junit(&junit));
}

#[test]
fn crm_v2_time_zone_move_is_caught_even_in_ignored_timestamps() {
    let (project, out) = run_against(CrmVersion::V2, "receivables-check");
    out.assert_code(1);
    let all = findings(&project);
    // `/checked_at` is ignored by the scenario (its value changes every call), yet the offset
    // move is still reported.
    assert!(has(&all, "format-drift", "/checked_at"), "{all:#?}");
    assert!(
        !all.iter()
            .any(|f| f["kind"] == "value-changed" && f["path"] == "/checked_at"),
        "{all:#?}"
    );
}

fn normalize_junit(xml: &str) -> String {
    let timestamp = regex::Regex::new(r#"(timestamp|time|hostname)="[^"]*""#).expect("regex");
    let out = timestamp.replace_all(xml, r#"$1="[filtered]""#);
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").expect("regex");
    port.replace_all(&out, "127.0.0.1:[port]").into_owned()
}

#[test]
fn hidden_rollback_parameter_and_backward_stage_are_caught() {
    let (project, out) = run_against(CrmVersion::V1HiddenRollback, "opportunity-stage");
    out.assert_code(1);
    let all = findings(&project);
    // The request the CRM sends its peer changed: an unexpected query parameter, named.
    let unmatched = all
        .iter()
        .find(|f| f["kind"] == "peer-request-unmatched")
        .expect("unmatched ERP call");
    assert!(
        unmatched["message"]
            .as_str()
            .unwrap_or("")
            .contains("query `rollback=true` not in the recording"),
        "{unmatched}"
    );
    // The forecast contract forbids undeclared query parameters.
    assert!(
        all.iter()
            .any(|f| f["kind"] == "parameter-violation"
                && f["interface"] == "erp.forecast.opportunity"),
        "{all:#?}"
    );
    // And the response value drifted from the recording: the stage moved backwards.
    let stage = all
        .iter()
        .find(|f| f["kind"] == "value-changed" && f["path"] == "/stage")
        .expect("stage drift");
    assert_eq!(stage["old"], "negotiation", "{stage}");
    assert_eq!(stage["new"], "proposal", "{stage}");
}

#[test]
fn staging_profile_takes_the_target_url_from_the_environment() {
    let project = Project::bundled();
    let port = crm::free_port();
    project.edit(
        "scenarios/receivables-check/scenario.yaml",
        &format!("port: {}", crm::RECEIVABLES_ERP_PORT),
        &format!("port: {port}"),
    );
    let unset = project.run(&["run", "receivables-check", "--profile", "staging"]);
    unset.assert_code(2);
    assert!(
        unset
            .stderr
            .contains("${CRM_STAGING_URL}, which is not set"),
        "{}",
        unset.stderr
    );

    let crm = crm::start(CrmVersion::V1, &format!("http://127.0.0.1:{port}"));
    let out = project.run_with_env(
        &["run", "receivables-check", "--profile", "staging"],
        &[
            ("CRM_STAGING_URL", &crm.url),
            ("CRM_TOKEN", "staging-token"),
        ],
    );
    out.assert_code(0);
    assert!(
        out.stdout.contains("receivables-check → http://127.0.0.1:"),
        "{}",
        out.stdout
    );
}

/// The failures of one exchange (1-based) in the JSON report.
fn exchange_failures(project: &Project, number: usize) -> Vec<Value> {
    let report: Value = project.json("out/report.json");
    report["scenarios"][0]["exchanges"][number - 1]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "failure")
        .cloned()
        .collect()
}

#[test]
fn erp_outage_drill_passes_against_a_crm_that_answers_erp_unavailable_and_retries() {
    let (project, out) = run_against(CrmVersion::V1, "erp-outage");
    out.assert_code(0);
    let report: Value = project.json("out/report.json");
    let exchanges = &report["scenarios"][0]["exchanges"];
    assert_eq!(exchanges[0]["live_status"], 502, "{exchanges:#}");
    assert_eq!(exchanges[1]["live_status"], 201, "{exchanges:#}");
    // The faulted first sync and the recorded second one both reached the mocked ERP.
    let latency = report["scenarios"][0]["latency"]
        .as_array()
        .expect("latency");
    let sync = latency
        .iter()
        .find(|l| l["name"] == "erp POST /erp/v2/customers")
        .expect("the ERP route's latency");
    assert_eq!(sync["count"], 2, "{latency:#?}");
    let create = latency
        .iter()
        .find(|l| l["name"] == "crm.customer.create")
        .expect("the interface's latency");
    assert_eq!(create["recorded_p95_ms"], 171.3, "{create:#}");
}

#[test]
fn erp_outage_drill_fails_naming_the_fault_and_the_expectation_it_broke() {
    let (project, out) = run_against(CrmVersion::V1IgnoresErpOutage, "erp-outage");
    out.assert_code(1);
    let fault = "status 503 (Retry-After: 1) on call 1 of `POST /erp/v2/customers`";
    let failures = exchange_failures(&project, 1);
    let status = failures
        .iter()
        .find(|f| f["kind"] == "expectation-failed" && f["path"] == "status")
        .unwrap_or_else(|| panic!("no status expectation failure in {failures:#?}"));
    let message = status["message"].as_str().expect("a message");
    assert!(
        message.contains("expects status 502, the target answered 201") && message.contains(fault),
        "{message}"
    );
    let field = failures
        .iter()
        .find(|f| f["kind"] == "expectation-failed" && f["path"] == "/error")
        .unwrap_or_else(|| panic!("no /error expectation failure in {failures:#?}"));
    assert_eq!(field["old"], "erp_unavailable", "{field:#}");
    assert!(out.stdout.contains(fault), "{}", out.stdout);
    // The retry after the fault cleared is fine: only the drill's first exchange fails.
    assert!(
        exchange_failures(&project, 2).is_empty(),
        "{:#?}",
        exchange_failures(&project, 2)
    );
}

#[test]
fn a_slow_erp_pushes_the_crm_over_its_latency_budget() {
    let (project, out) = run_edited_against(CrmVersion::V1, "customer-onboarding", |project| {
        project.edit(
            "scenarios/customer-onboarding/scenario.yaml",
            "      - header:x-request-id\nignore:",
            "      - header:x-request-id\n    faults:\n      - route: POST /erp/v2/customers\n        delay_ms: 600\nlatency:\n  max_p95_ratio: 2\nignore:",
        );
    });
    out.assert_code(1);
    let report: Value = project.json("out/report.json");
    let findings = report["scenarios"][0]["findings"]
        .as_array()
        .expect("scenario findings");
    let over: Vec<&Value> = findings
        .iter()
        .filter(|f| f["kind"] == "latency-exceeded")
        .collect();
    assert_eq!(over.len(), 1, "{findings:#?}");
    let message = over[0]["message"].as_str().expect("a message");
    assert!(
        message.starts_with("`crm.customer.create`: live p95 ")
            && message.contains("exceeds 2 × the recorded p95 187.4 ms (limit 374.8 ms)"),
        "{message}"
    );
    assert!(out.stdout.contains("latency-exceeded"), "{}", out.stdout);
}

/// `customer-onboarding` against CRM v1, with a fault given on the command line: the ERP answers
/// the customer sync 503, so the CRM answers its create 502.
fn onboarding_with_the_erp_failing_syncs() -> (Project, Output) {
    run_edited_against_with(
        CrmVersion::V1,
        "customer-onboarding",
        |_| {},
        &[
            "--fault",
            "customer-onboarding/erp=status:503,route=POST /erp/v2/customers",
        ],
    )
}

#[test]
fn a_fault_given_on_the_command_line_reaches_the_scenarios_peer() {
    let (project, out) = onboarding_with_the_erp_failing_syncs();
    out.assert_code(1);
    let failures = exchange_failures(&project, 1);
    let status = failures
        .iter()
        .find(|f| f["kind"] == "status-changed")
        .unwrap_or_else(|| panic!("no status change in {failures:#?}"));
    assert_eq!((&status["old"], &status["new"]), (&json!(201), &json!(502)));
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.contains("status 503 on call 1 of `POST /erp/v2/customers`")),
        "{status:#}"
    );
}

/// The `line` of every cause in the JSON report, in rank order.
fn cause_lines(project: &Project) -> Vec<String> {
    let report: Value = project.json("out/report.json");
    report["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .filter(|c| c["rank"] != "info")
        .map(|c| c["line"].as_str().expect("a cause line").to_string())
        .collect()
}

#[test]
fn crm_v2_causes_lead_with_the_erp_rejection_and_name_each_break_once() {
    let (project, out) = run_against(CrmVersion::V2, "customer-onboarding");
    out.assert_code(1);
    assert_eq!(
        cause_lines(&project),
        [
            "`erp` rejects the target's requests to `erp.customer-sync`: \"tax_id\" is a required property; Additional properties are not allowed ('taxNumber' was unexpected)",
            "`tax_id` renamed to `taxNumber`",
            "`credit_limit` changed type number → string",
            "date-time offset changed +08:00 → +09:00 in `crm` date-time values",
        ]
    );
    // Every finding names its cause.
    let report: Value = project.json("out/report.json");
    let ids: Vec<&str> = report["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for finding in findings(&project) {
        let cause = finding["cause"].as_str().unwrap_or_default();
        assert!(ids.contains(&cause), "{finding:#}");
    }
    // The console opens with the same list, in at most ten lines.
    let block: Vec<&str> = out
        .stdout
        .split("\n\n")
        .next()
        .unwrap_or("")
        .lines()
        .collect();
    assert_eq!(block[0], "4 causes (45 findings)", "{}", out.stdout);
    assert!(block.len() <= 10, "{}", out.stdout);
    assert!(
        block[1].starts_with("  1. FAIL  `erp` rejects"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .trim_end()
            .ends_with("; 4 causes (45 findings) ([duration])")
            || out.stdout.contains("; 4 causes (45 findings) ("),
        "{}",
        out.stdout
    );
}

#[test]
fn hidden_rollback_gives_one_cause_for_the_peer_request_and_one_for_the_stage() {
    let (project, out) = run_against(CrmVersion::V1HiddenRollback, "opportunity-stage");
    out.assert_code(1);
    let lines = cause_lines(&project);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains("rollback"), "{lines:#?}");
    assert!(
        lines[1].contains("`/stage` changed \"negotiation\" → \"proposal\""),
        "{lines:#?}"
    );
}

#[test]
fn a_success_that_became_a_502_is_one_cause_carrying_the_error_body() {
    let (project, out) = onboarding_with_the_erp_failing_syncs();
    out.assert_code(1);
    let failures = exchange_failures(&project, 1);
    assert!(
        !failures.iter().any(|f| f["kind"] == "field-removed"),
        "an error body is not diffed against a success body: {failures:#?}"
    );
    let lines = cause_lines(&project);
    let status: Vec<&String> = lines.iter().filter(|l| l.contains("502")).collect();
    assert_eq!(status.len(), 1, "{lines:#?}");
    assert!(
        status[0].contains("answers 502 instead of 201"),
        "{lines:#?}"
    );
    assert!(status[0].contains("erp_unavailable"), "{lines:#?}");
}

#[test]
fn a_dns_failure_across_a_scenario_exits_3_with_exactly_one_cause() {
    let project = Project::bundled().on_free_ports();
    let out = project.run(&[
        "run",
        "customer-onboarding",
        "--target",
        "crm=http://interlock-no-such-host.invalid:1",
        "--timeout",
        "5",
        "--report-json",
        "out/report.json",
    ]);
    out.assert_code(3);
    let report: Value = project.json("out/report.json");
    let causes = report["causes"].as_array().expect("causes");
    assert_eq!(causes.len(), 1, "{causes:#?}");
    let cause = &causes[0];
    assert_eq!(cause["kind"], "transport-error", "{cause:#}");
    assert!(
        cause["line"]
            .as_str()
            .unwrap_or_default()
            .contains("interlock-no-such-host.invalid"),
        "{cause:#}"
    );
    // It folds every exchange of the scenario and the peer calls the target never made.
    let exchanges = report["scenarios"][0]["exchanges"]
        .as_array()
        .expect("exchanges")
        .len();
    assert!(exchanges > 1, "{report:#}");
    assert_eq!(cause["exchange_count"], exchanges, "{cause:#}");
    assert!(
        out.stdout.starts_with("1 cause ("),
        "the console leads with the one cause: {}",
        out.stdout
    );
}
