//! `interlock record`: a real upstream (hyper, in this process), the real recorder binary in
//! between on a free port, and a real reqwest client. The recording file is read back with
//! Interlock's own parser.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use interlock::recording::{self, Exchange};
use serde_json::{Value, json};

use crate::harness::Project;

/// The pseudonym key every recorder in the tests runs with.
pub const KEY: &str = "test-key-0123456789abcdef0123456789";

/// Size of the large body (`GET /large`).
const LARGE: usize = 5 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The upstream: a small hyper server on its own thread.

/// A running upstream; stops when dropped.
pub struct Upstream {
    pub url: String,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Requests that have reached the upstream (counted before they are answered).
    arrived: Arc<std::sync::atomic::AtomicUsize>,
}

impl Upstream {
    pub fn start() -> Upstream {
        Self::start_on("127.0.0.1:0".parse().expect("address"))
    }

    /// Starts on a given address (to bring an upstream back on the same port).
    pub fn start_on(addr: SocketAddr) -> Upstream {
        let listener = std::net::TcpListener::bind(addr).expect("upstream: bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&arrived);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("upstream runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::pin!(stopped);
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let counter = Arc::clone(&counter);
                            tokio::spawn(async move {
                                let service = service_fn(move |r| {
                                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                    async move { Ok::<_, Infallible>(answer(r).await) }
                                });
                                let _ = auto::Builder::new(TokioExecutor::new())
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(200));
        });
        Upstream {
            url: format!("http://{addr}"),
            addr,
            stop: Some(stop),
            thread: Some(thread),
            arrived,
        }
    }

    /// Waits (at most 10 s) until `n` requests have reached the upstream.
    pub async fn wait_for_arrivals(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.arrived.load(std::sync::atomic::Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} requests reached the upstream",
                self.arrived.load(std::sync::atomic::Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type UpstreamBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// A body sent in several chunks (no length known up front, so hyper sends it chunked).
struct Chunks(Vec<Bytes>);

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.0.is_empty() {
            Poll::Ready(None)
        } else {
            Poll::Ready(Some(Ok(Frame::data(self.0.remove(0)))))
        }
    }
}

fn full(bytes: impl Into<Bytes>) -> UpstreamBody {
    Full::new(bytes.into()).boxed()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// `bytes` in a content coding: `br`, `zstd` or `gzip`.
pub fn encode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    match encoding {
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &Default::default()).expect("brotli");
            out
        }
        "zstd" => {
            ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
        }
        _ => gzip(bytes),
    }
}

pub fn large_body() -> Vec<u8> {
    (0..LARGE).map(|i| (i % 251) as u8).collect()
}

