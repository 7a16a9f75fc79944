//! `interlock reconcile`: two stand-in services with 10,000 customers each (paged by page
//! number and by cursor), a SQL side on SQLite and on a real PostgreSQL, the bundled example,
//! bad files and a source that times out. The real binary, real HTTP over loopback.

use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::harness::Project;
use crate::support::ledger;
use crate::support::postgres::Postgres;

const CRM_SIDE: &str = r#"  crm:
    http:
      target: crm
      path: /api/v1/customers
      items: /data
      paging:
        page: {param: page, size_param: per_page, size: 100}
    key: /id
    key_transform: [trim, {strip_prefix: CRM-}, uppercase]
"#;

const ERP_HTTP_SIDE: &str = r#"  erp:
    http:
      target: erp
      path: /erp/v2/receivables
      items: /items
      paging:
        cursor: {param: cursor, next: /next}
      rate_limit: 1000
    key: /customer_ref
    key_transform: [{strip_prefix: ERP-}, uppercase]
"#;

const ERP_SQL_SIDE: &str = r#"  erp:
    sql:
      database: erp
      query: SELECT customer_ref, amount, status, changed_at FROM receivables
    key: customer_ref
    key_transform: [{strip_prefix: ERP-}, uppercase]
"#;

fn reconciliation(erp_side: &str, max_mismatch: &str) -> String {
    format!(
        "description: customers, CRM vs ERP\nsides:\n{CRM_SIDE}{erp_side}fields:
  amount:
    crm: /amount
    erp: /amount
    compare: decimal
    scale: 2
  stage:
    crm: /stage
    erp: /status
    compare: map
    map: {{won: CLOSED, lost: CANCELLED}}
  updated_at:
    crm: /updated_at
    erp: /changed_at
    compare: instant
threshold:
  max_mismatch_rate: {max_mismatch}
  max_missing_rate: 2%
"
    )
}

/// The counts the ledger stand-ins are built to produce (see `support::ledger`).
fn assert_ledger_counts(report: &Value) {
    let r = &report["scenarios"][0]["reconciliation"];
    let (crm, erp) = (&r["sides"][0], &r["sides"][1]);
    assert_eq!(crm["name"], "crm");
    assert_eq!(crm["rows"], 10_010, "{r:#}");
    assert_eq!(erp["rows"], 10_010);
    assert_eq!(crm["duplicate_keys"], 10);
    assert_eq!(crm["duplicate_rows"], 20);
    assert_eq!(erp["duplicate_keys"], 10);
    assert_eq!(crm["missing"], 50, "ERP keys the CRM lacks");
    assert_eq!(erp["missing"], 50, "CRM keys the ERP lacks");
    assert_eq!(crm["missing_examples"][0], "erp-c00001");
    assert_eq!(erp["missing_examples"][0], "CRM-C00002");
    assert_eq!(r["matched"], 9_930);
    assert_eq!(r["mismatched"], 297);
    let amount = &r["fields"][0];
    assert_eq!(amount["name"], "amount");
    assert_eq!(amount["mismatches"], 297);
    assert!((amount["rate"].as_f64().expect("a rate") - 297.0 / 9_930.0).abs() < 1e-12);
    // Keys in sorted order: C00037 is the first that differs.
    let first = &amount["examples"][0];
    assert_eq!(
        first["keys"],
        serde_json::json!(["CRM-C00037", "erp-c00037"])
    );
    assert_eq!(first["values"][0], "3930.03");
    assert_eq!(first["values"][1], 3980.03);
    assert_eq!(first["reason"], "differ by 50.00");
    assert_eq!(r["fields"][1]["mismatches"], 0, "the status map matches");
    assert_eq!(
        r["fields"][2]["mismatches"], 0,
        "+08:00 and UTC are the same instants"
    );
    assert!((r["missing_rate"].as_f64().expect("a rate") - 100.0 / 10_030.0).abs() < 1e-12);
}

/// Asserts that `stream` (a run's stdout or stderr) contains `text`, showing the stream when
/// it does not.
#[track_caller]
fn assert_says(stream: &str, text: &str) {
    assert!(stream.contains(text), "expected {text:?} in\n{stream}");
}

/// `reconcile` writing the JSON report and JUnit: every file a credential could leak into.
const WITH_REPORTS: [&str; 5] = [
    "reconcile",
    "--report-json",
    "report.json",
    "--junit",
    "r.xml",
];

