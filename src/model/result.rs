//! What happened: per exchange, per scenario, per run, with the verdict and exit code.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Finding;
use super::samples::Samples;

/// What happened to one replayed exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeResult {
    /// 0-based position in the scenario's replay recording.
    pub index: usize,
    /// Stable name: `METHOD /path/template #index` (template when a contract matched).
    pub name: String,
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    pub recorded_status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_status: Option<u16>,
    #[serde(
        serialize_with = "serialize_ms",
        deserialize_with = "deserialize_ms",
        rename = "duration_ms"
    )]
    pub duration: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_duration_ms: Option<f64>,
    pub findings: Vec<Finding>,
    /// Set when the exchange could not be checked (transport problem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The recorded and live JSON response bodies, kept where a finding failed, for
    /// side-by-side reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_body: Option<Value>,
    /// The scenario skips this exchange (`skip: true`): it was not replayed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub skipped: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

impl ExchangeResult {
    /// Whether a run keeps this exchange to the end ([`ScenarioResult::exchanges`]): it has a
    /// finding or an error. One that passed without a finding, or was skipped, is only counted
    /// ([`ScenarioResult::unlisted`]); reports that list it receive it as it finishes.
    pub fn kept_to_the_end(&self) -> bool {
        !self.findings.is_empty() || self.error.is_some()
    }

    pub(crate) fn outcome(&self) -> Outcome {
        if self.skipped {
            Outcome::Skipped
        } else if self.error.is_some() {
            Outcome::Error
        } else if self.findings.iter().any(Finding::is_failure) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    Error,
    /// Not replayed: the scenario skips it.
    Skipped,
}

/// Latency of one interface (target) or route (peer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub name: String,
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// For a target interface, the p95 of the durations in the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_p95_ms: Option<f64>,
}

impl Latency {
    /// Percentiles (nearest rank) of a set of durations, within the precision of
    /// [`super::samples`].
    pub(crate) fn of(name: impl Into<String>, samples_ms: impl Into<Samples>) -> Self {
        let mut samples: Samples = samples_ms.into();
        Latency {
            name: name.into(),
            count: samples.count(),
            p50_ms: samples.percentile(0.50),
            p95_ms: samples.percentile(0.95),
            max_ms: samples.max_ms(),
            recorded_p95_ms: None,
        }
    }

    /// The same figures with the recorded p95 for comparison.
    #[must_use]
    pub(crate) fn with_recorded(mut self, recorded_ms: Option<Samples>) -> Self {
        if let Some(mut recorded) = recorded_ms.filter(|r| r.count() > 0) {
            self.recorded_p95_ms = Some(recorded.percentile(0.95));
        }
        self
    }
}

impl From<Vec<f64>> for Samples {
    fn from(ms: Vec<f64>) -> Self {
        ms.into_iter().collect()
    }
}

/// The exchanges of a scenario a run counted without keeping them: those that passed without
/// a finding, and those the scenario skips. Enough for the counts and for the environment's
/// diagnosis ([`ScenarioResult::unlisted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unlisted {
    pub passed: usize,
    pub skipped: usize,
    /// How many passed exchanges answered each live status.
    pub live_statuses: std::collections::BTreeMap<u16, usize>,
    /// How many passed exchanges had a success (< 400) in the recording.
    pub recorded_successes: usize,
}

impl Unlisted {
    /// Counts an exchange that is not kept ([`ExchangeResult::kept_to_the_end`]).
    pub fn count(&mut self, exchange: &ExchangeResult) {
        if exchange.skipped {
            self.skipped += 1;
            return;
        }
        self.passed += 1;
        if let Some(status) = exchange.live_status {
            *self.live_statuses.entry(status).or_default() += 1;
        }
        if exchange.recorded_status < 400 {
            self.recorded_successes += 1;
        }
    }
}

/// What happened to one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    /// The target's base URL, or `recorded` for the embedded stand-in.
    pub target: String,
    /// The exchanges, in order: every one in a result read back from a report; in a run's own
    /// result, only those with a finding or an error ([`ExchangeResult::kept_to_the_end`]),
    /// the others counted in [`ScenarioResult::unlisted`].
    pub exchanges: Vec<ExchangeResult>,
    /// The exchanges a run counted without keeping them (not serialized: a report lists
    /// every exchange as it finishes).
    #[serde(skip)]
    pub unlisted: Unlisted,
    /// Findings that belong to no single exchange (e.g. a peer call never made).
    pub findings: Vec<Finding>,
    /// Set when the scenario could not run at all (a peer port taken, …), or when the
    /// environment explains its failures (`environment.diagnosis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Setup and teardown steps, an environment diagnosis, hints.
    #[serde(flatten, default)]
    pub environment: super::Environment,
    /// Latency per target interface, then per peer route.
    pub latency: Vec<Latency>,
    /// Values the target generated, bound to the live values of this run (request chaining).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<super::Binding>,
    /// For `interlock reconcile`: the reconciliation's counts and rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Box<super::Reconciliation>>,
    #[serde(
        serialize_with = "serialize_ms",
        deserialize_with = "deserialize_ms",
        rename = "duration_ms"
    )]
    pub duration: Duration,
}

