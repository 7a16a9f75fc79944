//! Fault injection, playback and matching modes of the mocked peers, against real clients:
//! reqwest and curl over loopback, every call bounded in time so a fault can never hang a test.

use std::process::Command;
use std::time::{Duration, Instant};

use interlock::peers::{
    Behaviour, BodyMatch, InvalidRequests, Outcome, PathMatch, PeerServer, Playback,
};
use interlock::scenario::fault::{self, FaultSpec};
use serde_json::{Value, json};

use crate::peers::{ERP, exchanges, options, start};

/// No client call in this module may take longer than this.
const BOUND: Duration = Duration::from_secs(5);

const CUSTOMER: &str = "/api/v1/customers/C-1?expand=owner&fields=all";

fn rule(spec: &str) -> FaultSpec {
    let raw = fault::parse_spec(spec).expect("a fault spec");
    FaultSpec::from_raw(&raw).expect("a valid fault")
}

async fn faulted(specs: &[&str]) -> PeerServer {
    let mut options = options();
    options.behaviour = Behaviour {
        faults: specs.iter().map(|s| rule(s)).collect(),
        seed: 7,
        ..Behaviour::default()
    };
    start(options).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(BOUND)
        .build()
        .expect("a client")
}

/// Starts a peer with the fault rules and returns it with the URL of the recorded customer.
async fn faulted_customer(specs: &[&str]) -> (PeerServer, String) {
    let server = faulted(specs).await;
    let url = format!("{}{CUSTOMER}", server.url());
    (server, url)
}

/// GETs a URL with the bounded client.
async fn get(url: &str) -> reqwest::Result<reqwest::Response> {
    client().get(url).send().await
}

/// What curl made of one request: its exit code, the status it printed and the body.
struct Curl {
    code: i32,
    status: String,
    body: String,
    elapsed: Duration,
}

/// Runs curl against the peer (off the test's runtime thread, which serves the peer), or
/// `None` (with a note) when curl is not installed.
async fn curl(url: &str, max_time: &str) -> Option<Curl> {
    let args = [
        "-sS".to_string(),
        "--max-time".to_string(),
        max_time.to_string(),
        "-w".to_string(),
        "\n%{http_code}".to_string(),
        url.to_string(),
    ];
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || Command::new("curl").args(args).output())
        .await
        .expect("the curl task");
    let output = match output {
        Ok(output) => output,
        Err(_) => {
            crate::support::skip("the curl half of this test needs curl (apt-get install curl)");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    Some(Curl {
        code: output.status.code().unwrap_or(-1),
        status: status.to_string(),
        body: body.to_string(),
        elapsed: started.elapsed(),
    })
}

#[tokio::test]
async fn a_delay_holds_the_recorded_answer_back() {
    let (server, url) = faulted_customer(&["delay:300"]).await;
    let started = Instant::now();
    let response = get(&url).await.expect("an answer");
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < BOUND,
        "{elapsed:?}"
    );
    let call = server.take_journal().remove(0);
    assert_eq!(
        call.fault.as_deref(),
        Some("delay 300 ms on call 1 of any route")
    );
    assert_eq!((call.outcome, call.matched), (Outcome::Matched, Some(1)));
}

#[tokio::test]
async fn a_status_override_on_the_second_call_sends_retry_after_and_keeps_the_recording() {
    let server =
        faulted(&["status:429,retry_after=2,calls=2,route=GET /api/v1/customers/{id}"]).await;
    let url = format!("{}{CUSTOMER}", server.url());
    let first = get(&url).await.expect("an answer");
    assert_eq!(first.status(), 200);
    let second = get(&url).await.expect("an answer");
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["retry-after"], "2");
    let body: Value = second.json().await.expect("a JSON error");
    assert_eq!(
        body["fault"],
        "status 429 (Retry-After: 2) on call 2 of `GET /api/v1/customers/{id}`"
    );
    let Some(third) = curl(&url, "5").await else {
        return;
    };
    assert_eq!((third.code, third.status.as_str()), (0, "200"));
    assert_eq!(
        serde_json::from_str::<Value>(&third.body).expect("JSON"),
        json!({"id": "C-1", "owner": "kim"})
    );
}

#[tokio::test]
async fn a_reset_is_an_immediate_connection_error_for_reqwest_and_curl() {
    let (server, url) = faulted_customer(&["reset"]).await;
    let started = Instant::now();
    let err = get(&url).await.expect_err("no response");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < BOUND);
    if let Some(out) = curl(&url, "5").await {
        // 56: failure receiving network data (connection reset by peer).
        assert_eq!((out.code, out.status.as_str()), (56, "000"), "{}", out.body);
    }
    let call = server.take_journal().remove(0);
    assert_eq!((call.outcome, call.status), (Outcome::Faulted, 0));
    assert_eq!(
        call.fault.as_deref(),
        Some("connection reset on call 1 of any route")
    );
}

