//! The run pipeline, as in the product diagram:
//!
//! ```text
//! contracts + scenarios + recordings ─> start mocked peers ─> replay into the target ─> checks ─> reports
//! ```
//!
//! Everything is loaded and validated before the first request (see [`crate::cli`]); here the
//! scenarios run, in parallel up to `jobs`, each replaying its exchanges in recorded order.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::check::{
    self, ExchangeResult, Finding, FindingKind, Latency, Location, RunResult, ScenarioResult,
};
use crate::contract::{Contract, ContractSet};
use crate::error::Error;
use crate::peers::{PeerOptions, PeerServer};
use crate::replay::Replayer;
use crate::report::{Event, Reporter};
use crate::scenario::{IgnoreRules, Scenario};

/// Everything a run needs, loaded and validated.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub scenarios: Vec<Scenario>,
    pub contracts: ContractSet,
    /// Target name → base URL. A scenario whose target has no URL is served from its recording.
    pub targets: BTreeMap<String, String>,
    pub timeout: Duration,
    pub retries: u32,
    pub jobs: usize,
}

type Reporters = Arc<Mutex<Vec<Box<dyn Reporter>>>>;

/// Runs every scenario of the plan and reports as it goes.
pub async fn run(
    plan: Arc<RunPlan>,
    reporters: Vec<Box<dyn Reporter>>,
) -> Result<RunResult, Error> {
    let started = Instant::now();
    let reporters: Reporters = Arc::new(Mutex::new(reporters));
    emit(
        &reporters,
        &Event::RunStarted {
            scenarios: plan.scenarios.len(),
            exchanges: plan.scenarios.iter().map(|s| s.replay.len()).sum(),
        },
    )?;

    let permits = Arc::new(tokio::sync::Semaphore::new(plan.jobs.max(1)));
    let ports = Arc::new(PortLocks::for_scenarios(&plan.scenarios));
    let client = Replayer::client(plan.timeout)?;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..plan.scenarios.len() {
        let (plan, permits, reporters) = (
            Arc::clone(&plan),
            Arc::clone(&permits),
            Arc::clone(&reporters),
        );
        let ports = Arc::clone(&ports);
        let client = client.clone();
        tasks.spawn(async move {
            let scenario = &plan.scenarios[index];
            let _ports = ports.acquire(scenario).await;
            let _permit = permits.acquire_owned().await;
            let result = run_scenario(scenario, &plan, client, &reporters).await;
            (index, result)
        });
    }
    let mut results: Vec<Option<ScenarioResult>> = vec![None; plan.scenarios.len()];
    while let Some(joined) = tasks.join_next().await {
        let (index, result) =
            joined.map_err(|err| Error::environment(format!("a scenario task failed: {err}")))?;
        results[index] = Some(result?);
    }
    let result = RunResult {
        scenarios: results.into_iter().flatten().collect(),
        duration: started.elapsed(),
    };
    emit(&reporters, &Event::RunFinished { result: &result })?;
    Ok(result)
}

/// Scenarios that name the same fixed peer port never run at the same time; the others still
/// run in parallel. Locks are taken in port order, so two scenarios cannot deadlock.
struct PortLocks {
    locks: BTreeMap<u16, Arc<tokio::sync::Mutex<()>>>,
}

impl PortLocks {
    fn for_scenarios(scenarios: &[Scenario]) -> PortLocks {
        let locks = scenarios
            .iter()
            .flat_map(|s| s.peers.iter().filter_map(|p| p.port))
            .map(|port| (port, Arc::new(tokio::sync::Mutex::new(()))))
            .collect();
        PortLocks { locks }
    }

    async fn acquire(&self, scenario: &Scenario) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        let mut ports: Vec<u16> = scenario.peers.iter().filter_map(|p| p.port).collect();
        ports.sort_unstable();
        ports.dedup();
        let mut guards = Vec::with_capacity(ports.len());
        for port in ports {
            if let Some(lock) = self.locks.get(&port) {
                guards.push(Arc::clone(lock).lock_owned().await);
            }
        }
        guards
    }
}

fn emit(reporters: &Reporters, event: &Event<'_>) -> Result<(), Error> {
    let mut reporters = reporters
        .lock()
        .map_err(|_| Error::environment("a reporter panicked"))?;
    for reporter in reporters.iter_mut() {
        reporter.report(event)?;
    }
    Ok(())
}

