//! Recorder overhead: requests per second through `interlock record` (the real binary: forward,
//! capture, redact, append with fsync; and with `--no-fsync`) against the same upstream called
//! directly, with the same pooled reqwest client, at concurrency 1 and 16, in the same run.
//!
//! Run with `cargo bench --bench record`; compare `recorder/N` and `recorder-no-fsync/N` with
//! `direct/N`. The bench ends by
//! printing an interleaved recorder/direct ratio per concurrency (short alternating blocks), which
//! machine-load drift between criterion cases does not skew.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;

const PATH: &str = "/api/v1/customers/C-1001?expand=owner";

/// A ~1 KB customer with personal data, so redaction does real work.
fn customer() -> Bytes {
    let orders: Vec<_> = (0..8)
        .map(|i| json!({"id": format!("SO-{i:04}"), "amount": 1250.5 + f64::from(i), "currency": "CNY"}))
        .collect();
    Bytes::from(
        json!({
            "id": "C-1001",
            "name": "ACME Trading Co., Ltd.",
            "tax_id": "91310000MA1FL0000X",
            "contact": {"first_name": "Mei", "last_name": "Chen", "email": "mei.chen@acme.example", "phone": "+86 21 5555 0100"},
            "iban": "DE89370400440532013000",
            "updated_at": "2024-05-01T08:00:00+08:00",
            "orders": orders,
        })
        .to_string(),
    )
}

/// Starts the upstream on the runtime; returns its base URL.
async fn upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("upstream address");
    let body = customer();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_| {
                    let body = body.clone();
                    async move {
                        let mut response = Response::new(Full::new(body));
                        response.headers_mut().insert(
                            header::CONTENT_TYPE,
                            header::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// The recorder binary between the client and `upstream`; killed when dropped.
struct Recorder {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Recorder {
    fn start(upstream: &str, extra: &[&str]) -> Recorder {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_interlock"))
            .args(["record", "--upstream", upstream, "--listen", "127.0.0.1:0"])
            .args(["--out", "bench.jsonl"])
            .args(extra)
            .current_dir(dir.path())
            .env("INTERLOCK_REDACT_KEY", "bench-key-0123456789abcdef")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn interlock record");
        let stdout = child.stdout.take().expect("recorder stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .and_then(Result::ok)
            .expect("recorder start line");
        // Keep draining stdout (one line per exchange) so the recorder never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        let url = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .expect("address in the start line")
            .to_string();
        Recorder {
            child,
            url,
            _dir: dir,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `total` GETs to `base` from `concurrency` tasks; returns the elapsed time.
async fn blast(client: &reqwest::Client, base: &str, total: u64, concurrency: u64) -> Duration {
    let url = Arc::new(format!("{base}{PATH}"));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let share = total / concurrency + u64::from(worker < total % concurrency);
        let client = client.clone();
        let url = Arc::clone(&url);
        tasks.push(tokio::spawn(async move {
            for _ in 0..share {
                let response = client.get(url.as_str()).send().await.expect("request");
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await.expect("body");
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    started.elapsed()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let upstream = runtime.block_on(upstream());
    let recorder = Recorder::start(&upstream, &[]);
    let no_fsync = Recorder::start(&upstream, &["--no-fsync"]);
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let targets = [
        ("direct", upstream.clone()),
        ("recorder", recorder.url.clone()),
        ("recorder-no-fsync", no_fsync.url.clone()),
    ];

    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    for concurrency in [1_u64, 16] {
        for (name, base) in &targets {
            group.bench_with_input(BenchmarkId::new(*name, concurrency), base, |b, base| {
                b.to_async(&runtime)
                    .iter_custom(|iters| blast(&client, base, iters, concurrency));
            });
        }
    }
    group.finish();

    // Interleaved: alternate short blocks so both sides see the same machine load.
    for concurrency in [1_u64, 16] {
        let (mut direct, mut synced, mut unsynced) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let block = 200 * concurrency;
        for _ in 0..5 {
            direct += runtime.block_on(blast(&client, &upstream, block, concurrency));
            synced += runtime.block_on(blast(&client, &recorder.url, block, concurrency));
            unsynced += runtime.block_on(blast(&client, &no_fsync.url, block, concurrency));
        }
        let requests = (5 * block) as f64;
        let rate = |d: Duration| requests / d.as_secs_f64();
        println!(
            "interleaved concurrency {concurrency}: direct {:.0} req/s, recorder {:.0} req/s ({:.2} of direct), recorder --no-fsync {:.0} req/s ({:.2} of direct)",
            rate(direct),
            rate(synced),
            direct.as_secs_f64() / synced.as_secs_f64(),
            rate(unsynced),
            direct.as_secs_f64() / unsynced.as_secs_f64()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
