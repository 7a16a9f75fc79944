//! Findings: one thing a check found, with its kind, severity and place. A finding is data,
//! never an error.

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
    /// A live value lies outside the domain the recordings show for its field
    /// (`contracts/domains.yaml`): a new enum value, another decimal scale, a float for an
    /// integer, an offset never recorded, a code of another length or alphabet.
    DomainDrift,
    /// A header that a contract declares changed.
    HeaderChanged,
    /// A request the target sent to a mocked peer breaks the peer's contract.
    PeerRequestInvalid,
    /// A request the target sent to a mocked peer matches no recorded request.
    PeerRequestUnmatched,
    /// A peer call in the recording that the target never made.
    PeerCallMissing,
    /// A value the recordings always carried from the target's request or response into a
    /// peer request (`contracts/lineage.yaml`) that the live peer request does not carry.
    LineageBroken,
    /// A per-exchange expectation of the scenario did not hold.
    ExpectationFailed,
    /// An interface's live p95 latency exceeds the scenario's budget against the recording.
    LatencyExceeded,
    /// No contract covers the exchange (reported, never a failure).
    NoContract,
    /// A table with a table contract is gone from the database.
    TableRemoved,
    /// A contracted column is gone (and nothing of its type appeared in its place).
    ColumnRemoved,
    /// A contracted column is gone and one of the same type and nullability appeared.
    ColumnRenamed,
    /// The database has a column the table contract does not list.
    ColumnAdded,
    /// A column's type changed: widened, narrowed or to another kind of value.
    ColumnTypeChanged,
    /// A NOT NULL column now allows NULL.
    ColumnBecameNullable,
    /// A nullable column is now NOT NULL.
    ColumnBecameNotNull,
    /// A column's default changed, appeared or disappeared.
    DefaultChanged,
    /// A value of an enum type or a `CHECK (col IN …)` list is no longer allowed.
    EnumValueRemoved,
    /// An enum type or `CHECK (col IN …)` list allows a new value.
    EnumValueAdded,
    /// A primary key, unique constraint, foreign key or value list the contract lacks.
    ConstraintAdded,
    /// A contracted primary key, unique constraint, foreign key or value list is gone.
    ConstraintRemoved,
    /// A reconciled record's field holds different values on the two sides (`old` is the
    /// first side's value, `new` the second's). Fails the gate only when the field's mismatch
    /// rate exceeds its limit.
    ReconcileMismatch,
    /// A reconciled key is on one side only. Fails the gate only when a missing rate exceeds
    /// its limit.
    ReconcileMissing,
    /// A reconciled key appears more than once on a side and is left out of the join (never a
    /// failure).
    ReconcileDuplicate,
    /// A reconciliation's rate exceeds a threshold of its file.
    ReconcileThreshold,
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
            FindingKind::DomainDrift => "domain-drift",
            FindingKind::HeaderChanged => "header-changed",
            FindingKind::PeerRequestInvalid => "peer-request-invalid",
            FindingKind::PeerRequestUnmatched => "peer-request-unmatched",
            FindingKind::PeerCallMissing => "peer-call-missing",
            FindingKind::LineageBroken => "lineage-broken",
            FindingKind::ExpectationFailed => "expectation-failed",
            FindingKind::LatencyExceeded => "latency-exceeded",
            FindingKind::NoContract => "no-contract",
            FindingKind::TableRemoved => "table-removed",
            FindingKind::ColumnRemoved => "column-removed",
            FindingKind::ColumnRenamed => "column-renamed",
            FindingKind::ColumnAdded => "column-added",
            FindingKind::ColumnTypeChanged => "column-type-changed",
            FindingKind::ColumnBecameNullable => "column-became-nullable",
            FindingKind::ColumnBecameNotNull => "column-became-not-null",
            FindingKind::DefaultChanged => "default-changed",
            FindingKind::EnumValueRemoved => "enum-value-removed",
            FindingKind::EnumValueAdded => "enum-value-added",
            FindingKind::ConstraintAdded => "constraint-added",
            FindingKind::ConstraintRemoved => "constraint-removed",
            FindingKind::ReconcileMismatch => "reconcile-mismatch",
            FindingKind::ReconcileMissing => "reconcile-missing",
            FindingKind::ReconcileDuplicate => "reconcile-duplicate",
            FindingKind::ReconcileThreshold => "reconcile-threshold",
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
    /// What the recordings show of the field's use (`contracts/lineage.yaml`), on a finding in
    /// the target's response when they show anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::contract::usage::Usage>,
    /// `[diff] unused` made this finding on a field with no recorded use information instead of
    /// a failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub softened: bool,
    /// One line a person can act on.
    pub message: String,
    /// The id of the cause this finding folds into (see [`super::cause`]); set when the run
    /// finishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl Finding {
    pub(crate) fn new(
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
            usage: None,
            softened: false,
            message: message.into(),
            cause: None,
        }
    }

    #[must_use]
    pub(crate) fn with_values(mut self, old: Option<Value>, new: Option<Value>) -> Self {
        self.old = old;
        self.new = new;
        self
    }

    #[must_use]
    pub(crate) fn for_contract(mut self, contract: Option<&crate::contract::Contract>) -> Self {
        if let Some(c) = contract {
            self.interface = Some(c.interface.clone());
            self.affected = c.affected();
        }
        self
    }

    pub fn is_failure(&self) -> bool {
        self.severity == Severity::Failure
    }
}