/// A project configured by `config` whose one reconciliation, `amounts`, compares the `amount`
/// of the `/customers` rows of target `crm` with those of `erp_target`, none may differ.
fn amounts_project(config: &str, erp_target: &str) -> Project {
    let project = Project::empty();
    project.write("interlock.toml", config);
    project.write(
        "reconcile/amounts.yaml",
        &format!(
            "sides:\n  crm:\n    http: {{target: crm, path: /customers}}\n    key: /id\n  erp:\n    \
             http: {{target: {erp_target}, path: /customers}}\n    key: /id\nfields:\n  \
             amount: {{compare: decimal}}\nthreshold:\n  max_mismatch_rate: 0%\n"
        ),
    );
    project
}

fn project_with_targets(crm: &str, erp: &str) -> Project {
    let project = Project::empty();
    project.write(
        "interlock.toml",
        &format!("[profiles.local.targets]\ncrm = \"{crm}\"\nerp = \"{erp}\"\n"),
    );
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn two_paged_services_of_ten_thousand_customers_reconcile_to_exact_counts() {
    let (crm, erp) = (ledger::crm().await, ledger::erp().await);
    let project = project_with_targets(&crm.uri(), &erp.uri());
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_HTTP_SIDE, "5%"),
    );
    let out = project.run(&[
        "reconcile",
        "--report-json",
        "out/report.json",
        "--junit",
        "out/junit.xml",
        "--summary-md",
        "out/summary.md",
        "--html",
        "out/report.html",
    ]);
    out.assert_code(0);
    let report = project.json("out/report.json");
    assert_ledger_counts(&report);
    assert_eq!(report["verdict"], "passed");
    assert_says(&out.stdout, "297 mismatches (2.99%)");
    assert_says(&out.stdout, "missing in crm: 50, missing in erp: 50");

    // JUnit: one testcase per field, and one for the missing and duplicate keys.
    let junit = project.read("out/junit.xml");
    for case in ["field amount", "field stage", "field updated_at", "keys"] {
        assert!(junit.contains(&format!("name=\"{case}\"")), "{junit}");
    }
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(
        project
            .read("out/summary.md")
            .contains("| customers | passed | 9930 | 297 (2.99%)")
    );
    assert!(project.read("out/report.html").contains("erp-c00037"));

    // Each page was asked for: 10,010 CRM rows are 101 pages of 100; the ERP's 41 of 250.
    let requests = crm.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 101);
    assert_eq!(erp.received_requests().await.unwrap_or_default().len(), 41);

    // The same data against a 1% limit fails, and says which threshold.
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_HTTP_SIDE, "1%"),
    );
    let out = project.run(&["reconcile", "customers", "--junit", "out/junit.xml"]);
    out.assert_code(1);
    assert_says(
        &out.stdout,
        "threshold max_mismatch_rate exceeded: 2.99% > 1.00%",
    );
    // The field's testcase fails, and the scenario's for the threshold it names.
    let junit = project.read("out/junit.xml");
    assert_eq!(junit.matches("<failure").count(), 2, "{junit}");
    assert!(
        junit.contains(
            r#"<failure type="reconcile-mismatch" message="`amount` differs between crm and erp">"#
        ),
        "{junit}"
    );
    assert!(
        junit.contains("threshold `max_mismatch_rate` exceeded: 2.99% &gt; 1.00%"),
        "{junit}"
    );
    assert!(
        junit.contains("297 of 9930 matched rows differ (2.99%, above max_mismatch_rate)"),
        "{junit}"
    );
}

