//! Findings: what `interlock diff` reports, one [`Change`] per change, and the [`DiffReport`]
//! every output format renders.

use serde::Serialize;
use serde_json::Value;

use super::rules::{Kind, Severity};

/// One change between the two versions, with its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Rule id, e.g. `response-required-property-removed`.
    pub kind: String,
    pub severity: Severity,
    /// `severity == breaking` (after waivers, a waived change is still shown as breaking).
    pub breaking: bool,
    /// Interface id (contracts), `operationId` or `METHOD /path` (OpenAPI), file (schemas).
    pub interface: String,
    /// `GET /customers/{id}`; empty for bare schema files.
    pub operation: String,
    pub location: Location,
    pub old: Value,
    pub new: Value,
    /// The consumers of the interface (from contract metadata), who feel the change.
    pub consumers: Vec<String>,
    pub message: String,
    /// What the recordings show of the field's use (`contracts/lineage.yaml`), when they show
    /// anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::contract::usage::Usage>,
    /// The severity before `[diff] unused` softened a change to a field with no recorded use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub softened_from: Option<Severity>,
    /// Set when a waiver matches the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverNote>,
    #[serde(skip)]
    pub rule: Option<Kind>,
}

/// Where a change sits.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Location {
    /// `request`, `response` or `operation`; `webhook request` / `webhook response` for an
    /// OpenAPI 3.1 webhook.
    pub message: String,
    /// Response status key (`200`, `2XX`, `DEFAULT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `body`, `query`, `header`, `path` or `cookie`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Parameter or header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Field path inside the body or parameter value (`customer.tax_id`, `lines[].amount`).
    pub field: String,
    /// The file the change sits in.
    pub file: String,
    /// JSON pointer of the changed schema inside `file`.
    pub path: String,
}

impl Location {
    /// `response 200 body customer.tax_id`, the compact form used in text and waivers.
    pub(crate) fn summary(&self) -> String {
        let mut parts = vec![self.message.clone()];
        parts.extend(self.status.clone());
        match (&self.part, &self.name) {
            (Some(part), Some(name)) => parts.push(format!("{part} {name}")),
            (Some(part), None) => parts.push(part.clone()),
            _ => {}
        }
        if !self.field.is_empty() {
            parts.push(self.field.clone());
        }
        parts.join(" ")
    }
}

/// A waiver that matched a change.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WaiverNote {
    pub reason: String,
    pub owner: String,
    pub expires: String,
    /// An expired waiver no longer keeps the change from failing the gate.
    pub expired: bool,
}

/// Everything one diff found.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// What was compared, e.g. `contracts@HEAD~1 → contracts`.
    pub compared: String,
    pub changes: Vec<Change>,
    pub summary: Summary,
    /// The `--fail-on` level.
    pub fail_on: Severity,
    /// Whether the gate fails (exit 1).
    pub failed: bool,
    /// Harmless input quirks that were tolerated.
    pub warnings: Vec<String>,
}

/// Counts by severity.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub breaking: usize,
    #[serde(rename = "potentially-breaking")]
    pub potentially_breaking: usize,
    pub safe: usize,
    pub waived: usize,
}

impl Change {
    /// Whether this change fails a gate at `fail_on` (waived changes do not, unless the waiver
    /// expired).
    pub(crate) fn fails(&self, fail_on: Severity) -> bool {
        self.severity >= fail_on && self.waiver.as_ref().is_none_or(|w| w.expired)
    }

    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }
}

impl DiffReport {
    pub fn new(
        compared: String,
        mut changes: Vec<Change>,
        fail_on: Severity,
        warnings: Vec<String>,
    ) -> Self {
        changes.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.interface.cmp(&b.interface))
                .then_with(|| a.operation.cmp(&b.operation))
                .then_with(|| a.location.summary().cmp(&b.location.summary()))
                .then_with(|| a.kind.cmp(&b.kind))
        });
        let mut summary = Summary::default();
        for c in &changes {
            if c.is_waived() {
                summary.waived += 1;
            }
            match c.severity {
                Severity::Breaking => summary.breaking += 1,
                Severity::PotentiallyBreaking => summary.potentially_breaking += 1,
                Severity::Safe => summary.safe += 1,
            }
        }
        let failed = changes.iter().any(|c| c.fails(fail_on));
        DiffReport {
            compared,
            changes,
            summary,
            fail_on,
            failed,
            warnings,
        }
    }

    /// Exit code of the gate: 1 when any change is at or above `--fail-on`, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.failed {
            crate::exit_code::FINDINGS
        } else {
            crate::exit_code::OK
        }
    }

    /// "2 breaking, 1 potentially breaking, 3 safe (1 waived)".
    pub(crate) fn headline(&self) -> String {
        let s = &self.summary;
        let mut text = format!(
            "{} breaking, {} potentially breaking, {} safe",
            s.breaking, s.potentially_breaking, s.safe
        );
        if s.waived > 0 {
            text.push_str(&format!(" ({} waived)", s.waived));
        }
        text
    }
}
