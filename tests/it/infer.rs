//! `interlock infer`: draft contracts from the bundled recordings — exact properties, `required`,
//! formats and enums; drafts that load and accept the traffic they came from; path templates for
//! recordings without interface ids; bad recordings rejected with `file:line`.

use serde_json::json;

use crate::harness::Project;

const RECEIVABLES: &str = "scenarios/receivables-check/erp.jsonl";
const FORECAST: &str = "scenarios/opportunity-stage/erp.jsonl";
const CUSTOMER_SYNC: &str = "scenarios/customer-onboarding/erp.jsonl";

#[test]
fn drafts_from_the_bundled_erp_recordings() {
    let project = Project::bundled();
    let out = project.run(&[
        "infer",
        RECEIVABLES,
        FORECAST,
        CUSTOMER_SYNC,
        "--out",
        "drafts",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("drafted 3 contracts from 6 exchanges into drafts"),
        "{}",
        out.stdout
    );
    let receivables = project.json("drafts/erp.receivables.get.contract.json");
    assert_eq!(receivables["provider"], "erp");
    assert_eq!(
        receivables["operation"],
        json!({"method": "GET", "path": "/erp/v2/receivables/{receivable_id}"})
    );
    assert_eq!(
        receivables["metadata"],
        json!({"draft": true, "samples": 3, "inferred_from": [RECEIVABLES]})
    );
    assert_eq!(
        receivables["request"]["headers"],
        json!({
            "x-request-id": {"required": true, "schema": {"type": "string"}},
            "x-source-system": {"required": true, "schema": {"type": "string", "enum": ["crm"]}}
        })
    );
    assert_eq!(
        receivables["responses"]["200"],
        json!({
            "description": "Seen 2 times",
            "body": {
                "type": "object",
                "properties": {
                    "invoice_no": {"type": "string"},
                    "customer_no": {"type": "string"},
                    "amount": {"type": "number"},
                    "currency": {"type": "string", "enum": ["CNY"]},
                    "paid": {"type": "boolean"},
                    "paid_at": {"type": ["string", "null"], "format": "date-time"},
                    "due_date": {"type": "string", "format": "date"}
                },
                "required": ["invoice_no", "customer_no", "amount", "currency", "paid", "paid_at", "due_date"]
            }
        })
    );
    assert_eq!(
        receivables["responses"]["404"]["body"]["required"],
        json!(["error", "message"])
    );

    let forecast = project.json("drafts/erp.forecast.opportunity.contract.json");
    assert_eq!(
        forecast["request"]["body"],
        json!({
            "type": "object",
            "properties": {
                "opportunity_id": {"type": "string"},
                "customer_no": {"type": "string"},
                "stage": {"type": "string"},
                "probability": {"type": "integer"},
                "amount": {"type": "integer"},
                "currency": {"type": "string", "enum": ["CNY"]},
                "expected_close_date": {"type": "string", "format": "date"}
            },
            "required": ["opportunity_id", "customer_no", "stage", "probability", "amount", "currency", "expected_close_date"]
        })
    );
    assert_eq!(
        forecast["responses"]["202"]["body"]["properties"]["status"],
        json!({"type": "string", "enum": ["queued"]})
    );
    assert!(
        forecast["$comment"]
            .as_str()
            .unwrap()
            .starts_with("Draft inferred by `interlock infer` from 2 recorded exchanges")
    );

    // The drafts load, and accept the traffic they were inferred from.
    let set = interlock::contract::load_dir(&project.file("drafts")).unwrap();
    assert_eq!(set.len(), 3);
    for file in [RECEIVABLES, FORECAST, CUSTOMER_SYNC] {
        let recording = interlock::recording::read(&project.file(file)).unwrap();
        for exchange in recording.iter() {
            let contract = set
                .find(
                    Some("erp"),
                    &exchange.request.method,
                    exchange.request.path(),
                )
                .unwrap();
            let (_, response) = contract.response_for(exchange.response.status).unwrap();
            let body = exchange.response.body.json().unwrap();
            let violations = response.body.as_ref().unwrap().schema.violations(body);
            assert!(violations.is_empty(), "{file}: {violations:?}");
        }
    }
}

#[test]
fn recordings_without_interface_ids_get_templated_paths_and_ids() {
    let project = Project::bundled();
    let text = project.read(RECEIVABLES);
    project.write(
        "traffic/erp.jsonl",
        &text.replace("\"interface\":\"erp.receivables.get\",", ""),
    );
    let out = project.run(&[
        "infer",
        "traffic/erp.jsonl",
        "--out",
        "drafts",
        "--enum-threshold",
        "0",
        "--provider",
        "ledger",
    ]);
    out.assert_code(0);
    let draft = project.json("drafts/ledger.get-erp-v2-receivables-receivable-id.contract.json");
    assert_eq!(
        draft["interface"],
        "ledger.get-erp-v2-receivables-receivable-id"
    );
    assert_eq!(
        draft["summary"],
        "GET /erp/v2/receivables/{receivable_id} (inferred draft)"
    );
    // Enums off: the currency is a plain string.
    assert_eq!(
        draft["responses"]["200"]["body"]["properties"]["currency"],
        json!({"type": "string"})
    );
    let set = interlock::contract::load_dir(&project.file("drafts")).unwrap();
    assert!(
        set.find(Some("ledger"), "GET", "/erp/v2/receivables/INV-1")
            .is_some()
    );
}

#[test]
fn a_bad_recording_is_reported_by_line_and_nothing_is_written() {
    let project = Project::bundled();
    let text = project.read(RECEIVABLES);
    project.write("bad.jsonl", &format!("{text}{{\"request\": \n"));
    let out = project.run(&["infer", "bad.jsonl", "--out", "drafts"]);
    out.assert_code(2);
    assert!(out.stderr.contains("bad.jsonl:4:"), "{}", out.stderr);
    assert!(!project.file("drafts").exists());
}
