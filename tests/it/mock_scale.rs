//! Mocked peers over recordings too large to hold: served from an index of the recording file,
//! over real HTTP on loopback, answering exactly as a peer holding the same exchanges in memory;
//! the journal bounded by bytes; the memory of `interlock mock` independent of body sizes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use interlock::peers::{Outcome, PathMatch, PeerOptions, PeerServer, Recorded};
use interlock::recording::Exchange;
use interlock::scenario::IgnoreRules;
use serde_json::{Value, json};

use crate::harness::Project;
use crate::mock_cli::Mock;
use crate::peers::contracts;
use crate::support::crm;

/// Customers in the large recording; with their padding the file is well over the size a peer
/// holds in memory.
const CUSTOMERS: usize = 20_000;

/// Where the three recordings of the identical `GET /api/v1/health` sit (0-based exchanges).
const HEALTH_AT: [usize; 3] = [4, 10_000, 19_990];

/// A recording of `CUSTOMERS` customer reads, a customer sync every 1 000, an order (as text)
/// every 5 000, and three identical health checks with different answers.
fn large_recording(path: &Path) -> usize {
    let mut text = String::new();
    let mut count = 0;
    let pad = "x".repeat(400);
    for i in 0..CUSTOMERS {
        if let Some(turn) = HEALTH_AT.iter().position(|&at| at == i) {
            let line = json!({"request": {"method": "GET", "url": "/api/v1/health"},
                "response": {"status": 200, "body": {"turn": turn + 1}}});
            writeln!(text, "{line}").expect("write");
            count += 1;
        }
        let line = json!({
            "request": {"method": "GET", "url": format!("/api/v1/customers/C-{i}")},
            "response": {"status": 200,
                "headers": {"content-type": "application/json", "x-erp-trace": format!("t-{i}")},
                "body": {"id": format!("C-{i}"), "name": format!("Customer {i}"), "credit_limit": i * 10, "note": pad}}
        });
        writeln!(text, "{line}").expect("write");
        count += 1;
        if i % 1000 == 0 {
            let line = json!({
                "request": {"method": "POST", "url": "/api/v1/customers",
                    "headers": {"content-type": "application/json"},
                    "body": {"name": format!("ACME {i}"), "tax_id": format!("T-{i}"), "credit_limit": 500000}},
                "response": {"status": 201, "body": {"id": format!("C-{i}")}}
            });
            writeln!(text, "{line}").expect("write");
            count += 1;
        }
        if i % 5000 == 0 {
            let line = json!({
                "request": {"method": "POST", "url": "/api/v1/orders",
                    "headers": {"content-type": "text/plain"}, "body_text": format!("order {i}")},
                "response": {"status": 202, "headers": {"content-type": "text/plain"}, "body_text": format!("queued {i}")}
            });
            writeln!(text, "{line}").expect("write");
            count += 1;
        }
    }
    std::fs::write(path, text).expect("write the recording");
    count
}

fn options(recording: Recorded) -> PeerOptions {
    PeerOptions {
        name: "erp".to_string(),
        recording,
        contracts: contracts(),
        ignore: IgnoreRules::default(),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        validate_requests: true,
        behaviour: Default::default(),
        admin: Default::default(),
        journal_bytes: PeerOptions::JOURNAL_BYTES,
    }
}

async fn start(options: PeerOptions) -> PeerServer {
    match PeerServer::start(options).await {
        Ok(server) => server,
        Err(err) => panic!("peer does not start: {err}"),
    }
}

/// A request body with its content type.
type Body<'a> = Option<(&'a str, String)>;

