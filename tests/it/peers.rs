//! The mocked-peer server: recorded exchanges served over real HTTP on loopback, near misses
//! explained, requests checked against the peer's contracts, every call journaled.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use interlock::contract::{Contract, load_dir};
use interlock::error::Error;
use interlock::model::{Finding, FindingKind, Location, Severity};
use interlock::peers::{PeerCall, PeerOptions, PeerServer};
use interlock::recording::{Exchange, parse};
use interlock::scenario::{IgnoreRule, IgnoreRules};
use serde_json::{Value, json};

/// The ERP's recorded traffic: a customer sync, two reads of one customer, a customer read
/// twice with different answers, an order posted as text (no contract covers orders).
pub(crate) const ERP: &str = r#"
{"request":{"method":"POST","url":"/api/v1/customers","headers":{"content-type":"application/json"},"body":{"name":"ACME","tax_id":"T-1","credit_limit":500000,"requested_at":"2024-05-01T08:00:00+08:00"}},"response":{"status":201,"headers":{"content-length":"999","content-type":"application/json","x-erp-trace":"abc"},"body":{"id":"C-1"}}}
{"request":{"method":"GET","url":"/api/v1/customers/C-1?expand=owner&fields=all"},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"id":"C-1","owner":"kim"}}}
{"request":{"method":"GET","url":"/api/v1/customers/C-2"},"response":{"status":200,"body":{"id":"C-2","status":"pending"}}}
{"request":{"method":"GET","url":"/api/v1/customers/C-2"},"response":{"status":200,"body":{"id":"C-2","status":"active"}}}
{"request":{"method":"POST","url":"/api/v1/orders","headers":{"content-type":"text/plain"},"body_text":"order 7"},"response":{"status":202,"headers":{"content-type":"text/plain"},"body_text":"queued"}}
"#;

pub(crate) fn exchanges(text: &str) -> Vec<Exchange> {
    let (recording, errors) = parse(Path::new("erp.jsonl"), text);
    assert!(errors.is_empty(), "{errors:?}");
    recording.iter().cloned().collect()
}

pub(crate) fn contracts() -> Vec<Contract> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peers/erp");
    match load_dir(&dir) {
        Ok(set) => set.iter().cloned().collect(),
        Err(err) => panic!("fixture contracts do not load: {err}"),
    }
}

pub(crate) fn options() -> PeerOptions {
    PeerOptions {
        name: "erp".to_string(),
        recording: exchanges(ERP).into(),
        contracts: contracts(),
        ignore: IgnoreRules::default(),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        validate_requests: true,
        behaviour: Default::default(),
        admin: Default::default(),
        journal_bytes: PeerOptions::JOURNAL_BYTES,
    }
}

pub(crate) async fn start(options: PeerOptions) -> PeerServer {
    match PeerServer::start(options).await {
        Ok(server) => server,
        Err(err) => panic!("peer does not start: {err}"),
    }
}

/// What a test sees of one response.
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the peer answers");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("a complete body").to_vec(),
    }
}

async fn get(server: &PeerServer, url: &str) -> Reply {
    send(reqwest::Client::new().get(format!("{}{url}", server.url()))).await
}

async fn post_json(server: &PeerServer, url: &str, body: &Value) -> Reply {
    send(
        reqwest::Client::new()
            .post(format!("{}{url}", server.url()))
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

fn customer() -> Value {
    json!({"name": "ACME", "tax_id": "T-1", "credit_limit": 500000, "requested_at": "2024-05-01T08:00:00+08:00"})
}

fn only_call(server: &PeerServer) -> PeerCall {
    let mut journal = server.take_journal();
    assert_eq!(journal.len(), 1, "{journal:#?}");
    PeerCall::clone(&journal.remove(0))
}

fn of_kind(call: &PeerCall, kind: FindingKind) -> Vec<&Finding> {
    call.findings.iter().filter(|f| f.kind == kind).collect()
}

#[tokio::test]
async fn serves_the_recorded_status_headers_and_body() {
    let server = start(options()).await;
    let reply = post_json(&server, "/api/v1/customers", &customer()).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.headers["x-erp-trace"], "abc");
    assert_eq!(reply.headers["content-type"], "application/json");
    // The recorded content-length (999) is not replayed; hyper sets the real one.
    assert_eq!(
        reply.headers["content-length"],
        r#"{"id":"C-1"}"#.len().to_string()
    );
    assert_eq!(reply.json(), json!({"id": "C-1"}));

    let call = only_call(&server);
    assert_eq!((call.method(), call.url()), ("POST", "/api/v1/customers"));
    assert_eq!(&*call.route, "/api/v1/customers");
    assert_eq!((call.matched, call.status), (Some(0), 201));
    assert!(call.findings.is_empty(), "{:#?}", call.findings);
    server.shutdown().await;
}

#[tokio::test]
async fn text_bodies_match_as_bytes_and_routes_without_contract_are_noted() {
    let server = start(options()).await;
    let reply = send(
        reqwest::Client::new()
            .post(format!("{}/api/v1/orders", server.url()))
            .header("content-type", "text/plain")
            .body("order 7"),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_slice()), (202, &b"queued"[..]));
    let call = only_call(&server);
    assert_eq!(call.matched, Some(4));
    assert_eq!(&*call.route, "/api/v1/orders");
    assert_eq!(call.findings.len(), 1);
    assert_eq!(call.findings[0].kind, FindingKind::NoContract);
    assert_eq!(call.findings[0].severity, Severity::Info);
    server.shutdown().await;
}