/// The running pieces of one scenario.
struct Stage {
    peers: Vec<PeerServer>,
    /// The recorded stand-in serving the target, when no URL was configured.
    stand_in: Option<PeerServer>,
    replayer: Replayer,
}

impl Stage {
    async fn shutdown(self) {
        for peer in self.peers {
            peer.shutdown().await;
        }
        if let Some(stand_in) = self.stand_in {
            stand_in.shutdown().await;
        }
    }
}

async fn start_stage(
    scenario: &Scenario,
    plan: &RunPlan,
    client: reqwest::Client,
) -> Result<Stage, Error> {
    let mut peers = Vec::new();
    for peer in &scenario.peers {
        let options = PeerOptions::for_peer(
            peer,
            &scenario.ignore,
            &plan.contracts,
            Ipv4Addr::LOCALHOST.into(),
        );
        match PeerServer::start(options).await {
            Ok(server) => peers.push(server),
            Err(err) => {
                for started in peers {
                    started.shutdown().await;
                }
                return Err(err);
            }
        }
    }
    let (stand_in, base) = match plan.targets.get(&scenario.target) {
        Some(url) => (None, url.clone()),
        None => {
            let options = PeerOptions {
                name: scenario.target.clone(),
                exchanges: scenario.replay.iter().cloned().collect(),
                contracts: Vec::new(),
                ignore: IgnoreRules::default(),
                bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                validate_requests: false,
                behaviour: Default::default(),
            };
            let server = PeerServer::start(options).await?;
            let url = server.url();
            (Some(server), url)
        }
    };
    let replayer = Replayer::new(client, &base, plan.timeout, plan.retries)?;
    Ok(Stage {
        peers,
        stand_in,
        replayer,
    })
}

