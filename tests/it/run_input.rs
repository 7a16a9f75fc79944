//! `interlock run` on small hand-made projects: bad input fails before the network with exit 2
//! and a precise message; an unreachable target or a taken port is exit 3, never a hang; a live
//! target that drifted is exit 1 with the field named.

use std::net::TcpListener;
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::harness::Project;

const CONTRACT: &str = r#"{
  "interface": "crm.customer.get",
  "provider": "crm",
  "consumers": ["erp", "finance"],
  "operation": { "method": "GET", "path": "/api/v1/customers/{id}" },
  "responses": {
    "200": {
      "body": {
        "type": "object",
        "required": ["id", "credit_limit"],
        "properties": {
          "id": { "type": "string" },
          "credit_limit": { "type": "number" }
        }
      }
    }
  }
}
"#;

const RECORDING: &str = r#"{"request":{"method":"GET","url":"/api/v1/customers/C-1001"},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"id":"C-1001","credit_limit":500000}}}
"#;

/// A one-scenario project whose target `crm` has no URL (served from its recording).
fn small_project() -> Project {
    let project = Project::empty();
    project
        .write("contracts/customer.contract.json", CONTRACT)
        .write(
            "scenarios/lookup/scenario.yaml",
            "target: crm\nreplay: crm.jsonl\n",
        )
        .write("scenarios/lookup/crm.jsonl", RECORDING);
    project
}

#[test]
fn small_project_passes_against_its_recorded_stand_in() {
    let out = small_project().run(&["run"]);
    out.assert_code(0);
    assert!(out.stdout.contains("lookup"), "{}", out.stdout);
}

#[test]
fn malformed_contract_json_names_file_line_and_column() {
    let project = small_project();
    project.write(
        "contracts/customer.contract.json",
        "{\n  \"interface\": \"crm.customer.get\",\n  \"provider\": crm\n}\n",
    );
    let out = project.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("contracts/customer.contract.json:3:15: invalid JSON"),
        "{}",
        out.stderr
    );
}

