//! The replay-and-check loop beside a baseline of plain reqwest GETs, in the same run, at the
//! same concurrency, against the same raw hyper server answering each path with its recorded
//! body. (What a mocked peer costs on top of raw hyper is the `peers` bench.)
//!
//! `cargo bench --bench replay`. Each iteration is 1,000 exchanges; criterion reports the time
//! per iteration and the throughput in exchanges per second. The loop under test does
//! everything `interlock run` does per exchange: send, read, match the contract, validate the
//! body (formats on), diff against the recording, collect peer journals, and emit events.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use interlock::contract;
use interlock::run::{self, RunPlan};
use interlock::scenario::Scenario;
use interlock::snapshot::Mode;

const EXCHANGES: usize = 1_000;

const CONTRACT: &str = r#"{
  "interface": "crm.customer.get",
  "provider": "crm",
  "consumers": ["erp", "finance"],
  "operation": { "method": "GET", "path": "/api/v1/customers/{id}" },
  "responses": { "200": { "body": {
    "type": "object",
    "required": ["id", "name", "tax_id", "credit_limit", "currency", "created_at"],
    "properties": {
      "id": { "type": "string" },
      "name": { "type": "string" },
      "tax_id": { "type": "string", "pattern": "^[0-9A-Z]{18}$" },
      "credit_limit": { "type": "number", "minimum": 0 },
      "currency": { "enum": ["CNY", "USD", "EUR"] },
      "created_at": { "type": "string", "format": "date-time" },
      "contacts": { "type": "array", "items": { "type": "object" } }
    }
  } } }
}"#;

/// A ~1 KB customer document.
fn customer(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": format!("C-{i:05}"),
        "name": "上海华东精密机械有限公司",
        "tax_id": "91310115MA1K4ABC12",
        "credit_limit": 500000.0,
        "currency": "CNY",
        "status": "active",
        "owner": "li.wei@example.cn",
        "created_at": "2026-03-02T09:15:00+08:00",
        "updated_at": "2026-03-02T09:15:00+08:00",
        "contacts": [
            {"name": "王芳", "phone": "+86 138 0000 0001", "email": "wang.fang@example.cn", "role": "finance"},
            {"name": "陈刚", "phone": "+86 139 0000 0002", "email": "chen.gang@example.cn", "role": "procurement"},
            {"name": "赵磊", "phone": "+86 137 0000 0003", "email": "zhao.lei@example.cn", "role": "operations"}
        ],
        "address": {"line1": "浦东新区张江路 88 号", "city": "上海", "postcode": "201203", "country": "CN"},
        "notes": "Key account; quarterly review with finance. Payment terms 60 days net, credit checked 2026-02."
    })
}

fn write_fixture(dir: &Path) {
    std::fs::create_dir_all(dir.join("contracts")).expect("contracts dir");
    std::fs::write(dir.join("contracts/customer.contract.json"), CONTRACT).expect("contract");
    let mut lines = String::new();
    for i in 0..EXCHANGES {
        let exchange = serde_json::json!({
            "interface": "crm.customer.get",
            "request": {"method": "GET", "url": format!("/api/v1/customers/C-{i:05}"), "headers": {"accept": "application/json"}},
            "response": {"status": 200, "headers": {"content-type": "application/json"}, "body": customer(i)}
        });
        lines.push_str(&exchange.to_string());
        lines.push('\n');
    }
    std::fs::write(dir.join("crm.jsonl"), lines).expect("recording");
}

/// A raw hyper server answering each path with its recorded body: the target of both loops,
/// so that they differ only in the client.
async fn raw_hyper(bodies: Arc<HashMap<String, Bytes>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let bodies = Arc::clone(&bodies);
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<_>| {
                    let body = bodies.get(request.uri().path()).cloned();
                    async move {
                        let response = match body {
                            Some(body) => hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(body)),
                            None => hyper::Response::builder()
                                .status(404)
                                .body(Full::new(Bytes::new())),
                        };
                        Ok::<_, Infallible>(response.expect("response"))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixture(dir.path());
    let contracts = contract::load_dir(&dir.path().join("contracts")).expect("contracts load");
    let scenario = Scenario::ad_hoc(dir.path().join("crm.jsonl"), Vec::new()).expect("scenario");
    let recorded = interlock::recording::read(&scenario.replay_file).expect("recording");
    let bodies: HashMap<String, Bytes> = recorded
        .iter()
        .map(|exchange| {
            let body = exchange
                .response
                .body
                .json()
                .expect("JSON body")
                .to_string();
            (exchange.request.url.clone(), Bytes::from(body))
        })
        .collect();
    let addr = runtime.block_on(raw_hyper(Arc::new(bodies)));
    let targets =
        std::collections::BTreeMap::from([(scenario.target.clone(), format!("http://{addr}"))]);

    let mut group = c.benchmark_group("replay-1000");
    group.throughput(Throughput::Elements(EXCHANGES as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    for concurrency in [1usize, 4] {
        // The loop under test: `concurrency` scenarios of 1000/concurrency exchanges in parallel.
        let mut scenarios = Vec::new();
        for part in 0..concurrency {
            let lines: Vec<String> = recorded
                .iter()
                .skip(part)
                .step_by(concurrency)
                .map(interlock::recording::to_line)
                .collect();
            let file = dir.path().join(format!("crm-{concurrency}-{part}.jsonl"));
            std::fs::write(&file, lines.join("\n")).expect("part");
            let mut s = Scenario::ad_hoc(file, Vec::new()).expect("scenario");
            s.name = format!("part-{part}");
            interlock::scenario::prepare::prepare(&mut s).expect("prepared");
            scenarios.push(s);
        }
        let plan = Arc::new(RunPlan {
            scenarios,
            contracts: contracts.clone(),
            targets: targets.clone(),
            timeout: Duration::from_secs(10),
            retries: 0,
            jobs: concurrency,
            snapshots: Mode::No,
            shard: None,
            run_id: None,
            privacy: interlock::redact::LivePrivacy::default(),
            credentials: Default::default(),
            profile: "local".to_string(),
            allow_commands: false,
            max_bodies_per_cause: interlock::config::DEFAULT_MAX_BODIES_PER_CAUSE,
        });
        group.bench_function(format!("interlock-replay-and-check/c{concurrency}"), |b| {
            b.to_async(&runtime).iter(|| async {
                let result = run::run(Arc::clone(&plan), Vec::new()).await.expect("run");
                assert_eq!(
                    result.exit_code(),
                    0,
                    "the bench recording must replay cleanly"
                );
            });
        });

        let client = reqwest::Client::new();
        group.bench_function(format!("baseline-reqwest-raw-hyper/c{concurrency}"), |b| {
            b.to_async(&runtime).iter(|| async {
                let mut tasks = tokio::task::JoinSet::new();
                for part in 0..concurrency {
                    let client = client.clone();
                    tasks.spawn(async move {
                        for i in (part..EXCHANGES).step_by(concurrency) {
                            let url = format!("http://{addr}/api/v1/customers/C-{i:05}");
                            let response = client.get(url).send().await.expect("send");
                            let bytes = response.bytes().await.expect("body");
                            assert!(!bytes.is_empty());
                        }
                    });
                }
                while tasks.join_next().await.is_some() {}
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
