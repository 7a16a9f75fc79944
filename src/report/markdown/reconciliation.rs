//! The Markdown summary of each reconciliation (`interlock reconcile`): one row per
//! reconciliation with its matched, mismatching and missing keys, then a row per compared
//! field with its mismatches, rate and first mismatching key.

use std::fmt::Write as _;

use super::{code, text};
use crate::model::{Outcome, RunResult, percent};

pub(super) fn reconciliations(out: &mut String, result: &RunResult) {
    let reconciled: Vec<_> = result
        .scenarios
        .iter()
        .filter_map(|s| s.reconciliation.as_deref().map(|r| (s, r)))
        .collect();
    if reconciled.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "| Reconciliation | Outcome | Matched | Mismatched | Missing |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for (s, r) in &reconciled {
        let outcome = match s.outcome() {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            _ => "error",
        };
        let _ = writeln!(
            out,
            "| {} | {outcome} | {} | {} ({}) | {} in {}, {} in {} ({}) |",
            text(s.name.trim_start_matches("reconcile ")),
            r.matched,
            r.mismatched,
            percent(r.mismatch_rate),
            r.sides[0].missing,
            text(&r.sides[0].name),
            r.sides[1].missing,
            text(&r.sides[1].name),
            percent(r.missing_rate)
        );
    }
    out.push('\n');
    for (s, r) in &reconciled {
        if s.error.is_some() || r.fields.is_empty() {
            continue;
        }
        let _ = writeln!(out, "**{}**\n", text(&s.name));
        let _ = writeln!(
            out,
            "| Field | Compare | Mismatches | Rate | First mismatch |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---|");
        for f in &r.fields {
            let first = f
                .examples
                .first()
                .map(|e| {
                    format!(
                        "{} {}: {} ↔ {}",
                        text(&r.sides[0].name),
                        code(&e.keys[0].to_string()),
                        code(&e.values[0].to_string()),
                        code(&e.values[1].to_string())
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {first} |",
                if f.passed { "" } else { "❌ " },
                text(&f.name),
                f.compare,
                f.mismatches,
                percent(f.rate)
            );
        }
        out.push('\n');
    }
}
