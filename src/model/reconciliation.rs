//! The numbers of one reconciliation (`interlock reconcile`), carried by its scenario result
//! (`scenarios[].reconciliation` in the JSON report): the rows on each side, matched, missing
//! and duplicate keys, the mismatches per field with their rates and first examples, and every
//! threshold with the actual rate. The verdict itself is told by findings like any scenario's:
//! an exceeded threshold is a failing `reconcile-threshold` finding.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One reconciliation's counts and rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// The reconciliation file.
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The two sides, in the order the file lists them.
    pub sides: [ReconciledSide; 2],
    /// Keys present exactly once on each side: the denominator of every mismatch rate.
    pub matched: u64,
    /// Matched keys with at least one field that differs.
    pub mismatched: u64,
    pub mismatch_rate: f64,
    /// Keys on one side only, over every key found exactly once on a side.
    pub missing_rate: f64,
    pub fields: Vec<ReconciledField>,
    /// Every limit the file sets, with the actual rate.
    pub thresholds: Vec<ThresholdCheck>,
}

/// One side's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconciledSide {
    pub name: String,
    /// Where the rows came from: the method, target URL and path, the recording or the
    /// database (credentials masked).
    pub source: String,
    pub rows: u64,
    /// Rows whose key is missing, null or not a scalar (left out of the join).
    pub without_key: u64,
    /// Keys found more than once on this side, and their rows; excluded from the join.
    pub duplicate_keys: u64,
    pub duplicate_rows: u64,
    /// Keys of the other side that this side lacks.
    pub missing: u64,
    /// `missing` over the other side's keys that could be matched (matched + missing here).
    pub missing_rate: f64,
    /// The first few missing keys, as the other side writes them.
    pub missing_examples: Vec<Value>,
    /// The first few duplicated keys, as this side writes them.
    pub duplicate_examples: Vec<Value>,
}

/// One compared field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconciledField {
    pub name: String,
    /// The comparison: `exact`, `decimal`, `money`, `instant`, `case-insensitive`, `set`, `map`.
    pub compare: String,
    /// The field's pointer on each side.
    pub pointers: [String; 2],
    pub mismatches: u64,
    /// `mismatches` over the matched keys.
    pub rate: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_mismatch_rate: Option<f64>,
    /// Within its own limit, or the overall one when it has none.
    pub passed: bool,
    /// The first mismatching keys, in key order, with both values (redacted).
    pub examples: Vec<Example>,
}

/// One mismatching key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The key as each side writes it.
    pub keys: [Value; 2],
    /// Each side's value (a `money` value with its currency).
    pub values: [Value; 2],
    /// Why they differ.
    pub reason: String,
}

/// One threshold and whether the reconciliation stayed within it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    /// `max_mismatch_rate`, `max_missing_rate`, `max_missing_in_SIDE` or
    /// `fields.NAME.max_mismatch_rate`.
    pub name: String,
    pub limit: f64,
    pub actual: f64,
    pub exceeded: bool,
}

/// `3.00%`.
pub fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}
