//! `interlock domains` and the `domain-drift` check through the real binary: domains learned
//! from a recording, then a live target over real HTTP whose values leave them — a new enum
//! value, another decimal scale, an integer arriving as a float, a code of another length under
//! an ignore rule — each reported once, at its field.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::harness::{Output, Project};

const CONTRACT: &str = r#"{
  "interface": "crm.invoice.get",
  "provider": "crm",
  "consumers": ["finance"],
  "operation": {"method": "GET", "path": "/invoices/{id}"},
  "responses": {"200": {"description": "An invoice", "body": {"type": "object"}}}
}"#;

/// The invoice the CRM recorded for `I-n`.
fn recorded(n: usize) -> Value {
    json!({
        "id": format!("I-{n}"),
        "status": if n.is_multiple_of(2) { "paid" } else { "open" },
        "amount": format!("{}.50", 1000 + n),
        "quantity": n,
        "reference": format!("REF-{:08}", n * 7919),
        "issued_at": "2026-03-02T09:15:00+08:00"
    })
}

fn exchange(n: usize, body: &Value) -> String {
    json!({
        "request": {"method": "GET", "url": format!("/invoices/I-{n}")},
        "response": {"status": 200, "headers": {"content-type": "application/json"}, "body": body}
    })
    .to_string()
}

/// A project with the invoice contract and a six-exchange scenario ignoring `/reference`.
fn project() -> Project {
    let project = Project::empty();
    let recording: Vec<String> = (1..=6).map(|n| exchange(n, &recorded(n))).collect();
    project
        .write("interlock.toml", "contracts = [\"contracts\"]\nscenarios = \"scenarios\"\n\n[profiles.local.targets]\ncrm = \"http://127.0.0.1:9\"\n")
        .write("contracts/invoice.contract.json", CONTRACT)
        .write("scenarios/invoices/crm.jsonl", &(recording.join("\n") + "\n"))
        .write(
            "scenarios/invoices/scenario.yaml",
            "target: crm\nreplay: crm.jsonl\nignore:\n  - /reference\n",
        );
    project
}

