//! A stand-in for the CRM on staging: a real HTTP server implementing every CRM operation of the
//! bundled scenarios (`scenarios/customer-onboarding`, `receivables-check`, `opportunity-stage`).
//!
//! [`CrmVersion::V1`] is the CRM the bundled recordings were taken from: replaying them against it
//! gives the same statuses and bodies (ids and timestamps come from a fixed clock), and it makes the
//! same calls to the ERP with the same bodies. Only the `x-request-id` header differs, which every
//! scenario ignores.
//!
//! [`CrmVersion::V2`] is the broken upgrade (stories 1, 2 and 4):
//! - customer responses (`crm.customer.create`, `.get`, `.list` items) carry `taxNumber` instead of
//!   `tax_id`, and `credit_limit` as a string with two decimals (`"800000.00"`);
//! - every date-time it answers with is the same instant at `+09:00` instead of `+08:00`
//!   (customer `created_at` / `updated_at`, opportunity `updated_at`, payment-status `paid_at`
//!   and `checked_at`);
//! - its customer-sync call to the ERP (`POST /erp/v2/customers`) sends `taxNumber` instead of
//!   `tax_id`; its other ERP calls are unchanged.
//!
//! ERP calls are made synchronously before answering, with a timeout of [`ERP_TIMEOUT`] (below
//! Interlock's default request timeout, so a slow peer shows up as the CRM's answer, not as a
//! replay timeout). When an ERP call fails:
//! - a customer sync the ERP could not take (no connection, timeout, 5xx, 429) fails the create:
//!   the CRM stores nothing, releases the id and answers `502 {"error":"erp_unavailable"}`, so the
//!   user's retry creates the customer once the ERP is back (`scenarios/erp-outage`);
//!   [`CrmVersion::V1IgnoresErpOutage`] is the release before that fix, which stores the
//!   customer, answers `201` and never syncs it (story 5: data lost during the outage);
//! - other failed writes that only notify the ERP (a sync the ERP rejected with a 4xx, a
//!   forecast update) are best-effort: the CRM keeps its own change and answers exactly as the
//!   recording does, because none of those answers carries data that comes from the ERP;
//! - the payment-status read, which has nothing to show without the ERP, answers
//!   `502 {"error":"erp_unavailable"}` (an ERP `404` becomes the CRM's `404 invoice_not_found`).
//!
//! State starts from the same seed data on every [`start`] and changes as a real CRM's would, but
//! replaying a scenario twice against one instance gives the same answers: creating a customer
//! whose `tax_id` was already created through the API returns the stored customer again (`201`),
//! and moving an opportunity to the stage it is already in returns the stored change (`200`);
//! both still call the ERP again.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, LOCATION, VARY};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

/// Timeout of every call the CRM makes to the ERP.
pub const ERP_TIMEOUT: Duration = Duration::from_secs(3);

/// The fixed ports of the mocked ERP in the bundled scenarios (`peers.erp.port`).
pub const ONBOARDING_ERP_PORT: u16 = 18081;
pub const RECEIVABLES_ERP_PORT: u16 = 18082;
pub const OPPORTUNITY_ERP_PORT: u16 = 18083;
pub const ERP_OUTAGE_ERP_PORT: u16 = 18084;

/// Every bundled scenario with the fixed port of its mocked ERP.
pub const BUNDLED_SCENARIOS: &[(&str, u16)] = &[
    ("customer-onboarding", ONBOARDING_ERP_PORT),
    ("receivables-check", RECEIVABLES_ERP_PORT),
    ("opportunity-stage", OPPORTUNITY_ERP_PORT),
    ("erp-outage", ERP_OUTAGE_ERP_PORT),
];

/// Runs one bundled scenario against a test CRM of `version`, its ERP peer moved to a free
/// port, after `edit` has changed the copied project: `interlock run SCENARIO --target
/// crm=URL` then `more`, with `env` set.
pub fn run_bundled_against(
    version: CrmVersion,
    scenario: &str,
    edit: impl FnOnce(&crate::harness::Project),
    more: &[&str],
    env: &[(&str, &str)],
) -> (crate::harness::Project, crate::harness::Output) {
    let &(_, fixed_port) = BUNDLED_SCENARIOS
        .iter()
        .find(|(name, _)| *name == scenario)
        .expect("known scenario");
    let project = crate::harness::Project::bundled();
    edit(&project);
    let port = free_port();
    move_erp(&project, scenario, fixed_port, port);
    let crm = start(version, &format!("http://127.0.0.1:{port}"));
    let target = format!("crm={}", crm.url);
    let mut args = vec!["run", scenario, "--target", &target];
    args.extend_from_slice(more);
    let out = project.run_with_env(&args, env);
    drop(crm);
    (project, out)
}

