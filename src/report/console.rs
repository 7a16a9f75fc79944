//! The console report: what a person reads in a terminal or a CI log.
//!
//! One block per scenario: a header with the target and the counts, one line per exchange
//! (failing exchanges with their recorded and live status, then one line per finding),
//! scenario-level findings, and the latency per interface. The run ends with one summary line
//! that a CI log can be searched for:
//!
//! ```text
//! interlock: failed — 2 scenarios, 9 exchanges: 7 passed, 2 failed, 0 errors; 6 findings (1.23 s)
//! ```
//!
//! Scenarios may run in parallel and finish in any order, so the blocks are written when the run
//! finishes, in the order of the run's result: the output of a run is the same whatever
//! `--jobs` is. While the run goes, a progress bar on standard error (only when it is a
//! terminal) counts exchanges and prints one line per finished scenario above itself.
//!
//! Colour is plain ANSI, as `--color` and the environment decide ([`ColorChoice`]): by default
//! only when standard output is a terminal and `NO_COLOR` is unset or empty. Without colour,
//! every distinction (failure, error, info) is still spelled out in words.
//!
//! Verbosity ([`Verbosity`]): `-q` drops the progress bar and every passing scenario, finding
//! line and latency table, and keeps, for each scenario that did not pass, its header line and
//! the outcome line of each exchange that did not pass (plus the scenario's own `ERROR` /
//! `FAIL` line), then the summary line. `-v` adds one line per exchange on standard error as
//! it finishes: outcome, scenario, exchange, status and duration.

mod environment;
mod reconciliation;

use std::fmt::{self, Write as _};
use std::io::{IsTerminal, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::{Event, Reporter};
use crate::error::Error;
use crate::model::cause::causes;
use crate::model::{
    Cause, ExchangeResult, Finding, FindingKind, Latency, Location, Outcome, Rank, RunResult,
    ScenarioResult,
};
use crate::terminal::{ColorChoice, Verbosity};

/// Longest rendering of an old or new value before it is shortened with `…`.
const VALUE_WIDTH: usize = 48;

/// How the console report looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConsoleStyle {
    /// ANSI colour on standard output.
    pub color: bool,
    /// A progress bar on standard error.
    pub progress: bool,
    /// How much to say: `-q` keeps the causes and the summary line, `-v` adds a line
    /// per exchange as it finishes.
    pub verbosity: Verbosity,
}

impl ConsoleStyle {
    /// Colour as `color` and the environment decide for standard output; a progress bar when
    /// standard error is a terminal and the output is not quiet.
    pub(crate) fn new(color: ColorChoice, verbosity: Verbosity) -> Self {
        ConsoleStyle {
            color: color.for_stdout(),
            progress: !verbosity.is_quiet() && std::io::stderr().is_terminal(),
            verbosity,
        }
    }

    #[cfg(test)]
    /// No colour, no progress bar: the form a CI log or a test sees.
    pub(crate) fn plain() -> Self {
        ConsoleStyle {
            color: false,
            progress: false,
            verbosity: Verbosity::Normal,
        }
    }
}

/// Writes the console report when the run finishes, with a progress bar meanwhile.
pub(crate) struct ConsoleReporter {
    out: Box<dyn Write + Send>,
    /// Where `-v` writes its line per exchange (standard error).
    detail: Box<dyn Write + Send>,
    style: ConsoleStyle,
    progress: Option<ProgressBar>,
    /// The passing exchanges the final report lists.
    listing: super::listing::Listing,
}

impl ConsoleReporter {
    pub(crate) fn new(out: Box<dyn Write + Send>, style: ConsoleStyle) -> Self {
        ConsoleReporter {
            out,
            detail: Box::new(std::io::stderr()),
            style,
            progress: None,
            listing: Default::default(),
        }
    }

    /// `-v`'s line for one finished exchange, above the progress bar when there is one.
    fn exchange_detail(&mut self, scenario: &str, exchange: &ExchangeResult) {
        let line = exchange_detail_line(scenario, exchange);
        match &self.progress {
            Some(bar) => bar.println(line),
            None => {
                let _ = writeln!(self.detail, "{line}");
            }
        }
    }
}

