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

/// A project of one scenario, `reads`, replaying `n` customer reads against target `crm`.
pub(crate) fn project(n: usize) -> Project {
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
pub(crate) struct Target {
    pub(crate) url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _runtime: tokio::runtime::Runtime,
}

type Lines = Mutex<std::io::Lines<BufReader<std::fs::File>>>;

pub(crate) fn serve(recording: &Path) -> Target {
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
        Body::Json(value) => serde_json::to_vec(&**value).expect("JSON"),
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
    measured_run(project, &[]).0
}

/// Replays the project into a live target with `args` added to `run`; the run's peak RSS in
/// KiB and its output. Needs `/usr/bin/time`; the run must pass.
pub(crate) fn measured_run(project: &Project, args: &[&str]) -> (u64, std::process::Output) {
    let mut command = std::process::Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(project.file("peak"))
        .arg(env!("CARGO_BIN_EXE_interlock"));
    let out = replay(project, command, args);
    let text = project.read("peak");
    let peak = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {text:?}"));
    (peak, out)
}

/// Replays the project into a live target with `args` added to `run`, started by `command`
/// (the binary, or a program that runs it); the run must pass.
pub(crate) fn replay(
    project: &Project,
    mut command: std::process::Command,
    args: &[&str],
) -> std::process::Output {
    let target = serve(&project.file("scenarios/reads/crm.jsonl"));
    let out = crate::harness::output_within(
        command
            .args(["-q", "run", "--snapshots", "no", "--target"])
            .arg(format!("crm={}", target.url))
            .args(args)
            .current_dir(project.path()),
        crate::harness::RUN_LIMIT,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
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
    // Holding the recording costs about 26 times its size; streaming keeps nothing per passing
    // exchange.
    assert_peak_grew_little(
        (peak_kib(&small), peak_kib(&large)),
        grown_recording,
        "the recording",
    );
}

/// Asserts that the peak RSS of two runs (KiB) grew by less than a quarter of `grown`, what
/// `what` grew by between them (KiB), plus 1 MiB: allocator noise, nothing held per exchange.
#[track_caller]
pub(crate) fn assert_peak_grew_little(
    (small_peak, large_peak): (u64, u64),
    grown: u64,
    what: &str,
) {
    let grown_peak = large_peak.saturating_sub(small_peak);
    eprintln!("peak {small_peak} → {large_peak} KiB while {what} grew by {grown} KiB");
    assert!(
        grown_peak < grown / 4 + 1024,
        "peak RSS grew by {grown_peak} KiB ({small_peak} → {large_peak} KiB) while {what} grew by {grown} KiB"
    );
}
