//! Interlock at scale: an N-exchange project, replayed, mocked and checked by the release binary,
//! with the time and the peak resident memory of each run.
//!
//! `cargo bench --bench scale -- --exchanges N [--out DIR]` writes a project from the bundled
//! example (its `contracts/` without the learned `domains.yaml` and `lineage.yaml`, which
//! describe the bundled recordings' values, and its small scenarios) plus two large scenarios:
//!
//! - `big`: N exchanges cycled from the bundled CRM recordings (customer onboarding, opportunity
//!   stages, receivables), every id (`C-…`, `E-…`, `OPP-…`, `INV-…`), request id, tax id and
//!   credit limit varied per cycle so that nothing deduplicates;
//! - `big-erp`: N customer creations, each with its ERP customer sync in an N-exchange peer
//!   recording (timestamps one second apart), the ERP mocked from it.
//!
//! Then it runs `interlock` (the binary cargo built for the bench, i.e. release) with
//! `--snapshots no`, one process at a time, and prints a table of wall time, exchanges per
//! second and peak RSS (`/usr/bin/time -f %M` when present, else `VmHWM` read from
//! `/proc/PID/status` while the process runs):
//!
//! - `replay, target from its recording` — `run big`;
//! - `replay, local hyper target` — `run big --target crm=URL`, the target a hyper server in
//!   this process answering each request with the next recorded response of `big`;
//! - `replay, ERP mocked from N` — `run big-erp`;
//! - `check` — `interlock check` over the whole project;
//! - `one small scenario beside big` and `… alone` — `run customer-onboarding` in the project,
//!   and in a copy holding only the small scenarios.
//!
//! `--out DIR` keeps the project in DIR (it must not exist); otherwise it lives in a temporary
//! folder. `--only TEXT[,TEXT…]` runs only the rows whose name holds one of them (`hyper`,
//! `check`, `small`). Unknown arguments, such as the `--bench` that `cargo bench` passes, are ignored.

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use interlock::recording::{Body, Exchange};

#[path = "common/peak.rs"]
mod peak;

