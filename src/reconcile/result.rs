//! A reconciliation's outcome in the result model every report reads: one scenario per
//! reconciliation (`reconcile NAME`, target `crm ↔ erp`) carrying its counts
//! ([`crate::model::Reconciliation`]); one exchange per compared field (`field NAME`) and one
//! for the keys (`keys`: missing and duplicate), so JUnit has a testcase for each; the first
//! mismatching, missing and duplicate keys as findings; and each exceeded threshold as a
//! failing `reconcile-threshold` finding of the scenario. A mismatch or missing key fails only
//! where a threshold is exceeded; otherwise it is shown as information.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::engine::{self, Options, Outcome};
use super::redact::Printer;
use super::source::Environment;
use super::spec::Reconciliation;
use crate::error::Error;
use crate::model::{
    ExchangeResult, Finding, FindingKind, Location, ReconciledField, RunResult, ScenarioResult,
    Severity, percent,
};
use crate::report::{Event, Reporter};

/// The name of the exchange that holds the missing and duplicate keys.
pub const KEYS: &str = "keys";

/// Reconciles every file in turn, telling `reporters` as a run does.
pub async fn run(
    recs: &[Reconciliation],
    env: &Environment,
    printer: &Printer,
    options: &Options,
    mut reporters: Vec<Box<dyn Reporter>>,
) -> Result<RunResult, Error> {
    let started = Instant::now();
    let mut tell = |event: &Event<'_>| reporters.iter_mut().try_for_each(|r| r.report(event));
    tell(&Event::RunStarted {
        scenarios: recs.len(),
        exchanges: recs.iter().map(|r| r.fields.len() + 1).sum(),
    })?;
    let mut scenarios = Vec::new();
    for rec in recs {
        let outcome = engine::reconcile(rec, env, printer, options).await?;
        let scenario = scenario(outcome);
        tell(&Event::ScenarioFinished { result: &scenario })?;
        scenarios.push(scenario);
    }
    let mut result = RunResult {
        scenarios,
        duration: started.elapsed(),
        shard: None,
        run_id: None,
        notes: Vec::new(),
    };
    crate::model::cause::annotate(&mut result);
    tell(&Event::RunFinished { result: &result })?;
    Ok(result)
}

/// One reconciliation's outcome as a scenario result.
pub fn scenario(outcome: Outcome) -> ScenarioResult {
    let counts = &outcome.counts;
    let sides = [counts.sides[0].name.clone(), counts.sides[1].name.clone()];
    let mut scenario = ScenarioResult {
        error: outcome.error.clone(),
        duration: outcome.duration,
        ..ScenarioResult::new(
            format!("reconcile {}", outcome.name),
            format!("{} ↔ {}", sides[0], sides[1]),
        )
    };
    if outcome.error.is_none() {
        for (index, field) in counts.fields.iter().enumerate() {
            scenario
                .exchanges
                .push(field_exchange(index, field, &sides, counts.matched));
        }
        scenario
            .exchanges
            .push(keys_exchange(counts.fields.len(), &outcome, &sides));
        scenario.findings = counts
            .thresholds
            .iter()
            .filter(|t| t.exceeded)
            .map(|t| {
                finding(
                    FindingKind::ReconcileThreshold,
                    Severity::Failure,
                    format!("threshold:{}", t.name),
                    &sides,
                    format!(
                        "threshold `{}` exceeded: {} > {}",
                        t.name,
                        percent(t.actual),
                        percent(t.limit)
                    ),
                )
                .with_values(Some(json!(t.limit)), Some(json!(t.actual)))
            })
            .collect();
    }
    scenario.reconciliation = Some(Box::new(outcome.counts));
    scenario
}

fn finding(
    kind: FindingKind,
    severity: Severity,
    path: String,
    sides: &[String; 2],
    message: String,
) -> Finding {
    Finding {
        severity,
        affected: sides.to_vec(),
        ..Finding::new(kind, Location::Scenario, path, message)
    }
}

