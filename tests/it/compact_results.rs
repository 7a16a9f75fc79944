//! A run of a few thousand exchanges keeps only its failures to the end: the JSON report still
//! lists every exchange and the JUnit XML has a testcase for each, with exact counts; bodies are
//! kept for the first `[report] max_bodies_per_cause` failing exchanges of a cause only; the
//! recorded p95 comes from a histogram within its documented precision.

use serde_json::Value;

use crate::harness::Project;

const EXCHANGES: usize = 3000;
/// The exchanges whose recorded body breaks the contract (`credit_limit` a string).
const FAILING: [usize; 7] = [10, 400, 401, 1500, 2222, 2998, 2999];
const MAX_BODIES: usize = 3;

const CONTRACT: &str = r#"{
  "interface": "crm.customer.get",
  "provider": "crm",
  "consumers": ["erp", "finance"],
  "operation": { "method": "GET", "path": "/api/v1/customers/{id}" },
  "responses": { "200": { "body": {
    "type": "object",
    "required": ["id", "credit_limit"],
    "properties": { "id": { "type": "string" }, "credit_limit": { "type": "number" } }
  } } }
}
"#;

/// A project whose target is served from a recording of [`EXCHANGES`] lookups, recorded
/// durations 1..=100 ms evenly, [`FAILING`] ones breaking the contract.
fn project() -> Project {
    let mut recording = String::new();
    for i in 0..EXCHANGES {
        let limit = if FAILING.contains(&i) {
            Value::from("500000")
        } else {
            Value::from(500_000)
        };
        let line = serde_json::json!({
            "request": {"method": "GET", "url": format!("/api/v1/customers/C-{i}")},
            "response": {
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body": {"id": format!("C-{i}"), "credit_limit": limit}
            },
            "duration_ms": (i % 100 + 1) as f64
        });
        recording.push_str(&line.to_string());
        recording.push('\n');
    }
    let project = Project::empty();
    project
        .write(
            "interlock.toml",
            &format!("[report]\nmax_bodies_per_cause = {MAX_BODIES}\n"),
        )
        .write("contracts/customer.contract.json", CONTRACT)
        .write(
            "scenarios/lookups/scenario.yaml",
            "target: crm\nreplay: crm.jsonl\n",
        )
        .write("scenarios/lookups/crm.jsonl", &recording);
    project
}

#[test]
fn a_run_of_thousands_lists_every_exchange_with_exact_counts_and_capped_bodies() {
    let project = project();
    let out = project.run(&[
        "run",
        "--snapshots",
        "no",
        "--report-json",
        "out/run.json",
        "--junit",
        "out/junit.xml",
        "--html",
        "out/report.html",
    ]);
    out.assert_code(1);

    let report = project.json("out/run.json");
    let counts = &report["counts"];
    assert_eq!(counts["exchanges"], EXCHANGES);
    assert_eq!(counts["passed"], EXCHANGES - FAILING.len());
    assert_eq!(counts["failed"], FAILING.len());
    assert_eq!(counts["errors"], 0);
    let exchanges = report["scenarios"][0]["exchanges"]
        .as_array()
        .expect("the exchanges");
    assert_eq!(exchanges.len(), EXCHANGES, "every exchange is listed");
    let indices: Vec<u64> = exchanges
        .iter()
        .filter_map(|e| e["index"].as_u64())
        .collect();
    assert!(indices.iter().copied().eq(0..EXCHANGES as u64), "in order");
    let failed: Vec<usize> = (exchanges.iter().enumerate())
        .filter(|(_, e)| e["outcome"] == "failed")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(failed, FAILING);
    for i in FAILING {
        let finding = &exchanges[i]["findings"][0];
        assert_eq!(finding["path"], "/credit_limit", "{finding}");
        assert!(
            finding["cause"].is_string(),
            "a kept finding names its cause"
        );
    }
    // One cause; bodies for its first MAX_BODIES exchanges only.
    assert_eq!(report["causes"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["causes"][0]["exchange_count"], FAILING.len());
    let with_bodies: Vec<usize> = (exchanges.iter().enumerate())
        .filter(|(_, e)| e.get("live_body").is_some() && e.get("recorded_body").is_some())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(with_bodies, FAILING[..MAX_BODIES]);
    assert_eq!(exchanges[0]["outcome"], "passed");
    assert_eq!(exchanges[0]["name"], "GET /api/v1/customers/{id} #1");

    // Recorded 1..=100 ms evenly: the p95 is 95 ms, within the histogram's 0.1%.
    let latency = &report["scenarios"][0]["latency"][0];
    assert_eq!(latency["count"], EXCHANGES);
    let p95 = latency["recorded_p95_ms"].as_f64().expect("a recorded p95");
    assert!((p95 - 95.0).abs() <= 95.0 * 0.001, "recorded p95 {p95}");

    let junit = project.read("out/junit.xml");
    assert_eq!(
        junit.matches("<testcase ").count(),
        EXCHANGES,
        "a testcase each"
    );
    assert_eq!(junit.matches("<failure ").count(), FAILING.len());
    assert!(
        junit.contains(&format!(
            r#"<testsuites tests="{EXCHANGES}" failures="{}" errors="0""#,
            FAILING.len()
        )),
        "{}",
        &junit[..300]
    );
    assert!(
        junit.contains(&format!(
            r#"tests="{EXCHANGES}" failures="{}" errors="0" skipped="0""#,
            FAILING.len()
        )),
        "the suite's totals"
    );

    // The HTML report lists the first 1000 passing exchanges and says how many it left out.
    let html = project.read("out/report.html");
    let left_out = EXCHANGES - FAILING.len() - 1000;
    assert!(
        html.contains(&format!(r#"data-unlisted="{left_out}""#)),
        "the HTML report says how many it left out"
    );
    assert_eq!(
        html.matches(r#"<details class="exchange""#).count(),
        1000 + FAILING.len()
    );
    assert!(
        out.stdout.contains(&format!(
            "… {left_out} more exchanges without a finding not listed"
        )),
        "{}",
        out.stdout
    );
}
