//! `interlock lineage` and `lineage-broken` through the real binary: the CRM→ERP mappings the
//! bundled recordings show, and a stand-in CRM over real HTTP that passes the ERP a credit limit
//! ten times too small — which the ERP's contract accepts — caught as a broken lineage.

use serde_json::{Value, json};

use crate::harness::Project;
use crate::support::crm::{CrmVersion, run_bundled_against};

/// `(from interface, side, pointer, to interface, pointer, transform, held, seen)`.
fn mappings(project: &Project) -> Vec<String> {
    let lineage: Value =
        serde_yaml_ng::from_str(&project.read("contracts/lineage.yaml")).expect("YAML");
    lineage["mappings"]
        .as_array()
        .expect("mappings")
        .iter()
        .map(|m| {
            format!(
                "{} {} {} → {} {} {} ({} {} of {})",
                m["from"]["interface"].as_str().unwrap_or(""),
                m["from"]["message"].as_str().unwrap_or(""),
                m["from"]["pointer"].as_str().unwrap_or(""),
                m["to"]["peer"].as_str().unwrap_or(""),
                m["to"]["interface"].as_str().unwrap_or(""),
                m["to"]["pointer"].as_str().unwrap_or(""),
                m["transform"].as_str().unwrap_or(""),
                m["held"],
                m["seen"]
            )
        })
        .collect()
}

#[test]
fn the_bundled_recordings_give_the_crm_to_erp_customer_sync_mappings() {
    let project = Project::bundled();
    let out = project.run(&["lineage"]);
    out.assert_code(0);
    assert_eq!(
        mappings(&project),
        [
            "crm.customer.create request /credit_limit → erp erp.customer-sync /credit_limit (identity 2 of 2)",
            "crm.customer.create request /tax_id → erp erp.customer-sync /tax_id (identity 2 of 2)",
            "crm.customer.create response /credit_limit → erp erp.customer-sync /credit_limit (identity 1 of 1)",
            "crm.customer.create response /id → erp erp.customer-sync /crm_customer_id (identity 1 of 1)",
            "crm.customer.create response /tax_id → erp erp.customer-sync /tax_id (identity 1 of 1)",
            "crm.opportunity.stage-update response /id → erp erp.forecast.opportunity /opportunity_id (identity 2 of 2)",
        ]
    );
    // `check` loads it with the contracts; the bundled run still passes with it in place.
    project.run(&["check"]).assert_code(0);
}

fn learn_lineage(project: &Project) {
    project.run(&["lineage"]).assert_code(0);
}

#[test]
fn an_unchanged_crm_keeps_its_lineage() {
    let (_project, out) = run_bundled_against(
        CrmVersion::V1,
        "customer-onboarding",
        learn_lineage,
        &["--report-json", "report.json"],
        &[],
    );
    out.assert_code(0);
}

#[test]
fn a_credit_limit_passed_on_scaled_is_a_broken_lineage_although_the_erp_accepts_it() {
    let (project, out) = run_bundled_against(
        CrmVersion::V1ScaledCreditLimit,
        "customer-onboarding",
        learn_lineage,
        &["--report-json", "report.json"],
        &[],
    );
    out.assert_code(1);
    let report = project.json("report.json");
    let findings: Vec<&Value> = report["scenarios"][0]["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .flat_map(|e| e["findings"].as_array().expect("findings"))
        .collect();
    let broken: Vec<&&Value> = findings
        .iter()
        .filter(|f| f["kind"] == "lineage-broken")
        .collect();
    assert_eq!(
        broken.len(),
        2,
        "one per mapping into /credit_limit: {findings:#?}"
    );
    for f in &broken {
        assert_eq!(f["path"], "/credit_limit");
        assert_eq!(
            f["location"],
            json!({"kind": "peer-request", "peer": "erp"})
        );
        assert_eq!(f["interface"], "erp.customer-sync");
        assert_eq!(f["old"], json!(800000));
        assert_eq!(f["new"], json!(80000));
    }
    assert!(
        broken.iter().any(|f| f["message"]
            == "`/credit_limit` sent to erp.customer-sync is 80000 where the target's request had 800000 at `/credit_limit` (identity in 2 of 2 recorded exchanges)"),
        "{broken:#?}"
    );
    // The ERP's contract takes any number: nothing else reports the slip as a contract break.
    assert!(
        !findings.iter().any(|f| f["kind"] == "peer-request-invalid"),
        "{findings:#?}"
    );
}

#[test]
fn a_lineage_file_naming_an_unknown_interface_is_invalid_with_a_suggestion() {
    let project = Project::bundled();
    learn_lineage(&project);
    project.edit(
        "contracts/lineage.yaml",
        "interface: erp.customer-sync",
        "interface: erp.customer-synk",
    );
    let out = project.run(&["check"]);
    out.assert_code(2);
    assert!(
        out.stdout.contains("contracts/lineage.yaml")
            && out
                .stdout
                .contains("no contract has the interface `erp.customer-synk`")
            && out.stdout.contains("did you mean `erp.customer-sync`?"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_staging_that_generates_its_own_ids_keeps_the_lineage_through_request_chaining() {
    use crate::support::staging::{Options, Staging};
    let (project, port) = crate::support::crm::bundled_onboarding_on_a_free_port();
    learn_lineage(&project);
    let staging = Staging::start(Options::default(), &format!("http://127.0.0.1:{port}"));
    let target = format!("crm={}", staging.url);
    let out = project.run(&[
        "run",
        "customer-onboarding",
        "--target",
        &target,
        "--report-json",
        "report.json",
    ]);
    out.assert_code(0);
    // The id the CRM answered with (C-20555, not the recorded C-10023) is the one the ERP got.
    assert!(
        out.stdout.contains("bound  C-10023 → C-20555"),
        "{}",
        out.stdout
    );
    assert_eq!(staging.erp_answers()[0]["crm_customer_id"], "C-20555");
    let report = project.read("report.json");
    assert!(!report.contains("lineage-broken"), "{report}");
}
