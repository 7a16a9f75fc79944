//! A reconciliation's scenario in the console (`interlock reconcile`): the rows on each side
//! with their source, matched and missing keys, then one line per compared field with its
//! mismatches and rate and, under it, the first mismatching keys with both sides' values, then
//! each exceeded threshold.
//!
//! ```text
//! FAIL  reconcile receivables → crm ↔ erp
//!   crm              5 rows  0 duplicate keys (0 rows), 0 without key   reconcile/recordings/crm-invoices.jsonl
//!   erp              5 rows  0 duplicate keys (0 rows), 0 without key   reconcile/recordings/erp-receivables.jsonl
//!   matched          5       missing in crm: 0, missing in erp: 0 (0.00%)
//!   mismatched       1 rows (20.00%)
//!   FAIL  amount               money                  1 mismatches (20.00%)
//!           crm "INV-2026-000351" = {"amount":"1200.00","currency":"CNY"}  ↔  erp "erp-inv-2026-000351" = {"amount":1250.0,"currency":"CNY"}  (differ by 50.00)
//!   ok    status               map                    0 mismatches (0.00%)
//!   ok    paid_at              instant                0 mismatches (0.00%)
//!   FAIL  threshold max_mismatch_rate exceeded: 20.00% > 0.00%
//! ```

use std::fmt::{self, Write as _};

use serde_json::Value;

use super::{BOLD, GREEN, Painter, RED, one_line, shorten};
use crate::model::{Outcome, Reconciliation, ScenarioResult, percent};

/// Mismatching keys shown under a field (the reports keep `--examples` of them).
const SHOWN_EXAMPLES: usize = 5;
/// Longest rendering of a key or value before it is shortened with `…`.
const VALUE_WIDTH: usize = 64;

fn value(v: &Value) -> String {
    one_line(&shorten(&v.to_string(), VALUE_WIDTH))
}

fn keys(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().take(SHOWN_EXAMPLES).map(value).collect();
    let more = values.len().saturating_sub(SHOWN_EXAMPLES);
    if more > 0 {
        format!("{}, … {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

pub(super) fn write_reconciliation(
    out: &mut String,
    scenario: &ScenarioResult,
    r: &Reconciliation,
    p: Painter,
) -> fmt::Result {
    let label = match scenario.outcome() {
        Outcome::Passed => p.paint(GREEN, "PASS "),
        Outcome::Failed => p.paint(RED, "FAIL "),
        _ => p.paint(RED, "ERROR"),
    };
    writeln!(
        out,
        "{label} {} → {}",
        p.paint(BOLD, &one_line(&scenario.name)),
        one_line(&scenario.target)
    )?;
    super::write_scenario_error(out, scenario, p)?;
    if scenario.error.is_some() {
        return writeln!(out);
    }
    let [a, b] = &r.sides;
    for side in [a, b] {
        writeln!(
            out,
            "  {:<8} {:>9} rows  {} duplicate keys ({} rows), {} without key   {}",
            one_line(&side.name),
            side.rows,
            side.duplicate_keys,
            side.duplicate_rows,
            side.without_key,
            one_line(&side.source)
        )?;
    }
    writeln!(
        out,
        "  matched  {:>9}       missing in {}: {}, missing in {}: {} ({})",
        r.matched,
        one_line(&a.name),
        a.missing,
        one_line(&b.name),
        b.missing,
        percent(r.missing_rate)
    )?;
    for side in [a, b] {
        if side.missing > 0 {
            writeln!(
                out,
                "    missing in {}: {}",
                one_line(&side.name),
                keys(&side.missing_examples)
            )?;
        }
        if side.duplicate_keys > 0 {
            writeln!(
                out,
                "    duplicate in {}: {}",
                one_line(&side.name),
                keys(&side.duplicate_examples)
            )?;
        }
    }
    writeln!(
        out,
        "  mismatched {:>7} rows ({})",
        r.mismatched,
        percent(r.mismatch_rate)
    )?;
    for f in &r.fields {
        let mark = if f.passed {
            p.paint(GREEN, "ok   ")
        } else {
            p.paint(RED, "FAIL ")
        };
        let limit = f
            .max_mismatch_rate
            .map(|l| format!(", limit {}", percent(l)))
            .unwrap_or_default();
        writeln!(
            out,
            "  {mark} {:<20} {:<16} {:>7} mismatches ({}{limit})",
            one_line(&f.name),
            f.compare,
            f.mismatches,
            percent(f.rate)
        )?;
        for e in f.examples.iter().take(SHOWN_EXAMPLES) {
            writeln!(
                out,
                "          {} {} = {}  ↔  {} {} = {}  ({})",
                one_line(&a.name),
                value(&e.keys[0]),
                value(&e.values[0]),
                one_line(&b.name),
                value(&e.keys[1]),
                value(&e.values[1]),
                one_line(&e.reason)
            )?;
        }
        let more = f.mismatches.saturating_sub(SHOWN_EXAMPLES as u64);
        if more > 0 {
            writeln!(out, "          … {more} more")?;
        }
    }
    for t in r.thresholds.iter().filter(|t| t.exceeded) {
        writeln!(
            out,
            "  {} threshold {} exceeded: {} > {}",
            p.paint(RED, "FAIL "),
            t.name,
            percent(t.actual),
            percent(t.limit)
        )?;
    }
    writeln!(out)
}