impl ScenarioResult {
    /// A scenario `name` run against `target` with nothing in it yet: no exchanges, findings,
    /// error, environment, latency, bindings or reconciliation, and no duration. Callers fill in
    /// what they have, with struct update (`..ScenarioResult::new(name, target)`) or by field.
    pub fn new(name: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            target: target.into(),
            exchanges: Vec::new(),
            unlisted: Unlisted::default(),
            findings: Vec::new(),
            error: None,
            environment: super::Environment::default(),
            latency: Vec::new(),
            bindings: Vec::new(),
            reconciliation: None,
            duration: Duration::ZERO,
        }
    }

    /// How many exchanges the scenario had, kept or only counted.
    pub fn exchange_count(&self) -> usize {
        self.exchanges.len() + self.unlisted.passed + self.unlisted.skipped
    }

    /// Passed, failed, errored and skipped exchanges, kept or only counted.
    pub(crate) fn outcomes(&self) -> Counts {
        let mut counts = Counts {
            exchanges: self.exchange_count(),
            passed: self.unlisted.passed,
            skipped: self.unlisted.skipped,
            ..Counts::default()
        };
        for exchange in &self.exchanges {
            match exchange.outcome() {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed => counts.failed += 1,
                Outcome::Error => counts.errors += 1,
                Outcome::Skipped => counts.skipped += 1,
            }
        }
        counts
    }

    pub(crate) fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.exchanges
            .iter()
            .flat_map(|e| e.findings.iter())
            .chain(self.findings.iter())
    }

    pub(crate) fn outcome(&self) -> Outcome {
        if self.error.is_some() || self.exchanges.iter().any(|e| e.outcome() == Outcome::Error) {
            Outcome::Error
        } else if self.all_findings().any(Finding::is_failure) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }
}

/// Counts for the summary line and the report headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub scenarios: usize,
    pub exchanges: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    /// Exchanges the scenarios skip (not replayed; counted in `exchanges`).
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: usize,
    pub findings: usize,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub scenarios: Vec<ScenarioResult>,
    #[serde(
        serialize_with = "serialize_ms",
        deserialize_with = "deserialize_ms",
        rename = "duration_ms"
    )]
    pub duration: Duration,
    /// Which shard of a sharded run this is (`run --shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardOf>,
    /// The CI run this result belongs to (`run --run-id`, or the CI's run id variable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// What the reader must know about how the run compared (said once per report): e.g. that
    /// pseudonymised values were compared by shape only, without the key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Shard `index` of `total` (both from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOf {
    pub index: u32,
    pub total: u32,
}

impl RunResult {
    pub(crate) fn counts(&self) -> Counts {
        let mut counts = Counts {
            scenarios: self.scenarios.len(),
            ..Counts::default()
        };
        for scenario in &self.scenarios {
            let outcomes = scenario.outcomes();
            counts.exchanges += outcomes.exchanges;
            counts.passed += outcomes.passed;
            counts.failed += outcomes.failed;
            counts.errors += outcomes.errors;
            counts.skipped += outcomes.skipped;
            if scenario.error.is_some() {
                counts.errors += 1;
            }
            counts.findings += scenario.all_findings().filter(|f| f.is_failure()).count();
        }
        counts
    }

    /// 0 all passed, 1 findings, 3 errors (errors win over findings).
    pub fn exit_code(&self) -> u8 {
        let outcomes: Vec<Outcome> = self.scenarios.iter().map(ScenarioResult::outcome).collect();
        if outcomes.contains(&Outcome::Error) {
            crate::exit_code::ENVIRONMENT
        } else if outcomes.contains(&Outcome::Failed) {
            crate::exit_code::FINDINGS
        } else {
            crate::exit_code::OK
        }
    }

    /// "passed", "failed" or "error", as the gate reads it.
    pub(crate) fn verdict(&self) -> &'static str {
        match self.exit_code() {
            crate::exit_code::OK => "passed",
            crate::exit_code::FINDINGS => "failed",
            _ => "error",
        }
    }
}

fn serialize_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1_000_000.0).round() / 1000.0)
}

fn deserialize_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let ms = f64::deserialize(d)?;
    Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| serde::de::Error::custom(format!("{ms} is not a duration in milliseconds")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FindingKind, Location};

    fn exchange(findings: Vec<Finding>, error: Option<&str>) -> ExchangeResult {
        ExchangeResult {
            index: 0,
            name: "GET /x #1".into(),
            method: "GET".into(),
            url: "/x".into(),
            interface: None,
            recorded_status: 200,
            live_status: Some(200),
            duration: Duration::ZERO,
            recorded_duration_ms: None,
            findings,
            error: error.map(str::to_string),
            recorded_body: None,
            live_body: None,
            skipped: false,
        }
    }

    fn run(exchanges: Vec<ExchangeResult>) -> RunResult {
        RunResult {
            scenarios: vec![ScenarioResult {
                exchanges,
                ..ScenarioResult::new("s", "recorded")
            }],
            duration: Duration::ZERO,
            shard: None,
            run_id: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn exit_codes_errors_win_over_failures_and_info_never_fails() {
        let failure = Finding::new(
            FindingKind::FieldRemoved,
            Location::Response,
            "/tax_id",
            "removed",
        );
        let info = Finding::new(
            FindingKind::NoContract,
            Location::Response,
            "",
            "no contract",
        );
        assert_eq!(run(vec![exchange(vec![info], None)]).exit_code(), 0);
        assert_eq!(
            run(vec![exchange(vec![failure.clone()], None)]).exit_code(),
            1
        );
        let both = run(vec![
            exchange(vec![failure], None),
            exchange(vec![], Some("refused")),
        ]);
        assert_eq!(both.exit_code(), 3);
        assert_eq!(both.counts().failed, 1);
        assert_eq!(both.counts().errors, 1);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let l = Latency::of("x", (1..=100).map(f64::from).collect::<Vec<f64>>());
        assert_eq!(
            (l.p50_ms, l.p95_ms, l.max_ms, l.count),
            (50.0, 95.0, 100.0, 100)
        );
        let empty = Latency::of("y", Vec::<f64>::new());
        assert_eq!(empty.max_ms, 0.0);
    }
}
