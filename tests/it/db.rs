//! `interlock db pull` / `db check` on SQLite (the embedded default), the bundled story-1
//! example, and the command line's refusals.

use std::time::Duration;

use serde_json::Value;

use crate::harness::{Project, repo_root};

/// A project with the bundled table contract and SQLite database.
fn bundled() -> Project {
    let project = Project::empty();
    for (from, to) in [
        (
            "contracts/db/crm/customers.table.yaml",
            "contracts/db/crm/customers.table.yaml",
        ),
        ("db/crm.sql", "db/crm.sql"),
        (
            "db/migrations/0001_add_customer_segment.sql",
            "db/migrations/0001_add_customer_segment.sql",
        ),
        (
            "db/story-1/0002_customer_tax_fix.sql",
            "db/story-1/0002_customer_tax_fix.sql",
        ),
    ] {
        project.write(
            to,
            &std::fs::read_to_string(repo_root().join(from)).expect("bundled file"),
        );
    }
    std::fs::copy(
        repo_root().join("db/crm.sqlite"),
        project.file("db/crm.sqlite"),
    )
    .expect("copy db/crm.sqlite");
    project
}

/// Creates a SQLite database at `relative` from a script.
fn sqlite(project: &Project, relative: &str, script: &str) {
    let path = project.file(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    let conn = rusqlite::Connection::open(&path).expect("open sqlite");
    conn.execute_batch(script).expect("run the script");
}

/// Every finding of a JSON report, flattened.
pub(crate) fn findings(report: &Value) -> Vec<Value> {
    report["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["exchanges"].as_array().cloned().unwrap_or_default())
        .flat_map(|e| e["findings"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The one finding of `kind` at `path`, or a panic listing them all.
#[track_caller]
pub(crate) fn finding<'a>(all: &'a [Value], kind: &str, path: &str) -> &'a Value {
    all.iter()
        .find(|f| f["kind"] == kind && f["path"] == path)
        .unwrap_or_else(|| panic!("no {kind} at {path} in {all:#?}"))
}

#[test]
fn bundled_story_1_migration_fails_the_gate_naming_the_columns_and_consumers() {
    let project = bundled();
    let before = std::fs::read(project.file("db/crm.sqlite")).expect("database");
    let out = project.run(&[
        "db",
        "check",
        "--migrations",
        "db/story-1",
        "--url",
        "sqlite://db/crm.sqlite",
        "--report-json",
        "report.json",
        "--junit",
        "junit.xml",
    ]);
    out.assert_code(1);
    assert!(
        out.stdout.contains("column-removed customers.tax_id"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("column-type-changed customers.credit_limit  \"NUMERIC(12,2)\" → \"TEXT\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("affects: crm, erp, finance"),
        "{}",
        out.stdout
    );
    let all = findings(&project.json("report.json"));
    let removed = finding(&all, "column-removed", "customers.tax_id");
    assert_eq!(removed["severity"], "failure");
    assert_eq!(
        removed["affected"],
        serde_json::json!(["crm", "erp", "finance"])
    );
    assert_eq!(
        finding(&all, "column-type-changed", "customers.credit_limit")["severity"],
        "failure"
    );
    // The unique key on tax_id went with the column: one finding, not two.
    assert!(
        !all.iter().any(|f| f["kind"] == "constraint-removed"),
        "{all:#?}"
    );
    assert!(project.read("junit.xml").contains("customers.tax_id"));
    // The database is left as it was.
    assert_eq!(
        std::fs::read(project.file("db/crm.sqlite")).expect("database"),
        before
    );

    // Without the migration, and with the harmless one, the gate passes.
    project
        .run(&["db", "check", "--url", "sqlite://db/crm.sqlite"])
        .assert_code(0);
    let harmless = project.run(&[
        "db",
        "check",
        "--url",
        "sqlite://db/crm.sqlite",
        "--migrations",
        "db/migrations",
    ]);
    harmless.assert_code(0);
    assert!(
        harmless
            .stdout
            .contains("info column-added customers.segment"),
        "{}",
        harmless.stdout
    );
}

#[test]
fn bundled_sqlite_database_agrees_with_its_schema_file() {
    let project = bundled();
    sqlite(&project, "fresh.sqlite", &project.read("db/crm.sql"));
    for (url, out) in [
        ("sqlite://db/crm.sqlite", "a"),
        ("sqlite://fresh.sqlite", "b"),
    ] {
        project
            .run(&["db", "pull", "--url", url, "--system", "crm", "--out", out])
            .assert_code(0);
    }
    for table in ["customers", "users", "erp_customer_export"] {
        let strip = |text: String| text.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(
            strip(project.read(&format!("a/{table}.table.yaml"))),
            strip(project.read(&format!("b/{table}.table.yaml"))),
            "db/crm.sqlite and db/crm.sql disagree on {table}: rebuild db/crm.sqlite from db/crm.sql"
        );
    }
    // The bundled contract is what the database has, plus what people wrote (read_by).
    let pulled: interlock::db::TableContract =
        serde_yaml_ng::from_str(&project.read("a/customers.table.yaml")).expect("pulled");
    let bundled: interlock::db::TableContract =
        serde_yaml_ng::from_str(&project.read("contracts/db/crm/customers.table.yaml"))
            .expect("bundled");
    let without_readers = |mut t: interlock::db::TableContract| {
        t.consumers.clear();
        t.columns.iter_mut().for_each(|c| c.read_by = None);
        t
    };
    assert_eq!(without_readers(pulled), without_readers(bundled));
}

const SHOP: &str = "
CREATE TABLE accounts (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL UNIQUE);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    tax_id VARCHAR(20) NOT NULL,
    name VARCHAR(40) NOT NULL,
    credit_limit NUMERIC(12,2) NOT NULL DEFAULT 0,
    score INTEGER,
    tier TEXT NOT NULL DEFAULT 'basic' CHECK (tier IN ('basic', 'gold', 'platinum')),
    note TEXT,
    region VARCHAR(10),
    account_id INTEGER REFERENCES accounts (id),
    flag BOOLEAN,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customers_tax ON customers (tax_id);
";

#[test]
fn sqlite_pull_is_clean_and_each_change_kind_has_its_finding_and_severity() {
    let project = Project::empty();
    sqlite(&project, "shop.sqlite", SHOP);
    let pull = project.run(&[
        "db",
        "pull",
        "--url",
        "sqlite://shop.sqlite",
        "--system",
        "crm",
        "--table",
        "customers",
        "--consumer",
        "erp",
        "--consumer",
        "finance",
        "--out",
        "contracts/db/crm",
    ]);
    pull.assert_code(0);
    // Nobody reads `note` or `score`: changes to them are information only.
    project.edit(
        "contracts/db/crm/customers.table.yaml",
        "  native_type: TEXT\n  nullable: true\n",
        "  native_type: TEXT\n  nullable: true\n  read_by: []\n",
    );
    project.edit(
        "contracts/db/crm/customers.table.yaml",
        "- name: score\n  type: integer\n  native_type: INTEGER\n  nullable: true\n",
        "- name: score\n  type: integer\n  native_type: INTEGER\n  nullable: true\n  read_by: []\n",
    );
    project
        .run(&["db", "check", "--url", "sqlite://shop.sqlite"])
        .assert_code(0);

    // Every kind of change at once, as a migration rebuilds the table.
    project.write(
        "migrations/0001_rebuild.sql",
        "CREATE TABLE customers_new (
            id INTEGER PRIMARY KEY,
            tax_number VARCHAR(20) NOT NULL,
            name VARCHAR(20) NOT NULL,
            credit_limit NUMERIC(14,2),
            score BIGINT,
            tier TEXT NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'gold', 'platinum')),
            note VARCHAR(200) NOT NULL DEFAULT '',
            account_id INTEGER,
            flag BOOLEAN UNIQUE,
            created_at TIMESTAMP NOT NULL,
            segment TEXT,
            owner TEXT NOT NULL
        );
        DROP TABLE customers;
        ALTER TABLE customers_new RENAME TO customers;
        CREATE UNIQUE INDEX customers_tax ON customers (tax_number);",
    );
    let out = project.run(&[
        "db",
        "check",
        "--url",
        "sqlite://shop.sqlite",
        "--migrations",
        "migrations",
        "--report-json",
        "report.json",
    ]);
    out.assert_code(1);
    let all = findings(&project.json("report.json"));
    let severity = |kind: &str, path: &str| finding(&all, kind, path)["severity"].clone();
    let renamed = finding(&all, "column-renamed", "customers.tax_id");
    assert_eq!(
        (renamed["old"].clone(), renamed["new"].clone()),
        ("tax_id".into(), "tax_number".into())
    );
    assert_eq!(renamed["severity"], "failure");
    assert_eq!(severity("column-removed", "customers.region"), "failure");
    assert_eq!(severity("column-type-changed", "customers.name"), "failure",);
    assert!(
        finding(&all, "column-type-changed", "customers.name")["message"]
            .as_str()
            .is_some_and(|m| m.contains("narrowed"))
    );
    assert_eq!(
        severity("column-type-changed", "customers.credit_limit"),
        "failure"
    );
    assert_eq!(severity("column-type-changed", "customers.score"), "info");
    // Unlimited text → 200 characters is narrowing, whoever reads it.
    assert_eq!(severity("column-type-changed", "customers.note"), "failure");
    assert_eq!(
        severity("column-became-nullable", "customers.credit_limit"),
        "failure"
    );
    assert_eq!(severity("column-became-not-null", "customers.note"), "info");
    assert_eq!(severity("default-changed", "customers.tier"), "info");
    assert_eq!(severity("enum-value-removed", "customers.tier"), "failure");
    assert_eq!(severity("enum-value-added", "customers.tier"), "failure");
    assert_eq!(severity("column-added", "customers.segment"), "info");
    assert_eq!(severity("column-added", "customers.owner"), "failure");
    assert_eq!(severity("constraint-added", "customers"), "failure");
    let fk = finding(&all, "constraint-removed", "customers");
    assert_eq!(fk["old"], "foreign key (account_id) → accounts (id)");
    assert_eq!(fk["severity"], "info");
    // The unique index followed the rename: no constraint finding for it.
    assert!(
        !all.iter().any(|f| f["old"] == "unique (tax_id)"),
        "{all:#?}"
    );

    // The table itself gone.
    project.write("migrations/0002_drop.sql", "DROP TABLE customers;");
    let out = project.run(&[
        "db",
        "check",
        "--url",
        "sqlite://shop.sqlite",
        "--migrations",
        "migrations",
    ]);
    out.assert_code(1);
    assert!(
        out.stdout.contains("table-removed customers"),
        "{}",
        out.stdout
    );
    // Still the same database afterwards.
    project
        .run(&["db", "check", "--url", "sqlite://shop.sqlite"])
        .assert_code(0);
}

#[test]
fn bad_urls_passwords_and_unknown_tables_are_exit_2_with_a_hint() {
    let project = Project::empty();
    sqlite(&project, "shop.sqlite", SHOP);
    let pull = |extra: &[&str]| {
        let mut args = vec!["db", "pull", "--system", "crm", "--out", "out"];
        args.extend_from_slice(extra);
        project.run(&args)
    };
    let out = pull(&["--url", "postgress://db/crm"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("did you mean `postgres`?"),
        "{}",
        out.stderr
    );

    let out = pull(&["--url", "postgres://crm:s3cretpw@127.0.0.1:1/crm"]);
    out.assert_code(2);
    assert!(out.stderr.contains("password"), "{}", out.stderr);
    assert!(out.stderr.contains("${CRM_DB_URL}"), "{}", out.stderr);
    assert!(!out.stderr.contains("s3cretpw") && !out.stdout.contains("s3cretpw"));

    let out = pull(&["--url", "sqlite://shop.sqlite", "--table", "custmers"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("did you mean `customers`?"),
        "{}",
        out.stderr
    );
    let out = pull(&["--url", "sqlite://shop.sqlite", "--schema", "mian"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("did you mean `main`?"),
        "{}",
        out.stderr
    );

    // A missing database file is "could not check".
    let out = pull(&["--url", "sqlite://nope.sqlite"]);
    out.assert_code(3);
    assert!(out.stderr.contains("nope.sqlite"), "{}", out.stderr);

    // A contract with a typo says where.
    project.write(
        "contracts/db/crm/customers.table.yaml",
        "system: crm\nschema: main\ntable: customers\ncolumns:\n  - name: id\n    type: integr\n    native_type: INTEGER\n    nullable: false\n",
    );
    let out = project.run(&["db", "check", "--url", "sqlite://shop.sqlite"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("customers.table.yaml: at /columns/0/type"),
        "{}",
        out.stderr
    );
    project.edit("contracts/db/crm/customers.table.yaml", "integr", "integer");
    let out = project.run(&["db", "check", "--system", "cmr"]);
    out.assert_code(2);
    assert!(out.stderr.contains("did you mean `crm`?"), "{}", out.stderr);
}

#[test]
fn profile_database_urls_come_from_the_environment_and_are_never_shown() {
    let project = bundled();
    project.write(
        "interlock.toml",
        "[profiles.staging.databases.crm]\nurl = \"${CRM_DB_URL}\"\n",
    );
    let out = project.run(&["db", "check", "--profile", "staging"]);
    out.assert_code(2);
    assert!(out.stderr.contains("${CRM_DB_URL}"), "{}", out.stderr);
    let out = project.run_with_env(
        &["db", "check", "--profile", "staging"],
        &[("CRM_DB_URL", "sqlite://db/crm.sqlite")],
    );
    out.assert_code(0);
    // No database for the system in the default profile: a clear input error.
    let out = project.run(&["db", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("[profiles.local.databases.crm]"),
        "{}",
        out.stderr
    );
}

#[test]
fn unreachable_postgres_is_exit_3_within_the_timeout() {
    let project = bundled();
    // Nothing listens on a freshly freed port: refused at once.
    let port = crate::support::crm::free_port();
    let url = format!("postgres://crm@127.0.0.1:{port}/crm");
    let out = project.run(&["db", "check", "--url", &url, "--timeout", "5"]);
    out.assert_code(3);
    assert!(
        out.stdout.contains(&format!("127.0.0.1:{port}")),
        "{}",
        out.stdout
    );
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);

    // A server that accepts and never answers: bounded by --timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let url = format!("postgres://crm@127.0.0.1:{port}/crm");
    let out = project.run(&[
        "db",
        "pull",
        "--url",
        &url,
        "--system",
        "crm",
        "--out",
        "o",
        "--timeout",
        "1",
    ]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("no answer within 1.0 s"),
        "{}",
        out.stderr
    );
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
}
