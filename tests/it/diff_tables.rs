//! `interlock diff` over table contracts: two contract directories, and `--base HEAD` in a real
//! git repository, judged with the rule ids and verdicts of `interlock db check`.

use serde_json::Value;

use crate::diff_cli::git;
use crate::harness::{Output, Project};

const TABLE: &str = "contracts/db/crm/customers.table.yaml";

/// The customers table: the ERP reads every column, finance the tax id and the credit limit.
fn customers(columns: &str) -> String {
    format!(
        "system: crm\nschema: public\ntable: customers\nconsumers: [erp, finance]\ncolumns:\n{columns}primary_key: [id]\n"
    )
}

const ID: &str =
    "- name: id\n  type: integer\n  native_type: integer\n  nullable: false\n  read_by: [erp]\n";
const NAME: &str =
    "- name: name\n  type: string\n  native_type: text\n  nullable: false\n  read_by: [erp]\n";
const TAX_ID: &str = "- name: tax_id\n  type: string\n  native_type: varchar(20)\n  nullable: false\n  length: 20\n  read_by: [erp]\n";
const CREDIT_LIMIT: &str = "- name: credit_limit\n  type: decimal\n  native_type: numeric(12,2)\n  nullable: false\n  precision: 12\n  scale: 2\n  read_by: [erp, finance]\n";

fn old_columns() -> String {
    [ID, NAME, TAX_ID, CREDIT_LIMIT].concat()
}

/// A project with `old/` and `new/` contract directories holding one table each.
fn two_dirs(new_columns: &str) -> Project {
    let project = Project::empty();
    project.write(&format!("old/{TABLE}"), &customers(&old_columns()));
    project.write(&format!("new/{TABLE}"), &customers(new_columns));
    project
}

fn changes(out: &Output) -> Vec<Value> {
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}", out.stdout));
    report["changes"].as_array().cloned().unwrap_or_default()
}

