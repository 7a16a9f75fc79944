//! Reports of reconciliations: the console summary, the JSON report (versioned by its first
//! key, `"interlock_reconcile_report": 1`, schema in `docs/schema/reconcile-report.schema.json`),
//! JUnit XML (one testsuite per reconciliation, one testcase per field plus one for missing
//! keys), a Markdown summary and a self-contained HTML page. Files are written atomically.
//! Every value shown was redacted when it was collected.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::engine::Outcome;
use crate::error::Error;
use crate::exit_code;
use crate::fsutil::{append_text, write_atomic};

/// The version of the JSON document.
pub const FORMAT_VERSION: u32 = 1;

/// Where the reports go (the same flags as `interlock run`).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub report_json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub summary_md: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`, appended to.
    pub step_summary: Option<PathBuf>,
}

/// The exit code of a set of outcomes: 3 when a source could not be read, 1 when a threshold
/// was exceeded, else 0.
pub fn exit_code(outcomes: &[Outcome]) -> u8 {
    if outcomes.iter().any(|o| o.verdict == "error") {
        exit_code::ENVIRONMENT
    } else if outcomes.iter().any(|o| o.verdict == "failed") {
        exit_code::FINDINGS
    } else {
        exit_code::OK
    }
}

fn verdict(outcomes: &[Outcome]) -> &'static str {
    match exit_code(outcomes) {
        0 => "passed",
        1 => "failed",
        _ => "error",
    }
}

/// Writes every requested file report.
pub fn write(targets: &Targets, outcomes: &[Outcome], duration_ms: f64) -> Result<(), Error> {
    if let Some(path) = &targets.report_json {
        write_atomic(path, json(outcomes, duration_ms).as_bytes())?;
    }
    if let Some(path) = &targets.junit {
        write_atomic(path, junit(outcomes).as_bytes())?;
    }
    if let Some(path) = &targets.html {
        write_atomic(path, html(outcomes).as_bytes())?;
    }
    if targets.summary_md.is_some() || targets.step_summary.is_some() {
        let text = markdown(outcomes);
        if let Some(path) = &targets.summary_md {
            write_atomic(path, text.as_bytes())?;
        }
        if let Some(path) = &targets.step_summary {
            append_text(path, &text)?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Document<'a> {
    interlock_reconcile_report: u32,
    verdict: &'static str,
    exit_code: u8,
    duration_ms: f64,
    reconciliations: &'a [Outcome],
}

/// The JSON report, pretty-printed with a trailing newline.
pub fn json(outcomes: &[Outcome], duration_ms: f64) -> String {
    let document = Document {
        interlock_reconcile_report: FORMAT_VERSION,
        verdict: verdict(outcomes),
        exit_code: exit_code(outcomes),
        duration_ms,
        reconciliations: outcomes,
    };
    // Only string keys and finite numbers: serialization cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_else(|err| {
        format!("{{\"interlock_reconcile_report\": {FORMAT_VERSION}, \"error\": \"{err}\"}}")
    });
    text.push('\n');
    text
}

/// `3.00%`.
pub fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

fn compact(value: &serde_json::Value) -> String {
    value.to_string()
}

