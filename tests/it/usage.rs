//! Usage-weighted verdicts through the real binary: `interlock diff --base` in a real git
//! repository and `interlock run` against a stand-in CRM over real HTTP, weighed by the learned
//! lineage. A field the ERP receives says `used by: erp.customer-sync (N of M recorded calls)`
//! and keeps its verdict; one it never receives says `no recorded use` and is softened only when
//! the project opts in with `[diff] unused`.

use serde_json::{Value, json};

use crate::diff_cli::git;
use crate::harness::Project;
use crate::report_schemas::assert_valid_report;
use crate::support::crm::{CrmVersion, run_bundled_against};

const OPT_IN: &str = "\n[diff]\nunused = \"potentially-breaking\"\n";

/// Recordings in which every created customer is answered with a reference of the CRM's own,
/// `EXT-77123`, that the CRM never passes on to the ERP.
fn record_an_external_ref(project: &Project) {
    for file in [
        "scenarios/customer-onboarding/crm.jsonl",
        "scenarios/erp-outage/crm.jsonl",
    ] {
        let mut out = String::new();
        for line in project.read(file).lines() {
            let mut exchange: Value = serde_json::from_str(line).expect("recording line");
            if exchange["request"]["method"] == "POST" && exchange["response"]["status"] == 201 {
                exchange["response"]["body"]["external_ref"] = json!("EXT-77123");
            }
            out.push_str(&exchange.to_string());
            out.push('\n');
        }
        project.write(file, &out);
    }
}

/// The customer schema with `edit` applied to its top-level object.
fn edit_customer_schema(project: &Project, edit: impl FnOnce(&mut Value)) {
    let mut schema: Value =
        serde_json::from_str(&project.read("contracts/schemas/customer.json")).expect("JSON");
    edit(&mut schema);
    project.write(
        "contracts/schemas/customer.json",
        &serde_json::to_string_pretty(&schema).expect("JSON"),
    );
}

fn commit(project: &Project) {
    git(project, &["init", "-q", "-b", "main"]);
    git(project, &["add", "."]);
    git(project, &["commit", "-q", "-m", "contracts as released"]);
}

/// `interlock diff --base HEAD --format json`, its exit code and report (checked against its
/// schema).
fn diff_json(project: &Project) -> (i32, Value) {
    let out = project.run(&["diff", "--base", "HEAD", "--format", "json"]);
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}\n{}", out.stdout, out.stderr));
    assert_valid_report(&report, "interlock diff --format json");
    (out.code, report)
}

/// The change removing required response property `field` of `interface`.
fn removed<'a>(report: &'a Value, interface: &str, field: &str) -> &'a Value {
    let kind = "response-required-property-removed";
    report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| {
            c["kind"] == kind && c["interface"] == interface && c["location"]["field"] == field
        })
        .unwrap_or_else(|| panic!("no {kind} on {interface} {field} in {report:#}"))
}

/// A project whose released contracts and learned lineage know `external_ref`, which the new
/// customer schema removes.
fn external_ref_removed() -> Project {
    let project = Project::bundled();
    record_an_external_ref(&project);
    let original = project.read("contracts/schemas/customer.json");
    edit_customer_schema(&project, |schema| {
        schema["properties"]["external_ref"] = json!({"type": "string"});
        schema["required"]
            .as_array_mut()
            .expect("required")
            .push(json!("external_ref"));
    });
    project.run(&["lineage"]).assert_code(0);
    commit(&project);
    project.write("contracts/schemas/customer.json", &original);
    project
}

#[test]
fn removing_a_response_field_the_erp_never_receives_is_no_recorded_use_and_stays_breaking_without_the_opt_in()
 {
    let project = external_ref_removed();
    let lineage: Value =
        serde_yaml_ng::from_str(&project.read("contracts/lineage.yaml")).expect("YAML");
    let compared = lineage["compared"]
        .as_array()
        .expect("compared")
        .iter()
        .find(|c| c["interface"] == "crm.customer.create")
        .expect("crm.customer.create compared");
    assert!(
        compared["response"]
            .as_array()
            .expect("response")
            .contains(&json!("/external_ref")),
        "{compared:#?}"
    );

    let (code, report) = diff_json(&project);
    assert_eq!(code, 1);
    let create = removed(&report, "crm.customer.create", "external_ref");
    assert_eq!(create["severity"], "breaking");
    assert_eq!(create["usage"]["status"], "unused");
    assert_eq!(
        create["usage"]["summary"],
        "no recorded use: never passed on in 2 recorded erp.customer-sync calls; no recordings of web-ui, finance"
    );
    assert_eq!(create["usage"]["recorded"], json!(["erp"]));
    // The ERP was recorded and never received it: it is no longer named.
    assert_eq!(create["consumers"], json!(["web-ui", "finance"]));
    assert!(create.get("softened_from").is_none(), "{create:#}");
    // crm.customer.get shares the schema, but no recording shows its use: unchanged.
    let get = removed(&report, "crm.customer.get", "external_ref");
    assert_eq!(get["severity"], "breaking");
    assert!(get.get("usage").is_none(), "{get:#}");
    assert_eq!(get["consumers"], json!(["web-ui", "erp", "finance"]));
}

