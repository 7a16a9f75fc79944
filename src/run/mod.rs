//! The run, as in the product diagram:
//!
//! ```text
//! contracts + scenarios + recordings ─> start mocked peers ─> replay into the target ─> checks ─> reports
//! ```
//!
//! [`plan`] loads and validates everything before the first request; here the scenarios run,
//! in parallel up to `jobs`, each replaying its exchanges in recorded order ([`exchange`]) on
//! its [`stage`], read from the recording one at a time as the replay reaches them
//! ([`input`]). Reporters only receive [`Event`]s.

mod chaining;
mod environment;
pub(crate) mod exchange;
mod input;
mod kept;
pub mod plan;
mod setup;
mod stage;
mod staging;
mod usage;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::error::Error;
use crate::model::{RunResult, ScenarioResult};
use crate::replay::Replayer;
use crate::report::{Event, Reporter};
use crate::scenario::Scenario;

pub use plan::{Request, RunPlan, plan};
use stage::{Stage, Timings};

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
            exchanges: plan.scenarios.iter().map(|s| s.replay.exchanges).sum(),
        },
    )?;

    let permits = Arc::new(tokio::sync::Semaphore::new(plan.jobs.max(1)));
    let ports = Arc::new(PortLocks::for_scenarios(&plan.scenarios));
    let client =
        Replayer::client_for_targets(plan.timeout, plan.targets.values().map(String::as_str))?;
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
    let mut result = RunResult {
        scenarios: results.into_iter().flatten().collect(),
        duration: started.elapsed(),
        shard: plan.shard,
        run_id: plan.run_id.clone(),
        notes: plan.notes(),
    };
    crate::model::cause::annotate(&mut result);
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

async fn run_scenario(
    scenario: &Scenario,
    plan: &RunPlan,
    client: reqwest::Client,
    reporters: &Reporters,
) -> Result<ScenarioResult, Error> {
    let started = Instant::now();
    let live_target = plan.targets.get(&scenario.target);
    let target_label = live_target.map_or("recorded", String::as_str).to_string();
    emit(
        reporters,
        &Event::ScenarioStarted {
            scenario,
            target: &target_label,
        },
    )?;
    let mut stage = match Stage::start(scenario, plan, client).await {
        Ok(stage) => stage,
        Err(Error::Environment(message)) => {
            let result = ScenarioResult {
                error: Some(message),
                duration: started.elapsed(),
                ..ScenarioResult::new(&scenario.name, target_label)
            };
            emit(reporters, &Event::ScenarioFinished { result: &result })?;
            return Ok(result);
        }
        Err(other) => return Err(other),
    };

    let mut environment = crate::model::Environment::default();
    let live = live_target.is_some();
    let setup_failure = if live {
        let failure = setup::run(
            setup::Phase::Setup,
            scenario,
            plan,
            &stage.replayer,
            &mut environment.steps,
        )
        .await;
        stage.discard_peer_calls();
        failure
    } else {
        None
    };

    let mut exchanges = kept::Kept::new(plan.max_bodies_per_cause);
    let mut timings = Timings::default();
    let mut recorded_exchanges = setup_failure
        .is_none()
        .then(|| input::read_ahead(&scenario.replay_file));
    for index in 0.. {
        let Some(entry) = recorded_exchanges.as_mut() else {
            break;
        };
        let Some(entry) = entry.next().await else {
            break;
        };
        let mut entry = entry.map_err(|err| Error::Input(vec![err]))?;
        entry.exchange = scenario.recorded(index, entry.exchange);
        let recorded = &entry.exchange;
        chaining::begin_step(&stage.chain, &mut stage.recorded_calls, index, recorded)?;
        let Some(replayed) = exchange::replay(
            scenario,
            index,
            &entry,
            &plan.contracts,
            &mut stage,
            &mut timings,
            plan.snapshots,
        )
        .await?
        else {
            continue;
        };
        emit(
            reporters,
            &Event::ExchangeFinished {
                scenario,
                exchange: replayed.expected.as_ref().unwrap_or(recorded),
                result: &replayed.result,
                contract: replayed.contract,
                ignore: &replayed.ignore,
                snapshot: replayed.snapshot,
            },
        )?;
        exchanges.add(replayed.result);
        if let Some(ahead) = recorded_exchanges.as_mut() {
            ahead.done_with(entry);
        }
    }

    let mut findings = Vec::new();
    if live && setup_failure.is_none() {
        findings = stage.missing_peer_calls(scenario, &plan.contracts);
    }
    // A value the target produced again unchanged is not worth a line.
    let bindings = (stage.chain.bindings().into_iter())
        .filter(|b| b.changed() || b.capture.is_some())
        .collect();
    let peer_calls = stage.peer_calls();
    let teardown_failure = if live {
        setup::run(
            setup::Phase::Teardown,
            scenario,
            plan,
            &stage.replayer,
            &mut environment.steps,
        )
        .await
    } else {
        None
    };
    stage.shutdown().await;
    let (latency, over_budget) = timings.latency(scenario.latency);
    findings.extend(over_budget);
    let mut result = ScenarioResult {
        exchanges: exchanges.exchanges,
        unlisted: exchanges.unlisted,
        findings,
        latency,
        bindings,
        duration: started.elapsed(),
        ..ScenarioResult::new(&scenario.name, target_label)
    };
    if live {
        // An ad-hoc replay reads no profile.
        let profile = scenario
            .file
            .ends_with(crate::scenario::SCENARIO_FILE)
            .then_some(plan.profile.as_str());
        judge_environment(
            scenario,
            profile,
            &mut result,
            environment,
            setup_failure,
            teardown_failure,
            &peer_calls,
        );
    }
    emit(reporters, &Event::ScenarioFinished { result: &result })?;
    Ok(result)
}

/// Environment or contract: a failed setup, or failures the environment explains
/// ([`environment::diagnose`]), make the scenario an error with a hint; otherwise a silent peer
/// gets its hint, and a failed teardown is an error only for a scenario that passed (it never
/// hides a failure).
fn judge_environment(
    scenario: &Scenario,
    profile: Option<&str>,
    result: &mut ScenarioResult,
    mut environment: crate::model::Environment,
    setup_failure: Option<String>,
    teardown_failure: Option<String>,
    peer_calls: &[(String, String, usize)],
) {
    use crate::model::{Diagnosis, DiagnosisKind, Outcome};
    if let Some(failure) = setup_failure {
        environment.diagnosis = Some(Diagnosis {
            kind: DiagnosisKind::Setup,
            message: failure,
            hint: "the scenario was not replayed; fix the step or the staging it prepares"
                .to_string(),
        });
    } else if let Some(diagnosis) = environment::diagnose(scenario, result, profile) {
        environment.diagnosis = Some(diagnosis);
    } else {
        environment.hints = environment::silent_peer_hints(scenario, peer_calls);
    }
    if let Some(diagnosis) = &environment.diagnosis {
        result.error = Some(format!("{} — {}", diagnosis.message, diagnosis.hint));
    } else if let Some(failure) = teardown_failure {
        if result.outcome() == Outcome::Passed {
            result.error = Some(failure);
        } else {
            environment.hints.push(failure);
        }
    }
    result.environment = environment;
}