/// Status, the headers a recording can set, and the body bytes of one answer.
async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    url: &str,
    body: Body<'_>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = client
        .request(method, format!("{base}{url}"))
        .timeout(Duration::from_secs(10));
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.expect("the peer answers");
    let status = response.status().as_u16();
    let headers = ["content-type", "x-erp-trace"]
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(*name)?.to_str().ok()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn a_large_recording_is_served_from_its_index_exactly_as_from_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("erp.jsonl");
    let count = large_recording(&file);
    assert!(
        std::fs::metadata(&file).expect("size").len() > 4 * 1024 * 1024,
        "the recording must be too large to be held"
    );
    let (recording, errors) =
        interlock::recording::parse(&file, &std::fs::read_to_string(&file).expect("read"));
    assert!(errors.is_empty(), "{errors:?}");
    let exchanges: Vec<Exchange> = recording.iter().cloned().collect();
    assert_eq!(exchanges.len(), count);

    let indexed = start(options(Recorded::File(file.clone()))).await;
    let held = start(options(Recorded::Exchanges(exchanges.clone()))).await;
    assert_eq!(indexed.recorded_count(), count);
    let client = reqwest::Client::new();
    let spots: Vec<(&str, String, Body)> = vec![
        ("GET", "/api/v1/customers/C-0".into(), None),
        ("GET", "/api/v1/customers/C-7".into(), None),
        ("GET", "/api/v1/customers/C-12345".into(), None),
        (
            "GET",
            format!("/api/v1/customers/C-{}", CUSTOMERS - 1),
            None,
        ),
        (
            "POST",
            "/api/v1/customers".into(),
            Some((
                "application/json",
                r#"{"credit_limit":500000,"tax_id":"T-17000","name":"ACME 17000"}"#.into(),
            )),
        ),
        (
            "POST",
            "/api/v1/orders".into(),
            Some(("text/plain", "order 15000".into())),
        ),
    ];
    for (method, url, body) in &spots {
        let from_index = call(&client, &indexed.url(), method, url, body.clone()).await;
        let from_memory = call(&client, &held.url(), method, url, body.clone()).await;
        assert_eq!(from_index.0, from_memory.0, "{method} {url}");
        assert_eq!(from_index.1, from_memory.1, "{method} {url}");
        assert_eq!(
            String::from_utf8_lossy(&from_index.2),
            String::from_utf8_lossy(&from_memory.2),
            "{method} {url}"
        );
    }
    let (status, headers, body) = call(
        &client,
        &indexed.url(),
        "GET",
        "/api/v1/customers/C-12345",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers.contains(&("x-erp-trace".into(), "t-12345".into())));
    let recorded = exchanges
        .iter()
        .find(|e| e.request.url == "/api/v1/customers/C-12345")
        .expect("recorded");
    let recorded_body =
        serde_json::to_vec(recorded.response.body.json().expect("JSON")).expect("serialise");
    assert_eq!(body, recorded_body, "byte for byte");
    let (status, _, body) = call(
        &client,
        &indexed.url(),
        "POST",
        "/api/v1/orders",
        Some(("text/plain", "order 15000".into())),
    )
    .await;
    assert_eq!((status, body.as_slice()), (202, b"queued 15000".as_slice()));

    // Identical recorded requests play back in recorded order, then the last repeats.
    let mut turns = Vec::new();
    for _ in 0..4 {
        let (_, _, body) = call(&client, &indexed.url(), "GET", "/api/v1/health", None).await;
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        turns.push(body["turn"].as_u64().expect("a turn"));
    }
    assert_eq!(turns, [1, 2, 3, 3]);

    // A near miss is explained by the field that differs, read back from the recording.
    let (status, _, body) = call(
        &client,
        &indexed.url(),
        "POST",
        "/api/v1/customers",
        Some((
            "application/json",
            r#"{"name":"ACME 3000","tax_id":"T-3000","credit_limit":"500000"}"#.into(),
        )),
    )
    .await;
    assert!(status == 404 || status == 422, "{status}");
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        body["differences"],
        json!(["body field `/credit_limit`: 500000 → \"500000\""]),
        "{body:#}"
    );
    assert_eq!(
        body["closest"]["request"], "POST /api/v1/customers",
        "{body:#}"
    );
    let calls = indexed.take_journal();
    let unmatched = calls.last().expect("journaled");
    assert_eq!(
        unmatched.differences,
        ["body field `/credit_limit`: 500000 → \"500000\""]
    );

    // What was never served is known per exchange, and read back with its line.
    let unused = indexed.unused();
    let served = count - unused.len();
    assert_eq!(
        served,
        spots.len() + 3,
        "each spot once, and three health checks"
    );
    let never = unused[0];
    let exchange = indexed.recorded(never).expect("read back");
    assert_eq!(exchange, exchanges[never]);
    assert_eq!(indexed.recorded_line(never), never + 1);
    indexed.shutdown().await;
    held.shutdown().await;
}

#[tokio::test]
async fn an_indexed_recording_matches_by_template_when_the_peer_allows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("erp.jsonl");
    large_recording(&file);
    let mut options = options(Recorded::File(file));
    options.behaviour.match_path = PathMatch::Template;
    let peer = start(options).await;
    let client = reqwest::Client::new();
    let (status, _, body) = call(
        &client,
        &peer.url(),
        "GET",
        "/api/v1/customers/C-unknown",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["id"], "C-0", "the earliest recording of the operation");
    let calls = peer.take_journal();
    assert_eq!(calls[0].outcome, Outcome::MatchedByTemplate);
    peer.shutdown().await;
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    line.split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .expect("a number of KiB")
}