impl Reporter for ConsoleReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        match *event {
            Event::RunStarted { exchanges, .. } => {
                if self.style.progress {
                    self.progress = Some(progress_bar(exchanges));
                }
                Ok(())
            }
            Event::ScenarioStarted { scenario, .. } => {
                if let Some(bar) = &self.progress {
                    bar.set_message(one_line(&scenario.name));
                }
                Ok(())
            }
            Event::ExchangeFinished {
                scenario, result, ..
            } => {
                if self.style.verbosity.is_verbose() {
                    self.exchange_detail(&scenario.name, result);
                }
                self.listing.add(&scenario.name, result);
                if let Some(bar) = &self.progress {
                    bar.inc(1);
                }
                Ok(())
            }
            Event::ScenarioFinished { result } => {
                if let Some(bar) = &self.progress {
                    bar.println(scenario_header(result, Painter(self.style.color)));
                }
                Ok(())
            }
            Event::RunFinished { result } => {
                if let Some(bar) = self.progress.take() {
                    bar.finish_and_clear();
                }
                let text = if self.style.verbosity.is_quiet() {
                    render_quiet(result, self.style.color)
                } else {
                    render(&self.listing.relisted(result), self.style.color)
                };
                self.out
                    .write_all(text.as_bytes())
                    .and_then(|()| self.out.flush())
                    .map_err(|err| Error::io("write to", Path::new("standard output"), &err))
            }
        }
    }
}

/// The whole console report of a finished run at once: the causes, every scenario block, then
/// the summary line.
pub(crate) fn render(result: &RunResult, color: bool) -> String {
    let painter = Painter(color);
    let causes = causes(result);
    let mut text = causes_block(&causes, result, painter);
    text.extend(result.scenarios.iter().map(|s| scenario_block(s, painter)));
    text.push_str(&summary_line(result, &causes, painter));
    text.push('\n');
    text
}

/// How many causes the console lists before saying how many more there are.
const LISTED_CAUSES: usize = 8;

/// `6 causes (45 findings)`, then one line per cause, most harmful first; nothing when no
/// cause fails the gate.
fn causes_block(causes: &[Cause], result: &RunResult, p: Painter) -> String {
    let failing: Vec<&Cause> = causes.iter().filter(|c| c.rank != Rank::Info).collect();
    if failing.is_empty() {
        return String::new();
    }
    let mut text = format!("{}\n", p.paint(BOLD, &cause_count(failing.len(), result)));
    for (n, cause) in failing.iter().take(LISTED_CAUSES).enumerate() {
        let _ = writeln!(text, "  {}. {}", n + 1, cause_line(cause, p));
        if let Some(hint) = &cause.hint {
            let _ = writeln!(text, "     {} {}", p.paint(YELLOW, "hint:"), one_line(hint));
        }
    }
    if failing.len() > LISTED_CAUSES {
        let more = failing.len() - LISTED_CAUSES;
        let _ = writeln!(
            text,
            "  … and {} (see below)",
            plural(more, "more cause", "more causes")
        );
    }
    text.push('\n');
    text
}

/// The `-q` console report: the causes and the summary line, without the per-scenario
/// detail.
pub(crate) fn render_quiet(result: &RunResult, color: bool) -> String {
    let painter = Painter(color);
    let causes = causes(result);
    let mut text = causes_block(&causes, result, painter);
    text.push_str(&summary_line(result, &causes, painter));
    text.push('\n');
    text
}

/// `6 causes (45 findings)`, with the errors when there are any.
pub(crate) fn cause_count(causes: usize, result: &RunResult) -> String {
    let c = result.counts();
    let mut text = format!(
        "{} ({}",
        plural(causes, "cause", "causes"),
        plural(c.findings, "finding", "findings")
    );
    if c.errors > 0 {
        let _ = write!(text, ", {}", plural(c.errors, "error", "errors"));
    }
    text.push(')');
    text
}

/// One cause on one line: label, what broke, how often and where, who is affected.
fn cause_line(cause: &Cause, p: Painter) -> String {
    let label = if cause.severity == "error" {
        p.paint(RED, "ERROR")
    } else {
        p.paint(RED, "FAIL ")
    };
    let mut line = format!(
        "{label} {}  ({})",
        one_line(&shorten(&cause.line, CAUSE_WIDTH)),
        seen(cause)
    );
    if !cause.consumers.is_empty() {
        let _ = write!(line, "  affects: {}", cause.consumers.join(", "));
    }
    line
}