/// The small bundled scenarios copied into the project (`erp-outage` expects a live ERP outage).
const SMALL: [&str; 3] = [
    "customer-onboarding",
    "opportunity-stage",
    "receivables-check",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let exchanges: usize = value("--exchanges")
        .map(|n| n.replace('_', "").parse().expect("--exchanges N"))
        .unwrap_or(100_000);
    let temp = tempfile::tempdir().expect("temporary folder");
    let root = match value("--out") {
        Some(dir) => PathBuf::from(dir),
        None => temp.path().join("project"),
    };
    assert!(!root.exists(), "{} exists already", root.display());
    let started = Instant::now();
    let alone = root.with_file_name(format!(
        "{}-alone",
        root.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
    ));
    write_project(&root, exchanges, true);
    write_project(&alone, 0, false);
    let bytes = std::fs::metadata(root.join("scenarios/big/crm.jsonl")).map_or(0, |m| m.len());
    eprintln!(
        "wrote {exchanges} exchanges ({:.1} MB) to {} in {:.1} s",
        bytes as f64 / 1e6,
        root.display(),
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let target = runtime.block_on(serve_recording(root.join("scenarios/big/crm.jsonl")));

    let run = ["-q", "run", "--snapshots", "no"];
    let only = value("--only");
    let mut rows = Vec::new();
    let mut measure = |name: &str, dir: &Path, args: &[&str], count: usize| {
        if only
            .as_deref()
            .is_some_and(|only| !only.split(',').any(|o| name.contains(o)))
        {
            return;
        }
        let row = measure(name, dir, args, count);
        eprintln!("{}", row.line());
        rows.push(row);
    };
    measure(
        "replay, target from its recording",
        &root,
        &[&run[..], &["big"]].concat(),
        exchanges,
    );
    let url = format!("crm={}", target.url);
    target.rewind();
    measure(
        "replay, local hyper target",
        &root,
        &[&run[..], &["big", "--target", &url]].concat(),
        exchanges,
    );
    measure(
        "replay, ERP mocked from N",
        &root,
        &[&run[..], &["big-erp"]].concat(),
        exchanges,
    );
    measure("check", &root, &["-q", "check"], 3 * exchanges);
    measure(
        "one small scenario beside big",
        &root,
        &[&run[..], &["customer-onboarding"]].concat(),
        4,
    );
    measure(
        "one small scenario alone",
        &alone,
        &[&run[..], &["customer-onboarding"]].concat(),
        4,
    );
    println!();
    println!(
        "{exchanges} exchanges, {:.1} MB replay recording, {} binary, --snapshots no",
        bytes as f64 / 1e6,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "| {:<34} | {:>9} | {:>10} | {:>13} | {:>4} |",
        "run", "time (s)", "exch./s", "peak RSS (MB)", "exit"
    );
    println!(
        "|{:-<36}|{:->11}|{:->12}|{:->15}|{:->6}|",
        "", "", "", "", ""
    );
    for row in &rows {
        println!("{}", row.line());
    }
    drop(runtime);
    if value("--out").is_some() {
        eprintln!("kept {} and {}", root.display(), alone.display());
    } else {
        let _ = std::fs::remove_dir_all(&alone);
    }
}

/// One measured run.
struct Row {
    name: String,
    seconds: f64,
    exchanges: usize,
    peak_kb: u64,
    exit: Option<i32>,
}

impl Row {
    fn line(&self) -> String {
        format!(
            "| {:<34} | {:>9.2} | {:>10.0} | {:>13.1} | {:>4} |",
            self.name,
            self.seconds,
            self.exchanges as f64 / self.seconds.max(1e-9),
            self.peak_kb as f64 / 1024.0,
            self.exit.map_or("-".to_string(), |c| c.to_string())
        )
    }
}

/// Runs the release binary in `dir` with `args`, measuring its wall time and peak RSS.
fn measure(name: &str, dir: &Path, args: &[&str], exchanges: usize) -> Row {
    let exe = env!("CARGO_BIN_EXE_interlock");
    let time = Path::new("/usr/bin/time");
    let report = dir.join(".peak");
    let mut command = if time.is_file() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&report).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    command
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn().expect("start interlock");
    let (status, polled) = peak::wait_with_peak(&mut child, Duration::from_millis(5));
    let seconds = started.elapsed().as_secs_f64();
    let timed = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse::<u64>().ok());
    let _ = std::fs::remove_file(&report);
    Row {
        name: name.to_string(),
        seconds,
        exchanges,
        peak_kb: timed.unwrap_or(polled),
        exit: status.code(),
    }
}

// ---------------------------------------------------------------------------------------
// The project
// ---------------------------------------------------------------------------------------

/// Writes `interlock.toml`, the bundled contracts and small scenarios, and (with `big`) the
/// two large scenarios of `n` exchanges.
fn write_project(root: &Path, n: usize, big: bool) {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(root.join("scenarios")).expect("project folder");
    std::fs::write(
        root.join("interlock.toml"),
        "contracts = [\"contracts\"]\nscenarios = \"scenarios\"\ndefault_profile = \"local\"\n\n\
         [run]\ntimeout_secs = 10\nretries = 0\njobs = 1\n\n[profiles.local.targets]\n",
    )
    .expect("interlock.toml");
    copy_dir(&bundled.join("contracts"), &root.join("contracts"));
    // Learned from the bundled recordings, the value domains and lineage would call every
    // varied id a drift: a project learns them from its own recordings.
    for learned in ["domains.yaml", "lineage.yaml"] {
        std::fs::remove_file(root.join("contracts").join(learned)).expect("learned file");
    }
    for name in SMALL {
        let from = bundled.join("scenarios").join(name);
        let to = root.join("scenarios").join(name);
        std::fs::create_dir_all(&to).expect("scenario folder");
        for file in ["scenario.yaml", "crm.jsonl", "erp.jsonl"] {
            std::fs::copy(from.join(file), to.join(file)).expect("bundled scenario");
        }
    }
    if big {
        write_big(root, n);
        write_big_erp(root, n);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("bundled folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
        }
    }
}

