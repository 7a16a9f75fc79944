//! A stand-in for a CRM on a real staging system: it behaves like a shared environment, not
//! like the recording.
//!
//! - It generates its own customer ids, from [`Options::first_id`] (`C-20555`, `C-20556`, …),
//!   where the bundled recordings have `C-10023`.
//! - With [`Options::volatile`], every answer's body carries volatile fields: `request_id`
//!   (new on every request) and `server_time` (the current time). Every answer has a fresh
//!   32-hex-digit `x-request-id` header.
//! - State lives as long as the instance: customers created by one run are there for the next,
//!   and creating a customer whose `tax_id` was created before returns it again (`201`).
//! - It can require `Authorization: Bearer TOKEN` ([`Options::token`]): `401` otherwise.
//! - [`Options::v2`] renames the customer field `tax_id` to `taxNumber` in its answers.
//! - A created customer is registered with the ERP before answering (`POST /erp/v2/customers`
//!   with `crm_customer_id`); the ERP must answer with the same id, else the create fails with
//!   `502 erp_mismatch`. Every ERP answer is kept ([`Staging::erp_answers`]).
//!
//! It serves the customer operations of `scenarios/customer-onboarding`: create, get, list.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

/// How the staging CRM behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The number of the first customer it creates (`20555` → `C-20555`).
    pub first_id: u32,
    /// A bearer token every request must carry.
    pub token: Option<String>,
    /// Answer with `taxNumber` instead of `tax_id`.
    pub v2: bool,
    /// Put `request_id` and `server_time` into every body.
    pub volatile: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            first_id: 20555,
            token: None,
            v2: false,
            volatile: false,
        }
    }
}

