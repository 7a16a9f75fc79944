//! `interlock mock`: serve mocked peers on fixed ports until Ctrl-C, for local work and fault
//! drills.
//!
//! Peers come from scenarios (each scenario's `peers:`, with their ports, matching, playback
//! and fault rules) and from `--recording NAME=REC@PORT`. `--fault NAME=SPEC` adds fault rules
//! from the command line. Every request is logged on stdout as it is served: which recorded
//! exchange answered it, or for an unmatched one the closest recording and the exact
//! differences, and any injected fault. Each peer also serves its journal as JSON on
//! `/__interlock/requests` (see `docs/mock.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::config::Config;
use crate::contract::ContractSet;
use crate::error::{Error, InputError, did_you_mean};
use crate::peers::{
    ADMIN_PATH, Behaviour, Outcome, PeerCall, PeerOptions, PeerServer, Playback, RawFault, fault,
};
use crate::scenario::{self, IgnoreRules, PeerConfig};

/// How often the request log is written.
const LOG_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Args, Clone)]
pub struct MockArgs {
    /// Scenarios whose peers to serve (folder names); every scenario when none is given and
    /// no --recording.
    pub scenarios: Vec<String>,

    /// Serve peer NAME from recording REC on PORT (a free port without `@PORT`); repeatable.
    #[arg(long, value_name = "NAME=REC@PORT")]
    pub recording: Vec<String>,

    /// Inject a fault: `NAME=KIND[:ARG][,route=METHOD /path][,calls=N|A..B|P%][,retry_after=S]`,
    /// KIND one of delay:MS, delay:MIN-MAX, status:CODE, reset, close, hang, truncate,
    /// malformed; NAME is a peer name or `SCENARIO/PEER`. Repeatable.
    #[arg(long, value_name = "NAME=FAULT")]
    pub fault: Vec<String>,

    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,

    /// What identical requests get once their recorded replies are used up (overrides the
    /// scenarios' `playback`).
    #[arg(long, value_enum)]
    pub playback: Option<Playback>,

    /// Seed for percentage faults and random delays (overrides the scenarios' `seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Which requests to log on stdout.
    #[arg(long, value_enum, default_value_t = LogArg::All)]
    pub log: LogArg,