/// The bundled CRM recordings, one exchange a line.
fn bundled_lines() -> Vec<String> {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    SMALL
        .iter()
        .flat_map(|name| {
            std::fs::read_to_string(bundled.join(name).join("crm.jsonl"))
                .expect("bundled recording")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A recording line with its ids, request ids, tax ids and credit limits varied for cycle `k`
/// (the contracts' patterns still hold).
fn vary(line: &str, k: usize) -> String {
    use regex::{Captures, Regex};
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Vec<(Regex, u64)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            (r"\bC-([0-9]{5})\b", 100_000),
            (r"\bE-([0-9]{6})\b", 1_000_000),
            (r"\bOPP-([0-9]{8})\b", 100_000_000),
            (r"\bINV-[0-9]{4}-([0-9]{6})\b", 1_000_000),
            (r#""([0-9a-f]{32})""#, 0),
            (r#""tax_id":"91440300MA([0-9A-Z]{8})""#, 0),
            (r#""credit_limit":([0-9]+)"#, 10_000_000),
        ]
        .into_iter()
        .map(|(p, m)| (Regex::new(p).expect("pattern"), m))
        .collect()
    });
    let mut line = line.to_string();
    for (i, (pattern, modulus)) in patterns.iter().enumerate() {
        line = pattern
            .replace_all(&line, |c: &Captures| {
                let whole = &c[0];
                let digits = c.get(1).expect("group");
                let at = digits.start() - c.get(0).expect("match").start();
                let old = digits.as_str();
                let new = match (i, *modulus) {
                    (4, _) => format!("{:032x}", mix(k as u64, old)),
                    (5, _) => format!("{:08X}", mix(k as u64, old) as u32),
                    (_, m) => {
                        let n: u64 = old.parse().unwrap_or(0);
                        format!("{:0width$}", (n + k as u64) % m, width = old.len())
                    }
                };
                format!("{}{new}{}", &whole[..at], &whole[at + old.len()..])
            })
            .into_owned();
    }
    line
}

fn mix(k: u64, old: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (k, old).hash(&mut h);
    let a = h.finish();
    a.hash(&mut h);
    (u128::from(a) << 64) | u128::from(h.finish())
}

/// `big`: `n` exchanges cycled from the bundled CRM recordings, varied per cycle.
fn write_big(root: &Path, n: usize) {
    let dir = root.join("scenarios/big");
    std::fs::create_dir_all(&dir).expect("big");
    std::fs::write(
        dir.join("scenario.yaml"),
        "description: the bundled CRM traffic, cycled\ntarget: crm\nreplay: crm.jsonl\n\
         ignore:\n  - header:x-request-id\n  - /updated_at\n  - /items/*/updated_at\n",
    )
    .expect("scenario.yaml");
    let lines = bundled_lines();
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(dir.join("crm.jsonl")).expect("crm.jsonl"));
    for i in 0..n {
        let k = i / lines.len();
        writeln!(out, "{}", vary(&lines[i % lines.len()], k)).expect("write");
    }
    out.flush().expect("flush");
}

/// `big-erp`: `n` customer creations, each with its ERP sync in the mocked ERP's recording.
fn write_big_erp(root: &Path, n: usize) {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/customer-onboarding");
    let create = std::fs::read_to_string(bundled.join("crm.jsonl")).expect("crm.jsonl");
    let create = create.lines().next().expect("a creation").to_string();
    let sync = std::fs::read_to_string(bundled.join("erp.jsonl")).expect("erp.jsonl");
    let sync = sync.lines().next().expect("a sync").to_string();
    let dir = root.join("scenarios/big-erp");
    std::fs::create_dir_all(&dir).expect("big-erp");
    std::fs::write(
        dir.join("scenario.yaml"),
        "description: customer creations, each synced to the mocked ERP\ntarget: crm\nreplay: crm.jsonl\n\
         peers:\n  erp:\n    recording: erp.jsonl\n    ignore:\n      - header:x-request-id\n\
         ignore:\n  - header:x-request-id\n  - /updated_at\n",
    )
    .expect("scenario.yaml");
    let file = |name: &str| {
        std::io::BufWriter::new(std::fs::File::create(dir.join(name)).expect("recording"))
    };
    let (mut crm, mut erp) = (file("crm.jsonl"), file("erp.jsonl"));
    let base = time::macros::datetime!(2026-03-02 09:15:00 +08:00);
    let stamp = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .expect("timestamp")
    };
    for i in 0..n {
        let at = base + Duration::from_secs(i as u64);
        let mut create: Exchange = serde_json::from_str(&vary(&create, i)).expect("exchange");
        create.recorded_at = Some(stamp(at));
        let mut sync: Exchange = serde_json::from_str(&vary(&sync, i)).expect("exchange");
        sync.recorded_at = Some(stamp(at + Duration::from_millis(36)));
        writeln!(crm, "{}", interlock::recording::to_line(&create)).expect("write");
        writeln!(erp, "{}", interlock::recording::to_line(&sync)).expect("write");
    }
    crm.flush().expect("flush");
    erp.flush().expect("flush");
}

// ---------------------------------------------------------------------------------------
// The local hyper target
// ---------------------------------------------------------------------------------------

/// A hyper server answering each request with the next recorded response of a recording.
struct Target {
    url: String,
    recording: PathBuf,
    lines: Arc<Mutex<Option<std::io::Lines<BufReader<std::fs::File>>>>>,
}

impl Target {
    /// Starts again from the recording's first exchange.
    fn rewind(&self) {
        let file = std::fs::File::open(&self.recording).expect("recording");
        *self.lines.lock().expect("lock") = Some(BufReader::new(file).lines());
    }
}

async fn serve_recording(recording: PathBuf) -> Target {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let lines = Arc::new(Mutex::new(None));
    let shared = Arc::clone(&lines);
    tokio::spawn(async move {
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder.http1().keep_alive(true);
        let builder = Arc::new(builder);
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let (builder, lines) = (Arc::clone(&builder), Arc::clone(&shared));
            tokio::spawn(async move {
                let service = service_fn(move |_request| {
                    let next = next_response(&lines);
                    async move { Ok::<_, Infallible>(next) }
                });
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Target {
        url,
        recording,
        lines,
    }
}

type Lines = Mutex<Option<std::io::Lines<BufReader<std::fs::File>>>>;

/// The next recorded response, as the target would send it.
fn next_response(lines: &Lines) -> hyper::Response<Full<Bytes>> {
    let line = lines.lock().ok().and_then(|mut l| l.as_mut()?.next()?.ok());
    let Some(exchange) = line.and_then(|l| serde_json::from_str::<Exchange>(&l).ok()) else {
        let mut response = hyper::Response::new(Full::new(Bytes::new()));
        *response.status_mut() = hyper::StatusCode::GONE;
        return response;
    };
    let recorded = exchange.response;
    let bytes = match &recorded.body {
        Body::Json(value) => serde_json::to_vec(&**value).unwrap_or_default(),
        Body::Text(text) => text.clone().into_bytes(),
        Body::Base64(b64) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default()
        }
        Body::Empty => Vec::new(),
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(recorded.status).unwrap_or(hyper::StatusCode::OK);
    for (name, value) in &recorded.headers {
        for v in value.values() {
            if let (Ok(name), Ok(v)) = (
                hyper::header::HeaderName::from_bytes(name.as_bytes()),
                hyper::header::HeaderValue::from_str(v),
            ) {
                response.headers_mut().append(name, v);
            }
        }
    }
    response
}
