//! `interlock diff` through the real binary: story 1 (a customer field renamed on the CRM side)
//! caught against the last commit of a real git repository, naming the consumers.

use std::process::Command;

use crate::harness::Project;

pub(crate) fn git(project: &Project, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=Interlock Test",
            "-c",
            "user.email=test@interlock.invalid",
        ])
        .args(args)
        .current_dir(project.path())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// The bundled project in a git repository, its contracts committed, then `tax_id` renamed to
/// `taxNumber` in the customer schema shared by every customer contract (story 1).
pub(crate) fn renamed_tax_id_since_the_last_commit() -> Project {
    let project = Project::bundled();
    git(&project, &["init", "-q", "-b", "main"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-q", "-m", "contracts as released"]);
    let schema = project
        .read("contracts/schemas/customer.json")
        .replace("\"tax_id\"", "\"taxNumber\"");
    project.write("contracts/schemas/customer.json", &schema);
    project
}

#[test]
fn renamed_customer_field_fails_the_gate_against_the_base_commit() {
    // The CRM team renames tax_id in the customer schema shared by every customer contract.
    let project = renamed_tax_id_since_the_last_commit();

    let out = project.run(&["diff", "--base", "HEAD", "--format", "json"]);
    out.assert_code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON output");
    let changes = report["changes"].as_array().expect("changes");
    let rename = changes
        .iter()
        .find(|c| c["kind"] == "response-property-renamed" && c["interface"] == "crm.customer.get")
        .unwrap_or_else(|| panic!("no rename on crm.customer.get in {changes:#?}"));
    assert_eq!(rename["severity"], "breaking");
    assert_eq!(rename["breaking"], true);
    let message = rename["message"].as_str().unwrap_or("");
    assert!(
        message.contains("tax_id") && message.contains("taxNumber"),
        "{message}"
    );
    let consumers: Vec<&str> = rename["consumers"]
        .as_array()
        .expect("consumers")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        consumers.contains(&"erp") && consumers.contains(&"finance"),
        "{consumers:?}"
    );

    // With the change reverted, the gate passes.
    git(&project, &["checkout", "-q", "--", "contracts"]);
    project.run(&["diff", "--base", "HEAD"]).assert_code(0);
}

#[test]
fn unknown_revision_is_invalid_input() {
    let project = Project::bundled();
    git(&project, &["init", "-q", "-b", "main"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-q", "-m", "init"]);
    let out = project.run(&["diff", "--base", "no-such-rev"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no-such-rev"), "{}", out.stderr);
}