/// The console report: per reconciliation the counts, each field's mismatches and the first
/// mismatching keys, then the verdict.
pub fn console(outcomes: &[Outcome], verbose: bool) -> String {
    let mut out = String::new();
    for o in outcomes {
        let [a, b] = &o.sides;
        let _ = writeln!(out, "reconcile {} ({} ↔ {})", o.name, a.name, b.name);
        if let Some(error) = &o.error {
            let _ = writeln!(out, "  ERROR {error}");
            continue;
        }
        for side in [a, b] {
            let _ = writeln!(
                out,
                "  {:<8} {:>9} rows  {} duplicate keys ({} rows), {} without key   {}",
                side.name,
                side.rows,
                side.duplicate_keys,
                side.duplicate_rows,
                side.without_key,
                side.source
            );
        }
        let _ = writeln!(
            out,
            "  matched  {:>9}       missing in {}: {}, missing in {}: {} ({})",
            o.matched,
            a.name,
            a.missing,
            b.name,
            b.missing,
            percent(o.missing_rate)
        );
        for side in [a, b] {
            if side.missing > 0 {
                let keys: Vec<String> = side.missing_examples.iter().map(compact).collect();
                let _ = writeln!(out, "    missing in {}: {}", side.name, keys.join(", "));
            }
        }
        let _ = writeln!(
            out,
            "  mismatched {:>7} rows ({})",
            o.mismatched,
            percent(o.mismatch_rate)
        );
        for f in &o.fields {
            let mark = if f.passed { " " } else { "✗" };
            let limit = f
                .max_mismatch_rate
                .map(|l| format!(", limit {}", percent(l)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {mark} {:<20} {:<16} {:>7} mismatches ({}{limit})",
                f.name,
                f.compare,
                f.mismatches,
                percent(f.rate)
            );
            let shown = if verbose {
                f.examples.len()
            } else {
                f.examples.len().min(5)
            };
            for e in &f.examples[..shown] {
                let _ = writeln!(
                    out,
                    "      {} {} = {}  ↔  {} {} = {}  ({})",
                    a.name,
                    compact(&e.keys[0]),
                    compact(&e.values[0]),
                    b.name,
                    compact(&e.keys[1]),
                    compact(&e.values[1]),
                    e.reason
                );
            }
        }
        for t in o.thresholds.iter().filter(|t| t.exceeded) {
            let _ = writeln!(
                out,
                "  threshold {} exceeded: {} > {}",
                t.name,
                percent(t.actual),
                percent(t.limit)
            );
        }
        let _ = writeln!(out, "  {}", o.verdict.to_uppercase());
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let _ = writeln!(
        out,
        "{}: {} reconciliations, {passed} passed",
        verdict(outcomes).to_uppercase(),
        outcomes.len()
    );
    out
}

/// JUnit XML: a testsuite per reconciliation, a testcase per field (failed when its rate
/// exceeds its limit, or the overall limit when it has none) and one for missing keys; a
/// source that could not be read is an `<error>` on every testcase.
pub fn junit(outcomes: &[Outcome]) -> String {
    use crate::report::junit_xml::{Case, Detail, Outcome as Result, Suite, Suites};
    let detail = |kind: &str, message: String, text: Option<String>| Detail {
        kind: kind.to_string(),
        message,
        text,
    };
    let mut suites = Suites::default();
    for o in outcomes {
        let suite_name = format!("reconcile {}", o.name);
        let mut suite = Suite {
            name: suite_name.clone(),
            ..Suite::default()
        };
        for f in &o.fields {
            let text = field_text(o, f);
            let results = match (&o.error, f.passed) {
                (Some(error), _) => vec![Result::Error(detail("source", error.clone(), None))],
                (None, true) => Vec::new(),
                (None, false) => vec![Result::Failure(detail(
                    "mismatch-rate",
                    format!(
                        "{} of {} matched rows differ ({})",
                        f.mismatches,
                        o.matched,
                        percent(f.rate)
                    ),
                    None,
                ))],
            };
            suite.cases.push(Case {
                name: format!("field {}", f.name),
                classname: Some(suite_name.clone()),
                results,
                system_out: o.error.is_none().then_some(text),
                ..Case::default()
            });
        }
        let missing = o.thresholds.iter().find(|t| t.name == "max_missing_rate");
        let text = format!(
            "missing in {}: {}, missing in {}: {}, rate {}",
            o.sides[0].name,
            o.sides[0].missing,
            o.sides[1].name,
            o.sides[1].missing,
            percent(o.missing_rate)
        );
        let (results, system_out) = match (&o.error, missing) {
            (Some(error), _) => (
                vec![Result::Error(detail("source", error.clone(), None))],
                None,
            ),
            (None, Some(t)) if t.exceeded => (
                vec![Result::Failure(detail(
                    "missing-rate",
                    format!("{text} > limit {}", percent(t.limit)),
                    None,
                ))],
                None,
            ),
            (None, _) => (Vec::new(), Some(text)),
        };
        suite.cases.push(Case {
            name: "missing keys".to_string(),
            classname: Some(suite_name.clone()),
            results,
            system_out,
            ..Case::default()
        });
        suites.suites.push(suite);
    }
    suites.to_xml()
}

fn field_text(o: &Outcome, f: &super::engine::FieldOutcome) -> String {
    let mut text = format!(
        "{} ({}): {} mismatches of {} matched rows ({})\n",
        f.name,
        f.compare,
        f.mismatches,
        o.matched,
        percent(f.rate)
    );
    for e in &f.examples {
        let _ = writeln!(
            text,
            "{} {} = {} <-> {} {} = {} ({})",
            o.sides[0].name,
            compact(&e.keys[0]),
            compact(&e.values[0]),
            o.sides[1].name,
            compact(&e.keys[1]),
            compact(&e.values[1]),
            e.reason
        );
    }
    text
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown summary: a table of reconciliations, then each one's fields.
pub fn markdown(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let icon = match verdict(outcomes) {
        "passed" => "✅",
        "failed" => "❌",
        _ => "⚠️",
    };
    let _ = writeln!(
        out,
        "## {icon} Interlock reconcile: {}\n",
        verdict(outcomes)
    );
    let _ = writeln!(
        out,
        "| reconciliation | verdict | matched | mismatched | missing |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for o in outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} ({}) | {} ({}) |",
            md_cell(&o.name),
            o.verdict,
            o.matched,
            o.mismatched,
            percent(o.mismatch_rate),
            o.sides[0].missing + o.sides[1].missing,
            percent(o.missing_rate)
        );
    }
    for o in outcomes {
        let _ = writeln!(out, "\n### {}\n", md_cell(&o.name));
        if let Some(error) = &o.error {
            let _ = writeln!(out, "Could not read a source: {}", md_cell(error));
            continue;
        }
        let _ = writeln!(
            out,
            "| field | compare | mismatches | rate | first mismatch |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---|");
        for f in &o.fields {
            let first = f
                .examples
                .first()
                .map(|e| {
                    format!(
                        "`{}`: `{}` ↔ `{}`",
                        md_cell(&compact(&e.keys[0])),
                        md_cell(&compact(&e.values[0])),
                        md_cell(&compact(&e.values[1]))
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {} |",
                if f.passed { "" } else { "❌ " },
                md_cell(&f.name),
                f.compare,
                f.mismatches,
                percent(f.rate),
                first
            );
        }
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained HTML page with the same content as the Markdown summary, every mismatch
/// example listed.
pub fn html(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Interlock reconcile</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.failed{color:#b00}\
         .passed{color:#070}.error{color:#a60}code{font-size:90%}</style></head><body>\n",
    );
    let v = verdict(outcomes);
    let _ = writeln!(out, "<h1 class=\"{v}\">Interlock reconcile: {v}</h1>");
    for o in outcomes {
        let _ = writeln!(
            out,
            "<h2 class=\"{}\">{} — {}</h2>",
            o.verdict,
            esc(&o.name),
            o.verdict
        );
        if let Some(error) = &o.error {
            let _ = writeln!(out, "<p class=\"error\">{}</p>", esc(error));
            continue;
        }
        let _ = writeln!(
            out,
            "<table><tr><th>side</th><th>source</th><th>rows</th><th>duplicate keys</th><th>missing</th></tr>"
        );
        for s in &o.sides {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.name),
                esc(&s.source),
                s.rows,
                s.duplicate_keys,
                s.missing
            );
        }
        let _ = writeln!(
            out,
            "</table><p>matched {}, mismatched {} ({}), missing {}</p>",
            o.matched,
            o.mismatched,
            percent(o.mismatch_rate),
            percent(o.missing_rate)
        );
        for f in &o.fields {
            let class = if f.passed { "passed" } else { "failed" };
            let _ = writeln!(
                out,
                "<h3 class=\"{class}\">{} ({}): {} mismatches, {}</h3>",
                esc(&f.name),
                f.compare,
                f.mismatches,
                percent(f.rate)
            );
            if f.examples.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "<table><tr><th>{a} key</th><th>{a}</th><th>{b} key</th><th>{b}</th><th>why</th></tr>",
                a = esc(&o.sides[0].name),
                b = esc(&o.sides[1].name)
            );
            for e in &f.examples {
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&compact(&e.keys[0])),
                    esc(&compact(&e.values[0])),
                    esc(&compact(&e.keys[1])),
                    esc(&compact(&e.values[1])),
                    esc(&e.reason)
                );
            }
            out.push_str("</table>\n");
        }
    }
    out.push_str("</body></html>\n");
    out
}
