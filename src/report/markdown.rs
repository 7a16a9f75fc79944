//! The Markdown summary: the run explained on the pull request itself.
//!
//! A heading with the gate's verdict and exit code, the counts, then a table of the first
//! [`TOP_FINDINGS`] failing findings in run order — scenario, exchange, kind, field path,
//! old → new, the consumers affected and how often it was seen — and a line saying how many
//! more there are. The same change at the same field in several exchanges of a scenario (or in
//! every item of a list: `/items/*/credit_limit`) is one row. Exchanges and scenarios that could
//! not be checked are listed after the table.
//!
//! Written to `--summary-md PATH` (atomically) and appended to the file named by
//! `$GITHUB_STEP_SUMMARY` when that variable is set, as `interlock diff --format markdown`
//! does: earlier steps' summaries are kept. The format is described in `docs/reports.md`.

mod reconciliation;

use std::fmt::Write as _;
use std::path::PathBuf;

use super::console::{cause_count, one_line, plural, seen, shorten, shown};
use super::{Event, Reporter};
use crate::error::Error;
use crate::fsutil::{append_text, write_atomic};
use crate::json::wildcard_indices;
use crate::model::cause::causes;
use crate::model::{Cause, Finding, Location, Rank, RunResult};

/// How many failing findings the table shows.
pub(crate) const TOP_FINDINGS: usize = 20;

/// Longest old or new value in a cell before it is shortened with `…`.
const VALUE_WIDTH: usize = 40;

/// Longest message shown in place of old → new, for findings without values.
const MESSAGE_WIDTH: usize = 100;

/// Writes the Markdown summary to a file and/or appends it to the job summary.
pub(crate) struct MarkdownReporter {
    path: Option<PathBuf>,
    step_summary: Option<PathBuf>,
}

impl MarkdownReporter {
    /// `path` is written; `step_summary` (the `$GITHUB_STEP_SUMMARY` file) is appended to.
    pub(crate) fn new(path: Option<PathBuf>, step_summary: Option<PathBuf>) -> Self {
        MarkdownReporter { path, step_summary }
    }

    /// The job summary file from `$GITHUB_STEP_SUMMARY`, when it is set and not empty.
    pub(crate) fn step_summary_from_env() -> Option<PathBuf> {
        std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    }
}

impl Reporter for MarkdownReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        let Event::RunFinished { result } = event else {
            return Ok(());
        };
        let text = render(result);
        if let Some(path) = &self.path {
            write_atomic(path, text.as_bytes())?;
        }
        if let Some(path) = &self.step_summary {
            append_text(path, &text)?;
        }
        Ok(())
    }
}

/// The Markdown summary of a finished run.
pub(crate) fn render(result: &RunResult) -> String {
    let mut out = String::new();
    let c = result.counts();
    let icon = match result.verdict() {
        "passed" => "✅",
        "failed" => "❌",
        _ => "⚠️",
    };
    let _ = writeln!(
        out,
        "### Interlock run: {icon} gate {} (exit {})\n",
        result.verdict(),
        result.exit_code()
    );
    let _ = writeln!(
        out,
        "{}, {}: **{} passed, {} failed, {}**; {} ({:.2} s)\n",
        plural(c.scenarios, "scenario", "scenarios"),
        plural(c.exchanges, "exchange", "exchanges"),
        c.passed,
        c.failed,
        plural(c.errors, "error", "errors"),
        plural(c.findings, "failing finding", "failing findings"),
        result.duration.as_secs_f64()
    );
    let causes = causes(result);
    reconciliation::reconciliations(&mut out, result);
    causes_table(&mut out, &causes, result);
    findings_table(&mut out, result, &causes);
    errors(&mut out, result);
    hints(&mut out, result);
    for note in &result.notes {
        let _ = writeln!(out, "\n**Note:** {}", text(note));
    }
    out
}

/// How many causes the causes table shows.
pub(crate) const TOP_CAUSES: usize = 20;