/// A running staging CRM; stops when dropped.
pub struct Staging {
    pub url: String,
    crm: Arc<Crm>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Staging {
    /// Starts on a free port of 127.0.0.1, calling the ERP at `erp_url`.
    pub fn start(options: Options, erp_url: &str) -> Staging {
        let listener = TcpListener::bind("127.0.0.1:0").expect("staging CRM: bind");
        listener
            .set_nonblocking(true)
            .expect("staging CRM: non-blocking");
        let addr = listener.local_addr().expect("staging CRM: address");
        let crm = Arc::new(Crm::new(options, erp_url));
        let (stop, stopped) = oneshot::channel();
        let serving = Arc::clone(&crm);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("staging CRM: runtime");
            runtime.block_on(super::serve::serve(
                listener,
                serving,
                |crm: Arc<Crm>, req| async move { crm.handle(req).await },
                stopped,
            ));
            runtime.shutdown_timeout(Duration::from_secs(1));
        });
        Staging {
            url: format!("http://{addr}"),
            crm,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Switches the answers to v2 (or back) without losing state.
    pub fn set_v2(&self, v2: bool) {
        self.crm.lock().v2 = v2;
    }

    /// Every answer the ERP gave to a customer sync, in order.
    pub fn erp_answers(&self) -> Vec<Value> {
        self.crm.lock().erp_answers.clone()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct State {
    customers: BTreeMap<String, Value>,
    next_id: u32,
    v2: bool,
    erp_answers: Vec<Value>,
}

struct Crm {
    token: Option<String>,
    volatile: bool,
    erp_url: String,
    client: reqwest::Client,
    state: Mutex<State>,
    requests: AtomicU64,
}

type Handled = (StatusCode, Value, Option<String>);

impl Crm {
    fn new(options: Options, erp_url: &str) -> Crm {
        let customers = super::crm::seed_customer_records()
            .into_iter()
            .map(|record| (record["id"].as_str().unwrap_or("").to_string(), record))
            .collect();
        Crm {
            token: options.token,
            volatile: options.volatile,
            erp_url: erp_url.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .no_proxy()
                .build()
                .expect("staging CRM: client"),
            state: Mutex::new(State {
                customers,
                next_id: options.first_id,
                v2: options.v2,
                erp_answers: Vec::new(),
            }),
            requests: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let authorized = self.token.as_ref().is_none_or(|token| {
            req.headers()
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                == Some(&format!("Bearer {token}"))
        });
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (status, body, location) = if !authorized {
            (
                StatusCode::UNAUTHORIZED,
                error("unauthorized", "missing or wrong bearer token"),
                None,
            )
        } else {
            match (&method, segments.as_slice()) {
                (&Method::POST, ["api", "v1", "customers"]) => self.create(&body).await,
                (&Method::GET, ["api", "v1", "customers"]) => self.list(&query),
                (&Method::GET, ["api", "v1", "customers", id]) => self.get(id),
                _ => (StatusCode::NOT_FOUND, error("not_found", &path), None),
            }
        };
        self.reply(status, body, location)
    }

    fn reply(
        &self,
        status: StatusCode,
        body: Value,
        location: Option<String>,
    ) -> Response<Full<Bytes>> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let mut body = body;
        if self.volatile
            && let Value::Object(map) = &mut body
        {
            map.insert(
                "request_id".into(),
                json!(format!("req-{}-{n}", std::process::id())),
            );
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            map.insert("server_time".into(), json!(now.to_string()));
        }
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Ok(id) = trace_id(n).parse() {
            headers.insert("x-request-id", id);
        }
        if let Some(location) = location.and_then(|l| l.parse().ok()) {
            headers.insert(hyper::header::LOCATION, location);
        }
        response
    }

    /// A customer as this version answers it.
    fn render(&self, record: &Value, v2: bool) -> Value {
        let Value::Object(fields) = record else {
            return record.clone();
        };
        let mut out = Map::new();
        for (key, value) in fields {
            let key = if v2 && key == "tax_id" {
                "taxNumber"
            } else {
                key.as_str()
            };
            out.insert(key.to_string(), value.clone());
        }
        Value::Object(out)
    }

    fn get(&self, id: &str) -> Handled {
        let state = self.lock();
        match state.customers.get(id) {
            Some(record) => (StatusCode::OK, self.render(record, state.v2), None),
            None => (
                StatusCode::NOT_FOUND,
                error("customer_not_found", &format!("客户 {id} 不存在")),
                None,
            ),
        }
    }

    fn list(&self, query: &str) -> Handled {
        let status = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.into_owned());
        let state = self.lock();
        let items: Vec<Value> = state
            .customers
            .values()
            .filter(|c| status.is_none() || c["status"].as_str() == status.as_deref())
            .map(|c| self.render(c, state.v2))
            .collect();
        let total = items.len();
        (
            StatusCode::OK,
            json!({"items": items, "page": 1, "page_size": 20, "total": total}),
            None,
        )
    }

    async fn create(&self, body: &[u8]) -> Handled {
        let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(body) else {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                error("invalid_body", "JSON object expected"),
                None,
            );
        };
        let tax_id = input
            .get("tax_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let existing = self
            .lock()
            .customers
            .values()
            .find(|c| c["tax_id"].as_str() == Some(tax_id.as_str()))
            .cloned();
        let record = match existing {
            Some(record) => record,
            None => {
                let id = {
                    let mut state = self.lock();
                    let id = format!("C-{}", state.next_id);
                    state.next_id += 1;
                    id
                };
                let at = "2026-03-02T09:15:00+08:00";
                json!({
                    "id": id,
                    "name": input.get("name").cloned().unwrap_or(Value::Null),
                    "tax_id": tax_id,
                    "credit_limit": input.get("credit_limit").cloned().unwrap_or(json!(0)),
                    "currency": input.get("currency").cloned().unwrap_or(Value::Null),
                    "status": "active",
                    "owner": input.get("owner").cloned().unwrap_or(Value::Null),
                    "contacts": input.get("contacts").cloned().unwrap_or(json!([])),
                    "created_at": at,
                    "updated_at": at,
                })
            }
        };
        let id = record["id"].as_str().unwrap_or("").to_string();
        let sync = json!({
            "crm_customer_id": id,
            "name": record["name"],
            "tax_id": tax_id,
            "currency": record["currency"],
            "credit_limit": record["credit_limit"],
        });
        let answer = self
            .client
            .post(format!("{}/erp/v2/customers", self.erp_url))
            .header("accept", "application/json")
            .header("x-source-system", "crm")
            .header(
                "x-request-id",
                trace_id(self.requests.fetch_add(1, Ordering::Relaxed)),
            )
            .json(&sync)
            .send()
            .await;
        let answer: Option<Value> = match answer {
            Ok(response) if response.status().is_success() => response.json().await.ok(),
            _ => None,
        };
        let mut state = self.lock();
        let Some(answer) = answer else {
            return (
                StatusCode::BAD_GATEWAY,
                error("erp_unavailable", "ERP sync failed"),
                None,
            );
        };
        state.erp_answers.push(answer.clone());
        if answer["crm_customer_id"].as_str() != Some(id.as_str()) {
            return (
                StatusCode::BAD_GATEWAY,
                error(
                    "erp_mismatch",
                    &format!("the ERP answered for {}", answer["crm_customer_id"]),
                ),
                None,
            );
        }
        state.customers.insert(id.clone(), record.clone());
        (
            StatusCode::CREATED,
            self.render(&record, state.v2),
            Some(format!("/api/v1/customers/{id}")),
        )
    }
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": code, "message": message})
}

/// A 32-hex-digit trace id, different for every `n`.
fn trace_id(n: u64) -> String {
    let salt = u64::from(std::process::id());
    format!(
        "{:016x}{:016x}",
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt,
        n ^ 0x5bd1_e995
    )
}