/// Longest cause text before it is shortened with `…`.
const CAUSE_WIDTH: usize = 160;

/// `3 findings in 1 exchange`, `12 exchanges`.
pub(crate) fn seen(cause: &Cause) -> String {
    let exchanges = plural(cause.exchange_count, "exchange", "exchanges");
    if cause.severity == "error" {
        return exchanges;
    }
    let findings = plural(cause.occurrences, "finding", "findings");
    if cause.exchange_count == 0 {
        findings
    } else {
        format!("{findings} in {exchanges}")
    }
}

/// `ok    customer-sync  POST /customers #1  201  12.3 ms`: one finished exchange, for `-v`.
fn exchange_detail_line(scenario: &str, exchange: &ExchangeResult) -> String {
    let p = Painter(false);
    format!(
        "{} {}  {}  {}  {:.1} ms",
        p.label(exchange.outcome()),
        one_line(scenario),
        one_line(&exchange.name),
        exchange_status(exchange),
        exchange.duration.as_secs_f64() * 1000.0
    )
}

fn progress_bar(exchanges: usize) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{spinner} [{bar:30}] {pos}/{len} exchanges  {elapsed}  {wide_msg}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::with_draw_target(Some(exchanges as u64), ProgressDrawTarget::stderr())
        .with_style(style)
}

/// ANSI colour, or nothing.
#[derive(Debug, Clone, Copy)]
struct Painter(bool);

const RED: &str = "1;31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const DIM: &str = "2";
const BOLD: &str = "1";

impl Painter {
    fn paint(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A five-wide outcome label, so the names after it line up.
    fn label(self, outcome: Outcome) -> String {
        match outcome {
            Outcome::Passed => self.paint(GREEN, "ok   "),
            Outcome::Failed => self.paint(RED, "FAIL "),
            Outcome::Error => self.paint(RED, "ERROR"),
            Outcome::Skipped => self.paint(DIM, "skip "),
        }
    }
}

/// Exchange and finding counts of one scenario.
#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    errors: usize,
    skipped: usize,
    findings: usize,
}

fn tally(scenario: &ScenarioResult) -> Tally {
    let counts = scenario.outcomes();
    Tally {
        passed: counts.passed,
        failed: counts.failed,
        errors: counts.errors,
        skipped: counts.skipped,
        findings: scenario.all_findings().filter(|f| f.is_failure()).count(),
    }
}

fn scenario_block(scenario: &ScenarioResult, p: Painter) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = write_scenario(&mut text, scenario, p);
    text
}

/// `FAIL  customer-sync → https://crm… — 4 exchanges: 2 passed, 1 failed, 1 error; 6 findings`
fn scenario_header(scenario: &ScenarioResult, p: Painter) -> String {
    let t = tally(scenario);
    let label = match scenario.outcome() {
        Outcome::Passed => p.paint(GREEN, "PASS "),
        Outcome::Failed => p.paint(RED, "FAIL "),
        Outcome::Error => p.paint(RED, "ERROR"),
        Outcome::Skipped => p.paint(DIM, "SKIP "),
    };
    format!(
        "{label} {} → {} — {}: {} passed, {} failed, {}{}; {}",
        p.paint(BOLD, &one_line(&scenario.name)),
        one_line(&scenario.target),
        plural(scenario.exchange_count(), "exchange", "exchanges"),
        t.passed,
        t.failed,
        plural(t.errors, "error", "errors"),
        skipped(t.skipped),
        plural(t.findings, "finding", "findings"),
    )
}

