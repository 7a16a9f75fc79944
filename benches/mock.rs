//! `interlock mock` as a process, against a raw hyper server process returning the same bytes.
//!
//! `cargo bench --bench mock` writes a one-exchange recording of a ~1 KB customer document to
//! a temporary folder and starts three servers on loopback, each its own process:
//!
//! - `raw-hyper`: this bench binary re-executed as `--serve-raw PORT`, a hyper server on the
//!   same multi-threaded tokio runtime and connection builder as the mock, answering every
//!   request with the recorded bytes and content type over keep-alive HTTP/1.1;
//! - `mock-log-none`: the release `interlock mock --recording erp=REC@PORT --log none`;
//! - `mock-log-all`: the same with `--log all`, its stdout going to `/dev/null`.
//!
//! The mock validates every request against `tests/fixtures/peers/erp` (`--contracts`), as a
//! mock in a project with contracts does. Two load generators measure all three, one after the
//! other, each with its own table and verdicts:
//!
//! - a keep-alive reqwest client with one task per connection that keeps every latency: the
//!   load of a Rust client, as an application's own tests or the CRM would send (on a 2-core
//!   machine it drives raw hyper to about 55k req/s at concurrency 32);
//! - `wrk` (`-t1 -c1` and `-t2 -c32`, `--latency`) when it is on the PATH: the cheapest
//!   client there is, so the server's own CPU per request decides the throughput almost alone
//!   (raw hyper reaches about 160-200k req/s on the same machine).
//!
//! Runs are interleaved (raw, none, all, then all, none, raw, ...) for `--rounds` rounds of
//! `--duration` seconds so that drift on a busy machine hits every server alike; the medians of
//! req/s, p99 and the server process's CPU time per request (`/proc/PID/stat`), and the
//! mock/raw ratios, are printed at the end.
//!
//! `cargo bench --bench mock -- --soak [SECS]` (600 when no number follows) instead keeps
//! `interlock mock` under constant load at concurrency 32 for a 10 s warm-up plus SECS, in
//! 10 s intervals, sampling the process's `VmRSS` after each; it prints throughput per
//! interval and the RSS at start (after the warm-up), its maximum and at the end. Everything
//! stays on 127.0.0.1 and every loop is bounded in time.
//!
//! Other flags: `--duration SECS` (10), `--rounds N` (3), `--log all|problems|none` (the
//! soak's mock log; `all`), `--rust-client` (the reqwest client only; the soak uses wrk when
//! it can). Unknown arguments, such as the `--bench` that `cargo bench` passes, are ignored.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;

mod common;
use common::{PATH, customer, exchange};

const CONCURRENCIES: [u64; 2] = [1, 32];
/// How long a server process may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Length of one soak interval, and of its warm-up.
const SOAK_INTERVAL: Duration = Duration::from_secs(10);
const SOAK_CONCURRENCY: u64 = 32;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::parse(&args);
    let result = match options.mode {
        Mode::ServeRaw(port) => serve_raw(port),
        Mode::Compare => compare(&options),
        Mode::Soak(secs) => soak(&options, secs),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mock bench: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Compare,
    Soak(u64),
    ServeRaw(u16),
}

#[derive(Debug, Clone)]
struct Options {
    mode: Mode,
    duration: Duration,
    rounds: usize,
    soak_log: String,
    rust_client: bool,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let mut options = Options {
            mode: Mode::Compare,
            duration: Duration::from_secs(10),
            rounds: 3,
            soak_log: "all".into(),
            rust_client: false,
        };
        let number = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "--serve-raw" => {
                    if let Some(port) = number(i + 1).and_then(|p| u16::try_from(p).ok()) {
                        options.mode = Mode::ServeRaw(port);
                        i += 1;
                    }
                }
                "--soak" => {
                    options.mode = Mode::Soak(number(i + 1).unwrap_or(600));
                    i += usize::from(number(i + 1).is_some());
                }
                "--duration" => {
                    if let Some(secs) = number(i + 1).filter(|s| *s > 0) {
                        options.duration = Duration::from_secs(secs);
                        i += 1;
                    }
                }
                "--rounds" => {
                    if let Some(rounds) = number(i + 1).filter(|r| *r > 0) {
                        options.rounds = usize::try_from(rounds).unwrap_or(3);
                        i += 1;
                    }
                }
                "--log" => {
                    if let Some(mode) = args
                        .get(i + 1)
                        .filter(|m| ["all", "problems", "none"].contains(&m.as_str()))
                    {
                        options.soak_log = mode.clone();
                        i += 1;
                    }
                }
                "--rust-client" => options.rust_client = true,
                _ => {}
            }
            i += 1;
        }
        options
    }
}