#[test]
fn invalid_schema_type_names_file_and_pointer_with_the_fix() {
    let project = small_project();
    project.edit(
        "contracts/customer.contract.json",
        r#""id": { "type": "string" }"#,
        r#""id": { "type": "strin" }"#,
    );
    let out = project.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("contracts/customer.contract.json: at /responses/200/body/properties/id/type: invalid schema"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `string`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn dangling_ref_names_the_pointer_of_the_ref_and_the_missing_file() {
    let project = small_project();
    project
        .write("contracts/schemas/customer.json", r#"{"type": "object"}"#)
        .write(
            "contracts/customer.contract.json",
            r#"{
  "interface": "crm.customer.get",
  "provider": "crm",
  "operation": { "method": "GET", "path": "/api/v1/customers/{id}" },
  "responses": { "200": { "body": { "$ref": "schemas/custmer.json" } } }
}"#,
        );
    let out = project.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("contracts/customer.contract.json: at /responses/200/body/$ref"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("custmer.json"), "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `customer.json`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn scenario_naming_a_missing_recording_gets_a_did_you_mean() {
    let project = small_project();
    project.write(
        "scenarios/lookup/scenario.yaml",
        "target: crm\nreplay: crm.jsnl\n",
    );
    let out = project.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "scenarios/lookup/scenario.yaml: at /replay: recording `crm.jsnl` does not exist"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `crm.jsonl`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_scenario_name_gets_a_did_you_mean() {
    let out = small_project().run(&["run", "lookpu"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("no scenario named `lookpu`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `lookup`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn truncated_recording_line_is_reported_with_its_line_number() {
    let project = small_project();
    project.write(
        "scenarios/lookup/crm.jsonl",
        &format!("{RECORDING}{}\n", &RECORDING[..50]),
    );
    let out = project.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("scenarios/lookup/crm.jsonl:2: truncated exchange"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bad_recording_of_a_scenario_not_selected_is_not_read() {
    let project = small_project();
    project
        .write(
            "scenarios/other/scenario.yaml",
            "target: crm\nreplay: crm.jsonl\npeers:\n  erp:\n    recording: erp.jsonl\n",
        )
        .write("scenarios/other/crm.jsonl", &RECORDING[..50])
        .write("scenarios/other/erp.jsonl", "not an exchange\n");
    let out = project.run(&["run", "lookup"]);
    out.assert_code(0);
    let out = project.run(&["run", "--shard", "1/1", "--snapshots", "no"]);
    out.assert_code(2);
    // Every bad line of every selected recording, before any traffic.
    for line in [
        "scenarios/other/crm.jsonl:1: truncated exchange",
        "scenarios/other/erp.jsonl:1: invalid exchange",
    ] {
        assert!(out.stderr.contains(line), "{line}: {}", out.stderr);
    }
    assert!(!out.stdout.contains("lookup"), "{}", out.stdout);
}

#[test]
fn an_expectation_past_the_end_of_the_recording_is_exit_2_before_traffic() {
    let project = small_project();
    project.write(
        "scenarios/lookup/scenario.yaml",
        "target: crm\nreplay: crm.jsonl\nexpect:\n  - exchange: 2\n    status: 404\n",
    );
    let out = project.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "exchange 2 does not exist: the replay recording has 1 exchange(s), numbered from 1"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn refused_target_is_an_environment_error_not_a_failure() {
    let port = crate::support::crm::free_port();
    let out = small_project().run(&[
        "run",
        "--target",
        &format!("crm=http://127.0.0.1:{port}"),
        "--junit",
        "junit.xml",
    ]);
    out.assert_code(3);
    assert!(out.stdout.contains("connection refused"), "{}", out.stdout);
    assert!(
        out.elapsed < Duration::from_secs(30),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn silent_target_times_out_within_the_timeout() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let out = small_project().run(&[
        "run",
        "--timeout",
        "1",
        "--target",
        &format!("crm=http://127.0.0.1:{port}"),
    ]);
    out.assert_code(3);
    assert!(
        out.stdout.contains("no response within 1 s"),
        "{}",
        out.stdout
    );
    assert!(
        out.elapsed < Duration::from_secs(20),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn taken_peer_port_is_an_environment_error_naming_the_port() {
    let project = small_project();
    let holder = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port();
    project
        .write(
            "scenarios/lookup/scenario.yaml",
            &format!("target: crm\nreplay: crm.jsonl\npeers:\n  erp:\n    recording: erp.jsonl\n    port: {port}\n"),
        )
        .write("scenarios/lookup/erp.jsonl", "");
    let out = project.run(&["run"]);
    out.assert_code(3);
    assert!(out.stdout.contains(&port.to_string()), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn live_target_that_retyped_a_field_fails_with_the_field_named() {
    let staging = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/customers/C-1001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": "C-1001", "credit_limit": "500000.00"})),
        )
        .mount(&staging)
        .await;
    let project = small_project();
    let target = format!("crm={}", staging.uri());
    let out = tokio::task::spawn_blocking(move || {
        let out = project.run(&["run", "--target", &target, "--report-json", "report.json"]);
        (out, project.read("report.json"))
    })
    .await
    .expect("join");
    let (out, report) = out;
    out.assert_code(1);
    assert!(out.stdout.contains("/credit_limit"), "{}", out.stdout);
    let report: serde_json::Value = serde_json::from_str(&report).expect("report is JSON");
    let findings = report
        .pointer("/scenarios/0/exchanges/0/findings")
        .and_then(|f| f.as_array())
        .expect("findings");
    let kinds: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or(""),
                f["path"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("schema-violation", "/credit_limit")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("type-changed", "/credit_limit")),
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ad_hoc_mode_replays_a_capture_with_contracts() {
    let staging = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/customers/C-1001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": "C-1001", "credit_limit": 500000})),
        )
        .expect(1)
        .mount(&staging)
        .await;
    let project = Project::empty();
    project
        .write("capture.jsonl", RECORDING)
        .write("specs/customer.contract.json", CONTRACT);
    let url = staging.uri();
    let out = tokio::task::spawn_blocking(move || {
        let out = project.run(&[
            "run",
            "--replay",
            "capture.jsonl",
            "--target",
            &url,
            "--contracts",
            "specs",
            "--junit",
            "out/junit.xml",
        ]);
        (out, project.read("out/junit.xml"))
    })
    .await
    .expect("join");
    let (out, junit) = out;
    out.assert_code(0);
    assert!(junit.contains("GET /api/v1/customers/{id} #1"), "{junit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_body_repeating_its_recording_passes_however_written_and_a_changed_value_is_named() {
    let staging = MockServer::start().await;
    for (id, body) in [
        ("C-1001", r#"{"id":"C-1001","credit_limit":500000}"#),
        (
            "C-1002",
            "{\n  \"id\": \"C-1002\",\n  \"credit_limit\": 500000\n}\n",
        ),
        ("C-1003", r#"{"credit_limit":500000,"id":"C-1003"}"#),
        ("C-1004", r#"{"id":"C-1004","credit_limit":500001}"#),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/customers/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&staging)
            .await;
    }
    let project = small_project();
    let recording: String = (1001..=1004)
        .map(|n| RECORDING.replace("C-1001", &format!("C-{n}")))
        .collect();
    project.write("scenarios/lookup/crm.jsonl", &recording);
    let target = format!("crm={}", staging.uri());
    let (out, report) = tokio::task::spawn_blocking(move || {
        let out = project.run(&["run", "--target", &target, "--report-json", "report.json"]);
        (out, project.read("report.json"))
    })
    .await
    .expect("join");
    let report: serde_json::Value = serde_json::from_str(&report).expect("report is JSON");
    let exchanges = report
        .pointer("/scenarios/0/exchanges")
        .and_then(|e| e.as_array())
        .expect("exchanges");
    let found: Vec<(u64, Vec<&str>)> = exchanges
        .iter()
        .map(|e| {
            let paths = (e["findings"].as_array().into_iter().flatten())
                .map(|f| f["path"].as_str().unwrap_or(""))
                .collect();
            (e["index"].as_u64().unwrap_or(99), paths)
        })
        .filter(|(_, paths): &(u64, Vec<&str>)| !paths.is_empty())
        .collect();
    assert_eq!(found, vec![(3, vec!["/credit_limit"])], "{}", out.stdout);
}