/// Routes: `/json`, `/echo` (request back as JSON), `/chunked`, `/gzip`, `/large`,
/// `/slow?ms=N`, `/redirect`, and `/served…?type=T&encoding=E` (the request body sent back
/// as content type `T`, encoded with `br`, `zstd` or `gzip` when asked).
async fn answer(request: Request<Incoming>) -> Response<UpstreamBody> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts.uri.query().unwrap_or("").to_string();
    let builder = Response::builder();
    let response = match parts.uri.path() {
        "/json" => builder
            .status(200)
            .header("content-type", "application/json")
            .header("x-upstream", "yes")
            .header("x-multi", "one")
            .header("x-multi", "two")
            .body(full(r#"{"id":"C-1","status":"active"}"#)),
        "/echo" => {
            let headers: serde_json::Map<String, Value> = parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
                .collect();
            let echoed = json!({
                "query": query,
                "headers": headers,
                "body": serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
            });
            builder
                .status(201)
                .header("content-type", "application/json")
                .header(
                    "set-cookie",
                    "session=upstream-session-cookie-42; Path=/; HttpOnly",
                )
                .body(full(echoed.to_string()))
        }
        "/chunked" => builder
            .status(200)
            .header("content-type", "text/plain")
            .body(
                Chunks(vec![
                    Bytes::from_static(b"first chunk, "),
                    Bytes::from_static(b"second chunk, "),
                    Bytes::from_static(b"last chunk"),
                ])
                .boxed(),
            ),
        "/gzip" => builder
            .status(200)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(full(gzip(br#"{"compressed":true,"items":[1,2,3]}"#))),
        "/large" => builder
            .status(200)
            .header("content-type", "application/octet-stream")
            .body(full(large_body())),
        "/slow" => {
            let ms: u64 = query
                .strip_prefix("ms=")
                .and_then(|v| v.split('&').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(500);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            builder
                .status(200)
                .header("content-type", "application/json")
                .body(full(json!({"slept_ms": ms, "query": query}).to_string()))
        }
        path if path.starts_with("/served") => {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let param = |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            let content_type = param("type").unwrap_or_else(|| "application/json".into());
            let builder = builder.status(200).header("content-type", content_type);
            match param("encoding").as_deref() {
                Some(encoding) => builder
                    .header("content-encoding", encoding)
                    .body(full(encode(encoding, &body))),
                None => builder.body(full(body)),
            }
        }
        "/redirect" => builder
            .status(302)
            .header("location", "/json")
            .body(full(Bytes::new())),
        _ => builder.status(404).body(full(Bytes::new())),
    };
    response.unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

// ---------------------------------------------------------------------------------------------
// The recorder: the real binary.

/// A running `interlock record`; killed when dropped.
pub struct Recorder {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Starts `interlock record` in `project` on a free port, with [`KEY`] as pseudonym key.
    pub fn start(project: &Project, upstream: &str, out: &str, extra: &[&str]) -> Recorder {
        Self::start_with_env(
            project,
            upstream,
            out,
            extra,
            &[("INTERLOCK_REDACT_KEY", KEY)],
        )
    }

    pub fn start_with_env(
        project: &Project,
        upstream: &str,
        out: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Recorder {
        let mut command = Command::new(env!("CARGO_BIN_EXE_interlock"));
        command
            .args([
                "record",
                "--upstream",
                upstream,
                "--listen",
                "127.0.0.1:0",
                "--out",
                out,
            ])
            .args(extra)
            .current_dir(project.path())
            .env_remove("INTERLOCK_REDACT_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn interlock record");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let collected = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = first_tx.send(line.clone());
                }
                collected.lock().expect("lines").push(line);
            }
        });
        let Ok(first) = first_rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            let output = child.wait_with_output().expect("recorder output");
            panic!(
                "recorder did not start: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        };
        let url = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .expect("address in the first line")
            .to_string();
        Recorder { child, url, lines }
    }

    pub fn stdout(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }

    /// Sends a signal with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit (bounded) and returns its exit code.
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A response body as JSON.
pub async fn json_of(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("response body");
    serde_json::from_slice(&bytes).expect("JSON body")
}

/// The recording's exchanges; panics on any bad line.
pub fn read_recording(project: &Project, file: &str) -> Vec<Exchange> {
    let path = project.file(file);
    let text = std::fs::read_to_string(&path).expect("read recording");
    let (rec, errors) = recording::parse(&path, &text);
    assert!(errors.is_empty(), "{errors:?}");
    rec.exchanges.into_iter().map(|(_, e)| e).collect()
}

/// Waits until stdout has `n` exchange lines (the line is printed after the client's answer).
fn wait_for_lines(recorder: &Recorder, prefix: &str, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let lines: Vec<String> = recorder
            .stdout()
            .into_iter()
            .filter(|l| l.starts_with(prefix))
            .collect();
        if lines.len() >= n || started.elapsed() > Duration::from_secs(10) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[tokio::test(flavor = "multi_thread")]
async fn json_round_trip_is_forwarded_unchanged_and_recorded() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let recorder = Recorder::start(&project, &upstream.url, "erp.jsonl", &["--peer", "erp"]);
    let client = client();

    let direct = client
        .get(format!("{}/json?x=1", upstream.url))
        .send()
        .await
        .unwrap();
    let direct_multi: Vec<String> = direct
        .headers()
        .get_all("x-multi")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let direct_body = direct.bytes().await.unwrap();
    let proxied = client
        .get(format!("{}/json?x=1", recorder.url))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 200);
    assert_eq!(proxied.headers()["x-upstream"], "yes");
    assert_eq!(proxied.headers()["content-type"], "application/json");
    let multi: Vec<String> = proxied
        .headers()
        .get_all("x-multi")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(multi, direct_multi);
    assert_eq!(proxied.bytes().await.unwrap(), direct_body);

    // Redirects are passed to the client, not followed.
    let redirect = client
        .get(format!("{}/redirect", recorder.url))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);
    assert_eq!(redirect.headers()["location"], "/json");

    let lines = wait_for_lines(&recorder, "GET ", 2);
    let line = regex::Regex::new(r"^GET /json 200 \d+ms$").unwrap();
    assert!(line.is_match(&lines[0]), "{lines:?}");
    let exchanges = read_recording(&project, "erp.jsonl");
    assert_eq!(exchanges.len(), 2);
    let e = &exchanges[0];
    assert_eq!(e.peer.as_deref(), Some("erp"));
    assert_eq!(e.request.method, "GET");
    assert_eq!(e.request.url, "/json?x=1");
    assert_eq!(e.request.headers["accept"].first(), "application/json");
    assert!(!e.request.headers.contains_key("host"));
    assert_eq!(e.response.status, 200);
    assert_eq!(
        e.response.body.json().cloned(),
        Some(json!({"id": "C-1", "status": "active"}))
    );
    assert_eq!(
        e.response.headers["x-multi"].values().collect::<Vec<_>>(),
        vec!["one", "two"]
    );
    assert!(e.duration_ms.is_some());
    let at = e.recorded_at.as_deref().unwrap();
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );
    assert_eq!(exchanges[1].response.status, 302);
}

#[tokio::test(flavor = "multi_thread")]
async fn chunked_gzip_and_large_bodies_reach_the_client_byte_for_byte() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let recorder = Recorder::start(&project, &upstream.url, "rec.jsonl", &[]);
    let client = client();

    let chunked = client
        .get(format!("{}/chunked", recorder.url))
        .send()
        .await
        .unwrap();
    assert_eq!(chunked.status(), 200);
    assert_eq!(
        chunked.bytes().await.unwrap(),
        Bytes::from_static(b"first chunk, second chunk, last chunk")
    );

    let direct = client
        .get(format!("{}/gzip", upstream.url))
        .send()
        .await
        .unwrap();
    let direct_bytes = direct.bytes().await.unwrap();
    let gz = client
        .get(format!("{}/gzip", recorder.url))
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_bytes = gz.bytes().await.unwrap();
    assert_eq!(
        gz_bytes, direct_bytes,
        "the client gets the identical gzip bytes"
    );
    assert_eq!(&gz_bytes[..2], &[0x1f, 0x8b]);

    let large = client
        .get(format!("{}/large", recorder.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        large.headers()["content-length"],
        LARGE.to_string().as_str()
    );
    let large_bytes = large.bytes().await.unwrap();
    assert_eq!(large_bytes.len(), LARGE);
    assert!(large_bytes.as_ref() == large_body().as_slice());

    let big_request = vec![b'x'; 2 * 1024 * 1024];
    let echoed = client
        .post(format!("{}/echo", recorder.url))
        .header("content-type", "text/plain")
        .body(big_request.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 201);

    let exchanges = read_recording(&project, "rec.jsonl");
    assert_eq!(exchanges.len(), 4);
    assert_eq!(
        exchanges[0].response.body.text(),
        Some("first chunk, second chunk, last chunk")
    );
    assert!(
        !exchanges[0]
            .response
            .headers
            .contains_key("transfer-encoding")
    );
    // Stored decoded, without its content-encoding, so it replays as plain HTTP.
    assert_eq!(
        exchanges[1].response.body.json().cloned(),
        Some(json!({"compressed": true, "items": [1, 2, 3]}))
    );
    assert!(
        !exchanges[1]
            .response
            .headers
            .contains_key("content-encoding")
    );
    let stored = base64::engine::general_purpose::STANDARD
        .decode(exchanges[2].response.body.base64().unwrap())
        .unwrap();
    assert_eq!(stored.len(), LARGE);
    assert_eq!(
        exchanges[3].request.body.text().map(str::len),
        Some(big_request.len())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_clients_are_all_recorded() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let recorder = Recorder::start(&project, &upstream.url, "rec.jsonl", &[]);
    let client = client();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = client.clone();
        let url = format!("{}/slow?ms=50&n={i}", recorder.url);
        tasks.push(tokio::spawn(async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            json_of(response).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let body = task.await.unwrap();
        assert_eq!(body["query"], format!("ms=50&n={i}"));
    }
    let exchanges = read_recording(&project, "rec.jsonl");
    assert_eq!(exchanges.len(), 50);
    let urls: BTreeSet<String> = exchanges.iter().map(|e| e.request.url.clone()).collect();
    let expected: BTreeSet<String> = (0..50).map(|i| format!("/slow?ms=50&n={i}")).collect();
    assert_eq!(urls, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_down_answers_502_and_the_recorder_serves_again_once_it_is_back() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let addr = upstream.addr;
    let url = upstream.url.clone();
    drop(upstream);
    let recorder = Recorder::start(&project, &url, "rec.jsonl", &[]);
    let client = client();

    let down = client
        .get(format!("{}/json", recorder.url))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), 502);
    let body = json_of(down).await;
    assert_eq!(body["error"], "interlock record: upstream unreachable");
    assert_eq!(body["upstream"], url.as_str());
    let lines = wait_for_lines(&recorder, "GET /json 502", 1);
    assert!(lines[0].contains("upstream unreachable"), "{lines:?}");
    assert!(lines[0].contains("not recorded"), "{lines:?}");

    let _back = Upstream::start_on(addr);
    let up = client
        .get(format!("{}/json", recorder.url))
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 200);
    let exchanges = read_recording(&project, "rec.jsonl");
    assert_eq!(exchanges.len(), 1, "the 502 is not recorded");
    assert_eq!(exchanges[0].response.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_exchange_in_flight_then_exits_0() {
    let project = Project::empty();
    let upstream = Upstream::start();
    let mut recorder = Recorder::start(&project, &upstream.url, "rec.jsonl", &[]);
    let client = client();
    let url = format!("{}/slow?ms=1000", recorder.url);
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    upstream.wait_for_arrivals(1).await;
    recorder.signal("TERM");
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    assert_eq!(json_of(response).await["slept_ms"], 1000);
    let code = tokio::task::block_in_place(|| recorder.wait(Duration::from_secs(15)));
    assert_eq!(code, Some(0));
    let exchanges = read_recording(&project, "rec.jsonl");
    assert_eq!(exchanges.len(), 1);
    let stdout = recorder.stdout().join("\n");
    assert!(stdout.contains("SIGTERM"), "{stdout}");
    assert!(
        stdout.contains("stopped; 1 exchanges recorded in rec.jsonl"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_traffic_keeps_every_exchange_the_client_received() {
    sigkill_mid_traffic(&[]).await;
}

/// Without fsync the line is still written before the client's answer, so `kill -9` loses
/// nothing answered either.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_traffic_with_no_fsync_keeps_every_exchange_the_client_received() {
    sigkill_mid_traffic(&["--no-fsync"]).await;
}

async fn sigkill_mid_traffic(flags: &[&str]) {
    let project = Project::empty();
    let upstream = Upstream::start();
    let mut recorder = Recorder::start(&project, &upstream.url, "rec.jsonl", flags);
    let client = client();
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let client = client.clone();
        let base = recorder.url.clone();
        let received = Arc::clone(&received);
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let url = format!("/slow?ms=3&w={worker}&i={i}");
                let Ok(response) = client.get(format!("{base}{url}")).send().await else {
                    break;
                };
                if response.status() != 200 || response.bytes().await.is_err() {
                    break;
                }
                received.lock().expect("received urls").push(url);
            }
        }));
    }
    // Kill once traffic is well under way (bounded: a stalled recorder fails the check below).
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.lock().expect("received urls").len() < 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    recorder.child.kill().expect("SIGKILL");
    let killed_at = received.lock().expect("received urls").len();
    for worker in workers {
        let _ = worker.await;
    }
    let _ = recorder.child.wait();
    assert!(
        killed_at >= 20,
        "only {killed_at} exchanges before the kill"
    );
    let exchanges = read_recording(&project, "rec.jsonl");
    let recorded: BTreeSet<String> = exchanges.iter().map(|e| e.request.url.clone()).collect();
    let received = received.lock().expect("received urls").clone();
    let missing: Vec<&String> = received.iter().filter(|u| !recorded.contains(*u)).collect();
    assert!(missing.is_empty(), "received but not recorded: {missing:?}");
    let text = std::fs::read_to_string(project.file("rec.jsonl")).expect("read recording");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "no partial last line"
    );
}