/// Moves the mocked ERP of bundled scenario `scenario` in `project` from its fixed port to
/// `port`.
pub fn move_erp(project: &crate::harness::Project, scenario: &str, fixed_port: u16, port: u16) {
    project.edit(
        &format!("scenarios/{scenario}/scenario.yaml"),
        &format!("port: {fixed_port}"),
        &format!("port: {port}"),
    );
}

/// The bundled project with customer-onboarding's mocked ERP on a free port, and that port.
pub fn bundled_onboarding_on_a_free_port() -> (crate::harness::Project, u16) {
    let project = crate::harness::Project::bundled();
    let port = free_port();
    move_erp(&project, "customer-onboarding", ONBOARDING_ERP_PORT, port);
    (project, port)
}

/// How long dropping a [`TestCrm`] waits for its thread before leaving it behind.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// Which CRM release to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrmVersion {
    /// The release the bundled recordings were taken from.
    V1,
    /// The broken upgrade: `taxNumber`, string `credit_limit`, `+09:00` timestamps.
    V2,
    /// v1 with a hidden logic change (story 3): the stage button silently sends
    /// `?rollback=true` to the ERP forecast and the opportunity's stage moves backwards.
    V1HiddenRollback,
    /// v1 before the outage fix (story 5): a customer sync the ERP could not take is ignored;
    /// the create answers `201` and the customer never reaches the ERP.
    V1IgnoresErpOutage,
    /// v1 with a unit slip in the customer sync: the credit limit the ERP receives is a tenth
    /// of the one the customer was created with (`800000` → `80000`), which the ERP's contract
    /// still accepts.
    V1ScaledCreditLimit,
    /// v1 passing the credit limit on to the ERP as a float (`800000` → `800000.0`): the
    /// ERP's contract takes any number, the recordings hold only integers.
    V1FloatCreditLimit,
}

/// A running test CRM; stops when dropped.
pub struct TestCrm {
    /// Base URL, e.g. `http://127.0.0.1:41873` (no trailing slash).
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    stopped: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a CRM of `version` on `127.0.0.1` (a free port) that calls the ERP at `erp_url`
/// (e.g. `http://127.0.0.1:18081`). It runs on its own thread with its own tokio runtime, so it
/// serves subprocesses independently of any test runtime. Connections are accepted as soon as
/// this returns.
pub fn start(version: CrmVersion, erp_url: &str) -> TestCrm {
    let listener = TcpListener::bind("127.0.0.1:0").expect("test CRM: bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("test CRM: non-blocking listener");
    let addr = listener.local_addr().expect("test CRM: local address");
    let (stop_tx, stop_rx) = oneshot::channel();
    let (stopped_tx, stopped_rx) = mpsc::channel();
    let crm = Crm::new(version, erp_url);
    let thread = std::thread::Builder::new()
        .name(format!("test-crm-{}", addr.port()))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test CRM: tokio runtime");
            runtime.block_on(super::serve::serve(
                listener,
                Arc::new(crm),
                |crm: Arc<Crm>, req| async move { crm.handle(req).await },
                stop_rx,
            ));
            runtime.shutdown_timeout(Duration::from_secs(1));
            let _ = stopped_tx.send(());
        })
        .expect("test CRM: spawn thread");
    TestCrm {
        url: format!("http://{addr}"),
        stop: Some(stop_tx),
        stopped: stopped_rx,
        thread: Some(thread),
    }
}