fn write_scenario(out: &mut String, scenario: &ScenarioResult, p: Painter) -> fmt::Result {
    if let Some(r) = &scenario.reconciliation {
        return reconciliation::write_reconciliation(out, scenario, r, p);
    }
    writeln!(out, "{}", scenario_header(scenario, p))?;
    for exchange in &scenario.exchanges {
        write_exchange(out, exchange, p)?;
    }
    let left_out = scenario.unlisted.passed + scenario.unlisted.skipped;
    if left_out > 0 {
        writeln!(
            out,
            "  {}",
            p.paint(
                DIM,
                &format!(
                    "… {} without a finding not listed",
                    plural(left_out, "more exchange", "more exchanges")
                )
            )
        )?;
    }
    write_scenario_error(out, scenario, p)?;
    write_bindings(out, scenario, p)?;
    if let Some(outcome) = scenario_findings_outcome(scenario) {
        writeln!(out, "  {} scenario", p.label(outcome))?;
        for finding in &scenario.findings {
            writeln!(out, "        {}", finding_line(finding, p))?;
        }
    }
    write_latency(out, &scenario.latency, p)?;
    writeln!(out)
}

fn write_scenario_error(out: &mut String, scenario: &ScenarioResult, p: Painter) -> fmt::Result {
    if let Some(error) = &scenario.error {
        writeln!(
            out,
            "  {} scenario  {}",
            p.label(Outcome::Error),
            one_line(error)
        )?;
    }
    environment::write_environment(out, &scenario.environment, scenario.outcome(), p)
}

/// `  bound  C-10023 → C-20555, from exchange #1 /id`: each generated value the target
/// produced anew (request chaining), and each capture.
fn write_bindings(out: &mut String, scenario: &ScenarioResult, p: Painter) -> fmt::Result {
    for binding in &scenario.bindings {
        if binding.changed() || binding.capture.is_some() {
            writeln!(
                out,
                "  {}  {}",
                p.paint(DIM, "bound"),
                one_line(&binding.to_string())
            )?;
        }
    }
    Ok(())
}

/// How the scenario-level findings went, when there are any.
fn scenario_findings_outcome(scenario: &ScenarioResult) -> Option<Outcome> {
    if scenario.findings.is_empty() {
        None
    } else if scenario.findings.iter().any(Finding::is_failure) {
        Some(Outcome::Failed)
    } else {
        Some(Outcome::Passed)
    }
}

/// `201`, or `recorded 201 → live 500` / `recorded 201 → no response` when it did not pass.
fn exchange_status(exchange: &ExchangeResult) -> String {
    match (exchange.outcome(), exchange.live_status) {
        (Outcome::Skipped, _) => "skipped by the scenario".to_owned(),
        (Outcome::Passed, live) => live.unwrap_or(exchange.recorded_status).to_string(),
        (_, Some(live)) => format!("recorded {} → live {live}", exchange.recorded_status),
        (_, None) => format!("recorded {} → no response", exchange.recorded_status),
    }
}

fn write_exchange_line(out: &mut String, exchange: &ExchangeResult, p: Painter) -> fmt::Result {
    writeln!(
        out,
        "  {} {}  {}",
        p.label(exchange.outcome()),
        one_line(&exchange.name),
        exchange_status(exchange)
    )
}

fn write_exchange(out: &mut String, exchange: &ExchangeResult, p: Painter) -> fmt::Result {
    write_exchange_line(out, exchange, p)?;
    if let Some(error) = &exchange.error {
        writeln!(out, "        {} {}", p.paint(RED, "ERROR"), one_line(error))?;
    }
    for finding in &exchange.findings {
        writeln!(out, "        {}", finding_line(finding, p))?;
    }
    Ok(())
}

/// `kind where  old → new  message  affects: …` on one line; info findings marked `info` and
/// dimmed.
fn finding_line(finding: &Finding, p: Painter) -> String {
    let mut parts = Vec::with_capacity(4);
    let kind = if finding.is_failure() {
        p.paint(YELLOW, finding.kind.id())
    } else {
        format!("info {}", finding.kind.id())
    };
    let place = place(finding);
    parts.push(if place.is_empty() {
        kind
    } else {
        format!("{kind} {place}")
    });
    if let Some(values) = values(finding, VALUE_WIDTH) {
        parts.push(values);
    }
    parts.push(one_line(&finding.message));
    if !finding.affected.is_empty() {
        parts.push(format!("affects: {}", finding.affected.join(", ")));
    }
    if let Some(usage) = super::usage_note(finding) {
        parts.push(usage);
    }
    let line = parts.join("  ");
    if finding.is_failure() {
        line
    } else {
        p.paint(DIM, &line)
    }
}