async fn serve(server: &MockServer, n: usize, body: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/invoices/I-{n}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Runs the project against `server` and returns the output and the JSON report.
async fn run_against(project: Project, server: &MockServer) -> (Output, Value) {
    let target = format!("crm={}", server.uri());
    tokio::task::spawn_blocking(move || {
        let out = project.run(&["run", "--target", &target, "--report-json", "report.json"]);
        let report = project.json("report.json");
        (out, report)
    })
    .await
    .expect("join")
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for exchange in report["scenarios"][0]["exchanges"]
        .as_array()
        .expect("exchanges")
    {
        for f in exchange["findings"].as_array().expect("findings") {
            out.push((
                exchange["url"].as_str().unwrap_or("").to_string(),
                f["kind"].as_str().unwrap_or("").to_string(),
                format!(
                    "{} {}",
                    f["path"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    out
}

#[test]
fn domains_are_learned_from_the_scenario_recordings_into_the_contracts_folder() {
    let project = project();
    let out = project.run(&["domains"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("from 6 response bodies into contracts/domains.yaml")
            || out
                .stdout
                .contains("from 6 response bodies into contracts/domains.yaml"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let domains: Value =
        serde_yaml_ng::from_str(&project.read("contracts/domains.yaml")).expect("YAML");
    let fields = &domains["interfaces"]["crm.invoice.get"]["responses"]["200"];
    assert_eq!(fields["/status"]["values"], json!({"open": 3, "paid": 3}));
    assert_eq!(fields["/amount"]["scale"], json!([2, 2]));
    assert_eq!(fields["/quantity"]["types"], json!({"integer": 6}));
    assert_eq!(fields["/reference"]["length"], json!([12, 12]));
    assert_eq!(fields["/issued_at"]["offsets"], json!(["+08:00"]));
    // `check` loads the learned file with the contracts.
    project.run(&["check"]).assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_target_passes_against_its_learned_domains() {
    let project = project();
    project.run(&["domains"]).assert_code(0);
    let server = MockServer::start().await;
    for n in 1..=6 {
        serve(&server, n, recorded(n)).await;
    }
    let (out, report) = run_against(project, &server).await;
    out.assert_code(0);
    assert_eq!(findings(&report), Vec::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn each_value_outside_its_domain_is_one_domain_drift_at_its_field() {
    let project = project();
    project.run(&["domains"]).assert_code(0);
    let server = MockServer::start().await;
    let mut bodies: Vec<Value> = (1..=6).map(recorded).collect();
    bodies[0]["status"] = json!("void");
    bodies[1]["amount"] = json!("1002.5012");
    bodies[2]["quantity"] = json!(3.0);
    // Ignored as volatile: its value may change, its shape may not.
    bodies[3]["reference"] = json!("REF-31676");
    bodies[4]["reference"] = json!("REF-99999999");
    for (i, body) in bodies.into_iter().enumerate() {
        serve(&server, i + 1, body).await;
    }
    let (out, report) = run_against(project, &server).await;
    out.assert_code(1);
    assert_eq!(
        findings(&report),
        vec![
            (
                "/invoices/I-1".into(),
                "domain-drift".into(),
                "/status `/status` has the value \"void\", never recorded (recorded: \"open\", \"paid\")".into()
            ),
            (
                "/invoices/I-2".into(),
                "domain-drift".into(),
                "/amount `/amount` has 4 decimal places where the recordings have 2".into()
            ),
            (
                "/invoices/I-3".into(),
                "domain-drift".into(),
                "/quantity `/quantity` is a float (3.0) where the recordings hold only integers".into()
            ),
            (
                "/invoices/I-4".into(),
                "domain-drift".into(),
                "/reference `/reference` is 9 characters long where every recorded value has 12".into()
            ),
        ]
    );
    let drift = &report["scenarios"][0]["exchanges"][0]["findings"][0];
    assert_eq!(
        drift["old"],
        json!("open"),
        "the recorded value is kept: {drift}"
    );
    assert_eq!(drift["affected"], json!(["crm", "finance"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn severity_info_reports_domain_drift_without_failing() {
    let project = project();
    project.run(&["domains"]).assert_code(0);
    let learned = project.read("contracts/domains.yaml");
    project.write(
        "contracts/domains.yaml",
        &learned.replace(
            "interlock_domains: 1\n",
            "interlock_domains: 1\nseverity: info\n",
        ),
    );
    // Learning again keeps the team's choice.
    project.run(&["domains"]).assert_code(0);
    assert!(
        project
            .read("contracts/domains.yaml")
            .contains("\nseverity: info\n")
    );
    let server = MockServer::start().await;
    let mut bodies: Vec<Value> = (1..=6).map(recorded).collect();
    bodies[0]["status"] = json!("void");
    for (i, body) in bodies.into_iter().enumerate() {
        serve(&server, i + 1, body).await;
    }
    let (out, report) = run_against(project, &server).await;
    out.assert_code(0);
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "domain-drift");
}

#[test]
fn a_domains_file_naming_an_unknown_interface_is_invalid_with_a_suggestion() {
    let project = project();
    project.write(
        "contracts/domains.yaml",
        "interlock_domains: 1\ninterfaces:\n  crm.invoice.gett:\n    responses: {}\n",
    );
    let out = project.run(&["check"]);
    out.assert_code(2);
    assert!(
        out.stdout.contains("contracts/domains.yaml")
            && out
                .stdout
                .contains("no contract has the interface `crm.invoice.gett`")
            && out.stdout.contains("did you mean `crm.invoice.get`?"),
        "{}",
        out.stdout
    );
    // `run` rejects it the same way, before any traffic.
    project.run(&["run"]).assert_code(2);
}

/// The requests a stand-in CRM sends the mocked ERP over real HTTP are checked against the
/// domains learned from what the CRM sent the ERP in the recordings: three customer syncs, all
/// with an integer credit limit.
fn learn_from_three_syncs(project: &Project) {
    let recorded = project.read("scenarios/customer-onboarding/erp.jsonl");
    let sync: Value = serde_json::from_str(recorded.lines().next().expect("a line")).expect("JSON");
    assert_eq!(sync["interface"], "erp.customer-sync");
    let mut lines = String::new();
    for limit in [800000, 300000, 500000] {
        let mut exchange = sync.clone();
        exchange["request"]["body"]["credit_limit"] = json!(limit);
        lines.push_str(&format!("{exchange}\n"));
    }
    project.write("learn/erp-syncs.jsonl", &lines);
    let out = project.run(&[
        "domains",
        "scenarios/customer-onboarding/crm.jsonl",
        "learn/erp-syncs.jsonl",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("from 7 response bodies and 3 peer requests"),
        "{}",
        out.stdout
    );
    let domains = project.read("contracts/domains.yaml");
    assert!(
        domains.contains("  erp.customer-sync:\n    request:\n      /credit_limit:\n        seen: 3\n        types:\n          integer: 3\n"),
        "{domains}"
    );
}

#[test]
fn a_credit_limit_sent_to_the_erp_as_a_float_is_domain_drift_on_the_peer_request() {
    let run = |version| {
        crate::support::crm::run_bundled_against(
            version,
            "customer-onboarding",
            learn_from_three_syncs,
            &["--report-json", "report.json"],
            &[],
        )
    };
    // The CRM as recorded passes.
    let (_, out) = run(crate::support::crm::CrmVersion::V1);
    out.assert_code(0);

    let (project, out) = run(crate::support::crm::CrmVersion::V1FloatCreditLimit);
    out.assert_code(1);
    let report = project.json("report.json");
    let drift: Vec<Value> = report["scenarios"][0]["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .flat_map(|e| e["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["kind"] == "domain-drift")
        .collect();
    assert_eq!(drift.len(), 1, "{drift:#?}");
    let f = &drift[0];
    assert_eq!(
        f["location"],
        json!({"kind": "peer-request", "peer": "erp"})
    );
    assert_eq!(f["interface"], "erp.customer-sync");
    assert_eq!(f["path"], "/credit_limit");
    assert_eq!(f["new"], json!(800000.0));
    assert_eq!(
        f["message"],
        "`/credit_limit` is a float (800000.0) where the recordings hold only integers"
    );
    assert_eq!(f["severity"], "failure");
    assert!(
        out.stdout
            .contains("domain-drift erp request /credit_limit"),
        "{}",
        out.stdout
    );
}
