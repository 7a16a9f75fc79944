//! Every machine-read report is valid against the schema its readers use: both JUnit outputs
//! against the vendored `junit-10.xsd` (with `xmllint`), the JSON reports against the JSON
//! Schemas shipped in `docs/schema/`.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::diff_cli::renamed_tax_id_since_the_last_commit;
use crate::harness::{Project, repo_root};
use crate::support::crm::{self, CrmVersion};
use crate::support::skip;

/// The JSON Schema in `docs/schema/NAME`, compiled once.
fn schema(
    cell: &'static OnceLock<jsonschema::Validator>,
    name: &str,
) -> &'static jsonschema::Validator {
    cell.get_or_init(|| {
        let path = repo_root().join("docs/schema").join(name);
        let text = std::fs::read_to_string(&path).expect("the shipped schema");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|err| panic!("{name} is not a valid JSON Schema: {err}"))
    })
}

/// Asserts that an Interlock JSON report (run, merge or diff, told by its version key) is valid
/// against its schema in `docs/schema/`; other JSON is left alone. [`Project::json`] calls it on
/// every file it reads, so every test that reads a report checks it.
pub fn assert_valid_report(value: &Value, what: &str) {
    static RUN: OnceLock<jsonschema::Validator> = OnceLock::new();
    static DIFF: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = if value.get("interlock_report").is_some() {
        schema(&RUN, "run-report.schema.json")
    } else if value.get("interlock_diff_report").is_some() {
        schema(&DIFF, "diff-report.schema.json")
    } else {
        return;
    };
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|err| format!("  {}: {err}", err.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its JSON Schema in docs/schema/:\n{}",
        errors.join("\n")
    );
}

/// `xmllint --schema junit-10.xsd FILE` passes; `false` after [`skip`] when xmllint is absent.
fn assert_junit_valid(file: &Path) -> bool {
    let xsd = repo_root().join("tests/fixtures/junit-10.xsd");
    let out = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(file)
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            skip("xmllint is not installed (apt-get install libxml2-utils)");
            return false;
        }
    };
    assert!(
        out.status.success(),
        "{} is not valid against junit-10.xsd:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
    true
}

/// Skips the fourth exchange of the bundled `customer-onboarding` (`skip: true`).
pub fn skip_fourth_exchange(project: &Project) {
    let scenario = "scenarios/customer-onboarding/scenario.yaml";
    let text = project.read(scenario);
    project.write(
        scenario,
        &format!("{text}\nexpect:\n  - exchange: 4\n    skip: true\n"),
    );
}

#[test]
fn run_junit_of_the_v2_upgrade_is_valid_against_junit_10_xsd_with_one_failure_per_cause() {
    let (project, out) = crm::run_bundled_against(
        CrmVersion::V2,
        "customer-onboarding",
        |_| {},
        &["--junit", "out/junit.xml"],
        &[],
    );
    out.assert_code(1);
    let xml = project.read("out/junit.xml");
    // The sync exchange fails once per cause: the ERP rejection, the rename, the type change,
    // the offset move.
    let case = xml
        .split("<testcase ")
        .find(|c| c.contains("<failure type=\"peer-contract\""))
        .unwrap_or_else(|| panic!("no testcase with the ERP rejection in {xml}"));
    assert_eq!(case.matches("<failure ").count(), 4, "{case}");
    assert!(
        case.contains("message=\"`tax_id` renamed to `taxNumber`\""),
        "{case}"
    );
    assert!(xml.contains("<testsuites tests=\""), "{xml}");
    assert_junit_valid(&project.file("out/junit.xml"));
}

