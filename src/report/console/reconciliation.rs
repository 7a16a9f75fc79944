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

/// The first keys of `total`, and how many more there are.
fn keys(values: &[Value], total: u64) -> String {
    let shown: Vec<String> = values.iter().take(SHOWN_EXAMPLES).map(value).collect();
    let more = total.saturating_sub(shown.len() as u64);
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
                keys(&side.missing_examples, side.missing)
            )?;
        }
        if side.duplicate_keys > 0 {
            writeln!(
                out,
                "    duplicate in {}: {}",
                one_line(&side.name),
                keys(&side.duplicate_examples, side.duplicate_keys)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::model::{
        Example, Finding, FindingKind, Location, ReconciledField, ReconciledSide, Reconciliation,
        RunResult, ScenarioResult, Severity, ThresholdCheck,
    };

    fn side(name: &str, missing: u64, duplicates: u64) -> ReconciledSide {
        ReconciledSide {
            name: name.to_owned(),
            source: format!("GET http://127.0.0.1:9/{name}"),
            rows: 10_010,
            without_key: 0,
            duplicate_keys: duplicates,
            duplicate_rows: duplicates * 2,
            missing,
            missing_rate: missing as f64 / 9_980.0,
            missing_examples: (0..missing.min(7))
                .map(|i| json!(format!("K{i:05}\nx")))
                .collect(),
            duplicate_examples: (0..duplicates.min(2))
                .map(|i| json!(format!("D{i}")))
                .collect(),
        }
    }

    fn scenario(name: &str, error: Option<&str>) -> ScenarioResult {
        let examples = (0..7)
            .map(|i| Example {
                keys: [json!(format!("CRM-C{i:05}")), json!(format!("erp-c{i:05}"))],
                values: [json!(format!("{i}00.00")), json!(i * 100 + 50)],
                reason: "differ by 50.00".to_owned(),
            })
            .collect();
        ScenarioResult {
            findings: vec![Finding {
                severity: Severity::Failure,
                affected: vec!["crm".into(), "erp".into()],
                ..Finding::new(
                    FindingKind::ReconcileThreshold,
                    Location::Scenario,
                    "threshold:max_mismatch_rate",
                    "threshold `max_mismatch_rate` exceeded: 2.99% > 1.00%",
                )
            }],
            error: error.map(str::to_owned),
            reconciliation: Some(Box::new(Reconciliation {
                file: format!("reconcile/{name}.yaml"),
                description: None,
                sides: [side("crm", 50, 10), side("erp", 50, 0)],
                matched: 9_930,
                mismatched: 297,
                mismatch_rate: 297.0 / 9_930.0,
                missing_rate: 100.0 / 10_030.0,
                fields: vec![
                    ReconciledField {
                        name: "amount".into(),
                        compare: "decimal".into(),
                        pointers: ["/amount".into(), "/amount".into()],
                        mismatches: 297,
                        rate: 297.0 / 9_930.0,
                        max_mismatch_rate: Some(0.01),
                        passed: false,
                        examples,
                    },
                    ReconciledField {
                        name: "stage".into(),
                        compare: "map".into(),
                        pointers: ["/stage".into(), "/status".into()],
                        passed: true,
                        ..ReconciledField::default()
                    },
                ],
                thresholds: vec![ThresholdCheck {
                    name: "max_mismatch_rate".into(),
                    limit: 0.01,
                    actual: 297.0 / 9_930.0,
                    exceeded: true,
                }],
            })),
            ..ScenarioResult::new(format!("reconcile {name}"), "crm ↔ erp")
        }
    }

    #[test]
    fn reconciliation_console_snapshot() {
        let mut unreachable = scenario(
            "contacts",
            Some("http://127.0.0.1:9/erp: connection refused"),
        );
        unreachable.findings.clear();
        let run = RunResult {
            scenarios: vec![scenario("customers", None), unreachable],
            duration: Duration::ZERO,
            shard: None,
            run_id: None,
            notes: Vec::new(),
        };
        insta::assert_snapshot!(super::super::render(&run, false));
    }
}
