//! `interlock check`: contracts, scenarios and recordings validated together, recordings
//! against contracts, no network.

use crate::harness::Project;

/// An `erp.customer-sync` exchange; `credit_limit` and the line's validity vary per test.
fn customer_sync(credit_limit: &str) -> String {
    format!(
        r#"{{"interface":"erp.customer-sync","peer":"erp","request":{{"method":"POST","url":"/erp/v2/customers","headers":{{"content-type":"application/json","x-source-system":"crm"}},"body":{{"crm_customer_id":"C-10023","name":"Kunde","tax_id":"91440300MA5G7W2K82","currency":"CNY","credit_limit":{credit_limit}}}}},"response":{{"status":201,"headers":{{"content-type":"application/json"}},"body":{{"erp_customer_no":"E-300187","crm_customer_id":"C-10023","status":"created"}}}}}}"#
    )
}

#[test]
fn the_bundled_project_passes() {
    let project = Project::bundled();
    let out = project.run(&["check"]);
    out.assert_code(0);
    let summary = regex::Regex::new(
        r"(?m)^ok: [1-9]\d* contracts, 1 table contract, [1-9]\d* scenarios, [1-9]\d* recordings with [1-9]\d* exchanges \(0 not covered by a contract\); 0 invalid, 0 contract violations$",
    )
    .unwrap();
    assert!(summary.is_match(&out.stdout), "{}", out.stdout);
}

#[test]
fn a_broken_line_is_reported_and_later_lines_are_still_checked() {
    let project = Project::bundled();
    let good = customer_sync("800000");
    let truncated = &good[..good.len() / 2];
    let breaking = customer_sync("\"lots\"");
    project.write(
        "scenarios/customer-onboarding/captured.jsonl",
        &format!("{good}\n{truncated}\n{breaking}\n"),
    );
    let out = project.run(&["check"]);
    out.assert_code(2);
    assert!(
        out.stdout.contains(
            "invalid: scenarios/customer-onboarding/captured.jsonl:2: truncated exchange"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("scenarios/customer-onboarding/captured.jsonl:3: request of `erp.customer-sync` at `/credit_limit`"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("captured.jsonl:1:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("1 invalid, 1 contract violations"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_recording_breaking_its_contract_names_file_line_and_pointer() {
    let project = Project::bundled();
    let bad_response =
        customer_sync("800000").replace(r#""status":"created""#, r#""status":"archived""#);
    project.write(
        "captures/erp.jsonl",
        &format!("{}\n{bad_response}\n", customer_sync("\"lots\"")),
    );
    let out = project.run(&["check", "captures/erp.jsonl"]);
    out.assert_code(1);
    assert!(
        out.stdout
            .contains("captures/erp.jsonl:1: request of `erp.customer-sync` at `/credit_limit`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("captures/erp.jsonl:2: response 201 of `erp.customer-sync` at `/status`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("[schema-violation]"), "{}", out.stdout);
    assert!(
        out.stdout.starts_with("captures/erp.jsonl:1:"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unknown_interface_in_a_recording_is_invalid_with_a_hint() {
    let project = Project::bundled();
    project.write(
        "captures/erp.jsonl",
        &format!(
            "{}\n",
            customer_sync("1").replace("erp.customer-sync", "erp.customer-synk")
        ),
    );
    let out = project.run(&["check", "captures/erp.jsonl"]);
    out.assert_code(2);
    assert!(
        out.stdout.contains("captures/erp.jsonl:1: exchange names interface `erp.customer-synk`, which no contract declares (did you mean `erp.customer-sync`?)"),
        "{}",
        out.stdout
    );
}