async fn run_scenario(
    scenario: &Scenario,
    plan: &RunPlan,
    client: reqwest::Client,
    reporters: &Reporters,
) -> Result<ScenarioResult, Error> {
    let started = Instant::now();
    let live_target = plan.targets.get(&scenario.target).cloned();
    let target_label = live_target
        .clone()
        .unwrap_or_else(|| "recorded".to_string());
    emit(
        reporters,
        &Event::ScenarioStarted {
            name: &scenario.name,
            target: &target_label,
            exchanges: scenario.replay.len(),
        },
    )?;
    let stage = match start_stage(scenario, plan, client).await {
        Ok(stage) => stage,
        Err(Error::Environment(message)) => {
            let result = ScenarioResult {
                name: scenario.name.clone(),
                target: target_label,
                exchanges: Vec::new(),
                findings: Vec::new(),
                error: Some(message),
                latency: Vec::new(),
                duration: started.elapsed(),
            };
            emit(reporters, &Event::ScenarioFinished { result: &result })?;
            return Ok(result);
        }
        Err(other) => return Err(other),
    };

    let mut exchanges = Vec::new();
    let mut timings: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut recorded_timings: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut peer_timings: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    // Peer calls that arrived but matched no recording, as (peer, method, path): a recorded
    // call on the same operation was made, differently, and is reported as unmatched instead
    // of missing.
    let mut unmatched_calls = std::collections::BTreeSet::new();
    for (index, exchange) in scenario.replay.iter().enumerate() {
        let contract = find_contract(&plan.contracts, &scenario.target, exchange);
        let interface = contract
            .map(|c| c.interface.clone())
            .or_else(|| exchange.interface.clone());
        let expectation = scenario.expectation_for(index, interface.as_deref());
        if expectation.skip {
            continue;
        }
        let route = contract.map_or_else(
            || exchange.request.path().to_string(),
            |c| c.path.to_string(),
        );
        let mut result = ExchangeResult {
            index,
            name: format!("{} {} #{}", exchange.request.method, route, index + 1),
            method: exchange.request.method.clone(),
            url: exchange.request.url.clone(),
            interface: interface.clone(),
            recorded_status: exchange.response.status,
            live_status: None,
            duration: Duration::ZERO,
            recorded_duration_ms: exchange.duration_ms,
            findings: Vec::new(),
            error: None,
            recorded_body: None,
            live_body: None,
        };
        let mut live_response = None;
        match stage.replayer.send(&exchange.request).await {
            Ok(live) => {
                result.live_status = Some(live.status);
                result.duration = live.duration;
                let key = interface
                    .clone()
                    .unwrap_or_else(|| format!("{} {route}", exchange.request.method));
                if let Some(ms) = exchange.duration_ms {
                    recorded_timings.entry(key.clone()).or_default().push(ms);
                }
                timings
                    .entry(key)
                    .or_default()
                    .push(live.duration.as_secs_f64() * 1000.0);
                let ignore = scenario.ignore.with(&expectation.ignore);
                result.findings = check_exchange(exchange, &live, contract, &expectation, &ignore);
                // Both bodies are kept only where a report will show them side by side.
                if result.findings.iter().any(Finding::is_failure) {
                    result.recorded_body = exchange.response.body.body.clone();
                    result.live_body = live.body.body.clone();
                }
                live_response = Some(live);
            }
            Err(err) => {
                result.duration = err.duration;
                result.error = Some(err.message);
            }
        }
        let mut faults = Vec::new();
        for peer in &stage.peers {
            for call in peer.take_journal() {
                if let Some(fault) = &call.fault {
                    faults.push(format!("{}: {fault}", peer.name()));
                }
                if !call.outcome.is_match() {
                    let path = call.url().split('?').next().unwrap_or("").to_string();
                    unmatched_calls.insert((
                        peer.name().to_string(),
                        call.method().to_string(),
                        path,
                    ));
                }
                let route = format!("{} {} {}", peer.name(), call.method(), call.route);
                peer_timings
                    .entry(route)
                    .or_default()
                    .push(call.duration.as_secs_f64() * 1000.0);
                result.findings.extend(call.findings.iter().cloned());
            }
        }
        if !faults.is_empty() {
            note_faults(&mut result, &faults);
        }
        emit(
            reporters,
            &Event::ExchangeFinished {
                scenario: &scenario.name,
                result: &result,
                live: live_response.as_ref(),
            },
        )?;
        exchanges.push(result);
    }

    let mut findings = Vec::new();
    if live_target.is_some() {
        for (peer, config) in stage.peers.iter().zip(&scenario.peers) {
            let recorded: Vec<_> = config.recording.iter().collect();
            for index in peer.unused() {
                let Some(exchange) = recorded.get(index) else {
                    continue;
                };
                let key = (
                    config.name.clone(),
                    exchange.request.method.clone(),
                    exchange.request.path().to_string(),
                );
                if unmatched_calls.contains(&key) {
                    continue;
                }
                let contract = plan.contracts.find(
                    Some(&config.name),
                    &exchange.request.method,
                    exchange.request.path(),
                );
                findings.push(
                    Finding::new(
                        FindingKind::PeerCallMissing,
                        Location::PeerRequest { peer: config.name.clone() },
                        "",
                        format!(
                            "the recording has the target call `{}` with {} {} (line {}), but the target never made it",
                            config.name,
                            exchange.request.method,
                            exchange.request.url,
                            config.recording.exchanges.get(index).map_or(0, |(line, _)| *line)
                        ),
                    )
                    .for_contract(contract),
                );
            }
        }
    }
    stage.shutdown().await;

    let mut latency: Vec<Latency> = timings
        .into_iter()
        .map(|(name, ms)| {
            let recorded = recorded_timings.remove(&name).unwrap_or_default();
            Latency::of(name, ms).with_recorded(recorded)
        })
        .collect();
    if let Some(budget) = scenario.latency {
        findings.extend(latency.iter().filter_map(|l| over_budget(l, budget)));
    }
    latency.extend(
        peer_timings
            .into_iter()
            .map(|(name, ms)| Latency::of(name, ms)),
    );
    let result = ScenarioResult {
        name: scenario.name.clone(),
        target: target_label,
        exchanges,
        findings,
        error: None,
        latency,
        duration: started.elapsed(),
    };
    emit(reporters, &Event::ScenarioFinished { result: &result })?;
    Ok(result)
}

/// Names the injected faults in every failure of an exchange made while they were active, so
/// a failed drill says which fault the target did not handle.
fn note_faults(result: &mut ExchangeResult, faults: &[String]) {
    let during = format!("while the peer was faulted ({})", faults.join("; "));
    for finding in &mut result.findings {
        if finding.is_failure() && finding.location == Location::Response {
            finding.message = format!("{} — {during}", finding.message);
        }
    }
    if let Some(error) = &mut result.error {
        *error = format!("{error} — {during}");
    }
}