// ---------------------------------------------------------------------------------------
// The response, the recording and the raw server
// ---------------------------------------------------------------------------------------

fn body_bytes() -> Result<Bytes, String> {
    serde_json::to_vec(&customer())
        .map(Bytes::from)
        .map_err(|err| format!("cannot encode the customer document: {err}"))
}

/// `--serve-raw PORT`: hyper on a multi-threaded tokio runtime, the same auto connection
/// builder as the mock with keep-alive HTTP/1.1, every answer the same bytes and content
/// type. Ends when its standard input closes (the bench ended) or on a signal.
fn serve_raw(port: u16) -> Result<(), String> {
    let bytes = body_bytes()?;
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start a runtime: {err}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .map_err(|err| format!("raw server cannot listen on port {port}: {err}"))?;
        common::serve_raw(listener, bytes).await;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------------------

/// A server process on loopback; dropping it stops the process (SIGTERM, then SIGKILL).
struct Server {
    name: String,
    child: Child,
    addr: SocketAddr,
    stderr: PathBuf,
    /// From spawn to the first correct answer.
    ready_after: Duration,
}

impl Server {
    fn url(&self) -> String {
        format!("http://{}{PATH}", self.addr)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` of the process, in KiB.
    fn rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .map_err(|err| format!("cannot read /proc/{}/status: {err}", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no VmRSS in /proc/{}/status", self.pid()))
    }

    /// User plus system CPU time of the process so far, in clock ticks (`/proc/PID/stat`).
    fn cpu_ticks(&self) -> Result<u64, String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .map_err(|err| format!("cannot read /proc/{}/stat: {err}", self.pid()))?;
        // Fields after the `(comm)`: state is field 3, utime 14 and stime 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        match (field(14), field(15)) {
            (Some(user), Some(system)) => Ok(user + system),
            _ => Err(format!("no CPU times in /proc/{}/stat", self.pid())),
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.alive() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("no free loopback port: {err}"))
}

/// Spawns `command`, which listens on `port` (stdout to /dev/null, stderr to a file in
/// `dir`), and waits until it answers `GET PATH` with 200 and `expected` as the body.
fn start(
    name: &str,
    mut command: Command,
    port: u16,
    dir: &Path,
    expected: &[u8],
) -> Result<Server, String> {
    let stderr = dir.join(format!("{name}.stderr"));
    let stderr_file = File::create(&stderr)
        .map_err(|err| format!("cannot create {}: {err}", stderr.display()))?;
    let started = Instant::now();
    let child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr_file))
        .spawn()
        .map_err(|err| format!("cannot start {name}: {err}"))?;
    let mut server = Server {
        name: name.to_string(),
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        stderr,
        ready_after: Duration::ZERO,
    };
    loop {
        if !server.alive() {
            let text = std::fs::read_to_string(&server.stderr).unwrap_or_default();
            return Err(format!("{name} exited before serving:\n{text}"));
        }
        if let Ok(answer) = get_once(server.addr) {
            server.ready_after = started.elapsed();
            if answer.status != 200 || answer.body != expected {
                return Err(format!(
                    "{name} answered {} with a {}-byte body, not 200 with the recorded {} bytes",
                    answer.status,
                    answer.body.len(),
                    expected.len()
                ));
            }
            return Ok(server);
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(format!("{name} did not answer within {START_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// This bench binary again, as `--serve-raw PORT`.
fn start_raw(dir: &Path, expected: &[u8]) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|err| format!("no path to this bench: {err}"))?;
    let port = free_port()?;
    let mut command = Command::new(exe);
    command.arg("--serve-raw").arg(port.to_string());
    start("raw-hyper", command, port, dir, expected)
}

/// The real release binary, run from `dir`: `interlock mock --log LOG --contracts
/// tests/fixtures/peers/erp --recording erp=DIR/erp.jsonl@PORT`.
fn start_mock(name: &str, log: &str, dir: &Path, expected: &[u8]) -> Result<Server, String> {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peers/erp");
    let port = free_port()?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_interlock"));
    command
        .current_dir(dir)
        .args(["mock", "--log", log, "--contracts"])
        .arg(&contracts)
        .arg("--recording")
        .arg(format!("erp={}@{port}", dir.join("erp.jsonl").display()));
    start(name, command, port, dir, expected)
}

/// Writes the one-exchange recording the mock serves; returns the response bytes.
fn write_recording(dir: &Path) -> Result<Bytes, String> {
    let bytes = body_bytes()?;
    if !(900..1400).contains(&bytes.len()) {
        return Err(format!(
            "the customer document is {} bytes, not ~1 KB",
            bytes.len()
        ));
    }
    let line = interlock::recording::to_line(&exchange(&customer())) + "\n";
    let path = dir.join("erp.jsonl");
    std::fs::write(&path, line).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------
// A one-off HTTP/1.1 GET, for readiness and for comparing what both servers send
// ---------------------------------------------------------------------------------------

struct Answer {
    status: u16,
    /// Header names, lower-case, sorted.
    headers: Vec<String>,
    body: Vec<u8>,
}

fn get_once(addr: SocketAddr) -> Result<Answer, String> {
    let fail = |err: std::io::Error| format!("GET {addr}{PATH}: {err}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(fail)?;
    let request = format!("GET {PATH} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("GET {addr}{PATH}: no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("GET {addr}{PATH}: no status line"))?;
    let mut headers: Vec<String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.trim().to_ascii_lowercase())
        .collect();
    headers.sort();
    Ok(Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

// ---------------------------------------------------------------------------------------
// Load generators
// ---------------------------------------------------------------------------------------

/// One measured run.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    requests: u64,
    per_sec: f64,
    p99_ms: f64,
    /// Non-2xx answers and socket errors.
    errors: u64,
    /// CPU time the server process spent per request, in microseconds.
    cpu_us: f64,
}

enum Generator {
    Wrk,
    /// reqwest with keep-alive, one task per connection, every latency kept.
    Rust(tokio::runtime::Runtime),
}

impl Generator {
    /// wrk when it is on the PATH (unless `rust_client`), else the reqwest client.
    fn pick(rust_client: bool) -> Result<Generator, String> {
        if !rust_client {
            if wrk_found() {
                return Ok(Generator::Wrk);
            }
            eprintln!("wrk is not on the PATH (apt-get install wrk); using the reqwest client");
        }
        Generator::rust()
    }

    /// The reqwest client, then wrk when it is on the PATH (unless `rust_client_only`).
    fn all(rust_client_only: bool) -> Result<Vec<Generator>, String> {
        let mut generators = vec![Generator::rust()?];
        if !rust_client_only {
            if wrk_found() {
                generators.push(Generator::Wrk);
            } else {
                eprintln!("wrk is not on the PATH (apt-get install wrk); skipping it");
            }
        }
        Ok(generators)
    }

    fn rust() -> Result<Generator, String> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map(Generator::Rust)
            .map_err(|err| format!("cannot start a runtime: {err}"))
    }

    fn name(&self) -> &'static str {
        match self {
            Generator::Wrk => "wrk",
            Generator::Rust(_) => "reqwest client",
        }
    }

    fn measure(&self, url: &str, concurrency: u64, duration: Duration) -> Result<Sample, String> {
        match self {
            Generator::Wrk => wrk(url, concurrency, duration),
            Generator::Rust(runtime) => runtime.block_on(rust_load(url, concurrency, duration)),
        }
    }
}

fn wrk_found() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// `wrk -tT -cC -dDs --latency URL` with T = min(C, 2), no Lua script.
fn wrk(url: &str, concurrency: u64, duration: Duration) -> Result<Sample, String> {
    let threads = concurrency.clamp(1, 2);
    let output = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{concurrency}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg(url)
        .output()
        .map_err(|err| format!("cannot run wrk: {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Sample> {
    let mut sample = Sample::default();
    let mut found = (false, false, false);
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            sample.per_sec = rest.trim().parse().ok()?;
            found.0 = true;
        } else if let Some(rest) = line.strip_prefix("99%") {
            sample.p99_ms = wrk_duration_ms(rest.trim())?;
            found.1 = true;
        } else if line.contains(" requests in ") {
            sample.requests = line.split_whitespace().next()?.parse().ok()?;
            found.2 = true;
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            sample.errors += rest.trim().parse::<u64>().ok()?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // `connect 0, read 0, write 0, timeout 0`
            sample.errors += rest
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    (found == (true, true, true)).then_some(sample)
}

/// `79.00us`, `1.23ms`, `2.01s`, `1.50m` in milliseconds.
fn wrk_duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let value: f64 = text[..split].parse().ok()?;
    let scale = match &text[split..] {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(value * scale)
}

/// `concurrency` tasks, each with its own keep-alive connection, sending GETs until
/// `duration` is up; every latency is kept for the p99.
async fn rust_load(url: &str, concurrency: u64, duration: Duration) -> Result<Sample, String> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(concurrency).unwrap_or(64))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|err| format!("cannot build a client: {err}"))?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_string();
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let mut errors = 0_u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(response) if response.status() == 200 => response.bytes().await.is_ok(),
                    _ => false,
                };
                latencies.push(sent.elapsed());
                errors += u64::from(!ok);
            }
            (latencies, errors)
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        let (mut mine, failed) = done.map_err(|err| format!("a client task failed: {err}"))?;
        latencies.append(&mut mine);
        errors += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let p99 = latencies
        .get((latencies.len() * 99).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or_default();
    Ok(Sample {
        requests: latencies.len() as u64,
        per_sec: latencies.len() as f64 / elapsed,
        p99_ms: p99.as_secs_f64() * 1000.0,
        errors,
        cpu_us: 0.0,
    })
}

/// Clock ticks per second of `/proc/PID/stat` times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .filter(|ticks: &f64| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// Measures `server` and how much CPU its process used per request meanwhile.
fn measure_server(
    generator: &Generator,
    server: &Server,
    concurrency: u64,
    duration: Duration,
    ticks_per_sec: f64,
) -> Result<Sample, String> {
    let before = server.cpu_ticks()?;
    let mut sample = generator.measure(&server.url(), concurrency, duration)?;
    let used = server.cpu_ticks()?.saturating_sub(before) as f64 / ticks_per_sec;
    sample.cpu_us = used * 1e6 / sample.requests.max(1) as f64;
    check(&server.name, &sample)?;
    Ok(sample)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn check(name: &str, sample: &Sample) -> Result<(), String> {
    if sample.errors > 0 || sample.requests == 0 {
        return Err(format!(
            "{name}: {} errors in {} requests; the comparison would be meaningless",
            sample.errors, sample.requests
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------

fn compare(options: &Options) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|err| format!("no temporary folder: {err}"))?;
    let expected = write_recording(dir.path())?;
    let generators = Generator::all(options.rust_client)?;
    let raw = start_raw(dir.path(), &expected)?;
    let none = start_mock("mock-log-none", "none", dir.path(), &expected)?;
    let all = start_mock("mock-log-all", "all", dir.path(), &expected)?;
    let servers = [&raw, &none, &all];
    let ticks = clock_ticks();

    println!(
        "interlock mock vs raw hyper: {} B JSON, {} x {} s per case, load by {}",
        expected.len(),
        options.rounds,
        options.duration.as_secs(),
        generators
            .iter()
            .map(Generator::name)
            .collect::<Vec<_>>()
            .join(", then ")
    );
    for server in servers {
        let answer = get_once(server.addr)?;
        println!(
            "  {:14} pid {:>7}  first answer after {:>6.1} ms  headers: {}",
            server.name,
            server.pid(),
            server.ready_after.as_secs_f64() * 1000.0,
            answer.headers.join(", ")
        );
    }
    let mut verdicts = Vec::new();
    for generator in &generators {
        verdicts.extend(compare_with(generator, &servers, options, ticks)?);
    }
    println!();
    for server in servers {
        println!(
            "  {:14} RSS after the runs: {} KiB",
            server.name,
            server.rss_kib()?
        );
    }
    for verdict in verdicts {
        println!("  {verdict}");
    }
    Ok(())
}

/// Every server under one load generator, interleaved, at each concurrency: prints the
/// rounds and the table of medians, and returns one verdict line per mock and concurrency.
fn compare_with(
    generator: &Generator,
    servers: &[&Server; 3],
    options: &Options,
    ticks: f64,
) -> Result<Vec<String>, String> {
    println!();
    println!("load by {}", generator.name());
    for server in servers {
        check(
            &server.name,
            &generator.measure(&server.url(), 32, Duration::from_secs(2))?,
        )?;
    }

    let mut results = Vec::new();
    for concurrency in CONCURRENCIES {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); servers.len()];
        for round in 0..options.rounds {
            let order: Vec<usize> = if round % 2 == 0 {
                vec![0, 1, 2]
            } else {
                vec![2, 1, 0]
            };
            for index in order {
                let server = servers[index];
                let sample =
                    measure_server(generator, server, concurrency, options.duration, ticks)?;
                println!(
                    "  c={concurrency:<2} round {} {:14} {:>9.0} req/s  p99 {:>7.3} ms  \
                     server CPU {:>5.2} us/req",
                    round + 1,
                    server.name,
                    sample.per_sec,
                    sample.p99_ms,
                    sample.cpu_us
                );
                samples[index].push(sample);
            }
        }
        results.push((concurrency, samples));
    }

    println!();
    println!(
        "| server | concurrency | req/s (median) | p99 ms (median) | server CPU us/req (median) | throughput vs raw |"
    );
    println!("|---|---|---|---|---|---|");
    let mut verdicts = Vec::new();
    for (concurrency, samples) in &results {
        let medians: Vec<(f64, f64, f64)> = samples
            .iter()
            .map(|runs| {
                let mut rates: Vec<f64> = runs.iter().map(|s| s.per_sec).collect();
                let mut p99s: Vec<f64> = runs.iter().map(|s| s.p99_ms).collect();
                let mut cpus: Vec<f64> = runs.iter().map(|s| s.cpu_us).collect();
                (median(&mut rates), median(&mut p99s), median(&mut cpus))
            })
            .collect();
        let raw_rate = medians[0].0;
        for (server, (rate, p99, cpu)) in servers.iter().zip(&medians) {
            let ratio = rate / raw_rate;
            println!(
                "| {} | {concurrency} | {rate:.0} | {p99:.3} | {cpu:.2} | {ratio:.2} |",
                server.name
            );
            if server.name != "raw-hyper" {
                let verdict = if ratio >= 0.90 { "meets" } else { "is below" };
                verdicts.push(format!(
                    "{} at c={concurrency}, load by {}: {:.0}% of raw hyper \
                     ({raw_rate:.0} req/s), {verdict} the 90% target",
                    server.name,
                    generator.name(),
                    ratio * 100.0
                ));
            }
        }
    }
    Ok(verdicts)
}

// ---------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------

fn soak(options: &Options, secs: u64) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|err| format!("no temporary folder: {err}"))?;
    let expected = write_recording(dir.path())?;
    let generator = Generator::pick(options.rust_client)?;
    let name = format!("mock-log-{}", options.soak_log);
    let mut mock = start_mock(&name, &options.soak_log, dir.path(), &expected)?;
    let idle = mock.rss_kib()?;
    println!(
        "soak: interlock mock --log {} (pid {}), c={SOAK_CONCURRENCY}, {} s warm-up + {secs} s, \
         load by {}, RSS every {} s; idle RSS {idle} KiB",
        options.soak_log,
        mock.pid(),
        SOAK_INTERVAL.as_secs(),
        generator.name(),
        SOAK_INTERVAL.as_secs()
    );
    let warm = generator.measure(&mock.url(), SOAK_CONCURRENCY, SOAK_INTERVAL)?;
    check(&name, &warm)?;
    let start_rss = mock.rss_kib()?;
    println!(
        "  warm-up        {:>9.0} req/s  p99 {:>7.3} ms  RSS {start_rss:>7} KiB",
        warm.per_sec, warm.p99_ms
    );

    let soak_started = Instant::now();
    let mut rss = vec![start_rss];
    let mut rates = Vec::new();
    let mut requests = 0;
    let mut remaining = secs;
    while remaining > 0 {
        let interval = remaining.min(SOAK_INTERVAL.as_secs());
        remaining -= interval;
        let sample =
            generator.measure(&mock.url(), SOAK_CONCURRENCY, Duration::from_secs(interval))?;
        if !mock.alive() {
            return Err(format!("{name} exited during the soak"));
        }
        check(&name, &sample)?;
        let now = mock.rss_kib()?;
        println!(
            "  t={:>4} s      {:>9.0} req/s  p99 {:>7.3} ms  RSS {now:>7} KiB",
            soak_started.elapsed().as_secs(),
            sample.per_sec,
            sample.p99_ms
        );
        rss.push(now);
        rates.push(sample.per_sec);
        requests += sample.requests;
    }

    let end = rss.last().copied().unwrap_or(start_rss);
    let max = rss.iter().copied().max().unwrap_or(start_rss);
    let half = rss[rss.len() / 2];
    let growth = end as f64 - start_rss as f64;
    let mut sorted = rates.clone();
    println!();
    println!(
        "soak done: {requests} requests in {:.0} s; req/s per interval min {:.0}, median {:.0}, max {:.0}",
        soak_started.elapsed().as_secs_f64(),
        rates.iter().copied().reduce(f64::min).unwrap_or(0.0),
        median(&mut sorted),
        rates.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "RSS (KiB): idle {idle}, start (after warm-up) {start_rss}, half-way {half}, max {max}, \
         end {end}; end - start {growth:+.0} KiB ({:+.1}%)",
        100.0 * growth / start_rss as f64
    );
    let second_half_flat = (end as f64) <= 1.05 * half as f64;
    let verdict = if growth <= 0.10 * start_rss as f64 && second_half_flat {
        "is flat: the end is within 10% of the start and the second half grew less than 5%"
    } else if second_half_flat {
        "levelled off: it grew more than 10% in the first half, less than 5% in the second"
    } else {
        "is still growing: the second half grew more than 5%"
    };
    println!("RSS {verdict}");
    drop(mock);
    Ok(())
}
