//! The 1 KB recorded customer the mocked-peer benchmarks (`peers`, `mock`) serve.

use interlock::recording::{Body, Exchange, Request, Response as Recorded};
use serde_json::{Value, json};

pub const PATH: &str = "/api/v1/customers/C-1001?expand=owner";

/// A customer record of about 1 KB.
pub fn customer() -> Value {
    let orders: Vec<Value> = (0..10)
        .map(|i| json!({"id": format!("SO-{i:04}"), "amount": 1250.5 + f64::from(i), "currency": "CNY", "status": "booked"}))
        .collect();
    json!({
        "id": "C-1001",
        "name": "ACME Trading Co., Ltd.",
        "tax_id": "91310000MA1FL0000X",
        "credit_limit": 500000,
        "owner": {"id": "U-7", "name": "Kim", "email": "kim@example.com"},
        "address": {"line1": "88 Century Avenue", "city": "Shanghai", "postcode": "200120", "country": "CN"},
        "updated_at": "2024-05-01T08:00:00+08:00",
        "orders": orders,
    })
}

pub fn exchange(body: &Value) -> Exchange {
    let mut headers = interlock::recording::Headers::new();
    interlock::recording::add_header(&mut headers, "content-type", "application/json".into());
    Exchange {
        interface: Some("erp.customer-get".into()),
        peer: Some("erp".into()),
        request: Request {
            method: "GET".into(),
            url: PATH.into(),
            headers: Default::default(),
            body: Body::default(),
        },
        response: Recorded {
            status: 200,
            headers,
            body: Body::json(body.clone()),
        },
        duration_ms: None,
        recorded_at: None,
    }
}