/// Where a finding points: the path, prefixed by the peer for a request the target sent.
fn place(finding: &Finding) -> String {
    let path = one_line(&finding.path);
    match &finding.location {
        Location::Response => pointer(path),
        Location::PeerRequest { peer } => format!("{} request {}", one_line(peer), pointer(path)),
        Location::Scenario => path,
    }
}

/// The whole-body pointer `""` is shown as `/`.
fn pointer(path: String) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        path
    }
}

/// `old → new`; for a schema violation without a recorded value, only the live one
/// (`live "800000.00"`): the recording may simply not have been compared.
pub(super) fn values(finding: &Finding, width: usize) -> Option<String> {
    match (&finding.old, &finding.new) {
        (None, None) => None,
        (None, Some(new)) if finding.kind == FindingKind::SchemaViolation => {
            Some(format!("live {}", shorten(&new.to_string(), width)))
        }
        (old, new) => Some(format!(
            "{} → {}",
            shown(old.as_ref(), width),
            shown(new.as_ref(), width)
        )),
    }
}

/// A value as compact JSON, shortened to `width` characters; `(absent)` when there is none.
pub(super) fn shown(value: Option<&Value>, width: usize) -> String {
    match value {
        None => "(absent)".to_owned(),
        Some(v) => shorten(&v.to_string(), width),
    }
}

/// At most `width` characters, the last one `…` when cut.
pub(super) fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Control characters (newlines, escape sequences) from recorded data never reach the log.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn write_latency(out: &mut String, latency: &[Latency], p: Painter) -> fmt::Result {
    if latency.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = latency.iter().map(|l| one_line(&l.name)).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .chain(std::iter::once("latency".len()))
        .max()
        .unwrap_or(0);
    let header = format!(
        "{:<width$}  {:>5}  {:>8}  {:>8}  {:>8}",
        "latency", "calls", "p50 ms", "p95 ms", "max ms"
    );
    writeln!(out, "  {}", p.paint(DIM, &header))?;
    for (l, name) in latency.iter().zip(&names) {
        writeln!(
            out,
            "  {name:<width$}  {:>5}  {:>8.1}  {:>8.1}  {:>8.1}",
            l.count, l.p50_ms, l.p95_ms, l.max_ms
        )?;
    }
    Ok(())
}

fn summary_line(result: &RunResult, causes: &[Cause], p: Painter) -> String {
    let c = result.counts();
    let verdict = match result.verdict() {
        "passed" => p.paint(GREEN, "passed"),
        other => p.paint(RED, other),
    };
    let failing = causes.iter().filter(|c| c.rank != Rank::Info).count();
    format!(
        "interlock: {verdict} — {}, {}: {} passed, {} failed, {}{}; {} ({}) ({:.2} s)",
        plural(c.scenarios, "scenario", "scenarios"),
        plural(c.exchanges, "exchange", "exchanges"),
        c.passed,
        c.failed,
        plural(c.errors, "error", "errors"),
        skipped(c.skipped),
        plural(failing, "cause", "causes"),
        plural(c.findings, "finding", "findings"),
        result.duration.as_secs_f64(),
    )
}

/// `, 2 skipped` when some exchanges were skipped.
pub(crate) fn skipped(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(", {n} skipped")
    }
}

/// `1 scenario`, `3 scenarios`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A hand-built run shared by the reporters' tests: every kind of line a report must render.
#[cfg(test)]
pub(crate) mod sample {
    use std::time::Duration;

    use serde_json::json;

    use crate::model::{
        ExchangeResult, Finding, FindingKind, Latency, Location, RunResult, ScenarioResult,
    };

    fn exchange(index: usize, name: &str, status: u16, ms: u64) -> ExchangeResult {
        let (method, path) = name.split_once(' ').unwrap_or(("GET", name));
        let path = path.split(" #").next().unwrap_or(path);
        let path = path.replace("{id}", "C-1001");
        ExchangeResult {
            index,
            name: name.to_owned(),
            method: method.to_owned(),
            url: format!("https://crm.staging.example.com{path}"),
            interface: None,
            recorded_status: status,
            live_status: Some(status),
            duration: Duration::from_millis(ms),
            recorded_duration_ms: Some(ms as f64),
            findings: Vec::new(),
            error: None,
            recorded_body: None,
            live_body: None,
            skipped: false,
        }
    }

