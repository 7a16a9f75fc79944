//! Checks: what is wrong with a live exchange, as data.
//!
//! A check never fails with `Err`: a schema violation, a drifted field or an unmatched peer call
//! is a [`Finding`]. Only "could not check" (the target refused the connection, timed out) is an
//! error, carried as [`ExchangeResult::error`] and reported as `<error>` in JUnit and exit 3.

pub mod drift;
pub mod project;
pub mod schema;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of problem a finding is. The kebab-case ids are stable: reports, waivers and
/// severity overrides refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The body or a header breaks the contract's schema.
    SchemaViolation,
    /// A required header or query parameter is missing, or an undeclared one was sent where
    /// the contract forbids extras.
    ParameterViolation,
    /// The status code is not declared by the contract.
    StatusUndeclared,
    /// The live status differs from the recorded one.
    StatusChanged,
    /// A field present live but not in the recording.
    FieldAdded,
    /// A field in the recording missing live.
    FieldRemoved,
    /// A field's JSON type changed (number → string, object → array, …).
    TypeChanged,
    /// A field's value changed.
    ValueChanged,
    /// A string kept its type but changed its format: a date-time offset moved, a date-time
    /// became a date, a UUID became something else.
    FormatDrift,
    /// The body changed between JSON, text and binary, or appeared / disappeared.
    BodyChanged,
    /// A header that a contract declares changed.
    HeaderChanged,
    /// A request the target sent to a mocked peer breaks the peer's contract.
    PeerRequestInvalid,
    /// A request the target sent to a mocked peer matches no recorded request.
    PeerRequestUnmatched,
    /// A peer call in the recording that the target never made.
    PeerCallMissing,
    /// A per-exchange expectation of the scenario did not hold.
    ExpectationFailed,
    /// An interface's live p95 latency exceeds the scenario's budget against the recording.
    LatencyExceeded,
    /// No contract covers the exchange (reported, never a failure).
    NoContract,
}

impl FindingKind {
    /// The stable kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::SchemaViolation => "schema-violation",
            FindingKind::ParameterViolation => "parameter-violation",
            FindingKind::StatusUndeclared => "status-undeclared",
            FindingKind::StatusChanged => "status-changed",
            FindingKind::FieldAdded => "field-added",
            FindingKind::FieldRemoved => "field-removed",
            FindingKind::TypeChanged => "type-changed",
            FindingKind::ValueChanged => "value-changed",
            FindingKind::FormatDrift => "format-drift",
            FindingKind::BodyChanged => "body-changed",
            FindingKind::HeaderChanged => "header-changed",
            FindingKind::PeerRequestInvalid => "peer-request-invalid",
            FindingKind::PeerRequestUnmatched => "peer-request-unmatched",
            FindingKind::PeerCallMissing => "peer-call-missing",
            FindingKind::ExpectationFailed => "expectation-failed",
            FindingKind::LatencyExceeded => "latency-exceeded",
            FindingKind::NoContract => "no-contract",
        }
    }
}

/// Whether a finding fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Shown, never fails the gate.
    Info,
    /// Fails the gate (exit 1).
    Failure,
}

/// Which message of an exchange a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Location {
    /// The target's response to a replayed request.
    Response,
    /// A request the target sent to a mocked peer.
    PeerRequest { peer: String },
    /// The scenario as a whole (e.g. a peer call never made).
    Scenario,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub location: Location,
    /// Contract interface id, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// JSON pointer into the body (`""` is the whole body), or `status`, `header:NAME`,
    /// `query:NAME`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// Who is affected: the provider first, then the consumers (from contract metadata).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<String>,
    /// One line a person can act on.
    pub message: String,
}

impl Finding {
    pub fn new(
        kind: FindingKind,
        location: Location,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            kind,
            severity: if kind == FindingKind::NoContract {
                Severity::Info
            } else {
                Severity::Failure
            },
            location,
            interface: None,
            path: path.into(),
            old: None,
            new: None,
            affected: Vec::new(),
            message: message.into(),
        }
    }

    #[must_use]
    pub fn with_values(mut self, old: Option<Value>, new: Option<Value>) -> Self {
        self.old = old;
        self.new = new;
        self
    }

    #[must_use]
    pub fn for_contract(mut self, contract: Option<&crate::contract::Contract>) -> Self {
        if let Some(c) = contract {
            self.interface = Some(c.interface.clone());
            self.affected = c.affected();
        }
        self
    }

    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn is_failure(&self) -> bool {
        self.severity == Severity::Failure
    }
}

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
}

impl ExchangeResult {
    pub fn outcome(&self) -> Outcome {
        if self.error.is_some() {
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
    /// Percentiles (nearest rank) of a set of durations.
    pub fn of(name: impl Into<String>, mut samples_ms: Vec<f64>) -> Self {
        samples_ms.sort_by(f64::total_cmp);
        let rank = |p: f64| -> f64 {
            if samples_ms.is_empty() {
                return 0.0;
            }
            let i = ((p * samples_ms.len() as f64).ceil() as usize).clamp(1, samples_ms.len()) - 1;
            samples_ms[i]
        };
        Latency {
            name: name.into(),
            count: samples_ms.len(),
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            max_ms: samples_ms.last().copied().unwrap_or(0.0),
            recorded_p95_ms: None,
        }
    }

    /// The same figures with the recorded p95 for comparison.
    #[must_use]
    pub fn with_recorded(mut self, recorded_ms: Vec<f64>) -> Self {
        if !recorded_ms.is_empty() {
            self.recorded_p95_ms = Some(Latency::of("", recorded_ms).p95_ms);
        }
        self
    }
}

/// What happened to one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    /// The target's base URL, or `recorded` for the embedded stand-in.
    pub target: String,
    pub exchanges: Vec<ExchangeResult>,
    /// Findings that belong to no single exchange (e.g. a peer call never made).
    pub findings: Vec<Finding>,
    /// Set when the scenario could not run at all (a peer port taken, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Latency per target interface, then per peer route.
    pub latency: Vec<Latency>,
    #[serde(
        serialize_with = "serialize_ms",
        deserialize_with = "deserialize_ms",
        rename = "duration_ms"
    )]
    pub duration: Duration,
}

impl ScenarioResult {
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.exchanges
            .iter()
            .flat_map(|e| e.findings.iter())
            .chain(self.findings.iter())
    }

    pub fn outcome(&self) -> Outcome {
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
}

impl RunResult {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            scenarios: self.scenarios.len(),
            ..Counts::default()
        };
        for scenario in &self.scenarios {
            for exchange in &scenario.exchanges {
                counts.exchanges += 1;
                match exchange.outcome() {
                    Outcome::Passed => counts.passed += 1,
                    Outcome::Failed => counts.failed += 1,
                    Outcome::Error => counts.errors += 1,
                }
            }
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
    pub fn verdict(&self) -> &'static str {
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

/// A JSON value's type name as people say it.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        }
    }

    fn run(exchanges: Vec<ExchangeResult>) -> RunResult {
        RunResult {
            scenarios: vec![ScenarioResult {
                name: "s".into(),
                target: "recorded".into(),
                exchanges,
                findings: Vec::new(),
                error: None,
                latency: Vec::new(),
                duration: Duration::ZERO,
            }],
            duration: Duration::ZERO,
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
        let l = Latency::of("x", (1..=100).map(f64::from).collect());
        assert_eq!(
            (l.p50_ms, l.p95_ms, l.max_ms, l.count),
            (50.0, 95.0, 100.0, 100)
        );
        let empty = Latency::of("y", vec![]);
        assert_eq!(empty.max_ms, 0.0);
    }
}