/// Serves `recording` with `interlock mock`, fetches `urls` (each answered 200), and hands back
/// the process's peak RSS in KiB.
async fn mock_peak(project: &Project, recording: &str, urls: &[String]) -> u64 {
    let port = crm::free_port();
    let mut mock = Mock::start(
        project,
        &[
            "--recording",
            &format!("blob={recording}@{port}"),
            "--log",
            "none",
        ],
    );
    mock.wait_for(&format!("blob  http://127.0.0.1:{port}"));
    let client = reqwest::Client::new();
    for url in urls {
        let base = format!("http://127.0.0.1:{port}");
        let (status, _, _) = call(&client, &base, "GET", url, None).await;
        assert_eq!(status, 200, "{url}");
    }
    let peak = peak_rss_kib(mock.pid());
    let (code, stdout) = mock.stop("TERM");
    assert_eq!(code, 0, "{stdout}");
    peak
}

#[tokio::test]
async fn interlock_mock_holds_an_index_not_the_recorded_bodies() {
    if !Path::new("/proc/self/status").exists() {
        crate::support::skip("no /proc: peak memory of a child process cannot be read");
        return;
    }
    let project = Project::bundled();
    // 1 600 exchanges of 64 KiB answers: about 100 MiB of recording.
    let blob = "b".repeat(64 * 1024);
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(project.file("big.jsonl")).expect("create"));
    for i in 0..1600 {
        let line = json!({"request": {"method": "GET", "url": format!("/blobs/{i}")},
            "response": {"status": 200, "body": {"id": i, "data": blob}}});
        writeln!(file, "{line}").expect("write");
    }
    file.flush().expect("flush");
    drop(file);
    let size_kib = std::fs::metadata(project.file("big.jsonl"))
        .expect("size")
        .len()
        / 1024;
    project.write(
        "small.jsonl",
        &format!(
            "{}\n",
            json!({"request": {"method": "GET", "url": "/blobs/0"},
                "response": {"status": 200, "body": {"id": 0, "data": blob}}})
        ),
    );
    let urls: Vec<String> = [0, 799, 1599]
        .iter()
        .map(|i| format!("/blobs/{i}"))
        .collect();
    let alone = mock_peak(&project, "small.jsonl", &urls[..1]).await;
    let large = mock_peak(&project, "big.jsonl", &urls).await;
    assert!(
        large.saturating_sub(alone) < size_kib / 10,
        "peak RSS {large} KiB serving a recording of {size_kib} KiB, {alone} KiB serving one \
         exchange: the bodies are held"
    );
}

#[tokio::test]
async fn the_journal_byte_cap_evicts_the_oldest_calls() {
    let project = Project::bundled();
    let port = crm::free_port();
    let mut mock = Mock::start(
        &project,
        &[
            "--recording",
            &format!("erp=scenarios/receivables-check/erp.jsonl@{port}"),
            "--journal-bytes",
            "64KiB",
            "--log",
            "none",
        ],
    );
    mock.wait_for(&format!("erp  http://127.0.0.1:{port}"));
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let body = "n".repeat(4096);
    for i in 0..100 {
        let (status, _, _) = call(
            &client,
            &base,
            "POST",
            &format!("/unrecorded/{i}"),
            Some(("text/plain", body.clone())),
        )
        .await;
        assert!(status == 404 || status == 422, "{status}");
    }
    let journal: Value = client
        .get(format!("{base}/__interlock/requests"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the journal")
        .json()
        .await
        .expect("JSON");
    let seqs: Vec<u64> = journal["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r["seq"].as_u64())
        .collect();
    let kept_bytes: usize = journal["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["body_text"].as_str().map_or(0, str::len))
        .sum();
    assert!(!seqs.is_empty() && seqs.len() < 100, "{seqs:?}");
    assert!(seqs.contains(&100), "the newest call stays: {seqs:?}");
    assert!(!seqs.contains(&1), "the oldest call goes: {seqs:?}");
    assert!(kept_bytes <= 64 * 1024, "{kept_bytes} bytes of bodies kept");
    let (code, stdout) = mock.stop("TERM");
    assert_eq!(code, 0, "{stdout}");

    let out = project.run(&["mock", "--journal-bytes", "12 parsecs"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("unknown unit `parsecs`"),
        "{}",
        out.stderr
    );
}