/// `**6 causes** (45 findings)` and one row per cause, most harmful first, so a cut never
/// hides a cause behind a less harmful one.
fn causes_table(out: &mut String, causes: &[Cause], result: &RunResult) {
    let failing: Vec<&Cause> = causes.iter().filter(|c| c.rank != Rank::Info).collect();
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(out, "**{}**\n", cause_count(failing.len(), result));
    let _ = writeln!(out, "| # | Cause | Seen | Consumers |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (n, cause) in failing.iter().take(TOP_CAUSES).enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            n + 1,
            rich(&shorten(&cause.line, 2 * MESSAGE_WIDTH)),
            seen(cause),
            text(&cause.consumers.join(", "))
        );
    }
    let more = failing.len().saturating_sub(TOP_CAUSES);
    if more > 0 {
        let _ = writeln!(
            out,
            "\n…and {more} less harmful causes: see the HTML or JSON report."
        );
    }
    out.push('\n');
}

/// Text whose backtick-quoted parts stay code: in `` `tax_id` renamed ``, `tax_id` is a code
/// span.
fn rich(value: &str) -> String {
    super::code_spans(value, code, text)
}

/// One table row: a failing finding, with the same change elsewhere in its scenario folded in
/// (the same kind at the same field, array positions ignored: `/items/*/credit_limit`).
struct Row<'a> {
    scenario: &'a str,
    /// The first exchange it was seen at; `None` for a scenario finding.
    exchange: Option<&'a str>,
    /// The first occurrence, whose values are shown.
    finding: &'a Finding,
    field: String,
    /// The first finding's message in its generic form (see [`generic_message`]).
    message: String,
    /// How many failing findings the row stands for.
    seen: usize,
    /// How many other exchanges they were seen at.
    other_exchanges: Vec<&'a str>,
}

impl Row<'_> {
    /// Whether `finding` (at the field pattern `field`, with the generic `message`) is one
    /// more of this row.
    fn folds(&self, scenario: &str, finding: &Finding, field: &str, message: &str) -> bool {
        let no_values = finding.old.is_none() && finding.new.is_none();
        self.scenario == scenario
            && self.finding.kind == finding.kind
            && self.finding.location == finding.location
            && self.field == field
            && (!no_values || self.message == message)
    }
}

/// A finding's message with its own path replaced by the path pattern, so "`/items/0` …" and
/// "`/items/1` …" read the same.
fn generic_message(finding: &Finding, field: &str) -> String {
    if finding.path.is_empty() {
        return finding.message.clone();
    }
    finding.message.replace(&finding.path, field)
}

/// The failing findings of the run as rows, in run order.
fn rows(result: &RunResult) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for scenario in &result.scenarios {
        let first_row = rows.len();
        let exchanges = scenario
            .exchanges
            .iter()
            .flat_map(|e| e.findings.iter().map(move |f| (Some(e.name.as_str()), f)));
        let findings = exchanges.chain(scenario.findings.iter().map(|f| (None, f)));
        for (exchange, finding) in findings.filter(|(_, f)| f.is_failure()) {
            let name = scenario.name.as_str();
            let field = wildcard_indices(&finding.path);
            let message = generic_message(finding, &field);
            match rows[first_row..]
                .iter_mut()
                .find(|r| r.folds(name, finding, &field, &message))
            {
                Some(row) => {
                    row.seen += 1;
                    if let Some(e) = exchange
                        && row.exchange != Some(e)
                        && !row.other_exchanges.contains(&e)
                    {
                        row.other_exchanges.push(e);
                    }
                }
                None => rows.push(Row {
                    scenario: name,
                    exchange,
                    finding,
                    field,
                    message,
                    seen: 1,
                    other_exchanges: Vec::new(),
                }),
            }
        }
    }
    rows
}

