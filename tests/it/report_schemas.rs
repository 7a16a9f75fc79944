//! Every machine-read report is valid against the schema its readers use: both JUnit outputs
//! against the vendored `junit-10.xsd` (with `xmllint`), the JSON reports against the JSON
//! Schemas shipped in `docs/schema/`.

use std::path::Path;
use std::process::Command;

use crate::diff_cli::git;
use crate::harness::{Project, repo_root};
use crate::support::crm::{self, CrmVersion};
use crate::support::skip;

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
        |p| {
            let scenario = "scenarios/customer-onboarding/scenario.yaml";
            let text = p.read(scenario);
            p.write(
                scenario,
                &format!("{text}\nexpect:\n  - exchange: 4\n    skip: true\n"),
            );
        },
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
fn diff_junit_is_valid_against_junit_10_xsd_and_names_file_and_pointer_in_messages() {
    let project = Project::bundled();
    git(&project, &["init", "-q", "-b", "main"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-q", "-m", "contracts as released"]);
    let schema = project
        .read("contracts/schemas/customer.json")
        .replace("\"tax_id\"", "\"taxNumber\"")
        .replace("\"maxLength\": 200", "\"maxLength\": 300");
    project.write("contracts/schemas/customer.json", &schema);
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