#[tokio::test]
async fn a_close_without_response_is_an_empty_reply() {
    let (_server, url) = faulted_customer(&["close"]).await;
    let err = get(&url).await.expect_err("no response");
    assert!(!err.is_timeout(), "{err:?}");
    if let Some(out) = curl(&url, "5").await {
        // 52: the server returned nothing.
        assert_eq!(out.code, 52, "{}", out.body);
        assert!(out.elapsed < BOUND);
    }
}

#[tokio::test]
async fn a_hang_holds_until_the_client_gives_up() {
    let (server, url) = faulted_customer(&["hang"]).await;
    let started = Instant::now();
    let err = client()
        .get(&url)
        .timeout(Duration::from_millis(400))
        .send()
        .await
        .expect_err("no response");
    assert!(err.is_timeout(), "{err:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < BOUND,
        "{elapsed:?}"
    );
    if let Some(out) = curl(&url, "1").await {
        // 28: operation timed out.
        assert_eq!(out.code, 28, "{}", out.body);
        assert!(out.elapsed < BOUND, "{:?}", out.elapsed);
    }
    // The hung connections do not hold the peer up at shutdown.
    let started = Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < BOUND);
}

#[tokio::test]
async fn a_truncated_body_promises_more_than_it_sends() {
    let (_server, url) = faulted_customer(&["truncate"]).await;
    let response = get(&url).await.expect("headers arrive");
    assert_eq!(response.status(), 200);
    let err = response.bytes().await.expect_err("the body breaks off");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    if let Some(out) = curl(&url, "5").await {
        // 18: transfer closed with outstanding read data remaining.
        assert_eq!((out.code, out.status.as_str()), (18, "200"), "{}", out.body);
    }
}

#[tokio::test]
async fn a_malformed_body_is_complete_but_not_json() {
    let (_server, url) = faulted_customer(&["malformed"]).await;
    let response = get(&url).await.expect("an answer");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let bytes = response.bytes().await.expect("the whole body");
    assert!(
        serde_json::from_slice::<Value>(&bytes).is_err(),
        "{bytes:?}"
    );
    if let Some(out) = curl(&url, "5").await {
        assert_eq!((out.code, out.status.as_str()), (0, "200"));
        assert!(
            serde_json::from_str::<Value>(&out.body).is_err(),
            "{}",
            out.body
        );
    }
}

#[tokio::test]
async fn percentage_faults_hit_the_same_calls_on_every_run() {
    async fn pattern() -> Vec<u16> {
        let (_server, url) = faulted_customer(&["status:503,calls=30%"]).await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let response = get(&url).await.expect("an answer");
            statuses.push(response.status().as_u16());
        }
        statuses
    }
    let first = pattern().await;
    assert_eq!(first, pattern().await);
    let hit = first.iter().filter(|s| **s == 503).count();
    assert!((4..=20).contains(&hit), "{hit} of 40: {first:?}");
}

#[tokio::test]
async fn cycle_and_not_found_playback_after_the_recorded_replies() {
    async fn statuses(playback: Playback) -> Vec<String> {
        let mut options = options();
        options.behaviour.playback = playback;
        let server = start(options).await;
        let mut seen = Vec::new();
        for _ in 0..3 {
            let response = get(&format!("{}/api/v1/customers/C-2", server.url()))
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("JSON");
            seen.push(format!(
                "{status} {}",
                body["status"].as_str().unwrap_or("-")
            ));
        }
        seen
    }
    assert_eq!(
        statuses(Playback::Repeat).await,
        ["200 pending", "200 active", "200 active"]
    );
    assert_eq!(
        statuses(Playback::Cycle).await,
        ["200 pending", "200 active", "200 pending"]
    );
    assert_eq!(
        statuses(Playback::NotFound).await,
        ["200 pending", "200 active", "404 -"]
    );
}

#[tokio::test]
async fn named_headers_take_part_in_matching_and_are_explained() {
    const TENANT: &str = r#"{"request":{"method":"GET","url":"/api/v1/customers/C-9","headers":{"x-tenant-id":"cn-east"}},"response":{"status":200,"body":{"id":"C-9"}}}"#;
    let mut options = options();
    options.recording = exchanges(TENANT).into();
    options.behaviour.match_headers = vec!["X-Tenant-Id".into()];
    let server = start(options).await;
    let url = format!("{}/api/v1/customers/C-9", server.url());
    let ok = client()
        .get(&url)
        .header("x-tenant-id", "cn-east")
        .send()
        .await
        .expect("an answer");
    assert_eq!(ok.status(), 200);
    let other = client()
        .get(&url)
        .header("x-tenant-id", "cn-north")
        .send()
        .await
        .expect("an answer");
    assert_eq!(other.status(), 404);
    let body: Value = other.json().await.expect("JSON");
    assert_eq!(
        body["differences"],
        json!(["header `x-tenant-id`: \"cn-east\" → \"cn-north\""])
    );
}