    fn crm(finding: Finding) -> Finding {
        let mut f = finding;
        f.interface = Some("crm.customers.create".to_owned());
        f.affected = vec!["crm".into(), "erp".into(), "finance".into()];
        f
    }

    /// Two scenarios: `customer-sync` with a passing exchange, a failing one (field removed,
    /// field added, type changed, format drift, invalid peer request), an info-only one, a
    /// transport error and a scenario-level finding; `order-to-invoice` all passing.
    pub(crate) fn run() -> RunResult {
        let mut get = exchange(0, "GET /customers/{id} #0", 200, 12);
        get.interface = Some("crm.customers.get".to_owned());

        let mut create = exchange(1, "POST /customers #1", 201, 48);
        create.interface = Some("crm.customers.create".to_owned());
        create.findings = vec![
            crm(Finding::new(
                FindingKind::FieldRemoved,
                Location::Response,
                "/tax_id",
                "`tax_id` is in the recording but missing from the live response",
            )
            .with_values(Some(json!("91310115MA1K4XQ30Y")), None)),
            crm(Finding::new(
                FindingKind::FieldAdded,
                Location::Response,
                "/taxNumber",
                "`taxNumber` is in the live response but not in the recording",
            )
            .with_values(None, Some(json!("91310115MA1K4XQ30Y")))),
            crm(Finding::new(
                FindingKind::TypeChanged,
                Location::Response,
                "/credit_limit",
                "type changed from integer to string",
            )
            .with_values(Some(json!(500000)), Some(json!("500000")))),
            crm(Finding::new(
                FindingKind::FormatDrift,
                Location::Response,
                "/created_at",
                "date-time offset changed from +08:00 to +09:00",
            )
            .with_values(
                Some(json!("2024-03-01T09:30:00+08:00")),
                Some(json!("2024-03-01T10:30:00+09:00")),
            )),
            Finding {
                interface: Some("erp.customers.upsert".to_owned()),
                affected: vec!["erp".into(), "crm".into()],
                ..Finding::new(
                    FindingKind::PeerRequestInvalid,
                    Location::PeerRequest { peer: "erp".into() },
                    "",
                    "missing required property `tax_id`",
                )
            },
        ];

        let mut health = exchange(2, "GET /health #2", 200, 3);
        health.findings = vec![Finding::new(
            FindingKind::NoContract,
            Location::Response,
            "",
            "no contract covers GET /health",
        )];

        let mut order = exchange(3, "POST /orders #3", 201, 5000);
        order.interface = Some("crm.orders.create".to_owned());
        order.live_status = None;
        order.error = Some("no response within 5 s (connection timed out)".to_owned());

        let customer_sync = ScenarioResult {
            exchanges: vec![get, create, health, order],
            findings: vec![Finding {
                affected: vec!["erp".into(), "crm".into()],
                ..Finding::new(
                    FindingKind::PeerCallMissing,
                    Location::Scenario,
                    "",
                    "erp GET /api/credit/{customer_id} was recorded but the target never called it",
                )
            }],
            latency: vec![
                Latency::of("crm.customers.get", vec![12.0]),
                Latency::of("crm.customers.create", vec![48.0]),
                Latency::of("GET /health", vec![3.0]),
                Latency::of("erp POST /api/customers", vec![4.2, 5.1, 7.9]),
            ],
            duration: Duration::from_millis(5063),
            ..ScenarioResult::new("customer-sync", "https://crm.staging.example.com")
        };

        let mut invoice = exchange(0, "POST /orders/{id}/invoice #0", 201, 31);
        invoice.interface = Some("crm.invoices.create".to_owned());
        let mut read = exchange(1, "GET /invoices/{id} #1", 200, 9);
        read.interface = Some("crm.invoices.get".to_owned());
        let order_to_invoice = ScenarioResult {
            exchanges: vec![invoice, read],
            latency: vec![
                Latency::of("crm.invoices.create", vec![31.0]),
                Latency::of("crm.invoices.get", vec![9.0]),
            ],
            duration: Duration::from_millis(40),
            ..ScenarioResult::new("order-to-invoice", "recorded")
        };

        RunResult {
            scenarios: vec![customer_sync, order_to_invoice],
            duration: Duration::from_millis(5234),
            shard: None,
            run_id: None,
            notes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::model::FindingKind;

    /// A writer the test can read back after the reporter is done with it.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("lock").clone()).expect("utf-8")
        }
    }