#[tokio::test]
async fn query_order_does_not_matter_and_the_route_is_the_contract_template() {
    let server = start(options()).await;
    let reply = get(&server, "/api/v1/customers/C-1?fields=all&expand=owner").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"id": "C-1", "owner": "kim"}));
    let call = only_call(&server);
    assert_eq!(call.matched, Some(1));
    assert_eq!(call.url(), "/api/v1/customers/C-1?fields=all&expand=owner");
    assert_eq!(&*call.route, "/api/v1/customers/{id}");
    server.shutdown().await;
}

#[tokio::test]
async fn ignored_body_values_are_not_compared_but_their_presence_is() {
    let mut opts = options();
    opts.ignore = IgnoreRules::new(vec![
        IgnoreRule::parse("/requested_at").expect("a valid rule"),
    ]);
    let server = start(opts).await;

    let mut later = customer();
    later["requested_at"] = json!("2024-06-30T23:59:59+08:00");
    assert_eq!(
        post_json(&server, "/api/v1/customers", &later).await.status,
        201
    );
    assert_eq!(only_call(&server).matched, Some(0));

    let mut without = customer();
    without
        .as_object_mut()
        .expect("an object")
        .remove("requested_at");
    let reply = post_json(&server, "/api/v1/customers", &without).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json()["differences"],
        json!(["body field `/requested_at` missing"])
    );
    server.shutdown().await;
}

#[tokio::test]
async fn identical_requests_play_back_in_recorded_order_then_repeat_the_last() {
    let server = start(options()).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(&server, "/api/v1/customers/C-2").await.json()["status"].clone());
    }
    assert_eq!(
        statuses,
        [json!("pending"), json!("active"), json!("active")]
    );
    let matched: Vec<Option<usize>> = server.take_journal().iter().map(|c| c.matched).collect();
    assert_eq!(matched, [Some(2), Some(3), Some(3)]);
    server.shutdown().await;
}