#[test]
fn bad_upstream_is_exit_2_and_a_taken_port_exit_3() {
    let project = Project::empty();
    let out = project.run_with_env(
        &[
            "record",
            "--upstream",
            "localhost:9000",
            "--listen",
            "127.0.0.1:0",
            "--out",
            "r.jsonl",
        ],
        &[("INTERLOCK_REDACT_KEY", KEY)],
    );
    out.assert_code(2);
    assert!(
        out.stderr.contains("--upstream `localhost:9000`"),
        "{}",
        out.stderr
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let out = project.run_with_env(
        &[
            "record",
            "--upstream",
            "http://127.0.0.1:9",
            "--listen",
            &listen,
            "--out",
            "r.jsonl",
        ],
        &[("INTERLOCK_REDACT_KEY", KEY)],
    );
    out.assert_code(3);
    assert!(
        out.stderr.contains("address already in use"),
        "{}",
        out.stderr
    );
    assert!(!project.file("r.jsonl").exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn exchanges_carry_the_interface_of_the_project_contract_they_match() {
    let project = Project::bundled();
    let upstream = Upstream::start();
    let recorder = Recorder::start(&project, &upstream.url, "erp.jsonl", &["--peer", "erp"]);
    let client = client();
    let sync = client
        .post(format!("{}/erp/v2/customers", recorder.url))
        .header("content-type", "application/json")
        .body(r#"{"crm_customer_id":"C-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(sync.status(), 404, "the upstream's answer, whatever it is");
    client
        .get(format!("{}/json", recorder.url))
        .send()
        .await
        .unwrap();
    let exchanges = read_recording(&project, "erp.jsonl");
    assert_eq!(exchanges[0].interface.as_deref(), Some("erp.customer-sync"));
    assert_eq!(exchanges[1].interface, None);
}