/// The finding for an interface whose live p95 exceeds the scenario's budget.
fn over_budget(latency: &Latency, budget: crate::scenario::LatencyBudget) -> Option<Finding> {
    let recorded = latency.recorded_p95_ms?;
    let limit = recorded * budget.ratio;
    if latency.p95_ms <= limit || latency.p95_ms < budget.ignore_below_ms {
        return None;
    }
    Some(
        Finding::new(
            FindingKind::LatencyExceeded,
            Location::Scenario,
            "",
            format!(
                "`{}`: live p95 {:.1} ms exceeds {} × the recorded p95 {:.1} ms (limit {:.1} ms)",
                latency.name, latency.p95_ms, budget.ratio, recorded, limit
            ),
        )
        .with_values(Some(limit.into()), Some(latency.p95_ms.into())),
    )
}

/// The contract for a replayed exchange: by the recorded interface id, else by operation
/// among the target's own contracts, else among all.
fn find_contract<'a>(
    contracts: &'a ContractSet,
    target: &str,
    exchange: &crate::recording::Exchange,
) -> Option<&'a Contract> {
    let (method, path) = (exchange.request.method.as_str(), exchange.request.path());
    exchange
        .interface
        .as_deref()
        .and_then(|i| contracts.by_interface(i))
        .or_else(|| contracts.find(Some(target), method, path))
        .or_else(|| contracts.find(None, method, path))
}

/// All checks of one live response: contract, expectation, recorded-vs-live drift.
pub fn check_exchange(
    exchange: &crate::recording::Exchange,
    live: &crate::replay::LiveResponse,
    contract: Option<&Contract>,
    expectation: &crate::scenario::Expectation,
    ignore: &IgnoreRules,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match contract {
        Some(c) => findings.extend(check::schema::check_response(
            c,
            live.status,
            &live.headers,
            &live.body,
        )),
        None => findings.push(Finding::new(
            FindingKind::NoContract,
            Location::Response,
            "",
            format!(
                "no contract covers {} {}; only the recording is compared",
                exchange.request.method,
                exchange.request.path()
            ),
        )),
    }
    match expectation.status {
        Some(expected) if expected != live.status => findings.push(
            Finding::new(
                FindingKind::ExpectationFailed,
                Location::Response,
                "status",
                format!(
                    "the scenario expects status {expected}, the target answered {}",
                    live.status
                ),
            )
            .with_values(Some(expected.into()), Some(live.status.into())),
        ),
        Some(_) => {}
        None if exchange.response.status != live.status => findings.push(
            Finding::new(
                FindingKind::StatusChanged,
                Location::Response,
                "status",
                format!(
                    "status changed from {} to {}",
                    exchange.response.status, live.status
                ),
            )
            .with_values(
                Some(exchange.response.status.into()),
                Some(live.status.into()),
            ),
        ),
        None => {}
    }
    for (pointer, expected) in &expectation.fields {
        let actual = live.body.body.as_ref().and_then(|b| b.pointer(pointer));
        if actual != Some(expected) {
            let shown = actual.map_or_else(|| "nothing".to_string(), ToString::to_string);
            findings.push(
                Finding::new(
                    FindingKind::ExpectationFailed,
                    Location::Response,
                    pointer.clone(),
                    format!(
                        "the scenario expects `{}` = {expected}, the target answered {shown}",
                        crate::contract::document::display_pointer(pointer)
                    ),
                )
                .with_values(Some(expected.clone()), actual.cloned()),
            );
        }
    }
    if let Some(limit) = expectation.within_ms {
        let took = live.duration.as_secs_f64() * 1000.0;
        if took > limit as f64 {
            findings.push(
                Finding::new(
                    FindingKind::ExpectationFailed,
                    Location::Response,
                    "duration",
                    format!(
                        "the scenario expects an answer within {limit} ms, it took {took:.0} ms"
                    ),
                )
                .with_values(Some(limit.into()), Some(took.round().into())),
            );
        }
    }
    if !expectation.contract_only {
        let declared: Vec<&str> = contract
            .and_then(|c| c.response_for(live.status))
            .map(|(_, spec)| spec.headers.iter().map(|h| h.name.as_str()).collect())
            .unwrap_or_default();
        let drift = check::drift::compare_headers(
            &exchange.response.headers,
            &live.headers,
            &declared,
            ignore,
        )
        .into_iter()
        .chain(check::drift::compare_bodies(
            &exchange.response.body,
            &live.body,
            ignore,
        ));
        findings.extend(drift.map(|f| f.for_contract(contract)));
    }
    findings
}
