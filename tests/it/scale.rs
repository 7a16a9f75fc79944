//! Scale: a replay's memory stays flat as its recording grows. A project of a few thousand
//! exchanges and one of twice as many are replayed by the real binary (`--snapshots no`) into a
//! live target that answers each request with the next recorded response; the peak resident
//! memory of each run (`/usr/bin/time -f %M`) may grow by no more than a quarter of what the
//! recording does, plus 1 MiB.
//! Holding the recording (about 26 times its size in memory) fails the test. Nothing here
//! depends on the machine's speed: only memory is compared.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use interlock::recording::{Body, Exchange};

use crate::harness::Project;

/// Exchanges of the smaller project; the larger has twice as many.
const EXCHANGES: usize = 4000;

/// The bundled customer reads, each with its own id and request id.
fn recording(n: usize) -> String {
    let bundled = std::fs::read_to_string(
        crate::harness::repo_root().join("scenarios/customer-onboarding/crm.jsonl"),
    )
    .expect("bundled recording");
    let template = bundled
        .lines()
        .find(|l| l.contains("\"crm.customer.get\""))
        .expect("a customer read");
    let mut out = String::new();
    for i in 0..n {
        let id = format!("C-{:05}", i % 100_000);
        let line = template
            .replace("C-10023", &id)
            .replace("b821f95ebe72c8c7d8289712588a3db7", &format!("{i:032x}"));
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn project(n: usize) -> Project {
    let project = Project::empty();
    crate::harness::copy_dir(
        &crate::harness::repo_root().join("contracts"),
        &project.file("contracts"),
    );
    project
        .write(
            "interlock.toml",
            "contracts = [\"contracts\"]\nscenarios = \"scenarios\"\ndefault_profile = \"local\"\n\n[profiles.local.targets]\n",
        )
        .write(
            "scenarios/reads/scenario.yaml",
            "target: crm\nreplay: crm.jsonl\nignore:\n  - header:x-request-id\n",
        )
        .write("scenarios/reads/crm.jsonl", &recording(n));
    project
}

/// A live target answering each request with the next recorded response of `recording`.
struct Target {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _runtime: tokio::runtime::Runtime,
}

type Lines = Mutex<std::io::Lines<BufReader<std::fs::File>>>;

fn serve(recording: &Path) -> Target {
    let lines: Arc<Lines> = Arc::new(Mutex::new(
        BufReader::new(std::fs::File::open(recording).expect("recording")).lines(),
    ));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    listener.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (stop, stopped) = tokio::sync::oneshot::channel();
    runtime.spawn(crate::support::serve::serve(
        listener,
        lines,
        |lines: Arc<Lines>, _request| async move { next(&lines) },
        stopped,
    ));
    Target {
        url,
        _stop: stop,
        _runtime: runtime,
    }
}

fn next(lines: &Lines) -> Response<Full<Bytes>> {
    let line = lines.lock().ok().and_then(|mut l| l.next()?.ok());
    let exchange: Exchange = serde_json::from_str(&line.unwrap_or_default()).expect("exchange");
    let body = match &exchange.response.body {
        Body::Json(value) => serde_json::to_vec(value).expect("JSON"),
        _ => Vec::new(),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(exchange.response.status).expect("status");
    for (name, value) in &exchange.response.headers {
        response.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            hyper::header::HeaderValue::from_str(value.first()).expect("header value"),
        );
    }
    response
}

/// Replays the project into a live target; the run's peak RSS in KiB.
fn peak_kib(project: &Project) -> u64 {
    let target = serve(&project.file("scenarios/reads/crm.jsonl"));
    let out = crate::harness::output_within(
        std::process::Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(project.file("peak"))
            .arg(env!("CARGO_BIN_EXE_interlock"))
            .args(["-q", "run", "--snapshots", "no", "--target"])
            .arg(format!("crm={}", target.url))
            .current_dir(project.path()),
        crate::harness::RUN_LIMIT,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = project.read("peak");
    text.lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {text:?}"))
}

#[test]
fn a_replay_peak_memory_grows_much_less_than_its_recording() {
    if !Path::new("/usr/bin/time").is_file() {
        crate::support::skip("/usr/bin/time is absent (apt-get install time)");
        return;
    }
    let (small, large) = (project(EXCHANGES), project(2 * EXCHANGES));
    let size = |p: &Project| {
        std::fs::metadata(p.file("scenarios/reads/crm.jsonl"))
            .expect("recording")
            .len()
            / 1024
    };
    let grown_recording = size(&large) - size(&small);
    let (small_peak, large_peak) = (peak_kib(&small), peak_kib(&large));
    let grown_peak = large_peak.saturating_sub(small_peak);
    eprintln!(
        "peak {small_peak} → {large_peak} KiB while the recording grew by {grown_recording} KiB"
    );
    // Holding the recording costs about 26 times its size; streaming keeps nothing per passing
    // exchange, so what grows is allocator noise: a quarter of the recording's growth, plus
    // 1 MiB.
    assert!(
        grown_peak < grown_recording / 4 + 1024,
        "peak RSS grew by {grown_peak} KiB ({small_peak} → {large_peak} KiB) while the recording grew by {grown_recording} KiB"
    );
}