#[test]
fn removing_a_response_field_the_erp_never_receives_is_softened_under_the_opt_in() {
    let project = external_ref_removed();
    opt_in(&project);

    let (code, report) = diff_json(&project);
    let create = removed(&report, "crm.customer.create", "external_ref");
    assert_eq!(create["severity"], "potentially-breaking");
    assert_eq!(create["breaking"], false);
    assert_eq!(create["softened_from"], "breaking");
    // Where nothing was recorded, the opt-in changes nothing: the gate still fails.
    let get = removed(&report, "crm.customer.get", "external_ref");
    assert_eq!(get["severity"], "breaking");
    assert_eq!(code, 1);

    let text = project.run(&["diff", "--base", "HEAD"]);
    assert!(
        text.stdout.contains(
            "potentially-breaking  response-required-property-removed  crm.customer.create (POST /api/v1/customers)\n    response 201 body external_ref: required property `external_ref` removed\n    external_ref → —   consumers: web-ui, finance\n    no recorded use: never passed on in 2 recorded erp.customer-sync calls; no recordings of web-ui, finance (breaking, softened by [diff] unused)\n"
        ),
        "{}",
        text.stdout
    );
}

/// The bundled project committed, then `credit_limit` removed from the customer schema: a
/// field the ERP's customer sync receives.
fn credit_limit_removed() -> Project {
    let project = Project::bundled();
    opt_in(&project);
    commit(&project);
    edit_customer_schema(&project, |schema| {
        schema["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("credit_limit");
        schema["required"]
            .as_array_mut()
            .expect("required")
            .retain(|r| r != "credit_limit");
    });
    project
}

#[test]
fn removing_a_response_field_the_erp_receives_says_who_uses_it_and_stays_breaking() {
    let project = credit_limit_removed();
    let (code, report) = diff_json(&project);
    assert_eq!(code, 1);
    let create = removed(&report, "crm.customer.create", "credit_limit");
    assert_eq!(create["severity"], "breaking");
    assert_eq!(create["usage"]["status"], "used");
    assert_eq!(
        create["usage"]["summary"],
        "used by: erp.customer-sync (1 of 2 recorded calls); no recordings of web-ui, finance"
    );
    assert_eq!(
        create["usage"]["used_by"],
        json!([{"consumer": "erp", "interface": "erp.customer-sync", "pointer": "/credit_limit", "held": 1, "calls": 2}])
    );
    assert_eq!(create["consumers"], json!(["web-ui", "erp", "finance"]));

    let markdown = project.run(&["diff", "--base", "HEAD", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains(
            "| web-ui, erp, finance — used by: erp.customer-sync (1 of 2 recorded calls); no recordings of web-ui, finance |"
        ),
        "{}",
        markdown.stdout
    );
    let junit = project.run(&["diff", "--base", "HEAD", "--format", "junit"]);
    assert!(
        junit.stdout.contains(
            "message=\"required property `credit_limit` removed (HEAD:contracts/schemas/common.json#/$defs/amount); used by: erp.customer-sync (1 of 2 recorded calls); no recordings of web-ui, finance\""
        ),
        "{}",
        junit.stdout
    );
}

#[test]
fn without_a_lineage_file_diff_has_no_usage_evidence() {
    let project = credit_limit_removed();
    std::fs::remove_file(project.file("contracts/lineage.yaml")).expect("remove lineage");
    let (code, report) = diff_json(&project);
    assert_eq!(code, 1);
    let create = removed(&report, "crm.customer.create", "credit_limit");
    assert!(create.get("usage").is_none(), "{create:#}");
    assert_eq!(create["consumers"], json!(["web-ui", "erp", "finance"]));
}

#[test]
fn diff_reads_the_lineage_named_by_the_flag_and_refuses_a_bad_one_with_its_line() {
    let project = credit_limit_removed();
    std::fs::rename(
        project.file("contracts/lineage.yaml"),
        project.file("learned.yaml"),
    )
    .expect("move lineage");
    let out = project.run(&[
        "diff",
        "--base",
        "HEAD",
        "--format",
        "json",
        "--lineage",
        "learned.yaml",
    ]);
    out.assert_code(1);
    assert!(
        out.stdout
            .contains("used by: erp.customer-sync (1 of 2 recorded calls)"),
        "{}",
        out.stdout
    );

    project.write(
        "learned.yaml",
        "interlock_lineage: 1\nmappings:\n- from: crm.customer.create\n",
    );
    let out = project.run(&["diff", "--base", "HEAD", "--lineage", "learned.yaml"]);
    out.assert_code(2);
    assert!(
        out.stdout.is_empty(),
        "nothing half-written: {}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("learned.yaml:3:9: at /mappings/0/from: invalid type"),
        "{}",
        out.stderr
    );

    let out = project.run(&["diff", "--base", "HEAD", "--lineage", "missing.yaml"]);
    out.assert_code(2);
    assert!(out.stderr.contains("missing.yaml"), "{}", out.stderr);
}

/// The live findings of the first scenario's exchanges.
fn findings(report: &Value) -> Vec<Value> {
    report["scenarios"][0]["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .flat_map(|e| e["findings"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The live finding of `kind` at `path`.
fn finding(report: &Value, kind: &str, path: &str) -> Value {
    findings(report)
        .into_iter()
        .find(|f| f["kind"] == kind && f["path"] == path)
        .unwrap_or_else(|| panic!("no {kind} at {path} in {report:#}"))
}

/// `[diff] unused = "potentially-breaking"` in the project file.
fn opt_in(project: &Project) {
    let config = project.read("interlock.toml");
    project.write("interlock.toml", &format!("{config}{OPT_IN}"));
}

fn learn_the_external_ref(project: &Project) {
    record_an_external_ref(project);
    project.run(&["lineage"]).assert_code(0);
}

#[test]
fn a_live_response_without_a_field_nobody_receives_fails_without_the_opt_in() {
    let (project, out) = run_bundled_against(
        CrmVersion::V1,
        "customer-onboarding",
        learn_the_external_ref,
        &["--report-json", "report.json"],
        &[],
    );
    out.assert_code(1);
    let report = project.json("report.json");
    let removed = finding(&report, "field-removed", "/external_ref");
    assert_eq!(removed["severity"], "failure");
    assert_eq!(
        removed["usage"]["summary"],
        "no recorded use: never passed on in 2 recorded erp.customer-sync calls; no recordings of web-ui, finance"
    );
    assert_eq!(removed["affected"], json!(["crm", "web-ui", "finance"]));
    assert!(
        out.stdout
            .contains("no recorded use: never passed on in 2 recorded erp.customer-sync calls"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_live_response_without_a_field_nobody_receives_is_information_under_the_opt_in() {
    let (project, out) = run_bundled_against(
        CrmVersion::V1,
        "customer-onboarding",
        |project| {
            learn_the_external_ref(project);
            opt_in(project);
        },
        &["--report-json", "report.json"],
        &[],
    );
    out.assert_code(0);
    let report = project.json("report.json");
    let removed = finding(&report, "field-removed", "/external_ref");
    assert_eq!(removed["severity"], "info");
    assert_eq!(removed["softened"], true);
    assert_eq!(removed["usage"]["status"], "unused");
}

#[test]
fn a_live_drift_on_a_field_the_erp_receives_names_its_use_in_every_report() {
    let (project, out) = run_bundled_against(
        CrmVersion::V2,
        "customer-onboarding",
        |_| {},
        &[
            "--report-json",
            "report.json",
            "--junit",
            "junit.xml",
            "--html",
            "report.html",
            "--summary-md",
            "summary.md",
        ],
        &[],
    );
    out.assert_code(1);
    let used =
        "used by: erp.customer-sync (1 of 2 recorded calls); no recordings of web-ui, finance";
    let report = project.json("report.json");
    let changed = finding(&report, "type-changed", "/credit_limit");
    assert_eq!(changed["usage"]["summary"], used);
    assert_eq!(
        changed["affected"],
        json!(["crm", "web-ui", "erp", "finance"])
    );
    assert!(out.stdout.contains(used), "{}", out.stdout);
    for file in ["junit.xml", "report.html", "summary.md"] {
        assert!(project.read(file).contains(used), "{file}");
    }
}