#[test]
fn the_report_is_the_run_report_with_a_reconciliation_block() {
    let project = Project::bundled();
    project
        .run(&["reconcile", "--report-json", "report.json"])
        .assert_code(1);
    // `Project::json` validates it against docs/schema/run-report.schema.json.
    let report = project.json("report.json");
    assert_eq!(report["interlock_report"], 2);
    assert_eq!(report["verdict"], "failed");
    assert_eq!(report["exit_code"], 1);
    assert_eq!(
        report["counts"],
        serde_json::json!({"scenarios": 1, "exchanges": 4, "passed": 3, "failed": 1, "errors": 0, "findings": 2})
    );
    let scenario = &report["scenarios"][0];
    assert_eq!(scenario["name"], "reconcile receivables");
    assert_eq!(scenario["target"], "crm ↔ erp");
    let names: Vec<&str> = scenario["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["field amount", "field status", "field paid_at", "keys"]
    );
    let mismatch = &scenario["exchanges"][0]["findings"][0];
    assert_eq!(mismatch["kind"], "reconcile-mismatch");
    assert_eq!(mismatch["severity"], "failure");
    assert_eq!(mismatch["path"], "field:amount");
    assert_eq!(
        mismatch["old"],
        serde_json::json!({"amount": "1200.00", "currency": "CNY"})
    );
    assert_eq!(
        mismatch["new"],
        serde_json::json!({"amount": 1250.0, "currency": "CNY"})
    );
    assert_eq!(
        mismatch["message"],
        r#"crm "INV-2026-000351" ↔ erp "erp-inv-2026-000351": differ by 50.00"#
    );
    let threshold = &scenario["findings"][0];
    assert_eq!(threshold["kind"], "reconcile-threshold");
    assert_eq!(threshold["path"], "threshold:max_mismatch_rate");
    assert_eq!(
        report["causes"][0]["line"],
        "`amount` differs between crm and erp"
    );
}

#[test]
fn the_bundled_example_catches_story_6() {
    let project = Project::bundled();
    let out = project.run(&["reconcile", "receivables", "--report-json", "report.json"]);
    out.assert_code(1);
    assert_says(
        &out.stdout,
        r#"crm "INV-2026-000351" = {"amount":"1200.00","currency":"CNY"}  ↔  erp "erp-inv-2026-000351" = {"amount":1250.0,"currency":"CNY"}  (differ by 50.00)"#,
    );
    let r = &project.json("report.json")["scenarios"][0]["reconciliation"];
    assert_eq!(r["matched"], 5);
    assert_eq!(r["mismatched"], 1);
    assert_eq!(r["thresholds"][0]["name"], "max_mismatch_rate");
    assert_eq!(r["thresholds"][0]["exceeded"], true);
    // The console is the run's: `-q` keeps the causes and the summary line only, and
    // `--color always` paints the verdicts.
    let quiet = project.run(&["reconcile", "-q"]);
    quiet.assert_code(1);
    assert_eq!(
        quiet.stdout.lines().next(),
        Some("2 causes (2 findings)"),
        "{}",
        quiet.stdout
    );
    assert_says(
        &quiet.stdout,
        "1. FAIL  `amount` differs between crm and erp  (1 finding in 1 exchange)  affects: crm, erp",
    );
    assert!(!quiet.stdout.contains("matched "), "{}", quiet.stdout);
    assert_says(
        &quiet.stdout,
        "interlock: failed — 1 scenario, 4 exchanges: 3 passed, 1 failed, 0 errors; 2 causes (2 findings)",
    );
    assert!(!out.stdout.contains('\x1b'), "no colour off a terminal");
    let colored = project.run(&["reconcile", "--color", "always"]);
    assert_says(&colored.stdout, "\x1b[1;31mFAIL \x1b[0m amount");
    // `run` does not reconcile: the release gate's first command still passes.
    project.run(&["check"]).assert_code(0);
}

fn sqlite_erp(project: &Project) {
    let mut conn = rusqlite::Connection::open(project.file("erp.sqlite")).expect("erp.sqlite");
    let conn = conn.transaction().expect("begin");
    conn.execute_batch(
        "CREATE TABLE receivables (customer_ref TEXT, amount NUMERIC, status TEXT, changed_at TEXT)",
    )
    .expect("create");
    let mut insert = conn
        .prepare("INSERT INTO receivables VALUES (?1, ?2, ?3, ?4)")
        .expect("prepare");
    for (key, amount, status, at) in ledger::erp_inserts() {
        insert
            .execute(rusqlite::params![key, amount, status, at])
            .expect("insert");
    }
    drop(insert);
    conn.commit().expect("commit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sql_side_on_sqlite_reconciles_like_the_http_one() {
    let crm = ledger::crm().await;
    let project = Project::empty();
    project.write(
        "interlock.toml",
        &format!(
            "[profiles.local.targets]\ncrm = \"{}\"\n[profiles.local.databases.erp]\nurl = \"sqlite://erp.sqlite\"\n",
            crm.uri()
        ),
    );
    sqlite_erp(&project);
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_SQL_SIDE, "5%"),
    );
    let out = project.run(&["reconcile", "--report-json", "report.json"]);
    out.assert_code(0);
    let report = project.json("report.json");
    assert_ledger_counts(&report);
    assert_eq!(
        report["scenarios"][0]["reconciliation"]["sides"][1]["source"],
        "sqlite://erp.sqlite"
    );
}