/// A port that was free a moment ago, for a server the test configures by port number.
///
/// Taken below Linux's ephemeral range (32768–60999), where the kernel never hands out a port
/// for a `bind` to port 0: a server a test starts on port 0 meanwhile cannot land on it. Each
/// call in this process returns another port.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let start = std::process::id() % SPAN;
    for _ in 0..SPAN {
        let step = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = (FIRST + (start + step) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {FIRST} and {}", FIRST + SPAN)
}

impl Drop for TestCrm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Join only once the thread said it is done (or died), so a drop never hangs.
        match self.stopped.recv_timeout(STOP_WAIT) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take() {
                    let _ = thread.join();
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seed data and the fixed clock
// ---------------------------------------------------------------------------------------------

/// "Today" for overdue checks.
const TODAY: &str = "2026-03-06";

/// The moments things happen at, so answers are the same on every run. Keyed by event.
fn clock(event: &str) -> String {
    match event {
        "customer-created:91440300MA5G7W2K82" => "2026-03-02T09:15:00+08:00",
        "customer-created:91330106MA2H3K4L5P" => "2026-03-09T16:40:00+08:00",
        "payment-checked:INV-2026-000318" => "2026-03-06T10:30:00+08:00",
        "payment-checked:INV-2026-000342" => "2026-03-06T10:30:01+08:00",
        "stage-changed:OPP-20260042" => "2026-03-05T14:20:00+08:00",
        "stage-changed:OPP-20260038" => "2026-03-05T14:26:37+08:00",
        _ => "2026-03-06T12:00:00+08:00",
    }
    .to_string()
}

/// The id the next created customer gets.
const FIRST_NEW_CUSTOMER: u32 = 10023;

struct Customer {
    /// As v1 renders it (key order of the recordings).
    record: Value,
    erp_customer_no: Option<String>,
    /// Created through the API (not seed data): a repeated create returns it again.
    created_here: bool,
}

struct Opportunity {
    customer_no: String,
    stage: String,
    previous_stage: String,
    updated_at: String,
    amount: Value,
    currency: String,
    expected_close_date: String,
}

#[allow(clippy::too_many_arguments)]
fn seed_customer(
    id: &str,
    name: &str,
    tax_id: &str,
    credit_limit: u64,
    status: &str,
    owner: &str,
    contacts: Value,
    created_at: &str,
    updated_at: &str,
    erp_customer_no: &str,
) -> (String, Customer) {
    let record = json!({
        "id": id,
        "name": name,
        "tax_id": tax_id,
        "credit_limit": credit_limit,
        "currency": "CNY",
        "status": status,
        "owner": owner,
        "contacts": contacts,
        "created_at": created_at,
        "updated_at": updated_at,
    });
    (
        id.to_string(),
        Customer {
            record,
            erp_customer_no: Some(erp_customer_no.to_string()),
            created_here: false,
        },
    )
}

/// The seed customers as the API renders them, for other stand-ins.
pub fn seed_customer_records() -> Vec<Value> {
    seed_customers().into_values().map(|c| c.record).collect()
}

fn seed_customers() -> BTreeMap<String, Customer> {
    BTreeMap::from([
        seed_customer(
            "C-10001",
            "上海华东精密机械有限公司",
            "91310115MA1K4B7R29",
            500_000,
            "active",
            "zhang.wei",
            json!([{"name": "王建国", "role": "采购经理", "phone": "+86 21 5080 1234", "email": "wang.jianguo@hdjm.example.com"}]),
            "2025-06-18T10:02:11+08:00",
            "2026-02-26T17:40:05+08:00",
            "E-300112",
        ),
        seed_customer(
            "C-10007",
            "苏州工业园区恒信电子科技有限公司",
            "91320594MA1MXE3T6J",
            1_200_000,
            "active",
            "li.na",
            json!([
                {"name": "周敏", "role": "财务经理", "phone": "+86 512 6288 0456", "email": "zhou.min@hengxin-elec.example.com"},
                {"name": "孙浩", "role": "采购主管", "phone": "+86 139 0000 2817"}
            ]),
            "2025-08-04T14:25:37+08:00",
            "2026-01-12T09:03:58+08:00",
            "E-300145",
        ),
        seed_customer(
            "C-10012",
            "宁波北仑港通物流有限公司",
            "91330206MA2GQ8U1LR",
            300_000,
            "suspended",
            "zhang.wei",
            json!([]),
            "2025-07-09T08:51:20+08:00",
            "2026-02-14T15:12:09+08:00",
            "E-300150",
        ),
        seed_customer(
            "C-10019",
            "杭州西溪云图信息技术有限公司",
            "91330106MA2H4N7P32",
            250_000,
            "active",
            "chen.jie",
            json!([{"name": "黄蕾", "role": "IT 总监", "phone": "+86 571 8702 3390", "email": "huang.lei@xixi-cloud.example.com"}]),
            "2025-11-20T16:48:02+08:00",
            "2026-02-03T11:20:44+08:00",
            "E-300163",
        ),
    ])
}

fn seed_opportunities() -> BTreeMap<String, Opportunity> {
    let opp = |customer_no: &str, stage: &str, amount: u64, close: &str, at: &str| Opportunity {
        customer_no: customer_no.to_string(),
        stage: stage.to_string(),
        previous_stage: "qualification".to_string(),
        updated_at: at.to_string(),
        amount: json!(amount),
        currency: "CNY".to_string(),
        expected_close_date: close.to_string(),
    };
    BTreeMap::from([
        (
            "OPP-20260031".to_string(),
            opp(
                "E-300145",
                "won",
                96_000,
                "2026-02-27",
                "2026-02-26T18:05:12+08:00",
            ),
        ),
        (
            "OPP-20260038".to_string(),
            opp(
                "E-300112",
                "negotiation",
                420_000,
                "2026-03-31",
                "2026-02-24T10:11:45+08:00",
            ),
        ),
        (
            "OPP-20260042".to_string(),
            opp(
                "E-300163",
                "proposal",
                186_000,
                "2026-04-30",
                "2026-02-28T16:37:09+08:00",
            ),
        ),
    ])
}

const STAGES: &[&str] = &["qualification", "proposal", "negotiation", "won", "lost"];
const CUSTOMER_STATUSES: &[&str] = &["prospect", "active", "suspended", "closed"];

fn probability(stage: &str) -> u8 {
    match stage {
        "qualification" => 10,
        "proposal" => 30,
        "negotiation" => 60,
        "won" => 100,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The CRM
// ---------------------------------------------------------------------------------------------

struct State {
    customers: BTreeMap<String, Customer>,
    opportunities: BTreeMap<String, Opportunity>,
    next_customer: u32,
}

struct Crm {
    version: CrmVersion,
    erp_url: String,
    client: reqwest::Client,
    state: Mutex<State>,
    requests: AtomicU64,
}

type Reply = Response<Full<Bytes>>;

/// What an operation answers: status, JSON body and headers beyond the usual ones.
type Handled = (StatusCode, Value, Vec<(HeaderName, String)>);

impl Crm {
    fn new(version: CrmVersion, erp_url: &str) -> Crm {
        Crm {
            version,
            erp_url: erp_url.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .timeout(ERP_TIMEOUT)
                .no_proxy()
                .build()
                .expect("test CRM: HTTP client"),
            state: Mutex::new(State {
                customers: seed_customers(),
                opportunities: seed_opportunities(),
                next_customer: FIRST_NEW_CUSTOMER,
            }),
            requests: AtomicU64::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh 32-hex-digit trace id.
    fn request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        format!(
            "{:016x}{:016x}",
            mix(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            mix(n ^ 0x5bd1_e995)
        )
    }

    async fn handle(&self, req: Request<Incoming>) -> Reply {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let body = match req.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (status, body, extra) = match (&method, segments.as_slice()) {
            (&Method::POST, ["api", "v1", "customers"]) => self.create_customer(&body).await,
            (&Method::GET, ["api", "v1", "customers"]) => self.list_customers(&query),
            (&Method::GET, ["api", "v1", "customers", id]) => self.get_customer(id),
            (&Method::GET, ["api", "v1", "invoices", invoice_no, "payment-status"]) => {
                self.payment_status(invoice_no).await
            }
            (&Method::PATCH, ["api", "v1", "opportunities", id, "stage"]) => {
                self.update_stage(id, &body).await
            }
            _ => (
                StatusCode::NOT_FOUND,
                error("not_found", &format!("no route for {method} {path}")),
                Vec::new(),
            ),
        };
        self.reply(status, &body, extra)
    }

    fn reply(&self, status: StatusCode, body: &Value, extra: Vec<(HeaderName, String)>) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let mut response = Response::new(Full::new(Bytes::from(bytes)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Ok(id) = HeaderValue::from_str(&self.request_id()) {
            headers.insert("x-request-id", id);
        }
        for (name, value) in extra {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }

    // -- customers ------------------------------------------------------------------------------

    fn render_customer(&self, record: &Value) -> Value {
        match self.version {
            CrmVersion::V1
            | CrmVersion::V1HiddenRollback
            | CrmVersion::V1IgnoresErpOutage
            | CrmVersion::V1ScaledCreditLimit
            | CrmVersion::V1FloatCreditLimit => record.clone(),
            CrmVersion::V2 => {
                let Value::Object(fields) = record else {
                    return record.clone();
                };
                let mut out = Map::new();
                for (key, value) in fields {
                    match key.as_str() {
                        "tax_id" => {
                            out.insert("taxNumber".to_string(), value.clone());
                        }
                        "credit_limit" => {
                            let text = value
                                .as_f64()
                                .map(|n| format!("{n:.2}"))
                                .unwrap_or_else(|| value.to_string());
                            out.insert(key.clone(), Value::String(text));
                        }
                        "created_at" | "updated_at" => {
                            out.insert(key.clone(), self.time(value));
                        }
                        _ => {
                            out.insert(key.clone(), value.clone());
                        }
                    }
                }
                Value::Object(out)
            }
        }
    }

    /// A date-time as this version renders it: v2 runs its server clock at UTC+9.
    fn time(&self, value: &Value) -> Value {
        match (self.version, value.as_str()) {
            (CrmVersion::V2, Some(text)) => Value::String(to_utc9(text)),
            _ => value.clone(),
        }
    }

    fn get_customer(&self, id: &str) -> Handled {
        let record = self.state().customers.get(id).map(|c| c.record.clone());
        match record {
            Some(record) => (StatusCode::OK, self.render_customer(&record), Vec::new()),
            None => (
                StatusCode::NOT_FOUND,
                error("customer_not_found", &format!("客户 {id} 不存在")),
                Vec::new(),
            ),
        }
    }

    fn list_customers(&self, query: &str) -> Handled {
        let mut page: u64 = 1;
        let mut page_size: u64 = 20;
        let mut status: Option<String> = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let bad = |what: &str| {
                (
                    StatusCode::BAD_REQUEST,
                    error("invalid_query", &format!("{what}: `{value}`")),
                    Vec::new(),
                )
            };
            match key.as_ref() {
                "page" => match value.parse::<u64>() {
                    Ok(n) if n >= 1 => page = n,
                    _ => return bad("page must be an integer ≥ 1"),
                },
                "page_size" => match value.parse::<u64>() {
                    Ok(n) if (1..=100).contains(&n) => page_size = n,
                    _ => return bad("page_size must be an integer from 1 to 100"),
                },
                "status" => {
                    if !CUSTOMER_STATUSES.contains(&value.as_ref()) {
                        return bad("unknown status");
                    }
                    status = Some(value.into_owned());
                }
                _ => {}
            }
        }
        let matching: Vec<Value> = self
            .state()
            .customers
            .values()
            .filter(|c| {
                status.is_none()
                    || c.record.get("status").and_then(Value::as_str) == status.as_deref()
            })
            .map(|c| c.record.clone())
            .collect();
        let total = matching.len();
        let skip = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        let items: Vec<Value> = matching
            .iter()
            .skip(skip)
            .take(usize::try_from(page_size).unwrap_or(usize::MAX))
            .map(|record| self.render_customer(record))
            .collect();
        (
            StatusCode::OK,
            json!({"items": items, "page": page, "page_size": page_size, "total": total}),
            vec![
                (VARY, "Accept".to_string()),
                (VARY, "Accept-Encoding".to_string()),
            ],
        )
    }

    async fn create_customer(&self, body: &[u8]) -> Handled {
        let input: Map<String, Value> = match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    error("invalid_body", "请求体必须是 JSON 对象"),
                    Vec::new(),
                );
            }
        };
        let details: Vec<Value> = ["name", "tax_id", "currency", "owner"]
            .iter()
            .filter(|field| input.get(**field).and_then(Value::as_str).is_none_or(str::is_empty))
            .map(|field| json!({"field": field, "code": "required", "message": format!("{field} 必填")}))
            .collect();
        if !details.is_empty() {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "validation_failed", "message": "客户信息不完整", "details": details}),
                Vec::new(),
            );
        }
        let text = |field: &str| {
            input
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let tax_id = text("tax_id");

        // The same tax id again: a repeated create returns the stored customer, a clash with a
        // customer that existed before is refused.
        let existing = {
            let state = self.state();
            state
                .customers
                .values()
                .find(|c| c.record.get("tax_id").and_then(Value::as_str) == Some(tax_id.as_str()))
                .map(|c| (c.record.clone(), c.created_here))
        };
        let created_before = existing.is_some();
        let record = match existing {
            Some((_, false)) => {
                return (
                    StatusCode::CONFLICT,
                    error(
                        "duplicate_tax_id",
                        &format!("税号 {tax_id} 已属于另一个客户"),
                    ),
                    Vec::new(),
                );
            }
            Some((record, true)) => record,
            None => {
                let id = {
                    let mut state = self.state();
                    let id = format!("C-{}", state.next_customer);
                    state.next_customer += 1;
                    id
                };
                let now = clock(&format!("customer-created:{tax_id}"));
                let mut record = Map::new();
                record.insert("id".into(), json!(id));
                record.insert("name".into(), json!(text("name")));
                record.insert("tax_id".into(), json!(tax_id));
                record.insert(
                    "credit_limit".into(),
                    input.get("credit_limit").cloned().unwrap_or(json!(0)),
                );
                record.insert("currency".into(), json!(text("currency")));
                record.insert("status".into(), json!("active"));
                record.insert("owner".into(), json!(text("owner")));
                record.insert(
                    "contacts".into(),
                    input.get("contacts").cloned().unwrap_or(json!([])),
                );
                record.insert("created_at".into(), json!(now));
                record.insert("updated_at".into(), json!(now));
                Value::Object(record)
            }
        };
        let id = record
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();

        // Register the customer with the ERP before answering (best-effort, see the module docs).
        let mut sync = Map::new();
        sync.insert("crm_customer_id".into(), json!(id));
        sync.insert("name".into(), record["name"].clone());
        let tax_field = match self.version {
            CrmVersion::V2 => "taxNumber",
            _ => "tax_id",
        };
        sync.insert(tax_field.into(), json!(tax_id));
        sync.insert("currency".into(), record["currency"].clone());
        if let Some(limit) = input.get("credit_limit") {
            let sent = match (self.version, limit.as_u64()) {
                (CrmVersion::V1ScaledCreditLimit, Some(n)) => json!(n / 10),
                (CrmVersion::V1FloatCreditLimit, Some(n)) => json!(n as f64),
                _ => limit.clone(),
            };
            sync.insert("credit_limit".into(), sent);
        }
        let answer = self
            .erp(Method::POST, "/erp/v2/customers", Some(Value::Object(sync)))
            .await;
        let unavailable = match &answer {
            None => true,
            Some((status, _)) => *status >= 500 || *status == 429,
        };
        if unavailable && self.version != CrmVersion::V1IgnoresErpOutage && !created_before {
            let mut state = self.state();
            if state.next_customer == id_number(&id) + 1 {
                state.next_customer -= 1;
            }
            return (
                StatusCode::BAD_GATEWAY,
                error("erp_unavailable", "ERP 暂时不可用，客户未创建，请稍后重试"),
                Vec::new(),
            );
        }
        let erp_customer_no = match answer {
            Some((201, answer)) => answer
                .get("erp_customer_no")
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        };

        {
            let mut state = self.state();
            let entry = state.customers.entry(id.clone()).or_insert(Customer {
                record: record.clone(),
                erp_customer_no: None,
                created_here: true,
            });
            if erp_customer_no.is_some() {
                entry.erp_customer_no = erp_customer_no;
            }
        }
        (
            StatusCode::CREATED,
            self.render_customer(&record),
            vec![(LOCATION, format!("/api/v1/customers/{id}"))],
        )
    }

    // -- invoices -------------------------------------------------------------------------------

    async fn payment_status(&self, invoice_no: &str) -> Handled {
        let answer = self
            .erp(
                Method::GET,
                &format!("/erp/v2/receivables/{invoice_no}"),
                None,
            )
            .await;
        let receivable = match answer {
            Some((200, body)) if body.is_object() => body,
            Some((404, _)) => {
                return (
                    StatusCode::NOT_FOUND,
                    error(
                        "invoice_not_found",
                        &format!("发票 {invoice_no} 在 ERP 中没有应收记录"),
                    ),
                    Vec::new(),
                );
            }
            _ => {
                return (
                    StatusCode::BAD_GATEWAY,
                    json!({"error": "erp_unavailable"}),
                    Vec::new(),
                );
            }
        };
        let customer_no = receivable.get("customer_no").and_then(Value::as_str);
        let customer_id = {
            let state = self.state();
            state
                .customers
                .iter()
                .find(|(_, c)| {
                    c.erp_customer_no.is_some() && c.erp_customer_no.as_deref() == customer_no
                })
                .map(|(id, _)| json!(id))
                .unwrap_or(Value::Null)
        };
        let paid = receivable
            .get("paid")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let due_date = receivable.get("due_date").cloned().unwrap_or(Value::Null);
        let status = if paid {
            "paid"
        } else if due_date.as_str().is_some_and(|d| d < TODAY) {
            "overdue"
        } else {
            "unpaid"
        };
        let field = |name: &str| receivable.get(name).cloned().unwrap_or(Value::Null);
        (
            StatusCode::OK,
            json!({
                "invoice_no": invoice_no,
                "customer_id": customer_id,
                "status": status,
                "amount": field("amount"),
                "currency": field("currency"),
                "paid_at": self.time(&field("paid_at")),
                "due_date": due_date,
                "checked_at": self.time(&json!(clock(&format!("payment-checked:{invoice_no}")))),
            }),
            Vec::new(),
        )
    }

    // -- opportunities --------------------------------------------------------------------------

    async fn update_stage(&self, id: &str, body: &[u8]) -> Handled {
        let requested = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("stage").and_then(Value::as_str).map(str::to_string));
        let Some(requested) = requested.filter(|s| STAGES.contains(&s.as_str())) else {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                error(
                    "invalid_stage",
                    &format!("stage 必须是 {} 之一", STAGES.join(", ")),
                ),
                Vec::new(),
            );
        };
        let outcome = {
            let mut state = self.state();
            match state.opportunities.get_mut(id) {
                None => Err((
                    StatusCode::NOT_FOUND,
                    error("opportunity_not_found", &format!("商机 {id} 不存在")),
                )),
                Some(opp) if opp.stage == requested => Ok(opp),
                Some(opp) if opp.stage == "won" || opp.stage == "lost" => {
                    let closed = if opp.stage == "won" {
                        "赢单"
                    } else {
                        "输单"
                    };
                    Err((
                        StatusCode::CONFLICT,
                        error(
                            "stage_transition_not_allowed",
                            &format!("商机 {id} 已{closed}关闭，不能回退到 {requested}"),
                        ),
                    ))
                }
                Some(opp) => {
                    opp.previous_stage = std::mem::replace(&mut opp.stage, requested.clone());
                    opp.updated_at = clock(&format!("stage-changed:{id}"));
                    Ok(opp)
                }
            }
            .map(|opp| {
                (
                    json!({
                        "opportunity_id": id,
                        "customer_no": opp.customer_no,
                        "stage": opp.stage,
                        "probability": probability(&opp.stage),
                        "amount": opp.amount,
                        "currency": opp.currency,
                        "expected_close_date": opp.expected_close_date,
                    }),
                    json!({
                        "id": id,
                        "stage": opp.stage,
                        "previous_stage": opp.previous_stage,
                        "updated_at": opp.updated_at,
                    }),
                )
            })
        };
        match outcome {
            Err((status, body)) => (status, body, Vec::new()),
            Ok((forecast, mut changed)) => {
                // Update the ERP sales forecast before answering (best-effort).
                let path = match self.version {
                    CrmVersion::V1HiddenRollback => "/erp/v2/forecast/opportunities?rollback=true",
                    _ => "/erp/v2/forecast/opportunities",
                };
                let _ = self.erp(Method::POST, path, Some(forecast)).await;
                if self.version == CrmVersion::V1HiddenRollback {
                    changed["stage"] = changed["previous_stage"].clone();
                }
                changed["updated_at"] = self.time(&changed["updated_at"]);
                (StatusCode::OK, changed, Vec::new())
            }
        }
    }

    // -- the ERP --------------------------------------------------------------------------------

    /// One call to the ERP: `(status, JSON body or null)`, or `None` when it failed to answer.
    async fn erp(&self, method: Method, path: &str, body: Option<Value>) -> Option<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).ok()?;
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.erp_url))
            .header("accept", "application/json")
            .header("x-request-id", self.request_id())
            .header("x-source-system", "crm");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).ok()?);
        }
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.ok()?;
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

/// The number of a customer id (`C-10023` → 10023).
fn id_number(id: &str) -> u32 {
    id.trim_start_matches("C-").parse().unwrap_or(0)
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": code, "message": message})
}

/// The same instant at `+09:00`; text that is not an RFC 3339 date-time is returned unchanged.
fn to_utc9(text: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let Ok(offset) = time::UtcOffset::from_hms(9, 0, 0) else {
        return text.to_string();
    };
    time::OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(offset).format(&Rfc3339).ok())
        .unwrap_or_else(|| text.to_string())
}