fn findings_table(out: &mut String, result: &RunResult, causes: &[Cause]) {
    let mut rows = rows(result);
    // Rows follow their causes' rank, so the cut keeps the most harmful.
    let position = |row: &Row<'_>| {
        row.finding
            .cause
            .as_ref()
            .and_then(|id| causes.iter().position(|c| &c.id == id))
            .unwrap_or(usize::MAX)
    };
    rows.sort_by_key(position);
    if rows.is_empty() {
        let _ = writeln!(out, "No finding fails the gate.");
        return;
    }
    let _ = writeln!(
        out,
        "| Scenario | Exchange | Kind | Field | Old → New | Consumers | Seen |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for row in rows.iter().take(TOP_FINDINGS) {
        let exchange = match (row.exchange, row.other_exchanges.len()) {
            (None, _) => "(scenario)".to_owned(),
            (Some(e), 0) => code(e),
            (Some(e), n) => format!("{} and {n} more", code(e)),
        };
        let _ = writeln!(
            out,
            "| {} | {exchange} | `{}` | {} | {} | {} | {} |",
            text(row.scenario),
            row.finding.kind.id(),
            field(row.finding, &row.field),
            change(row.finding),
            text(&consumers(row.finding)),
            row.seen
        );
    }
    let more = rows.len().saturating_sub(TOP_FINDINGS);
    if more > 0 {
        let total: usize = rows.iter().map(|r| r.seen).sum();
        let _ = writeln!(
            out,
            "\n…and {more} more (of {total} failing findings in all): see the HTML or JSON report."
        );
    }
}

/// Who is affected, and what the recordings show of the field's use.
fn consumers(finding: &Finding) -> String {
    let affected = finding.affected.join(", ");
    match super::usage_note(finding) {
        Some(usage) if affected.is_empty() => usage,
        Some(usage) => format!("{affected} — {usage}"),
        None => affected,
    }
}

/// `old → new` as code spans; the finding's message when it carries no values.
fn change(finding: &Finding) -> String {
    let side = |value: Option<&serde_json::Value>| match value {
        Some(_) => code(&shown(value, VALUE_WIDTH)),
        None => "(absent)".to_owned(),
    };
    if finding.old.is_none() && finding.new.is_none() {
        return rich(&shorten(&finding.message, MESSAGE_WIDTH));
    }
    format!(
        "{} → {}",
        side(finding.old.as_ref()),
        side(finding.new.as_ref())
    )
}

/// Where a finding points, as a code span: `/tax_id`, `erp request /customer/id`.
fn field(finding: &Finding, pattern: &str) -> String {
    let path = crate::json::display_pointer(pattern);
    match &finding.location {
        Location::Response => code(path),
        Location::PeerRequest { peer } => format!("{} request {}", text(peer), code(path)),
        Location::Scenario if pattern.is_empty() => "—".to_owned(),
        Location::Scenario => code(pattern),
    }
}

fn errors(out: &mut String, result: &RunResult) {
    let mut lines = Vec::new();
    for scenario in &result.scenarios {
        if let Some(error) = &scenario.error {
            lines.push(format!("- {}: {}", text(&scenario.name), text(error)));
        }
        for exchange in &scenario.exchanges {
            if let Some(error) = &exchange.error {
                lines.push(format!(
                    "- {} {}: {}",
                    text(&scenario.name),
                    code(&exchange.name),
                    text(error)
                ));
            }
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "\n**Could not check:**\n\n{}", lines.join("\n"));
    }
}

/// Hints on the environment that do not change the verdict (a mocked peer never called).
fn hints(out: &mut String, result: &RunResult) {
    let lines: Vec<String> = result
        .scenarios
        .iter()
        .flat_map(|s| {
            s.environment
                .hints
                .iter()
                .map(move |hint| format!("- {}: {}", text(&s.name), text(hint)))
        })
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "\n**Hints:**\n\n{}", lines.join("\n"));
    }
}

/// Plain text for a table cell: pipes and backticks escaped, HTML tags shown as text, one line.
fn text(value: &str) -> String {
    one_line(value)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "\\`")
        .replace('*', "\\*")
        .replace('_', "\\_")
        .replace('<', "&lt;")
}

