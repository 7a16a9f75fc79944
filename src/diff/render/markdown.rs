//! `--format markdown`: a pull-request comment (also appended to `$GITHUB_STEP_SUMMARY`).
//!
//! A heading with the verdict, then one table row per change, most severe first.

use std::fmt::Write;

use super::super::change::{Change, DiffReport};
use super::super::rules::Severity;
use super::{operation_label, short, usage_line};

pub(crate) fn render(report: &DiffReport) -> String {
    let mut out = String::new();
    let verdict = if report.failed {
        "❌ contract changes fail the gate"
    } else {
        "✅ no contract change fails the gate"
    };
    let _ = writeln!(out, "### Interlock diff: {verdict}\n");
    let _ = writeln!(
        out,
        "{} — fail on `{}`; compared {}\n",
        report.headline(),
        report.fail_on,
        escape(&report.compared)
    );
    if report.changes.is_empty() {
        let _ = writeln!(out, "No changes.");
    } else {
        let _ = writeln!(
            out,
            "| Severity | Rule | Interface | Where | Change | Old → New | Consumers |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for change in &report.changes {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} → {} | {} |",
                severity_cell(change),
                change.kind,
                escape(&operation_label(change)),
                escape(&change.location.summary()),
                escape(&change.message),
                escape(&short(&change.old)),
                escape(&short(&change.new)),
                escape(&consumers_cell(change))
            );
        }
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "\n> warning: {}", escape(warning));
    }
    out
}

/// The consumers, and what the recordings show of the field's use.
fn consumers_cell(change: &Change) -> String {
    let consumers = change.consumers.join(", ");
    match usage_line(change) {
        Some(usage) if consumers.is_empty() => usage,
        Some(usage) => format!("{consumers} — {usage}"),
        None => consumers,
    }
}

fn severity_cell(change: &Change) -> String {
    let base = match change.severity {
        Severity::Breaking => "🔴 breaking",
        Severity::PotentiallyBreaking => "🟠 potentially breaking",
        Severity::Safe => "🟢 safe",
    };
    match &change.waiver {
        Some(w) if w.expired => format!("{base} (waiver expired {})", w.expires),
        Some(w) => format!(
            "{base} (waived until {} by {})",
            w.expires,
            escape(&w.owner)
        ),
        None => base.to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