    /// Feeds a finished run to a reporter the way the runner does.
    fn replay_events(reporter: &mut dyn Reporter, run: &RunResult) -> Result<(), Error> {
        let exchanges = run.scenarios.iter().map(|s| s.exchanges.len()).sum();
        reporter.report(&Event::RunStarted {
            scenarios: run.scenarios.len(),
            exchanges,
        })?;
        let recorded = crate::recording::Exchange::default();
        let ignore = crate::scenario::IgnoreRules::default();
        for scenario in &run.scenarios {
            let loaded = crate::scenario::Scenario {
                name: scenario.name.clone(),
                ..Default::default()
            };
            reporter.report(&Event::ScenarioStarted {
                scenario: &loaded,
                target: &scenario.target,
            })?;
            for exchange in &scenario.exchanges {
                reporter.report(&Event::ExchangeFinished {
                    scenario: &loaded,
                    exchange: &recorded,
                    result: exchange,
                    contract: None,
                    ignore: &ignore,
                    snapshot: None,
                })?;
            }
            reporter.report(&Event::ScenarioFinished { result: scenario })?;
        }
        reporter.report(&Event::RunFinished { result: run })
    }

    fn console_output(run: &RunResult) -> String {
        let captured = Captured::default();
        let mut reporter = ConsoleReporter::new(Box::new(captured.clone()), ConsoleStyle::plain());
        replay_events(&mut reporter, run).expect("console report");
        captured.text()
    }

    #[test]
    fn console_report_snapshot() {
        let output = console_output(&sample::run());
        insta::with_settings!({filters => vec![(r"\(\d+\.\d+ s\)", "([duration] s)")]}, {
            insta::assert_snapshot!(output);
        });
    }

    #[test]
    fn events_and_render_agree() {
        let run = sample::run();
        assert_eq!(console_output(&run), render(&run, false));
    }

    #[test]
    fn summary_line_counts_and_verdict() {
        let run = sample::run();
        let output = render(&run, false);
        let last = output.lines().last().expect("a summary line");
        assert_eq!(
            last,
            "interlock: error — 2 scenarios, 6 exchanges: 4 passed, 1 failed, 1 error; 5 causes (6 findings) (5.23 s)"
        );
    }

    #[test]
    fn plain_output_has_no_escape_codes_and_colour_does() {
        let run = sample::run();
        assert!(!render(&run, false).contains('\x1b'));
        let coloured = render(&run, true);
        assert!(coloured.contains("\x1b[1;31mFAIL \x1b[0m"));
        assert!(coloured.contains("\x1b[2minfo no-contract"));
    }

    #[test]
    fn info_findings_are_marked_and_do_not_fail() {
        let run = sample::run();
        let output = render(&run, false);
        assert!(
            output.contains("  ok    GET /health #2  200\n        info no-contract /  no contract")
        );
        assert_eq!(run.counts().findings, 6);
    }

    #[test]
    fn long_values_are_shortened_and_control_characters_dropped() {
        let long = "x".repeat(200);
        let finding = Finding::new(
            FindingKind::ValueChanged,
            Location::Response,
            "/note",
            "value\nchanged\x1b[31m",
        )
        .with_values(Some(json!(long)), Some(json!("short")));
        let line = finding_line(&finding, Painter(false));
        assert!(line.contains(&format!("\"{}… → \"short\"", "x".repeat(VALUE_WIDTH - 2))));
        assert!(!line.contains('\n') && !line.contains('\x1b'));
    }