fn severity(fails: bool) -> Severity {
    if fails {
        Severity::Failure
    } else {
        Severity::Info
    }
}

/// A key as a message shows it: compact JSON, a string in quotes.
fn shown(value: &Value) -> String {
    value.to_string()
}

/// A field stands where an exchange would: 200 when its values agree within the limit.
fn exchange(index: usize, name: String, method: &str, url: String) -> ExchangeResult {
    ExchangeResult {
        index,
        name,
        method: method.to_owned(),
        url,
        interface: None,
        recorded_status: 200,
        live_status: Some(200),
        duration: Duration::ZERO,
        recorded_duration_ms: None,
        findings: Vec::new(),
        error: None,
        recorded_body: None,
        live_body: None,
        skipped: false,
    }
}

fn field_exchange(
    index: usize,
    field: &ReconciledField,
    sides: &[String; 2],
    matched: u64,
) -> ExchangeResult {
    let mut limit = field
        .max_mismatch_rate
        .map(|l| format!(", limit {}", percent(l)))
        .unwrap_or_default();
    if !field.passed && limit.is_empty() {
        limit = ", above max_mismatch_rate".to_owned();
    }
    let mut e = exchange(
        index,
        format!("field {}", field.name),
        "COMPARE",
        format!(
            "{} {} ↔ {} {} ({}): {} of {matched} matched rows differ ({}{limit})",
            sides[0],
            field.pointers[0],
            sides[1],
            field.pointers[1],
            field.compare,
            field.mismatches,
            percent(field.rate)
        ),
    );
    e.findings = field
        .examples
        .iter()
        .map(|x| {
            finding(
                FindingKind::ReconcileMismatch,
                severity(!field.passed),
                format!("field:{}", field.name),
                sides,
                format!(
                    "{} {} ↔ {} {}: {}",
                    sides[0],
                    shown(&x.keys[0]),
                    sides[1],
                    shown(&x.keys[1]),
                    x.reason
                ),
            )
            .with_values(Some(x.values[0].clone()), Some(x.values[1].clone()))
        })
        .collect();
    e
}

fn keys_exchange(index: usize, outcome: &Outcome, sides: &[String; 2]) -> ExchangeResult {
    let counts = &outcome.counts;
    let exceeded = |name: &str| {
        counts
            .thresholds
            .iter()
            .any(|t| t.exceeded && t.name == name)
    };
    let [a, b] = &counts.sides;
    let mut e = exchange(
        index,
        KEYS.to_owned(),
        "JOIN",
        format!(
            "{} matched; missing in {}: {}, missing in {}: {} ({}); duplicate keys: {} in {}, {} in {}",
            counts.matched,
            a.name,
            a.missing,
            b.name,
            b.missing,
            percent(counts.missing_rate),
            a.duplicate_keys,
            a.name,
            b.duplicate_keys,
            b.name
        ),
    );
    for (i, side) in counts.sides.iter().enumerate() {
        let other = &sides[1 - i];
        let fails =
            exceeded("max_missing_rate") || exceeded(&format!("max_missing_in_{}", side.name));
        for key in &side.missing_examples {
            // `old` is the first side's, `new` the second's: the key where it is.
            let (old, new) = if i == 0 {
                (None, Some(key.clone()))
            } else {
                (Some(key.clone()), None)
            };
            e.findings.push(
                finding(
                    FindingKind::ReconcileMissing,
                    severity(fails),
                    format!("key:{}", side.name),
                    sides,
                    format!("{other} {} is missing in {}", shown(key), side.name),
                )
                .with_values(old, new),
            );
        }
    }
    for (i, side) in counts.sides.iter().enumerate() {
        for key in &side.duplicate_examples {
            e.findings.push(finding(
                FindingKind::ReconcileDuplicate,
                Severity::Info,
                format!("key:{}", side.name),
                sides,
                format!(
                    "{} {} appears more than once; left out of the join",
                    sides[i],
                    shown(key)
                ),
            ));
        }
    }
    e
}