#[test]
fn a_sql_side_on_postgresql_reconciles_like_the_http_one() {
    let Some(pg) = Postgres::start() else { return };
    let mut script = String::from(
        "CREATE TABLE receivables (customer_ref text, amount numeric(12,2), status text, \
         changed_at timestamptz);\nINSERT INTO receivables VALUES\n",
    );
    let rows: Vec<String> = ledger::erp_inserts()
        .into_iter()
        .map(|(key, amount, status, at)| format!("('{key}', {amount}, '{status}', '{at}')"))
        .collect();
    script.push_str(&rows.join(",\n"));
    script.push_str(";\n");
    pg.database("erp", &script);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the stand-in");
    let crm = runtime.block_on(ledger::crm());
    let project = Project::empty();
    project.write(
        "interlock.toml",
        &format!(
            "[profiles.local.targets]\ncrm = \"{}\"\n[profiles.local.databases.erp]\nurl = \"{}\"\n",
            crm.uri(),
            pg.url("erp")
        ),
    );
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_SQL_SIDE, "1%"),
    );
    let out = project.run(&["reconcile", "--report-json", "report.json"]);
    out.assert_code(1);
    assert_ledger_counts(&project.json("report.json"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_that_does_not_answer_in_time_is_exit_3() {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"items": []}))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&slow)
        .await;
    let crm = ledger::crm().await;
    let project = project_with_targets(&crm.uri(), &slow.uri());
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_HTTP_SIDE, "5%"),
    );
    let out = project.run(&["reconcile", "--timeout", "0.5", "--junit", "junit.xml"]);
    out.assert_code(3);
    assert_says(
        &out.stdout,
        "/erp/v2/receivables: no response within 0.5 s (timeout)",
    );
    assert!(out.elapsed < Duration::from_secs(20), "{:?}", out.elapsed);
    assert!(project.read("junit.xml").contains("<error"));
}

/// A minimal valid file, with `amount`'s comparison, the ERP key and the CRM amount pointer
/// as given.
fn small(compare: &str, erp_key: &str, crm_amount: &str) -> String {
    format!(
        "sides:
  crm:
    recording: {{file: crm.jsonl, items: /data}}
    key: /id
  erp:
    recording: {{file: crm.jsonl, items: /data}}
{erp_key}fields:
  amount:
    crm: {crm_amount}
    erp: /amount
    compare: {compare}
"
    )
}

#[test]
fn bad_files_are_exit_2_with_line_and_a_fix_from_reconcile_and_from_check() {
    let project = Project::empty();
    project.write("interlock.toml", "");
    project.write(
        "reconcile/crm.jsonl",
        r#"{"request":{"method":"GET","url":"/c"},"response":{"status":200,"body":{"data":[{"id":"1","amount":"2.00"}]}}}
"#,
    );
    let cases = [
        (
            small("decmal", "    key: /id\n", "/amount"),
            "reconcile/bad.yaml:12: unknown comparison `decmal`; one of exact, decimal, money, instant, case-insensitive, set, map (at /fields/amount/compare) (did you mean `decimal`?)",
        ),
        (
            small("decimal", "    key: /id\n", "amount"),
            "reconcile/bad.yaml:10: `amount` is not a JSON pointer (at /fields/amount/crm) (a pointer starts with `/`: write `/amount`)",
        ),
        (
            small("decimal", "", "/amount"),
            "reconcile/bad.yaml:5: side `erp` has no `key` (at /sides/erp) (give the key's JSON pointer in each row, e.g. `key: /id`)",
        ),
    ];
    for (text, message) in cases {
        project.write("reconcile/bad.yaml", &text);
        for command in [&["reconcile"][..], &["check"][..]] {
            let out = project.run(command);
            out.assert_code(2);
            let all = format!("{}{}", out.stdout, out.stderr);
            assert!(all.contains(message), "{command:?}\n{all}");
        }
    }
    // An unknown option names the options.
    project.write(
        "reconcile/bad.yaml",
        &small("decimal", "    key: /id\n", "/amount")
            .replace("compare: decimal", "compare: decimal\n    tolerence: 0.01"),
    );
    let out = project.run(&["reconcile"]);
    out.assert_code(2);
    assert_says(
        &out.stderr,
        "reconcile/bad.yaml:13: `tolerence` is neither a side (crm, erp) nor an option of a field (at /fields/amount/tolerence) (did you mean `tolerance`?)",
    );
}