#[test]
fn merged_junit_with_a_skipped_exchange_is_valid_against_junit_10_xsd() {
    let (project, out) = crm::run_bundled_against(
        CrmVersion::V1,
        "customer-onboarding",
        skip_fourth_exchange,
        &["--report-json", "out/report.json"],
        &[],
    );
    out.assert_code(0);
    let merged = project.run(&[
        "report",
        "merge",
        "out/report.json",
        "--junit",
        "out/merged.xml",
    ]);
    merged.assert_code(0);
    let xml = project.read("out/merged.xml");
    assert_eq!(xml.matches("<skipped ").count(), 1, "{xml}");
    assert!(xml.contains(" skipped=\"1\" "), "{xml}");
    assert_junit_valid(&project.file("out/merged.xml"));
}

#[test]
fn reconcile_junit_of_the_bundled_example_is_valid_against_junit_10_xsd() {
    let project = Project::bundled();
    let out = project.run(&["reconcile", "--junit", "out/reconcile.xml"]);
    out.assert_code(1);
    let xml = project.read("out/reconcile.xml");
    // The `amount` field's testcase, and the scenario's for the threshold.
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    assert!(xml.contains("<testsuites tests=\""), "{xml}");
    assert_junit_valid(&project.file("out/reconcile.xml"));
}

#[test]
fn diff_junit_is_valid_against_junit_10_xsd_and_names_file_and_pointer_in_messages() {
    let project = renamed_tax_id_since_the_last_commit();
    project.edit(
        "contracts/schemas/customer.json",
        "\"maxLength\": 200",
        "\"maxLength\": 300",
    );
    let out = project.run(&[
        "diff",
        "--base",
        "HEAD",
        "--format",
        "junit",
        "--output",
        "out/diff.xml",
    ]);
    out.assert_code(1);
    let xml = project.read("out/diff.xml");
    assert!(!xml.contains(" file=\""), "{xml}");
    assert!(
        xml.contains("message=\"possibly renamed `tax_id` → `taxNumber` (contracts/schemas/"),
        "a failure names the repository-relative file and pointer: {xml}"
    );
    // A change below the gate passes and says what it is.
    assert!(
        xml.contains("<system-out><![CDATA[potentially-breaking: "),
        "{xml}"
    );
    assert_junit_valid(&project.file("out/diff.xml"));
}

#[test]
fn json_reports_of_run_merge_and_diff_match_their_shipped_schemas() {
    // A failing run with a transport error, a skipped exchange, causes and latency.
    let (project, out) = crm::run_bundled_against(
        CrmVersion::V2,
        "customer-onboarding",
        skip_fourth_exchange,
        &[
            "--report-json",
            "out/report.json",
            "--run-id",
            "r1",
            "--shard",
            "1/1",
        ],
        &[],
    );
    out.assert_code(1);
    let report = project.json("out/report.json");
    assert_eq!(report["interlock_report"], 2);
    assert_eq!(report["counts"]["skipped"], 1, "{report:#}");
    assert!(!report["causes"].as_array().expect("causes").is_empty());

    let merged = project.run(&["report", "merge", "out/report.json", "--report-json", "-"]);
    merged.assert_code(1);
    let merged_report: Value = serde_json::from_str(&merged.stdout).expect("JSON on stdout");
    assert_valid_report(&merged_report, "the merged report");

    // A report that breaks the schema is caught (the check is not vacuous).
    let mut broken = report.clone();
    broken["scenarios"][0]["exchanges"][0]["outcome"] = Value::from("green");
    let caught = std::panic::catch_unwind(|| assert_valid_report(&broken, "a green outcome"));
    assert!(
        caught.is_err(),
        "an outcome the format does not have is caught"
    );

    let diff = renamed_tax_id_since_the_last_commit();
    let out = diff.run(&[
        "diff",
        "--base",
        "HEAD",
        "--format",
        "json",
        "--output",
        "diff.json",
    ]);
    out.assert_code(1);
    let report = diff.json("diff.json");
    assert_eq!(report["interlock_diff_report"], 1);
    assert_eq!(
        report
            .as_object()
            .and_then(|o| o.keys().next())
            .map(String::as_str),
        Some("interlock_diff_report"),
        "the version is the first key"
    );
}
