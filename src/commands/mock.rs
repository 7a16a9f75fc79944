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
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{GlobalArgs, LogArg, MockArgs};
use crate::config::Config;
use crate::contract::ContractSet;
use crate::error::{Error, InputError};
use crate::peers::{
    ADMIN_PATH, AdminAccess, Outcome, PeerCall, PeerOptions, PeerServer, shown_request, shown_text,
};
use crate::scenario::fault::add_fault;
use crate::scenario::{self, IgnoreRules, PeerConfig};

/// How often the request log is written.
const LOG_EVERY: Duration = Duration::from_millis(100);

/// One peer to serve, before it starts.
struct Planned {
    /// `erp`, or `customer-onboarding/erp` when it comes from a scenario.
    label: String,
    options: PeerOptions,
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
            recording: peer.recording_file.clone(),
        }
    }
}

/// Runs `interlock mock` until Ctrl-C or SIGTERM; returns the exit code.
pub(crate) fn run(args: &MockArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    let mut planned = plan(args, &config)?;
    let mut allow_hosts = args.admin_allow_host.clone();
    allow_hosts.push(args.host.to_string());
    for p in &mut planned {
        p.options.admin = AdminAccess {
            enabled: !args.no_admin,
            allow_hosts: allow_hosts.clone(),
        };
        p.options.journal_bytes = args.journal_bytes;
    }
    super::runtime()?.block_on(serve(planned, args.log))
}

fn plan(args: &MockArgs, config: &Config) -> Result<Vec<Planned>, Error> {
    let mut errors = Vec::new();
    let dirs = if args.contracts.is_empty() {
        config.contracts.clone()
    } else {
        args.contracts.clone()
    };
    let contracts = crate::run::plan::load_contracts(&dirs, &mut errors);
    let mut planned = Vec::new();
    for spec in &args.recording {
        match crate::run::plan::parse_mock(spec) {
            Ok((name, file, port)) => planned.push(Planned {
                options: PeerOptions::for_recording(
                    &name,
                    file.clone(),
                    port,
                    &contracts,
                    args.host,
                ),
                label: name,
                recording: file,
            }),
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
                    "run inside the project (the folder holding interlock.toml, or one below it), pass --config, or serve --recording NAME=REC@PORT",
                )
                .into(),
        );
    }
    let mut chosen = scenario::select(scenario::load_all(&config.scenarios)?, &args.scenarios)?;
    scenario::prepare::prepare_all(&mut chosen)?;
    Ok(chosen)
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
    let mut out = crate::fsutil::stdout();
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
            server.recorded_count(),
            if server.recorded_count() == 1 {
                ""
            } else {
                "s"
            },
            p.recording.display(),
            if p.options.behaviour.faults.is_empty() {
                String::new()
            } else {
                format!(", {} fault rule(s)", p.options.behaviour.faults.len())
            },
        );
    }
    if planned.iter().all(|p| p.options.admin.enabled) {
        let _ = writeln!(
            banner,
            "  journal: GET <peer URL>{ADMIN_PATH}requests (DELETE clears it)"
        );
    }
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
    out: &mut crate::fsutil::Stdout,
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
                || call.findings.iter().any(crate::model::Finding::is_failure);
            log == LogArg::All || (log == LogArg::Problems && problem)
        });
        for call in logged {
            log_line(&mut text, &p.label, server, &call);
        }
    }
    if !text.is_empty() {
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// One request: `erp  POST /erp/v2/customers  201  recorded #1 (line 1)  0.4 ms`, then the
/// fault, the differences of an unmatched request and any contract violations, indented.
fn log_line(text: &mut String, label: &str, server: &PeerServer, call: &PeerCall) {
    let line = |index: usize| server.recorded_line(index);
    let status = if call.status == 0 {
        "---".to_string()
    } else {
        call.status.to_string()
    };
    let how = match (call.outcome, call.matched) {
        (Outcome::Matched, Some(i)) => format!("recorded #{} (line {})", i + 1, line(i)),
        (Outcome::MatchedByContract, Some(i)) => format!(
            "recorded #{} (line {}), body matched by contract",
            i + 1,
            line(i)
        ),
        (Outcome::MatchedByTemplate, Some(i)) => format!(
            "recorded #{} (line {}), path matched by template",
            i + 1,
            line(i)
        ),
        (Outcome::RecordedError, Some(i)) => format!(
            "UNMATCHED, breaks its contract: recorded error #{} (line {})",
            i + 1,
            line(i)
        ),
        (Outcome::Exhausted, _) => "recorded replies used up (playback: not-found)".to_string(),
        (Outcome::Faulted, Some(i)) => format!("recorded #{} (line {})", i + 1, line(i)),
        (Outcome::Faulted, None) => "fault".to_string(),
        _ => "UNMATCHED".to_string(),
    };
    // Credentials the target sent never reach the log.
    let _ = writeln!(
        text,
        "{label}  {} {}  {status}  {how}  {:.1} ms",
        call.method(),
        shown_request(call).url,
        call.duration.as_secs_f64() * 1000.0
    );
    if let Some(fault) = &call.fault {
        let _ = writeln!(text, "    fault: {fault}");
    }
    if let Some(closest) = &call.closest {
        let _ = writeln!(
            text,
            "    closest recorded request: {}",
            shown_text(closest)
        );
        for difference in &call.differences {
            let _ = writeln!(text, "      - {}", shown_text(difference));
        }
    }
    for finding in call.findings.iter().filter(|f| f.is_failure()) {
        if finding.kind == crate::model::FindingKind::PeerRequestUnmatched {
            continue;
        }
        let _ = writeln!(
            text,
            "    {} {}: {}",
            finding.kind.id(),
            crate::json::display_pointer(&finding.path),
            shown_text(&finding.message)
        );
    }
}