    #[test]
    fn scenario_that_could_not_start_is_an_error() {
        let run = RunResult {
            scenarios: vec![ScenarioResult {
                error: Some("cannot bind peer erp to 127.0.0.1:9001: address in use".into()),
                ..ScenarioResult::new("billing", "recorded")
            }],
            duration: Duration::from_millis(10),
            shard: None,
            run_id: None,
            notes: Vec::new(),
        };
        let output = render(&run, false);
        assert!(output.starts_with("1 cause (0 findings, 1 error)\n  1. ERROR scenario `billing` could not run: cannot bind peer erp"));
        assert!(output.contains("\n\nERROR billing → recorded — 0 exchanges"));
        assert!(output.contains("  ERROR scenario  cannot bind peer erp"));
        assert!(output.ends_with("interlock: error — 1 scenario, 0 exchanges: 0 passed, 0 failed, 1 error; 1 cause (0 findings) (0.01 s)\n"));
    }

    #[test]
    fn scenarios_finishing_out_of_order_print_in_result_order() {
        let run = sample::run();
        let captured = Captured::default();
        let mut reporter = ConsoleReporter::new(Box::new(captured.clone()), ConsoleStyle::plain());
        for scenario in run.scenarios.iter().rev() {
            reporter
                .report(&Event::ScenarioFinished { result: scenario })
                .expect("scenario finished");
        }
        assert_eq!(
            captured.text(),
            "",
            "nothing is written before the run finishes"
        );
        reporter
            .report(&Event::RunFinished { result: &run })
            .expect("console report");
        assert_eq!(captured.text(), render(&run, false));
    }

    #[test]
    fn progress_bar_leaves_standard_output_alone() {
        let run = sample::run();
        let captured = Captured::default();
        let style = ConsoleStyle {
            color: false,
            progress: true,
            verbosity: Verbosity::Normal,
        };
        let mut reporter = ConsoleReporter::new(Box::new(captured.clone()), style);
        replay_events(&mut reporter, &run).expect("console report");
        assert_eq!(captured.text(), render(&run, false));
    }

    #[test]
    fn quiet_keeps_the_causes_and_the_summary() {
        let run = sample::run();
        let quiet = render_quiet(&run, false);
        let full = render(&run, false);
        let lines: Vec<&str> = quiet.lines().collect();
        assert_eq!(lines[0], "5 causes (6 findings, 1 error)");
        assert_eq!(
            lines[1],
            "  1. FAIL  `erp` rejects the target's requests to `erp.customers.upsert`: missing required property `tax_id`  (1 finding in 1 exchange)  affects: erp, crm"
        );
        let causes = 1 + 5 + 1;
        assert_eq!(lines[..causes], full.lines().collect::<Vec<_>>()[..causes]);
        assert_eq!(lines.len(), causes + 1, "{quiet}");
        assert_eq!(lines[causes], full.lines().last().expect("summary"));
        assert!(!quiet.contains("customer-sync →"), "{quiet}");
    }

    #[test]
    fn verbose_writes_a_line_per_exchange_on_the_detail_stream() {
        let run = sample::run();
        let (out, detail) = (Captured::default(), Captured::default());
        let style = ConsoleStyle {
            verbosity: Verbosity::Verbose,
            ..ConsoleStyle::plain()
        };
        let mut reporter = ConsoleReporter::new(Box::new(out.clone()), style);
        reporter.detail = Box::new(detail.clone());
        replay_events(&mut reporter, &run).expect("console report");
        assert_eq!(out.text(), render(&run, false));
        let detail = detail.text();
        let lines: Vec<&str> = detail.lines().collect();
        assert_eq!(lines.len(), 6, "{detail}");
        assert_eq!(
            lines[0],
            "ok    customer-sync  GET /customers/{id} #0  200  12.0 ms"
        );
        assert_eq!(
            lines[3],
            "ERROR customer-sync  POST /orders #3  recorded 201 → no response  5000.0 ms"
        );
    }

    #[test]
    fn write_failure_is_an_environment_error() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let run = sample::run();
        let mut reporter = ConsoleReporter::new(Box::new(Broken), ConsoleStyle::plain());
        let err = reporter
            .report(&Event::RunFinished { result: &run })
            .expect_err("a broken pipe");
        assert!(
            matches!(err, Error::Environment(ref m) if m.starts_with("cannot write to standard output"))
        );
    }
}