fn only(changes: &[Value], kind: &str) -> Value {
    let found: Vec<&Value> = changes.iter().filter(|c| c["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} in {changes:#?}");
    found[0].clone()
}

fn consumers(change: &Value) -> Vec<String> {
    change["consumers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn dropped_column_read_by_erp_is_breaking() {
    let project = two_dirs(&[ID, NAME, CREDIT_LIMIT].concat());
    let out = project.run(&["diff", "old", "new", "--format", "json"]);
    out.assert_code(1);
    let all = changes(&out);
    assert_eq!(all.len(), 1, "{all:#?}");
    let removed = only(&all, "column-removed");
    assert_eq!(removed["severity"], "breaking");
    assert_eq!(removed["breaking"], true);
    assert_eq!(removed["interface"], "crm.customers");
    assert_eq!(removed["operation"], "table crm.public.customers");
    assert_eq!(removed["location"]["field"], "customers.tax_id");
    assert_eq!(removed["location"]["path"], "/columns/2");
    assert!(
        removed["location"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("customers.table.yaml")),
        "{removed:#?}"
    );
    assert_eq!(consumers(&removed), ["erp"]);

    let text = project.run(&["diff", "old", "new"]);
    text.assert_code(1);
    assert!(
        text.stdout.contains("column-removed") && text.stdout.contains("customers.tax_id"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("erp"), "{}", text.stdout);
}

#[test]
fn new_nullable_column_is_safe() {
    let email = "- name: email\n  type: string\n  native_type: text\n  nullable: true\n";
    let project = two_dirs(&[old_columns().as_str(), email].concat());
    let out = project.run(&["diff", "old", "new", "--format", "json"]);
    out.assert_code(0);
    let all = changes(&out);
    assert_eq!(all.len(), 1, "{all:#?}");
    let added = only(&all, "column-added");
    assert_eq!(added["severity"], "safe");
    assert_eq!(added["location"]["field"], "customers.email");
    assert_eq!(added["location"]["path"], "/columns/4");
}

#[test]
fn retyped_column_numeric_to_text_is_breaking() {
    let retyped = CREDIT_LIMIT.replace(
        "type: decimal\n  native_type: numeric(12,2)\n  nullable: false\n  precision: 12\n  scale: 2\n",
        "type: string\n  native_type: text\n  nullable: false\n",
    );
    let project = two_dirs(&[ID, NAME, TAX_ID, retyped.as_str()].concat());
    let out = project.run(&["diff", "old", "new", "--format", "json"]);
    out.assert_code(1);
    let all = changes(&out);
    let retype = only(&all, "column-type-changed");
    assert_eq!(retype["severity"], "breaking");
    assert_eq!(retype["location"]["field"], "customers.credit_limit");
    assert_eq!(retype["location"]["path"], "/columns/3");
    assert_eq!(retype["old"], "numeric(12,2)");
    assert_eq!(retype["new"], "text");
    assert_eq!(consumers(&retype), ["erp", "finance"]);
}

#[test]
fn removed_and_added_tables() {
    let project = Project::empty();
    project.write(&format!("old/{TABLE}"), &customers(&old_columns()));
    project.write(
        "new/contracts/db/crm/notes.table.yaml",
        "system: crm\nschema: public\ntable: notes\ncolumns:\n- name: id\n  type: integer\n  native_type: integer\n  nullable: false\n",
    );
    let out = project.run(&["diff", "old", "new", "--format", "json"]);
    out.assert_code(1);
    let all = changes(&out);
    let removed = only(&all, "table-removed");
    assert_eq!(removed["severity"], "breaking");
    assert_eq!(consumers(&removed), ["erp", "finance"]);
    let added = only(&all, "table-added");
    assert_eq!(added["severity"], "safe");
    assert_eq!(added["operation"], "table crm.public.notes");
}

#[test]
fn dropped_column_fails_against_the_base_commit() {
    let project = Project::empty();
    project.write(TABLE, &customers(&old_columns()));
    git(&project, &["init", "-q", "-b", "main"]);
    git(&project, &["add", "."]);
    git(
        &project,
        &["commit", "-q", "-m", "customers table as released"],
    );
    project.run(&["diff", "--base", "HEAD"]).assert_code(0);

    project.write(TABLE, &customers(&[ID, NAME, CREDIT_LIMIT].concat()));
    let out = project.run(&["diff", "--base", "HEAD", "--format", "json"]);
    out.assert_code(1);
    let all = changes(&out);
    let removed = only(&all, "column-removed");
    assert_eq!(removed["severity"], "breaking");
    assert_eq!(removed["location"]["field"], "customers.tax_id");
    assert_eq!(removed["location"]["path"], "/columns/2");
    assert_eq!(
        removed["location"]["file"],
        "HEAD:contracts/db/crm/customers.table.yaml"
    );
    assert_eq!(consumers(&removed), ["erp"]);

    let text = project.run(&["diff", "--base", "HEAD"]);
    text.assert_code(1);
    assert!(text.stdout.contains("customers.tax_id"), "{}", text.stdout);
}

#[test]
fn table_contracts_written_as_json_are_compared() {
    let project = Project::empty();
    let json = |columns: &str| {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&customers(columns)).expect("YAML table");
        serde_json::to_string_pretty(&yaml).expect("JSON table")
    };
    project.write(
        "old/contracts/db/crm/customers.table.json",
        &json(&old_columns()),
    );
    project.write(
        "new/contracts/db/crm/customers.table.json",
        &json(&[ID, NAME, CREDIT_LIMIT].concat()),
    );
    let out = project.run(&["diff", "old", "new", "--format", "json"]);
    out.assert_code(1);
    let removed = only(&changes(&out), "column-removed");
    assert_eq!(removed["location"]["field"], "customers.tax_id");
    assert_eq!(removed["location"]["path"], "/columns/2");
}