#[tokio::test]
async fn contract_bodies_and_template_paths_match_when_asked_and_exact_matches_win() {
    let mut options = options();
    options.behaviour.match_body = BodyMatch::Contract;
    options.behaviour.match_path = PathMatch::Template;
    let server = start(options).await;
    // Another valid customer: served from the recorded sync.
    let other = json!({"name": "Globex", "tax_id": "T-9", "credit_limit": 1000, "requested_at": "2024-06-01T08:00:00+08:00"});
    let response = client()
        .post(format!("{}/api/v1/customers", server.url()))
        .json(&other)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 201);
    // Another customer id: served from a recording of the same operation. C-2's recording
    // exists at its own path, so C-2 itself still gets its own (most specific) answer.
    let templated = client()
        .get(format!("{}/api/v1/customers/C-77", server.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(templated.status(), 200);
    let own: Value = client()
        .get(format!("{}/api/v1/customers/C-2", server.url()))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(own["id"], "C-2");
    let outcomes: Vec<Outcome> = server.take_journal().iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::MatchedByContract,
            Outcome::MatchedByTemplate,
            Outcome::Matched
        ]
    );
}

#[tokio::test]
async fn an_invalid_request_gets_the_recorded_error_response_unless_told_to_reject() {
    let recorded_error = format!(
        "{ERP}\n{}",
        r#"{"request":{"method":"POST","url":"/api/v1/customers","headers":{"content-type":"application/json"},"body":{"name":"ACME"}},"response":{"status":422,"body":{"error":"validation_failed","missing":["tax_id","credit_limit"]}}}"#
    );
    let invalid = json!({"name": "Initech"});
    for (policy, status, error) in [
        (InvalidRequests::RecordedError, 422, "validation_failed"),
        (
            InvalidRequests::Reject,
            422,
            "the request breaks its contract",
        ),
    ] {
        let mut options = options();
        options.recording = exchanges(&recorded_error).into();
        options.behaviour.invalid_requests = policy;
        let server = start(options).await;
        let response = client()
            .post(format!("{}/api/v1/customers", server.url()))
            .json(&invalid)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"], error, "{policy:?}: {body:#}");
        let call = server.take_journal().remove(0);
        let violations = call
            .findings
            .iter()
            .filter(|f| f.kind.id() == "peer-request-invalid")
            .count();
        assert!(violations > 0, "{policy:?}: always reported");
    }
}

#[tokio::test]
async fn the_admin_journal_lists_a_known_sequence_and_delete_resets_it() {
    let server = faulted(&["status:503,calls=3"]).await;
    let base = server.url();
    for (path, status) in [
        (CUSTOMER, 200),
        ("/api/v1/customers/C-1?rollback=true", 404),
        (CUSTOMER, 503),
    ] {
        let response = get(&format!("{base}{path}")).await.expect(path);
        assert_eq!(response.status(), status, "{path}");
    }

    let journal: Value = get(&format!("{base}/__interlock/requests"))
        .await
        .expect("the journal")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        (journal["peer"].as_str(), journal["count"].as_u64()),
        (Some("erp"), Some(3))
    );
    let requests = journal["requests"].as_array().expect("requests");
    let summary: Vec<(u64, &str, u64, &str)> = requests
        .iter()
        .map(|r| {
            (
                r["seq"].as_u64().unwrap_or(0),
                r["url"].as_str().unwrap_or(""),
                r["status"].as_u64().unwrap_or(0),
                r["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, CUSTOMER, 200, "matched"),
            (2, "/api/v1/customers/C-1?rollback=true", 404, "unmatched"),
            (3, CUSTOMER, 503, "faulted"),
        ]
    );
    assert_eq!(requests[0]["index"], 1);
    assert_eq!(requests[2]["fault"], "status 503 on call 3 of any route");
    let unmatched = journal["unmatched"].as_array().expect("unmatched");
    assert_eq!(unmatched.len(), 1);
    assert_eq!(
        unmatched[0]["closest"],
        "GET /api/v1/customers/C-1?expand=owner&fields=all"
    );
    assert!(
        unmatched[0]["differences"]
            .as_array()
            .expect("differences")
            .contains(&json!("query `rollback=true` not in the recording")),
        "{unmatched:#?}"
    );

    let cleared = client()
        .delete(format!("{base}/__interlock/requests"))
        .send()
        .await
        .expect("cleared");
    assert_eq!(cleared.status(), 204);
    let empty: Value = get(&format!("{base}/__interlock/requests"))
        .await
        .expect("the journal")
        .json()
        .await
        .expect("JSON");
    assert_eq!(empty["count"], 0);
    // Admin requests themselves are never journaled, and the run's view is separate.
    assert_eq!(server.take_journal().len(), 3);
}