    /// Project file (default: ./interlock.toml, else the embedded default).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Contract directory (repeatable); replaces the project file's list.
    #[arg(long, value_name = "DIR")]
    pub contracts: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogArg {
    /// Every request.
    #[default]
    All,
    /// Requests that matched no recording, broke their contract or were faulted.
    Problems,
    /// Nothing per request.
    None,
}

/// One peer to serve, before it starts.
struct Planned {
    /// `erp`, or `customer-onboarding/erp` when it comes from a scenario.
    label: String,
    options: PeerOptions,
    /// Line numbers of the recorded exchanges, for the log.
    lines: Vec<usize>,
    recording: PathBuf,
}

impl Planned {
    fn new(
        label: String,
        peer: &PeerConfig,
        scenario_ignore: &IgnoreRules,
        contracts: &ContractSet,
        host: IpAddr,
    ) -> Planned {
        Planned {
            label,
            options: PeerOptions::for_peer(peer, scenario_ignore, contracts, host),
            lines: peer.recording.exchanges.iter().map(|(l, _)| *l).collect(),
            recording: peer.recording_file.clone(),
        }
    }
}

/// Runs `interlock mock` until Ctrl-C or SIGTERM; returns the exit code.
pub fn run(args: &MockArgs) -> Result<u8, Error> {
    let config = Config::discover(args.config.as_deref(), Path::new(""))?;
    let planned = plan(args, &config)?;
    crate::cli::runtime()?.block_on(serve(planned, args.log))
}

fn plan(args: &MockArgs, config: &Config) -> Result<Vec<Planned>, Error> {
    let mut errors = Vec::new();
    let dirs = if args.contracts.is_empty() {
        config.contracts.clone()
    } else {
        args.contracts.clone()
    };
    let contracts = crate::cli::load_contracts(&dirs, &mut errors);
    let mut planned = Vec::new();
    for spec in &args.recording {
        match crate::cli::parse_mock(spec) {
            Ok((name, file, port)) => match crate::recording::read(&file) {
                Ok(recording) => {
                    let peer = PeerConfig {
                        name: name.clone(),
                        recording_file: file,
                        recording,
                        port,
                        ignore: IgnoreRules::default(),
                        behaviour: Behaviour::default(),
                    };
                    planned.push(Planned::new(
                        name,
                        &peer,
                        &IgnoreRules::default(),
                        &contracts,
                        args.host,
                    ));
                }
                Err(mut errs) => errors.append(&mut errs),
            },
            Err(err) => errors.push(err.with_hint("e.g. --recording erp=erp.jsonl@18081")),
        }
    }
    if !args.scenarios.is_empty() || args.recording.is_empty() {
        match scenarios(args, config) {
            Ok(scenarios) => {
                for s in scenarios {
                    for peer in &s.peers {
                        let label = format!("{}/{}", s.name, peer.name);
                        planned.push(Planned::new(label, peer, &s.ignore, &contracts, args.host));
                    }
                }
            }
            Err(Error::Input(mut errs)) => errors.append(&mut errs),
            Err(other) => return Err(other),
        }
    }
    for spec in &args.fault {
        let peers = planned.iter_mut().map(|p| {
            (
                p.options.name.as_str(),
                p.label.clone(),
                &mut p.options.behaviour,
            )
        });
        if let Err(err) = add_fault(spec, peers) {
            errors.push(err);
        }
    }
    for p in &mut planned {
        if let Some(playback) = args.playback {
            p.options.behaviour.playback = playback;
        }
        if let Some(seed) = args.seed {
            p.options.behaviour.seed = seed;
        }
    }
    let mut ports: BTreeMap<u16, &str> = BTreeMap::new();
    for p in &planned {
        let port = p.options.bind.port();
        if port == 0 {
            continue;
        }
        if let Some(other) = ports.insert(port, &p.label) {
            errors.push(
                InputError::usage(format!(
                    "peers `{other}` and `{}` both want port {port}",
                    p.label
                ))
                .with_hint("serve one of the scenarios, or move one peer's `port:`"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    if planned.is_empty() {
        return Err(
            InputError::usage("nothing to serve: the selected scenarios have no peers")
                .with_hint("name a scenario with `peers:`, or give --recording NAME=REC@PORT")
                .into(),
        );
    }
    Ok(planned)
}

fn scenarios(args: &MockArgs, config: &Config) -> Result<Vec<scenario::Scenario>, Error> {
    if !config.scenarios.is_dir() {
        return Err(
            InputError::in_file(&config.scenarios, "scenarios directory does not exist")
                .with_hint(
                    "run from the project root, pass --config, or serve --recording NAME=REC@PORT",
                )
                .into(),
        );
    }
    scenario::select(scenario::load_all(&config.scenarios)?, &args.scenarios)
}

/// `NAME=SPEC` from `--fault`: the peer name and the validated rule.
pub(crate) fn parse_fault_arg(spec: &str) -> Result<(String, RawFault), InputError> {
    let bad = |message: String| {
        InputError::usage(format!("--fault `{spec}`: {message}")).with_hint(
            "e.g. --fault 'erp=status:503,retry_after=2,calls=1' or --fault 'erp=delay:200-800'",
        )
    };
    let (name, fault_spec) = spec
        .split_once('=')
        .ok_or_else(|| bad("not NAME=FAULT".to_string()))?;
    let raw = fault::parse_spec(fault_spec).map_err(bad)?;
    fault::Fault::from_raw(&raw).map_err(bad)?;
    Ok((name.to_string(), raw))
}

/// Adds a `--fault` rule to every peer called NAME, or labelled `SCENARIO/NAME`; `peers` yields
/// (name, label, behaviour).
pub(crate) fn add_fault<'a>(
    spec: &str,
    peers: impl Iterator<Item = (&'a str, String, &'a mut Behaviour)>,
) -> Result<(), InputError> {
    let (name, raw) = parse_fault_arg(spec)?;
    let mut known = Vec::new();
    let mut found = false;
    for (peer, label, behaviour) in peers {
        if peer == name || label == name {
            behaviour.faults.push(raw.clone());
            found = true;
        }
        known.push(peer.to_string());
        known.push(label);
    }
    if found {
        Ok(())
    } else {
        Err(InputError::usage(format!(
            "--fault `{spec}`: no peer named `{name}` is served"
        ))
        .with_hint_opt(did_you_mean(&name, known.iter().map(String::as_str))))
    }
}

async fn serve(planned: Vec<Planned>, log: LogArg) -> Result<u8, Error> {
    let mut servers = Vec::new();
    for p in &planned {
        match PeerServer::start(p.options.clone()).await {
            Ok(server) => servers.push(server),
            Err(err) => {
                for started in servers {
                    started.shutdown().await;
                }
                let message = match err {
                    Error::Environment(message) => format!("{message} (peer {})", p.label),
                    other => return Err(other),
                };
                return Err(Error::Environment(message));
            }
        }
    }
    let mut out = std::io::stdout();
    let mut banner = format!(
        "interlock mock: serving {} peer{} (Ctrl-C to stop)\n",
        servers.len(),
        if servers.len() == 1 { "" } else { "s" }
    );
    let width = planned.iter().map(|p| p.label.len()).max().unwrap_or(0);
    for (p, server) in planned.iter().zip(&servers) {
        let _ = writeln!(
            banner,
            "  {:width$}  {}  {} recorded exchange{} from {}{}",
            p.label,
            server.url(),
            p.lines.len(),
            if p.lines.len() == 1 { "" } else { "s" },
            p.recording.display(),
            if p.options.behaviour.faults.is_empty() {
                String::new()
            } else {
                format!(", {} fault rule(s)", p.options.behaviour.faults.len())
            },
        );
    }
    let _ = writeln!(
        banner,
        "  journal: GET <peer URL>{ADMIN_PATH}requests (DELETE clears it)"
    );
    let _ = out.write_all(banner.as_bytes());
    let _ = out.flush();

    let mut totals = vec![Totals::default(); servers.len()];
    let mut tick = tokio::time::interval(LOG_EVERY);
    let stop = crate::server::shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => write_log(&planned, &servers, &mut totals, log, &mut out),
        }
    }
    write_log(&planned, &servers, &mut totals, log, &mut out);
    for server in servers {
        server.shutdown().await;
    }
    let mut summary = String::from("interlock mock: stopped\n");
    for (p, t) in planned.iter().zip(&totals) {
        let _ = writeln!(
            summary,
            "  {:width$}  {} request{}, {} unmatched, {} faulted",
            p.label,
            t.calls,
            if t.calls == 1 { "" } else { "s" },
            t.unmatched,
            t.faulted
        );
    }
    let _ = out.write_all(summary.as_bytes());
    let _ = out.flush();
    Ok(crate::exit_code::OK)
}

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    calls: u64,
    unmatched: u64,
    faulted: u64,
}

fn write_log(
    planned: &[Planned],
    servers: &[PeerServer],
    totals: &mut [Totals],
    log: LogArg,
    out: &mut std::io::Stdout,
) {
    let mut text = String::new();
    for ((p, server), totals) in planned.iter().zip(servers).zip(totals.iter_mut()) {
        let logged = server.take_journal_where(|call| {
            totals.calls += 1;
            let unmatched = !call.outcome.is_match() && call.outcome != Outcome::Faulted;
            totals.unmatched += u64::from(unmatched);
            totals.faulted += u64::from(call.fault.is_some());
            let problem = unmatched
                || call.fault.is_some()
                || call.findings.iter().any(crate::check::Finding::is_failure);
            log == LogArg::All || (log == LogArg::Problems && problem)
        });
        for call in logged {
            log_line(&mut text, &p.label, &p.lines, &call);
        }
    }
    if !text.is_empty() {
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// One request: `erp  POST /erp/v2/customers  201  recorded #1 (line 1)  0.4 ms`, then the
/// fault, the differences of an unmatched request and any contract violations, indented.
fn log_line(text: &mut String, label: &str, lines: &[usize], call: &PeerCall) {
    let status = if call.status == 0 {
        "---".to_string()
    } else {
        call.status.to_string()
    };
    let how = match (call.outcome, call.matched) {
        (Outcome::Matched, Some(i)) => format!("recorded #{} (line {})", i + 1, line(lines, i)),
        (Outcome::MatchedByContract, Some(i)) => format!(
            "recorded #{} (line {}), body matched by contract",
            i + 1,
            line(lines, i)
        ),
        (Outcome::MatchedByTemplate, Some(i)) => format!(
            "recorded #{} (line {}), path matched by template",
            i + 1,
            line(lines, i)
        ),
        (Outcome::RecordedError, Some(i)) => format!(
            "UNMATCHED, breaks its contract: recorded error #{} (line {})",
            i + 1,
            line(lines, i)
        ),
        (Outcome::Exhausted, _) => "recorded replies used up (playback: not-found)".to_string(),
        (Outcome::Faulted, Some(i)) => format!("recorded #{} (line {})", i + 1, line(lines, i)),
        (Outcome::Faulted, None) => "fault".to_string(),
        _ => "UNMATCHED".to_string(),
    };
    let _ = writeln!(
        text,
        "{label}  {} {}  {status}  {how}  {:.1} ms",
        call.method(),
        call.url(),
        call.duration.as_secs_f64() * 1000.0
    );
    if let Some(fault) = &call.fault {
        let _ = writeln!(text, "    fault: {fault}");
    }
    if let Some(closest) = &call.closest {
        let _ = writeln!(text, "    closest recorded request: {closest}");
        for difference in &call.differences {
            let _ = writeln!(text, "      - {difference}");
        }
    }
    for finding in call.findings.iter().filter(|f| f.is_failure()) {
        if finding.kind == crate::check::FindingKind::PeerRequestUnmatched {
            continue;
        }
        let _ = writeln!(
            text,
            "    {} {}: {}",
            finding.kind.id(),
            crate::contract::document::display_pointer(&finding.path),
            finding.message
        );
    }
}

fn line(lines: &[usize], index: usize) -> usize {
    lines.get(index).copied().unwrap_or(0)
}
