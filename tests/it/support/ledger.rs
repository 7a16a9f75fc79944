//! Stand-in CRM and ERP list endpoints for reconciliation tests: 10,000 customers each, served
//! over real HTTP by wiremock with a responder that pages the data, the CRM by page number
//! (`?page=N&per_page=100`, `{"data": […]}`) and the ERP by cursor (`?cursor=T`, `{"items":
//! […], "next": T}`).
//!
//! The data, over the ids `0..10050`:
//! - the CRM lacks ids `i % 201 == 1` (50), the ERP lacks `i % 201 == 2` (50);
//! - the CRM lists ids `i % 1000 == 500` twice (10), the ERP ids `i % 1000 == 700` (10);
//! - amounts differ on ids `i % 100 ∈ {37, 38, 39}`;
//! - CRM keys `CRM-C00042`, amounts as strings `"1200.00"`, timestamps in +08:00; ERP keys
//!   `erp-c00042`, amounts as numbers, timestamps in UTC (the same instants).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const IDS: u64 = 10_050;

fn cents(i: u64) -> u64 {
    100_000 + (i * 7919) % 9_000_000
}

fn crm_rows() -> Vec<Value> {
    let mut rows = Vec::new();
    for i in 0..IDS {
        if i % 201 == 1 {
            continue;
        }
        let c = cents(i);
        let hour = i % 24;
        let row = json!({
            "id": format!("CRM-C{i:05}"),
            "amount": format!("{}.{:02}", c / 100, c % 100),
            "stage": if i % 2 == 0 { "won" } else { "lost" },
            "updated_at": format!(
                "2026-03-{}T{:02}:15:00+08:00",
                if hour + 8 >= 24 { "02" } else { "01" },
                (hour + 8) % 24
            ),
        });
        if i % 1000 == 500 {
            rows.push(row.clone());
        }
        rows.push(row);
    }
    rows
}

fn erp_rows() -> Vec<Value> {
    let mut rows = Vec::new();
    // Another order than the CRM's: the join must not depend on it.
    for i in (0..IDS).rev() {
        if i % 201 == 2 {
            continue;
        }
        let c = if [37, 38, 39].contains(&(i % 100)) {
            cents(i) + 5_000
        } else {
            cents(i)
        };
        let row = json!({
            "customer_ref": format!("erp-c{i:05}"),
            "amount": c as f64 / 100.0,
            "status": if i % 2 == 0 { "CLOSED" } else { "CANCELLED" },
            "changed_at": format!("2026-03-01T{:02}:15:00Z", i % 24),
        });
        if i % 1000 == 700 {
            rows.push(row.clone());
        }
        rows.push(row);
    }
    rows
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The CRM: `GET /api/v1/customers?page=N&per_page=M` (pages from 1).
pub async fn crm() -> MockServer {
    let server = MockServer::start().await;
    let rows = crm_rows();
    Mock::given(method("GET"))
        .and(path("/api/v1/customers"))
        .respond_with(move |request: &Request| {
            let page: usize = query(request, "page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let size: usize = query(request, "per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(100);
            let start = (page.max(1) - 1) * size;
            let data: Vec<Value> = rows.iter().skip(start).take(size).cloned().collect();
            ResponseTemplate::new(200).set_body_json(json!({"data": data, "page": page}))
        })
        .mount(&server)
        .await;
    server
}

/// The ERP: `GET /erp/v2/receivables[?cursor=T]`, 250 rows a page, `next` null at the end.
pub async fn erp() -> MockServer {
    let server = MockServer::start().await;
    let rows = erp_rows();
    Mock::given(method("GET"))
        .and(path("/erp/v2/receivables"))
        .respond_with(move |request: &Request| {
            let start: usize = query(request, "cursor")
                .and_then(|c| c.strip_prefix("after-")?.parse().ok())
                .unwrap_or(0);
            let end = (start + 250).min(rows.len());
            let next = (end < rows.len()).then(|| format!("after-{end}"));
            ResponseTemplate::new(200)
                .set_body_json(json!({"items": &rows[start..end], "next": next}))
        })
        .mount(&server)
        .await;
    server
}

/// The ERP's rows as SQL `INSERT`s into `receivables(customer_ref, amount, status, changed_at)`.
pub fn erp_inserts() -> Vec<(String, f64, String, String)> {
    erp_rows()
        .into_iter()
        .map(|r| {
            (
                r["customer_ref"].as_str().unwrap_or_default().to_owned(),
                r["amount"].as_f64().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["changed_at"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