#[test]
fn an_unknown_reconciliation_name_is_exit_2_with_a_did_you_mean() {
    let project = Project::bundled();
    let out = project.run(&["reconcile", "receivable"]);
    out.assert_code(2);
    assert_says(&out.stderr, "no reconciliation `receivable`");
    assert_says(&out.stderr, "did you mean `receivables`?");
}

/// 25 contacts; the CRM pages by offset (10 a page), the ERP by `Link` headers (relative
/// URLs, 7 a page). Names differ in case only, tag lists in order only, and contact 13's email
/// really differs.
async fn contacts() -> (MockServer, MockServer) {
    let row = |i: usize, upper: bool| {
        serde_json::json!({
            "id": i,
            "name": if upper { format!("KUNDE {i}") } else { format!("Kunde {i}") },
            "tags": if upper { serde_json::json!(["b", "a"]) } else { serde_json::json!(["a", "b", "a"]) },
            "email": if upper && i == 13 { "old@example.com".to_owned() } else { format!("k{i}@example.com") },
        })
    };
    let crm = MockServer::start().await;
    let crm_rows: Vec<Value> = (0..25).map(|i| row(i, false)).collect();
    Mock::given(method("GET"))
        .respond_with(move |request: &wiremock::Request| {
            let get = |name: &str| {
                request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.parse::<usize>().ok())
            };
            let (offset, limit) = (get("offset").unwrap_or(0), get("limit").unwrap_or(5));
            let page: Vec<Value> = crm_rows.iter().skip(offset).take(limit).cloned().collect();
            ResponseTemplate::new(200).set_body_json(page)
        })
        .mount(&crm)
        .await;
    let erp = MockServer::start().await;
    let erp_rows: Vec<Value> = (0..25).map(|i| row(i, true)).collect();
    Mock::given(method("GET"))
        .respond_with(move |request: &wiremock::Request| {
            let start: usize = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "from")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let end = (start + 7).min(erp_rows.len());
            let mut response = ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"contacts": &erp_rows[start..end]}));
            if end < erp_rows.len() {
                response = response.insert_header(
                    "link",
                    format!(
                        r#"</contacts?from={end}>; rel="next", </contacts?from=21>; rel="last""#
                    ),
                );
            }
            response
        })
        .mount(&erp)
        .await;
    (crm, erp)
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_and_link_paging_read_every_page() {
    let (crm, erp) = contacts().await;
    let project = project_with_targets(&crm.uri(), &erp.uri());
    project.write(
        "reconcile/contacts.yaml",
        "sides:
  crm:
    http:
      target: crm
      path: /contacts
      paging:
        offset: {limit: 10}
    key: /id
  erp:
    http:
      target: erp
      path: /contacts
      items: /contacts
      paging:
        link: true
    key: /id
fields:
  name: {compare: case-insensitive}
  tags: {compare: set}
  email: {compare: exact}
threshold:
  max_mismatch_rate: 0%
",
    );
    let out = project.run(&["reconcile", "--report-json", "report.json"]);
    out.assert_code(1);
    let r = &project.json("report.json")["scenarios"][0]["reconciliation"];
    assert_eq!(r["sides"][0]["rows"], 25);
    assert_eq!(r["sides"][1]["rows"], 25);
    assert_eq!(r["matched"], 25);
    assert_eq!(r["fields"][0]["mismatches"], 0, "case only");
    assert_eq!(r["fields"][1]["mismatches"], 0, "order and repetition only");
    assert_eq!(r["fields"][2]["mismatches"], 1);
    assert_eq!(
        r["fields"][2]["examples"][0]["keys"],
        serde_json::json!(["13", "13"])
    );
    // An email is personal data: without a pseudonym key, reports show neither value.
    assert_eq!(
        r["fields"][2]["examples"][0]["values"],
        serde_json::json!(["[redacted]", "[redacted]"])
    );
    assert!(!out.stdout.contains("@example.com"), "{}", out.stdout);
    assert!(!project.read("report.json").contains("@example.com"));
    // Offsets 0, 10, 20 (the last page short); links from 0, 7, 14, 21.
    assert_eq!(crm.received_requests().await.unwrap_or_default().len(), 3);
    assert_eq!(erp.received_requests().await.unwrap_or_default().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn http_sources_send_the_profiles_credentials_and_never_show_them() {
    const TOKEN: &str = "rcn-secret-7f3a91c2d4";
    let rows = serde_json::json!([{"id": "C-1001", "amount": "1200.00"}]);
    let mut servers = Vec::new();
    for _ in 0..2 {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(wiremock::matchers::header(
                "authorization",
                format!("Bearer {TOKEN}").as_str(),
            ))
            .and(wiremock::matchers::query_param("api_key", TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_json(rows.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_string(format!("bad token {TOKEN}")))
            .mount(&server)
            .await;
        servers.push(server);
    }
    let project = amounts_project(
        &format!(
            "[profiles.local.targets]\ncrm = \"{}\"\nerp = \"{}\"\n\
             [profiles.local.headers.crm]\nAuthorization = \"Bearer ${{RCN_TOKEN}}\"\n\
             [profiles.local.headers.erp]\nAuthorization = \"Bearer ${{RCN_TOKEN}}\"\n\
             [profiles.local.query.crm]\napi_key = \"${{RCN_TOKEN}}\"\n\
             [profiles.local.query.erp]\napi_key = \"${{RCN_TOKEN}}\"\n",
            servers[0].uri(),
            servers[1].uri()
        ),
        "erp",
    );
    let out = tokio::task::spawn_blocking(move || {
        let out = project.run_with_env(&WITH_REPORTS, &[("RCN_TOKEN", TOKEN)]);
        let written: Vec<String> = crate::harness::files_under(project.path())
            .iter()
            .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).into_owned())
            .collect();
        (out, written)
    })
    .await
    .expect("join");
    let (out, written) = out;
    out.assert_code(0);
    for text in written.iter().chain([&out.stdout, &out.stderr]) {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
    // Without the variable, the profile's credentials are an input error naming it.
    let project = amounts_project(
        "[profiles.local.targets]\ncrm = \"http://127.0.0.1:9\"\n[profiles.local.headers.crm]\nAuthorization = \"Bearer ${RCN_TOKEN}\"\n",
        "crm",
    );
    let out = project.run(&["reconcile"]);
    out.assert_code(2);
    assert_says(&out.stderr, "RCN_TOKEN");
}

#[test]
fn a_source_that_cannot_be_reached_never_shows_the_profiles_query_credential() {
    const TOKEN: &str = "rcn-query-key-61d0e8";
    let port = crate::support::crm::free_port();
    let project = amounts_project(
        &format!(
            "[profiles.local.targets]\ncrm = \"http://127.0.0.1:{port}\"\n\
             [profiles.local.query.crm]\napi_key = \"${{RCN_TOKEN}}\"\n"
        ),
        "crm",
    );
    let out = project.run_with_env(&WITH_REPORTS, &[("RCN_TOKEN", TOKEN)]);
    out.assert_code(3);
    assert!(
        out.stdout.contains("api_key=[redacted]") || out.stderr.contains("api_key=[redacted]"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    for file in crate::harness::files_under(project.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        assert!(
            !text.contains(TOKEN),
            "the key leaked into {}",
            file.display()
        );
    }
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_rate_per_side_fails_on_the_side_that_lacks_the_keys() {
    let (crm, erp) = (ledger::crm().await, ledger::erp().await);
    let project = project_with_targets(&crm.uri(), &erp.uri());
    // 50 ERP keys missing in the CRM out of 9,930 + 50: 0.50%; the same in the ERP.
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_HTTP_SIDE, "5%").replace(
            "  max_missing_rate: 2%\n",
            "  max_missing_rate: 2%\n  max_missing_in_crm: 0.4%\n  max_missing_in_erp: 1%\n",
        ),
    );
    let out = project.run(&["reconcile", "--report-json", "report.json"]);
    out.assert_code(1);
    assert_says(
        &out.stdout,
        "threshold max_missing_in_crm exceeded: 0.50% > 0.40%",
    );
    assert!(!out.stdout.contains("max_missing_in_erp exceeded"));
    let report = project.json("report.json");
    let r = &report["scenarios"][0]["reconciliation"];
    assert!(
        (r["sides"][0]["missing_rate"].as_f64().expect("a rate") - 50.0 / 9_980.0).abs() < 1e-12
    );
    let names: Vec<(&str, bool)> = r["thresholds"]
        .as_array()
        .expect("thresholds")
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or(""), t["exceeded"] == true))
        .collect();
    assert_eq!(
        names,
        [
            ("max_mismatch_rate", false),
            ("max_missing_rate", false),
            ("max_missing_in_crm", true),
            ("max_missing_in_erp", false)
        ]
    );
    // The missing keys of the CRM fail the `keys` testcase; the ERP's stay information.
    let keys = &report["scenarios"][0]["exchanges"][3];
    assert_eq!(keys["name"], "keys");
    assert_eq!(keys["outcome"], "failed");
    let missing: Vec<(&str, &str)> = keys["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "reconcile-missing")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(missing.len(), 20, "10 examples per side");
    assert!(missing[..10].iter().all(|m| *m == ("key:crm", "failure")));
    assert!(missing[10..].iter().all(|m| *m == ("key:erp", "info")));

    // A side's name that is not in the file is a bad threshold, with a did-you-mean.
    project.write(
        "reconcile/customers.yaml",
        &reconciliation(ERP_HTTP_SIDE, "5%")
            .replace("  max_missing_rate: 2%\n", "  max_missing_in_ERP: 1%\n"),
    );
    let out = project.run(&["reconcile"]);
    out.assert_code(2);
    assert_says(
        &out.stderr,
        "reconcile/customers.yaml:39: unknown threshold `max_missing_in_ERP`; one of max_mismatch_rate, max_missing_rate, max_missing_in_crm, max_missing_in_erp (at /threshold/max_missing_in_ERP) (did you mean `max_missing_in_erp`?)",
    );
}

/// A SQLite ERP side whose query is as given.
fn sqlite_project(query: &str) -> Project {
    let project = Project::empty();
    project.write(
        "interlock.toml",
        "[profiles.local.databases.erp]\nurl = \"sqlite://erp.sqlite\"\n",
    );
    sqlite_erp(&project);
    project.write(
        "reconcile/customers.yaml",
        &format!(
            "sides:
  crm:
    sql:
      database: erp
      query: SELECT customer_ref, amount FROM receivables
    key: customer_ref
  erp:
    sql:
      database: erp
      query: {query}
    key: customer_ref
fields:
  amount: {{compare: decimal}}
"
        ),
    );
    project
}

#[test]
fn a_query_the_database_rejects_is_a_bad_file_at_the_query_exit_2_on_sqlite() {
    for (query, says) in [
        (
            "SELEC customer_ref, amount FROM receivables",
            "the database rejects the query: near \"SELEC\": syntax error",
        ),
        (
            "SELECT customer_ref, amount FROM receivable",
            "the database rejects the query: no such table: receivable",
        ),
        (
            "SELECT customer_ref, amont FROM receivables",
            "the database rejects the query: no such column: amont",
        ),
    ] {
        let project = sqlite_project(query);
        let out = project.run(&["reconcile", "--report-json", "report.json"]);
        out.assert_code(2);
        assert_says(
            &out.stderr,
            &format!("reconcile/customers.yaml:10:14: {says}"),
        );
        assert_says(
            &out.stderr,
            "(fix the query of side `erp` (sqlite://erp.sqlite))",
        );
        assert!(
            !project.file("report.json").exists(),
            "nothing half-written"
        );
    }
}

#[test]
fn a_query_the_database_rejects_is_a_bad_file_at_the_query_exit_2_on_postgresql() {
    let Some(pg) = Postgres::start() else { return };
    pg.database(
        "erp_bad_sql",
        "CREATE TABLE receivables (customer_ref text, amount numeric(12,2));\n\
         INSERT INTO receivables VALUES ('C-1', 10.00);\n",
    );
    let project = Project::empty();
    project.write(
        "interlock.toml",
        &format!(
            "[profiles.local.databases.erp]\nurl = \"{}\"\n",
            pg.url("erp_bad_sql")
        ),
    );
    let file = |query: &str| {
        format!(
            "sides:
  crm:
    sql: {{database: erp, query: \"SELECT customer_ref, amount FROM receivables\"}}
    key: customer_ref
  erp:
    sql:
      database: erp
      query: |
        {query}
    key: customer_ref
fields:
  amount: {{compare: decimal}}
"
        )
    };
    for (query, says) in [
        (
            "SELECT customer_ref, amont FROM receivables",
            "the database rejects the query: column \"amont\" does not exist (SQLSTATE 42703)",
        ),
        (
            "SELECT customer_ref, amount FROM receivable",
            "the database rejects the query: relation \"receivable\" does not exist (SQLSTATE 42P01)",
        ),
        (
            "SELECT customer_ref, FROM receivables",
            "the database rejects the query: syntax error at or near \"FROM\" (SQLSTATE 42601)",
        ),
    ] {
        project.write("reconcile/customers.yaml", &file(query));
        let out = project.run(&["reconcile"]);
        out.assert_code(2);
        assert_says(
            &out.stderr,
            &format!("reconcile/customers.yaml:9:9: {says}"),
        );
    }
    // A good query on a server that is not there stays an environment problem.
    let port = crate::support::crm::free_port();
    project.write(
        "interlock.toml",
        &format!(
            "[profiles.local.databases.erp]\nurl = \"postgres://interlock@127.0.0.1:{port}/erp\"\n"
        ),
    );
    project.write(
        "reconcile/customers.yaml",
        &file("SELECT customer_ref, amount FROM receivables"),
    );
    let out = project.run(&["reconcile", "--timeout", "2"]);
    out.assert_code(3);
    assert_says(&out.stdout, &format!("127.0.0.1:{port}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_search_endpoint_gets_its_json_body_on_every_page() {
    use wiremock::matchers::{body_json, path, query_param};
    let erp = MockServer::start().await;
    let search =
        serde_json::json!({"filter": {"status": ["open", "overdue"]}, "fields": ["ref", "amount"]});
    for (page, rows) in [
        (
            "1",
            serde_json::json!([{"ref": "A", "amount": "1.00"}, {"ref": "B", "amount": "2.00"}]),
        ),
        ("2", serde_json::json!([{"ref": "C", "amount": "3.50"}])),
    ] {
        Mock::given(method("POST"))
            .and(path("/erp/search"))
            .and(query_param("page", page))
            .and(query_param("size", "2"))
            .and(body_json(&search))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"hits": rows})),
            )
            .expect(1)
            .mount(&erp)
            .await;
    }
    let crm = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
            {"ref": "A", "amount": 1}, {"ref": "B", "amount": 2}, {"ref": "C", "amount": 3}
        ])))
        .mount(&crm)
        .await;
    let project = project_with_targets(&crm.uri(), &erp.uri());
    project.write(
        "reconcile/search.yaml",
        "sides:
  crm:
    http: {target: crm, path: /customers}
    key: /ref
  erp:
    http:
      target: erp
      method: post
      path: /erp/search
      body:
        filter: {status: [open, overdue]}
        fields: [ref, amount]
      items: /hits
      paging:
        page: {size_param: size, size: 2}
    key: /ref
fields:
  amount: {compare: decimal}
threshold:
  max_mismatch_rate: 50%
",
    );
    let out = project.run(&["reconcile", "--report-json", "report.json"]);
    out.assert_code(0);
    let report = project.json("report.json");
    let r = &report["scenarios"][0]["reconciliation"];
    assert_eq!(r["sides"][1]["rows"], 3);
    assert_eq!(
        r["sides"][1]["source"],
        format!("POST {}/erp/search", erp.uri())
    );
    assert_eq!(r["matched"], 3);
    assert_eq!(r["fields"][0]["mismatches"], 1);
    assert_eq!(
        r["fields"][0]["examples"][0]["values"],
        serde_json::json!([3, "3.50"])
    );
    erp.verify().await;

    // A body on a GET, and a method that cannot list, are bad files.
    project.write(
        "reconcile/search.yaml",
        "sides:\n  crm:\n    http: {target: crm, path: /customers, body: {q: 1}}\n    key: /ref\n  erp:\n    http: {target: erp, path: /x, method: PUT}\n    key: /ref\nfields:\n  amount: {compare: decimal}\n",
    );
    let out = project.run(&["reconcile"]);
    out.assert_code(2);
    assert_says(
        &out.stderr,
        "reconcile/search.yaml:3: a GET request has no body (at /sides/crm/http/body) (write `method: POST` for a search endpoint that takes one)",
    );
    assert_says(
        &out.stderr,
        "`PUT` cannot list records: an HTTP source reads with GET, or POST for a search endpoint (at /sides/erp/http/method)",
    );
}