#[tokio::test]
async fn an_extra_query_parameter_is_explained_against_the_closest_recording() {
    let server = start(options()).await;
    let reply = get(
        &server,
        "/api/v1/customers/C-1?expand=owner&fields=all&rollback=true",
    )
    .await;
    assert_eq!(reply.status, 404);
    let body = reply.json();
    assert_eq!(body["error"], "no recorded exchange matches");
    assert_eq!(body["closest"]["index"], 1);
    assert_eq!(
        body["differences"],
        json!(["query `rollback=true` not in the recording"])
    );

    let call = only_call(&server);
    assert_eq!(call.matched, None);
    let unmatched = of_kind(&call, FindingKind::PeerRequestUnmatched);
    assert_eq!(unmatched.len(), 1);
    let finding = unmatched[0];
    assert_eq!(
        finding.message,
        "request to erp `GET /api/v1/customers/C-1?expand=owner&fields=all&rollback=true` \
         matches no recording; closest is recorded exchange #2 \
         `GET /api/v1/customers/C-1?expand=owner&fields=all`: \
         query `rollback=true` not in the recording"
    );
    assert_eq!(finding.path, "query:rollback");
    assert_eq!(
        (finding.old.clone(), finding.new.clone()),
        (None, Some(json!("true")))
    );
    assert_eq!(finding.interface.as_deref(), Some("erp.customer-get"));
    assert_eq!(
        finding.location,
        Location::PeerRequest {
            peer: "erp".to_string()
        }
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_renamed_body_field_is_explained_field_by_field() {
    // No contracts, so only the comparison with the recording speaks.
    let mut opts = options();
    opts.contracts = Vec::new();
    let server = start(opts).await;
    let mut renamed = customer();
    let tax_id = renamed
        .as_object_mut()
        .and_then(|o| o.remove("tax_id"))
        .expect("a tax_id");
    renamed["taxNumber"] = tax_id;
    renamed["credit_limit"] = json!("500000");
    let reply = post_json(&server, "/api/v1/customers", &renamed).await;
    assert_eq!(reply.status, 404);

    let call = only_call(&server);
    let unmatched = of_kind(&call, FindingKind::PeerRequestUnmatched);
    assert_eq!(unmatched.len(), 1, "{:#?}", call.findings);
    assert_eq!(
        unmatched[0].message,
        "request to erp `POST /api/v1/customers` matches no recording; closest is recorded \
         exchange #1 `POST /api/v1/customers`: body field `/tax_id` missing; \
         body field `/credit_limit`: 500000 → \"500000\"; body field `/taxNumber` not in the recording"
    );
    // Several differences: the finding is about the whole body, the message lists them.
    assert_eq!(unmatched[0].path, "");
    assert_eq!(of_kind(&call, FindingKind::NoContract).len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_breaking_the_contract_is_reported_even_when_a_recording_serves_it() {
    // The recording itself predates the contract's `tax_id` requirement.
    let old = r#"{"request":{"method":"POST","url":"/api/v1/customers","body":{"name":"ACME","credit_limit":500000}},"response":{"status":201,"body":{"id":"C-9"}}}"#;
    let mut opts = options();
    opts.recording = exchanges(old).into();
    let server = start(opts).await;
    let reply = post_json(
        &server,
        "/api/v1/customers",
        &json!({"name": "ACME", "credit_limit": 500000}),
    )
    .await;
    assert_eq!(reply.status, 201);

    let call = only_call(&server);
    assert_eq!(call.matched, Some(0));
    assert_eq!(call.findings.len(), 1, "{:#?}", call.findings);
    let finding = &call.findings[0];
    assert_eq!(finding.kind, FindingKind::PeerRequestInvalid);
    assert_eq!(finding.path, "");
    assert_eq!(
        finding.message,
        "request to erp `erp.customer-sync`: `/` \"tax_id\" is a required property"
    );
    assert_eq!(finding.interface.as_deref(), Some("erp.customer-sync"));
    assert_eq!(finding.affected, ["erp", "crm", "finance"]);
    assert!(finding.is_failure());
    server.shutdown().await;
}

#[tokio::test]
async fn an_ignored_field_is_still_checked_against_the_contract() {
    let mut opts = options();
    opts.ignore = IgnoreRules::new(vec![
        IgnoreRule::parse("/credit_limit").expect("a valid rule"),
    ]);
    let server = start(opts).await;
    let mut retyped = customer();
    retyped["credit_limit"] = json!("500000");
    let reply = post_json(&server, "/api/v1/customers", &retyped).await;
    assert_eq!(
        reply.status, 201,
        "the ignored value does not stop the match"
    );

    let call = only_call(&server);
    assert_eq!(call.matched, Some(0));
    assert_eq!(call.findings.len(), 1, "{:#?}", call.findings);
    assert_eq!(call.findings[0].kind, FindingKind::PeerRequestInvalid);
    assert_eq!(call.findings[0].path, "/credit_limit");
    assert_eq!(call.findings[0].new, Some(json!("500000")));
    assert_eq!(
        call.findings[0].message,
        "request to erp `erp.customer-sync`: `/credit_limit` \"500000\" is not of type \"integer\""
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_invalid_request_no_recording_matches_is_answered_422() {
    let server = start(options()).await;
    let mut retyped = customer();
    retyped["credit_limit"] = json!("500000");
    let reply = post_json(&server, "/api/v1/customers?rollback=true", &retyped).await;
    assert_eq!(reply.status, 422);
    let body = reply.json();
    assert_eq!(body["interface"], "erp.customer-sync");
    let paths: Vec<&str> = body["violations"]
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|v| v["path"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(paths, ["query:rollback", "/credit_limit"]);
    assert_eq!(
        body["differences"],
        json!([
            "query `rollback=true` not in the recording",
            "body field `/credit_limit`: 500000 → \"500000\""
        ])
    );

    let call = only_call(&server);
    assert_eq!(call.status, 422);
    let invalid = of_kind(&call, FindingKind::PeerRequestInvalid);
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].path, "/credit_limit");
    assert_eq!(invalid[0].new, Some(json!("500000")));
    assert_eq!(invalid[0].affected, ["erp", "crm", "finance"]);
    let parameters = of_kind(&call, FindingKind::ParameterViolation);
    assert_eq!(parameters.len(), 1);
    assert_eq!(parameters[0].path, "query:rollback");
    assert!(
        parameters[0]
            .message
            .contains("query parameter `rollback` is not declared by the contract"),
        "{}",
        parameters[0].message
    );
    assert_eq!(of_kind(&call, FindingKind::PeerRequestUnmatched).len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_missing_required_header_is_a_parameter_violation() {
    let server = start(options()).await;
    // Same JSON bytes, no content-type: the recording still matches (headers are not compared).
    let reply = send(
        reqwest::Client::new()
            .post(format!("{}/api/v1/customers", server.url()))
            .body(customer().to_string()),
    )
    .await;
    assert_eq!(reply.status, 201);
    let call = only_call(&server);
    assert_eq!(call.findings.len(), 1, "{:#?}", call.findings);
    assert_eq!(call.findings[0].kind, FindingKind::ParameterViolation);
    assert_eq!(call.findings[0].path, "header:content-type");
    assert_eq!(
        call.findings[0].message,
        "request to erp `erp.customer-sync` lacks required header `content-type`"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn serving_a_target_from_its_recording_reports_nothing() {
    let mut opts = options();
    opts.validate_requests = false;
    let server = start(opts).await;
    let reply = get(&server, "/api/v1/customers/C-404").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["closest"]["index"], 2);
    let call = only_call(&server);
    assert!(call.findings.is_empty(), "{:#?}", call.findings);
    assert_eq!(&*call.route, "/api/v1/customers/{id}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_taken_port_is_an_environment_error_naming_the_port() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let taken = holder.local_addr().expect("its address");
    let mut opts = options();
    opts.bind = taken;
    let err = match PeerServer::start(opts).await {
        Ok(_) => panic!("started on a taken port"),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Environment(_)), "{err:?}");
    assert_eq!(err.exit_code(), 3);
    assert_eq!(
        err.to_string(),
        format!(
            "peer `erp`: cannot listen on {taken}: address already in use (another process \
             holds the port; pick another `port:` in the scenario or stop it)"
        )
    );
}

#[tokio::test]
async fn port_zero_picks_a_free_port() {
    let server = start(options()).await;
    assert_ne!(server.addr().port(), 0);
    assert_eq!(
        server.url(),
        format!("http://127.0.0.1:{}", server.addr().port())
    );
    assert_eq!(server.name(), "erp");
    server.shutdown().await;
}

#[tokio::test]
async fn the_journal_returns_the_calls_since_the_last_take() {
    let server = start(options()).await;
    assert!(server.take_journal().is_empty());
    get(&server, "/api/v1/customers/C-2").await;
    get(&server, "/nowhere").await;
    let first: Vec<(String, u16)> = server
        .take_journal()
        .into_iter()
        .map(|c| (c.url().to_string(), c.status))
        .collect();
    assert_eq!(
        first,
        [
            ("/api/v1/customers/C-2".to_string(), 200),
            ("/nowhere".to_string(), 404)
        ]
    );
    assert!(server.take_journal().is_empty());
    get(&server, "/api/v1/customers/C-2").await;
    assert_eq!(server.take_journal().len(), 1);
    assert_eq!(server.dropped_calls(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn unused_lists_the_recordings_never_served() {
    let server = start(options()).await;
    assert_eq!(server.unused(), [0, 1, 2, 3, 4]);
    get(&server, "/api/v1/customers/C-2").await;
    get(&server, "/api/v1/customers/C-1?expand=owner&fields=all").await;
    assert_eq!(server.unused(), [0, 3, 4]);
    get(&server, "/api/v1/customers/C-2").await;
    assert_eq!(server.unused(), [0, 4]);
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_do_not_break_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start(options()).await;
    let mut raw = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("a connection");
    raw.write_all(b"NOT HTTP AT ALL\r\n\r\n")
        .await
        .expect("bytes written");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut answer)).await;
    // A body that claims JSON but is not.
    let reply = send(
        reqwest::Client::new()
            .post(format!("{}/api/v1/customers", server.url()))
            .header("content-type", "application/json")
            .body(vec![0xff, b'{', 0x00]),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(get(&server, "/api/v1/customers/C-2").await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_prompt_with_an_idle_keep_alive_connection_and_frees_the_port() {
    let server = start(options()).await;
    let addr = server.addr();
    let client = reqwest::Client::new();
    assert_eq!(
        send(client.get(format!("http://{addr}/api/v1/customers/C-2")))
            .await
            .status,
        200
    );
    let started = Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let after = client
        .get(format!("http://{addr}/api/v1/customers/C-2"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(after.is_err(), "still serving after shutdown: {after:?}");
    let mut again = options();
    again.bind = addr;
    start(again).await.shutdown().await;
}