/// A code span for a table cell. Backticks inside are fenced by a longer run of backticks
/// (CommonMark's rule); pipes are escaped, which GitHub tables require even in code.
fn code(value: &str) -> String {
    let value = one_line(value).replace('|', "\\|");
    let longest = longest_backtick_run(&value);
    if longest == 0 {
        return format!("`{value}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {value} {fence}")
}

fn longest_backtick_run(value: &str) -> usize {
    value.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Finding, FindingKind};
    use crate::report::console::sample;

    #[test]
    fn summary_snapshot() {
        insta::assert_snapshot!(render(&sample::run()));
    }

    #[test]
    fn only_the_top_findings_are_listed_with_how_many_more() {
        let mut run = sample::run();
        let finding = run.scenarios[0].exchanges[1].findings[0].clone();
        run.scenarios[0].exchanges[1].findings = (0..TOP_FINDINGS + 3)
            .map(|i| Finding {
                path: format!("/field_{i}"),
                ..finding.clone()
            })
            .collect();
        let text = render(&run);
        let rows = text
            .lines()
            .filter(|l| l.starts_with("| customer-sync"))
            .count();
        assert_eq!(rows, TOP_FINDINGS);
        // 23 on the exchange, the peer-call-missing one on the scenario.
        assert!(text.contains(
            "\n…and 4 more (of 24 failing findings in all): see the HTML or JSON report.\n"
        ));
    }

    #[test]
    fn the_same_change_in_several_exchanges_and_items_is_one_row() {
        let mut run = sample::run();
        let removed = |path: &str| {
            Finding::new(
                FindingKind::FieldRemoved,
                Location::Response,
                path,
                "removed",
            )
            .with_values(Some(json!("X")), None)
        };
        let sync = &mut run.scenarios[0];
        sync.exchanges[0].findings = vec![removed("/tax_id")];
        sync.exchanges[1].findings = vec![removed("/tax_id"), removed("/items/0/tax_id")];
        sync.exchanges[2].findings = vec![removed("/items/1/tax_id"), removed("/items/2/tax_id")];
        sync.findings.clear();
        let text = render(&run);
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("| customer-sync"))
            .collect();
        assert_eq!(
            rows,
            [
                "| customer-sync | `GET /customers/{id} #0` and 1 more | `field-removed` | \
                 `/tax_id` | `\"X\"` → (absent) |  | 2 |",
                "| customer-sync | `POST /customers #1` and 1 more | `field-removed` | \
                 `/items/*/tax_id` | `\"X\"` → (absent) |  | 3 |",
            ]
        );
    }

    #[test]
    fn pipes_backticks_and_markup_cannot_break_the_table() {
        let mut run = sample::run();
        run.scenarios[0].name = "a|b_c".into();
        let create = &mut run.scenarios[0].exchanges[1];
        create.name = "GET /x?a=`1`|2 #1".into();
        create.findings = vec![
            Finding {
                affected: vec!["crm|core".into(), "<script>".into()],
                ..Finding::new(FindingKind::ValueChanged, Location::Response, "/a|b", "m")
            }
            .with_values(Some(json!("x`y")), Some(json!("p|q"))),
        ];
        let text = render(&run);
        let row = text
            .lines()
            .find(|l| l.starts_with("| a\\|b\\_c |"))
            .expect("the row");
        assert_eq!(
            row,
            "| a\\|b\\_c | `` GET /x?a=`1`\\|2 #1 `` | `value-changed` | `/a\\|b` | \
             `` \"x`y\" `` → `\"p\\|q\"` | crm\\|core, &lt;script> | 1 |"
        );
        // Eight unescaped pipes: the row still has seven cells.
        let unescaped = row.replace("\\|", "").matches('|').count();
        assert_eq!(unescaped, 8);
    }

    #[test]
    fn a_passing_run_has_no_table() {
        let mut run = sample::run();
        run.scenarios.remove(0);
        let text = render(&run);
        assert!(text.starts_with("### Interlock run: ✅ gate passed (exit 0)\n"));
        assert!(text.contains("No finding fails the gate."));
        assert!(!text.contains("| Scenario"));
    }

    #[test]
    fn step_summary_is_appended_and_the_file_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let summary = dir.path().join("step_summary.md");
        std::fs::write(&summary, "## earlier step\n").expect("earlier content");
        let path = dir.path().join("out/summary.md");
        let run = sample::run();
        let mut reporter = MarkdownReporter::new(Some(path.clone()), Some(summary.clone()));
        reporter
            .report(&Event::RunFinished { result: &run })
            .expect("reported");
        assert_eq!(std::fs::read_to_string(&path).expect("file"), render(&run));
        assert_eq!(
            std::fs::read_to_string(&summary).expect("summary"),
            format!("## earlier step\n{}", render(&run))
        );
    }
}
