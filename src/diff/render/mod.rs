//! Output formats of `interlock diff`: each renders a [`DiffReport`] to bytes, independently.

pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod text;

use serde_json::Value;

use super::change::{Change, DiffReport};
use crate::error::Error;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people at a terminal.
    Text,
    /// An object with a `changes` array.
    Json,
    /// For pull-request comments and `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// JUnit XML: one test case per change.
    Junit,
}

/// Renders the report in `format`.
pub fn render(report: &DiffReport, format: Format) -> Result<String, Error> {
    match format {
        Format::Text => Ok(text::render(report)),
        Format::Json => json::render(report),
        Format::Markdown => Ok(markdown::render(report)),
        Format::Junit => junit::render(report),
    }
}

/// `"tax_id"` → `tax_id`; `null` → `—`; others as JSON.
pub(crate) fn short(value: &Value) -> String {
    match value {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `interface (GET /path)` or just the interface.
pub(crate) fn operation_label(change: &Change) -> String {
    if change.operation.is_empty() || change.operation == change.interface {
        change.interface.clone()
    } else {
        format!("{} ({})", change.interface, change.operation)
    }
}

/// `file#/pointer`.
pub(crate) fn source(change: &Change) -> String {
    if change.location.path.is_empty() {
        change.location.file.clone()
    } else {
        format!("{}#{}", change.location.file, change.location.path)
    }
}

/// What the recordings show of the changed field's use, and a softened verdict:
/// `no recorded use: never passed on in 2 recorded erp.customer-sync calls (breaking, softened
/// by [diff] unused)`; `None` without usage evidence.
pub(crate) fn usage_line(change: &Change) -> Option<String> {
    let usage = change.usage.as_ref()?;
    Some(match change.softened_from {
        Some(from) => format!("{} ({from}, softened by [diff] unused)", usage.summary),
        None => usage.summary.clone(),
    })
}
