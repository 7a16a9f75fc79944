//! Mocked-peer throughput: requests per second of a peer serving a recorded ~1 KB JSON
//! response (matching, contract validation and journaling included), against a raw hyper
//! server returning the same bytes, with the same pooled reqwest client, at concurrency 1
//! and 32.
//!
//! Run with `cargo bench --bench peers`; compare `peer/N` with `raw-hyper/N`. The bench ends
//! by printing an interleaved peer/raw ratio per concurrency, which machine-load drift
//! between cases does not skew.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use interlock::peers::{PeerOptions, PeerServer};
use interlock::scenario::IgnoreRules;
use serde_json::Value;

mod common;
use common::{PATH, customer, exchange};

fn contracts() -> Vec<interlock::contract::Contract> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peers/erp");
    match interlock::contract::load_dir(Path::new(&dir)) {
        Ok(set) => set.iter().cloned().collect(),
        Err(err) => panic!("bench contracts do not load: {err}"),
    }
}

async fn start_peer(body: &Value) -> PeerServer {
    let options = PeerOptions {
        name: "erp".into(),
        recording: vec![exchange(body)].into(),
        contracts: contracts(),
        ignore: IgnoreRules::default(),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        validate_requests: true,
        behaviour: Default::default(),
        admin: Default::default(),
        journal_bytes: PeerOptions::JOURNAL_BYTES,
    };
    match PeerServer::start(options).await {
        Ok(server) => server,
        Err(err) => panic!("peer does not start: {err}"),
    }
}

/// The baseline: hyper with the same connection builder, answering every request with the
/// same bytes and content type.
async fn start_raw(bytes: Bytes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(common::serve_raw(listener, bytes));
    addr
}

/// Sends `iters` requests from `concurrency` workers sharing one pooled client.
async fn run(client: &reqwest::Client, url: &str, concurrency: u64, iters: u64) -> Duration {
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let share = iters / concurrency + u64::from(worker < iters % concurrency);
        let client = client.clone();
        let url = url.to_string();
        workers.spawn(async move {
            for _ in 0..share {
                let response = client.get(&url).send().await.expect("an answer");
                assert_eq!(response.status(), 200);
                let body = response.bytes().await.expect("a body");
                assert!(body.len() > 900);
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker finished");
    }
    started.elapsed()
}

fn peers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let body = customer();
    let bytes = Bytes::from(serde_json::to_vec(&body).expect("JSON"));
    assert!((900..1400).contains(&bytes.len()), "{} bytes", bytes.len());
    let peer = rt.block_on(start_peer(&body));
    let raw = rt.block_on(start_raw(bytes));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("a client");
    let targets = [
        ("peer", format!("{}{PATH}", peer.url())),
        ("raw-hyper", format!("http://{raw}{PATH}")),
    ];

    let mut group = c.benchmark_group("peers");
    group
        .throughput(Throughput::Elements(1))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    for concurrency in [1_u64, 32] {
        for (name, url) in &targets {
            group.bench_with_input(BenchmarkId::new(*name, concurrency), url, |b, url| {
                b.to_async(&rt).iter_custom(|iters| {
                    let client = client.clone();
                    let peer = &peer;
                    async move {
                        let elapsed = run(&client, url, concurrency, iters).await;
                        // The lead drains the journal after every exchange; keep it small here too.
                        let _ = peer.take_journal();
                        elapsed
                    }
                });
            });
        }
    }
    group.finish();

    // Machine load drifts between criterion's cases; alternating short blocks of both servers
    // (in both orders) gives a ratio that drift affects equally.
    const ROUNDS: u64 = 40;
    for concurrency in [1_u64, 32] {
        let (mut peer_time, mut raw_time) = (Duration::ZERO, Duration::ZERO);
        let block = 64 * concurrency;
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                peer_time += rt.block_on(run(&client, &targets[0].1, concurrency, block));
                raw_time += rt.block_on(run(&client, &targets[1].1, concurrency, block));
            } else {
                raw_time += rt.block_on(run(&client, &targets[1].1, concurrency, block));
                peer_time += rt.block_on(run(&client, &targets[0].1, concurrency, block));
            }
            let _ = peer.take_journal();
        }
        let rate = |t: Duration| (ROUNDS * block) as f64 / t.as_secs_f64();
        eprintln!(
            "interleaved, concurrency {concurrency}: peer {:.0} req/s, raw hyper {:.0} req/s, ratio {:.1}%",
            rate(peer_time),
            rate(raw_time),
            100.0 * raw_time.as_secs_f64() / peer_time.as_secs_f64()
        );
    }
    rt.block_on(peer.shutdown());
}

criterion_group!(benches, peers);
criterion_main!(benches);
