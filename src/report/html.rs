//! The HTML report: one self-contained page a QA person opens in any browser.
//!
//! Inline CSS and a little inline JavaScript only — no fonts, images, scripts or styles by URL,
//! and a Content-Security-Policy that forbids loading anything, so the file works offline and
//! from a CI artifact. From top to bottom: the gate verdict with its exit code and the counts,
//! the causes, ranked, each opening to its exchanges (`html/causes.rs`), every failing finding
//! in one table, then each scenario with its exchanges (failing ones
//! open) and its latency per interface. An exchange with findings shows its findings and the
//! recorded and live response bodies side by side, with the lines of each finding's field
//! marked: removed in red on the recorded side, added in green on the live side, changed in
//! amber on both, schema violations in purple on the live side.
//!
//! Every piece of recorded or live text is HTML-escaped. Elements carry `data-*` attributes
//! (`data-counts`, `data-outcome`, `data-path`, `data-kind`) so tools and tests can read the
//! page without depending on its look. The format is described in `docs/reports.md`.

mod causes;
mod lines;
mod reconciliation;

use std::fmt::Write as _;
use std::path::PathBuf;

use self::lines::Line;
use super::console::{plural, shown, skipped};
use super::listing::{LISTED_PER_SCENARIO, Listing};
use super::{Event, Reporter};
use crate::error::Error;
use crate::fsutil::AtomicFile;
use crate::model::{
    ExchangeResult, Finding, FindingKind, Latency, Location, Outcome, RunResult, ScenarioResult,
};

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Longest old or new value in a findings table before it is shortened with `…`.
const VALUE_WIDTH: usize = 80;

/// Writes the HTML report to a file when the run finishes. Of the exchanges that passed
/// without a finding, it lists the first [`LISTED_PER_SCENARIO`] of each scenario and says how
/// many it left out.
pub(crate) struct HtmlReporter {
    path: PathBuf,
    listing: Listing,
}

impl HtmlReporter {
    pub(crate) fn new(path: PathBuf) -> Self {
        HtmlReporter {
            path,
            listing: Listing::default(),
        }
    }
}

impl Reporter for HtmlReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        match event {
            Event::ExchangeFinished {
                scenario, result, ..
            } => {
                self.listing.add(&scenario.name, result);
                Ok(())
            }
            Event::RunFinished { result } => {
                let listed = self.listing.relisted(result);
                let mut file = AtomicFile::create(&self.path)?;
                write_html(&listed, &mut file).map_err(|err| file.write_error(&err))?;
                file.commit()
            }
            _ => Ok(()),
        }
    }
}

/// The HTML report of a finished run: one complete document.
#[cfg(test)]
pub(crate) fn render(result: &RunResult) -> String {
    let mut out = Vec::new();
    write_html(result, &mut out).expect("in memory");
    String::from_utf8(out).expect("UTF-8")
}

/// How much of the page is built before it is handed on to the output: the page of a large run
/// goes out a section or an exchange at a time, never held whole.
const SPILL: usize = 64 * 1024;

/// Hands `page` on to `out` once it holds [`SPILL`] bytes or more.
fn spill(page: &mut String, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if page.len() >= SPILL {
        out.write_all(page.as_bytes())?;
        page.clear();
    }
    Ok(())
}

/// Writes the HTML report of a finished run to `out`, built a piece at a time.
pub(crate) fn write_html(result: &RunResult, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut page = String::with_capacity(SPILL + 16 * 1024);
    head(&mut page, result);
    spill(&mut page, out)?;
    page.push_str("<main id=\"scenarios\">\n");
    for (si, scenario) in result.scenarios.iter().enumerate() {
        scenario_start(&mut page, si, scenario);
        for (ei, exchange) in scenario.exchanges.iter().enumerate() {
            exchange_block(
                &mut page,
                si,
                ei,
                exchange,
                scenario.reconciliation.is_some(),
            );
            spill(&mut page, out)?;
        }
        scenario_end(&mut page, scenario);
        spill(&mut page, out)?;
    }
    page.push_str("</main>\n");
    let _ = writeln!(page, "<script>\n{SCRIPT}</script>\n</body>\n</html>");
    out.write_all(page.as_bytes())
}

/// The page up to the scenarios: the head, the verdict and counts, the causes and the findings.
fn head(out: &mut String, result: &RunResult) {
    let verdict = result.verdict();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>Interlock report: {verdict}</title>");
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>");
    let _ = writeln!(out, "<body data-verdict=\"{verdict}\">");
    header(out, result);
    toolbar(out);
    causes::causes_section(out, result, &crate::model::cause::causes(result));
    findings_overview(out, result);
}

fn header(out: &mut String, result: &RunResult) {
    let verdict = result.verdict();
    let code = result.exit_code();
    let counts = result.counts();
    let counts_json = serde_json::to_string(&counts).unwrap_or_default();
    let _ = writeln!(
        out,
        "<header class=\"verdict {verdict}\" id=\"verdict\" data-verdict=\"{verdict}\" \
         data-exit-code=\"{code}\">\n<h1>Interlock: gate {verdict} <span class=\"exit\">exit \
         {code}</span></h1>\n<p class=\"meaning\">{}</p>",
        verdict_meaning(verdict)
    );
    let _ = writeln!(
        out,
        "<div id=\"counts\" class=\"counts\" data-counts=\"{}\">",
        esc(&counts_json)
    );
    for (key, n) in [
        ("scenarios", counts.scenarios),
        ("exchanges", counts.exchanges),
        ("passed", counts.passed),
        ("failed", counts.failed),
        ("errors", counts.errors),
        ("skipped", counts.skipped),
        ("findings", counts.findings),
    ] {
        if key == "skipped" && n == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "<div class=\"count count-{key}\" data-count=\"{key}\"><span class=\"n\">{n}</span> \
             <span class=\"label\">{key}</span></div>"
        );
    }
    let _ = writeln!(
        out,
        "</div>\n<p class=\"duration\">Run took {}.</p>\n</header>",
        duration(result.duration.as_secs_f64() * 1000.0)
    );
}

fn verdict_meaning(verdict: &str) -> &'static str {
    match verdict {
        "passed" => "Every exchange matched its contracts and recordings.",
        "failed" => "Some exchanges differ from their recordings or break a contract.",
        _ => "Some exchanges could not be checked (a target or peer was unreachable).",
    }
}

fn toolbar(out: &mut String) {
    out.push_str(
        "<nav class=\"toolbar\">\n<label><input type=\"checkbox\" id=\"only-failures\"> Only \
         failures and errors</label>\n<button type=\"button\" id=\"expand-all\">Expand \
         all</button>\n<button type=\"button\" id=\"collapse-all\">Collapse all</button>\n\
         <span class=\"legend\"><span class=\"hl-removed\">removed</span> <span \
         class=\"hl-added\">added</span> <span class=\"hl-changed\">changed</span> <span \
         class=\"hl-violation\">schema violation</span></span>\n</nav>\n",
    );
}

/// Every failing finding of the run in one table, each linked to its exchange or scenario.
fn findings_overview(out: &mut String, result: &RunResult) {
    let n = result.counts().findings;
    let _ = writeln!(
        out,
        "<section id=\"findings\" class=\"overview\" data-findings=\"{n}\">\n<h2>Failing \
         findings ({n})</h2>"
    );
    if n == 0 {
        out.push_str("<p class=\"none\">No finding fails the gate.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table class=\"findings\">\n<thead><tr><th>Scenario</th><th>Exchange</th><th>Kind</th>\
         <th>Where</th><th>Old → New</th><th>Affected</th><th>Message</th></tr></thead>\n<tbody>\n",
    );
    for (si, scenario) in result.scenarios.iter().enumerate() {
        let name = format!("<td>{}</td>", esc(&scenario.name));
        for (ei, exchange) in scenario.exchanges.iter().enumerate() {
            for finding in exchange.findings.iter().filter(|f| f.is_failure()) {
                let lead = format!(
                    "{name}<td><a href=\"#{}\">{}</a></td>",
                    exchange_id(si, ei),
                    esc(&exchange.name)
                );
                finding_row(out, finding, "", &lead);
            }
        }
        for finding in scenario.findings.iter().filter(|f| f.is_failure()) {
            let lead = format!(
                "{name}<td><a href=\"#{}\">(scenario)</a></td>",
                scenario_id(si)
            );
            finding_row(out, finding, "", &lead);
        }
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// One finding as a table row: its class and data attributes, the `lead` cells, then
/// [`finding_cells`].
fn finding_row(out: &mut String, finding: &Finding, class: &str, lead: &str) {
    let _ = writeln!(
        out,
        "<tr class=\"finding {}{class}\" data-kind=\"{}\" data-path=\"{}\">{lead}{}</tr>",
        category(finding.kind),
        finding.kind.id(),
        esc(&finding.path),
        finding_cells(finding)
    );
}

/// A scenario's section up to its exchanges: the summary line, why it could not run, its
/// reconciliation.
fn scenario_start(out: &mut String, si: usize, scenario: &ScenarioResult) {
    let outcome = outcome_id(scenario.outcome());
    let counts = scenario.outcomes();
    let tally = |o: Outcome| match o {
        Outcome::Passed => counts.passed,
        Outcome::Failed => counts.failed,
        Outcome::Error => counts.errors,
        Outcome::Skipped => counts.skipped,
    };
    let _ = writeln!(
        out,
        "<section class=\"scenario\" id=\"{}\" data-scenario=\"{}\" data-outcome=\"{outcome}\">\n\
         <details open>\n<summary><span class=\"badge {outcome}\">{outcome}</span> <span \
         class=\"name\">{}</span> <span class=\"meta\">target {} · {}: {} passed, {} \
         failed, {}{} · {}</span></summary>",
        scenario_id(si),
        esc(&scenario.name),
        esc(&scenario.name),
        esc(&scenario.target),
        plural(scenario.exchange_count(), "exchange", "exchanges"),
        tally(Outcome::Passed),
        tally(Outcome::Failed),
        plural(tally(Outcome::Error), "error", "errors"),
        skipped(tally(Outcome::Skipped)),
        duration(scenario.duration.as_secs_f64() * 1000.0),
    );
    if let Some(error) = &scenario.error {
        let _ = writeln!(out, "<p class=\"error\">Could not run: {}</p>", esc(error));
    }
    let reconciled = scenario.reconciliation.as_deref();
    if let Some(r) = reconciled
        && scenario.error.is_none()
    {
        reconciliation::reconciliation_block(out, r);
    }
}

/// A scenario's section after its exchanges: how many it left out, its own findings, latency.
fn scenario_end(out: &mut String, scenario: &ScenarioResult) {
    let left_out = scenario.unlisted.passed + scenario.unlisted.skipped;
    if left_out > 0 {
        let _ = writeln!(
            out,
            "<p class=\"unlisted\" data-unlisted=\"{left_out}\">{} without a finding not \
             listed: the report lists the first {LISTED_PER_SCENARIO} of a scenario.</p>",
            plural(left_out, "more exchange", "more exchanges"),
        );
    }
    if !scenario.findings.is_empty() {
        out.push_str("<div class=\"scenario-findings\">\n<h3>Scenario findings</h3>\n");
        findings_table(out, &scenario.findings);
        out.push_str("</div>\n");
    }
    latency_table(out, &scenario.latency);
    out.push_str("</details>\n</section>\n");
}

/// One exchange; for a reconciliation (`reconciled`), a compared field or the keys, described
/// by what was compared rather than a status.
fn exchange_block(
    out: &mut String,
    si: usize,
    ei: usize,
    exchange: &ExchangeResult,
    reconciled: bool,
) {
    let outcome = outcome_id(exchange.outcome());
    let open = if matches!(exchange.outcome(), Outcome::Passed | Outcome::Skipped) {
        ""
    } else {
        " open"
    };
    let live = match exchange.live_status {
        _ if exchange.skipped => "not replayed".to_owned(),
        Some(status) => format!("live {status}"),
        None => "live no response".to_owned(),
    };
    let status = if reconciled {
        String::new()
    } else {
        format!(" · status recorded {} → {live}", exchange.recorded_status)
    };
    let _ = writeln!(
        out,
        "<details class=\"exchange\" id=\"{}\" data-exchange=\"{}\" data-outcome=\"{outcome}\"{open}>\n\
         <summary><span class=\"badge {outcome}\">{outcome}</span> <span class=\"name\">{}</span> \
         <span class=\"meta\">{} {}{status} · {}{}</span></summary>",
        exchange_id(si, ei),
        esc(&exchange.name),
        esc(&exchange.name),
        esc(&exchange.method),
        esc(&exchange.url),
        duration(exchange.duration.as_secs_f64() * 1000.0),
        exchange
            .interface
            .as_deref()
            .map(|i| format!(" · interface {}", esc(i)))
            .unwrap_or_default(),
    );
    if let Some(error) = &exchange.error {
        let _ = writeln!(
            out,
            "<p class=\"error\">Could not check: {}</p>",
            esc(error)
        );
    }
    if exchange.skipped {
        out.push_str(
            "<p class=\"skipped\">Not replayed: the scenario skips this exchange \
             (<code>skip: true</code>).</p>\n",
        );
    }
    if !exchange.findings.is_empty() {
        findings_table(out, &exchange.findings);
    }
    if exchange.recorded_body.is_some() || exchange.live_body.is_some() {
        bodies(out, exchange);
    }
    out.push_str("</details>\n");
}

fn findings_table(out: &mut String, findings: &[Finding]) {
    out.push_str(
        "<table class=\"findings\">\n<thead><tr><th>Kind</th><th>Where</th><th>Old → New</th>\
         <th>Affected</th><th>Message</th></tr></thead>\n<tbody>\n",
    );
    for finding in findings {
        let severity = if finding.is_failure() {
            " failure"
        } else {
            " info"
        };
        finding_row(out, finding, severity, "");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Kind, place, old → new, affected and message cells of one finding.
fn finding_cells(finding: &Finding) -> String {
    let place = match &finding.location {
        Location::Response if finding.path.is_empty() => "response body".to_owned(),
        Location::Response => format!("response <code>{}</code>", esc(&finding.path)),
        Location::PeerRequest { peer } if finding.path.is_empty() => {
            format!("request to {}", esc(peer))
        }
        Location::PeerRequest { peer } => format!(
            "request to {} <code>{}</code>",
            esc(peer),
            esc(&finding.path)
        ),
        Location::Scenario => "scenario".to_owned(),
    };
    let values = if finding.old.is_none() && finding.new.is_none() {
        String::new()
    } else {
        format!(
            "<code class=\"old\">{}</code> → <code class=\"new\">{}</code>",
            esc(&shown(finding.old.as_ref(), VALUE_WIDTH)),
            esc(&shown(finding.new.as_ref(), VALUE_WIDTH))
        )
    };
    format!(
        "<td><span class=\"kind\">{}</span></td><td>{place}</td><td>{values}</td><td>{}</td><td>{}</td>",
        finding.kind.id(),
        esc(&finding.affected.join(", ")),
        match super::usage_note(finding) {
            Some(usage) => format!(
                "{}<br><span class=\"usage\">{}</span>",
                causes::code_spans(&finding.message),
                esc(&usage)
            ),
            None => causes::code_spans(&finding.message),
        }
    )
}

/// Recorded and live response bodies side by side, with the findings' fields marked. The two
/// sides are aligned field by field: where one side has lines the other lacks (a removed or
/// added field), the other shows blank filler lines, so unchanged fields sit on the same row.
fn bodies(out: &mut String, exchange: &ExchangeResult) {
    out.push_str("<div class=\"bodies\">\n");
    let live_status = exchange
        .live_status
        .map_or_else(|| "no response".to_owned(), |s| s.to_string());
    let recorded = exchange.recorded_body.as_ref().map(lines::lines);
    let live = exchange.live_body.as_ref().map(lines::lines);
    let (recorded, live) = match (recorded, live) {
        (Some(r), Some(l)) => {
            let (r, l) = align(r, l);
            (Some(r), Some(l))
        }
        (r, l) => (
            r.map(|v| v.into_iter().map(Some).collect()),
            l.map(|v| v.into_iter().map(Some).collect()),
        ),
    };
    for (side, title, status, body) in [
        (
            Side::Recorded,
            "Recorded response",
            exchange.recorded_status.to_string(),
            recorded,
        ),
        (Side::Live, "Live response", live_status.clone(), live),
    ] {
        let marks: Vec<Mark<'_>> = exchange
            .findings
            .iter()
            .filter_map(|f| Mark::of(f, side))
            .collect();
        let whole = marks
            .iter()
            .find(|m| m.path.is_empty())
            .map(|m| format!(" hl-body hl-body-{}", m.class))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<div class=\"side side-{}\" data-side=\"{}\">\n<h4>{title} <span \
             class=\"meta\">status {status}</span></h4>\n<div class=\"code{whole}\">",
            side.id(),
            side.id()
        );
        match body {
            Some(lines) => {
                for line in &lines {
                    match line {
                        Some(line) => line_html(out, line, &marks),
                        None => out.push_str("<div class=\"line filler\"> </div>\n"),
                    }
                }
            }
            None => out.push_str("<div class=\"line empty\">(no body)</div>\n"),
        }
        out.push_str("</div>\n</div>\n");
    }
    out.push_str("</div>\n");
}

/// The two sides' lines padded with `None` so that lines of the same field share a row.
fn align(recorded: Vec<Line>, live: Vec<Line>) -> (Vec<Option<Line>>, Vec<Option<Line>>) {
    let key = |line: &Line| {
        let closing = line.text.trim_start().starts_with(['}', ']']);
        (line.path.clone(), closing)
    };
    let ops = similar::capture_diff_slices_by_key(similar::Algorithm::Myers, &recorded, &live, key);
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut removed, mut added): (Vec<Line>, Vec<Line>) = (Vec::new(), Vec::new());
    let flush = |left: &mut Vec<Option<Line>>,
                 right: &mut Vec<Option<Line>>,
                 removed: &mut Vec<Line>,
                 added: &mut Vec<Line>| {
        let rows = removed.len().max(added.len());
        let mut r = removed.drain(..);
        let mut a = added.drain(..);
        for _ in 0..rows {
            left.push(r.next());
            right.push(a.next());
        }
    };
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            similar::DiffTag::Equal => {
                flush(&mut left, &mut right, &mut removed, &mut added);
                left.extend(recorded[old].iter().cloned().map(Some));
                right.extend(live[new].iter().cloned().map(Some));
            }
            _ => {
                removed.extend(recorded[old].iter().cloned());
                added.extend(live[new].iter().cloned());
            }
        }
    }
    flush(&mut left, &mut right, &mut removed, &mut added);
    (left, right)
}

/// One body line; marked with every finding whose field it is part of (a changed field inside
/// an object that breaks the schema carries both marks; the stylesheet shows the more specific
/// colour: removed and added over changed over violation).
fn line_html(out: &mut String, line: &Line, marks: &[Mark<'_>]) {
    let mut matching: Vec<&Mark<'_>> = marks
        .iter()
        .filter(|m| !m.path.is_empty() && lines::within(&line.path, m.path))
        .collect();
    if matching.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"line\" data-path=\"{}\">{}</div>",
            esc(&line.path),
            esc(&line.text)
        );
        return;
    }
    matching.sort_by_key(|m| m.rank);
    let mut classes: Vec<&str> = matching.iter().map(|m| m.class).collect();
    classes.dedup();
    let mut kinds: Vec<&str> = Vec::new();
    for kind in matching.iter().map(|m| m.kind.id()) {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    let titles: Vec<String> = matching
        .iter()
        .map(|m| format!("{}: {}", m.kind.id(), m.message))
        .collect();
    let _ = writeln!(
        out,
        "<div class=\"line hl hl-{}\" data-path=\"{}\" data-kind=\"{}\" title=\"{}\">{}</div>",
        classes.join(" hl-"),
        esc(&line.path),
        kinds.join(" "),
        esc(&titles.join("\n")),
        esc(&line.text)
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Recorded,
    Live,
}

impl Side {
    fn id(self) -> &'static str {
        match self {
            Side::Recorded => "recorded",
            Side::Live => "live",
        }
    }
}

/// How one finding marks the lines of its field on one side.
struct Mark<'a> {
    path: &'a str,
    class: &'static str,
    /// Lower wins when two findings mark the same line.
    rank: u8,
    kind: FindingKind,
    message: &'a str,
}

impl<'a> Mark<'a> {
    fn of(finding: &'a Finding, side: Side) -> Option<Self> {
        let is_pointer = finding.path.is_empty() || finding.path.starts_with('/');
        if finding.location != Location::Response || !is_pointer {
            return None;
        }
        let (class, rank) = match (finding.kind, side) {
            (FindingKind::FieldRemoved, Side::Recorded) => ("removed", 0),
            (FindingKind::FieldAdded, Side::Live) => ("added", 0),
            (FindingKind::SchemaViolation | FindingKind::ParameterViolation, Side::Live) => {
                ("violation", 1)
            }
            (
                FindingKind::TypeChanged
                | FindingKind::ValueChanged
                | FindingKind::FormatDrift
                | FindingKind::DomainDrift
                | FindingKind::BodyChanged,
                _,
            ) => ("changed", 2),
            (FindingKind::ExpectationFailed, Side::Live) => ("changed", 2),
            _ => return None,
        };
        Some(Mark {
            path: &finding.path,
            class,
            rank,
            kind: finding.kind,
            message: &finding.message,
        })
    }
}

fn latency_table(out: &mut String, latency: &[Latency]) {
    if latency.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"latency\">\n<h3>Latency</h3>\n<table>\n<thead><tr><th>Interface or route</th>\
         <th>Count</th><th>p50</th><th>p95</th><th>Max</th><th>Recorded p95</th></tr></thead>\n\
         <tbody>\n",
    );
    for l in latency {
        let _ = writeln!(
            out,
            "<tr data-interface=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&l.name),
            esc(&l.name),
            l.count,
            duration(l.p50_ms),
            duration(l.p95_ms),
            duration(l.max_ms),
            l.recorded_p95_ms.map(duration).unwrap_or_default()
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

/// Which group a finding belongs to, as a CSS class.
fn category(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::SchemaViolation
        | FindingKind::ParameterViolation
        | FindingKind::StatusUndeclared
        | FindingKind::PeerRequestInvalid => "schema",
        FindingKind::StatusChanged
        | FindingKind::FieldAdded
        | FindingKind::FieldRemoved
        | FindingKind::TypeChanged
        | FindingKind::ValueChanged
        | FindingKind::FormatDrift
        | FindingKind::DomainDrift
        | FindingKind::BodyChanged
        | FindingKind::HeaderChanged => "drift",
        _ => "other",
    }
}

fn outcome_id(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Error => "error",
        Outcome::Skipped => "skipped",
    }
}

fn scenario_id(si: usize) -> String {
    format!("s{si}")
}

fn exchange_id(si: usize, ei: usize) -> String {
    format!("s{si}-e{ei}")
}

/// Milliseconds as people read them: `48 ms`, `5.06 s`.
fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Text made safe for HTML content and double- or single-quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::console::sample;

    /// The sample run with bodies on the failing exchange, one carrying markup.
    fn run_with_bodies() -> RunResult {
        let mut run = sample::run();
        let create = &mut run.scenarios[0].exchanges[1];
        create.recorded_body = Some(json!({
            "id": "C-1001",
            "name": "</div><script>alert('x')</script>",
            "tax_id": "91310115MA1K4XQ30Y",
            "credit_limit": 500000,
            "created_at": "2024-03-01T09:30:00+08:00"
        }));
        create.live_body = Some(json!({
            "id": "C-1001",
            "name": "</div><script>alert('x')</script>",
            "taxNumber": "91310115MA1K4XQ30Y",
            "credit_limit": "500000",
            "created_at": "2024-03-01T10:30:00+09:00"
        }));
        run
    }

    /// The `<div class="line …">` of `path` on one side of exchange `id`.
    fn line<'a>(html: &'a str, id: &str, side: &str, path: &str) -> Option<&'a str> {
        let exchange = &html[html.find(&format!("id=\"{id}\""))?..];
        let exchange = &exchange[..exchange.find("</details>")?];
        let side = &exchange[exchange.find(&format!("class=\"side side-{side}\""))?..];
        let side = &side[..side.find("</div>\n</div>")?];
        side.lines()
            .find(|l| l.contains(&format!("data-path=\"{path}\"")))
    }

    #[test]
    fn verdict_and_counts_are_at_the_top() {
        let run = sample::run();
        let html = render(&run);
        let header = &html[..html.find("</header>").expect("a header")];
        assert!(header.contains("data-verdict=\"error\" data-exit-code=\"3\""));
        assert!(header.contains("gate error <span class=\"exit\">exit 3</span>"));
        let counts = serde_json::to_string(&run.counts()).expect("counts");
        assert!(header.contains(&format!("data-counts=\"{}\"", esc(&counts))));
        for (key, n) in [
            ("scenarios", 2),
            ("exchanges", 6),
            ("passed", 4),
            ("failed", 1),
            ("errors", 1),
            ("findings", 6),
        ] {
            assert!(
                header.contains(&format!(
                    "data-count=\"{key}\"><span class=\"n\">{n}</span>"
                )),
                "{key} = {n} in {header}"
            );
        }
    }

    #[test]
    fn every_scenario_and_exchange_is_listed_with_its_outcome() {
        let html = render(&sample::run());
        for needle in [
            "id=\"s0\" data-scenario=\"customer-sync\" data-outcome=\"error\"",
            "id=\"s1\" data-scenario=\"order-to-invoice\" data-outcome=\"passed\"",
            "id=\"s0-e0\" data-exchange=\"GET /customers/{id} #0\" data-outcome=\"passed\">",
            "id=\"s0-e1\" data-exchange=\"POST /customers #1\" data-outcome=\"failed\" open>",
            "id=\"s0-e3\" data-exchange=\"POST /orders #3\" data-outcome=\"error\" open>",
            "Could not check: no response within 5 s (connection timed out)",
            "id=\"s1-e1\" data-exchange=\"GET /invoices/{id} #1\" data-outcome=\"passed\">",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert_eq!(html.matches("<details class=\"exchange\"").count(), 6);
    }

    #[test]
    fn findings_show_path_old_new_and_who_is_affected() {
        let html = render(&sample::run());
        let overview = &html[html.find("id=\"findings\"").expect("overview")..];
        let overview = &overview[..overview.find("</section>").expect("end")];
        assert!(overview.contains("Failing findings (6)"));
        assert!(overview.contains(
            "<tr class=\"finding drift\" data-kind=\"type-changed\" data-path=\"/credit_limit\">"
        ));
        assert!(overview.contains("<a href=\"#s0-e1\">POST /customers #1</a>"));
        assert!(overview.contains(
            "<code class=\"old\">500000</code> → <code class=\"new\">&quot;500000&quot;</code>"
        ));
        assert!(overview.contains("<td>crm, erp, finance</td>"));
        assert!(overview.contains("data-kind=\"peer-request-invalid\""));
        assert!(overview.contains("request to erp"));
        assert!(overview.contains("<a href=\"#s0\">(scenario)</a>"));
        // Info findings are listed with their exchange, not in the failing overview.
        assert!(!overview.contains("no-contract"));
        assert!(html.contains("finding other info\" data-kind=\"no-contract\""));
    }

    #[test]
    fn changed_fields_are_marked_on_the_right_side() {
        let html = render(&run_with_bodies());
        let recorded = |p| line(&html, "s0-e1", "recorded", p).unwrap_or("");
        let live = |p| line(&html, "s0-e1", "live", p).unwrap_or("");
        assert!(recorded("/tax_id").contains("class=\"line hl hl-removed\""));
        assert!(recorded("/tax_id").contains("data-kind=\"field-removed\""));
        assert!(live("/taxNumber").contains("class=\"line hl hl-added\""));
        assert!(recorded("/credit_limit").contains("hl-changed"));
        assert!(live("/credit_limit").contains("hl-changed"));
        assert!(live("/created_at").contains("hl-changed"));
        assert!(live("/id").starts_with("<div class=\"line\" data-path=\"/id\">"));
        // The peer request finding points into the ERP request, not the response: no mark.
        assert!(!live("").contains("hl"));
        assert!(!html.contains("class=\"code hl-body"));
    }

    #[test]
    fn sides_are_aligned_field_by_field() {
        let paths = |side: &[Option<Line>]| -> Vec<String> {
            side.iter()
                .map(|l| l.as_ref().map_or("-".to_owned(), |l| l.path.clone()))
                .collect()
        };
        let (left, right) = align(
            lines::lines(&json!({"id": 1, "tax_id": "X", "limit": 5, "tags": ["a"]})),
            lines::lines(
                &json!({"id": 1, "taxNumber": "X", "limit": "5", "extra": {"b": 2}, "tags": ["a"]}),
            ),
        );
        assert_eq!(
            paths(&left),
            [
                "", "/id", "/tax_id", "/limit", "-", "-", "-", "/tags", "/tags/0", "/tags", ""
            ]
        );
        assert_eq!(
            paths(&right),
            [
                "",
                "/id",
                "/taxNumber",
                "/limit",
                "/extra",
                "/extra/b",
                "/extra",
                "/tags",
                "/tags/0",
                "/tags",
                ""
            ]
        );
        let html = render(&run_with_bodies());
        let block = &html[html.find("id=\"s0-e1\"").expect("exchange")..];
        let block = &block[..block.find("</details>").expect("end")];
        assert_eq!(
            block.matches("<div class=\"line filler\"> </div>").count(),
            0
        );
    }

    #[test]
    fn recorded_text_is_escaped_everywhere() {
        let mut run = run_with_bodies();
        run.scenarios[0].name = "<b>sync</b>".into();
        run.scenarios[0].exchanges[1].findings[0].message = "\"quoted\" & <i>".into();
        run.scenarios[0].exchanges[1].findings[0].path = "/a\"><script>".into();
        let html = render(&run);
        assert_eq!(html.matches("<script>").count(), 1, "only the report's own");
        assert!(!html.contains("<b>sync"));
        assert!(html.contains("&lt;b&gt;sync&lt;/b&gt;"));
        assert!(html.contains(
            "&quot;name&quot;: &quot;&lt;/div&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;,"
        ));
        assert!(html.contains("&quot;quoted&quot; &amp; &lt;i&gt;"));
        assert!(html.contains("data-path=\"/a&quot;&gt;&lt;script&gt;\""));
    }

    #[test]
    fn the_page_loads_nothing_from_anywhere() {
        let html = render(&run_with_bodies());
        let attribute =
            regex::Regex::new(r#"(?i)\b(src|href|action|srcset)\s*=\s*["']?([^"'\s>]*)"#)
                .expect("regex");
        for found in attribute.captures_iter(&html) {
            assert!(
                found[2].starts_with('#'),
                "external reference {}",
                &found[0]
            );
        }
        for tag in ["<link", "<img", "<iframe", "<object", "<embed", "<base"] {
            assert!(!html.contains(tag), "{tag}");
        }
        assert!(!html.contains("url("));
        assert!(!html.contains("@import"));
        assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    }

    #[test]
    fn latency_table_per_interface() {
        let html = render(&sample::run());
        assert!(html.contains(
            "<tr data-interface=\"erp POST /api/customers\"><td>erp POST /api/customers</td>\
             <td class=\"num\">3</td><td class=\"num\">5.1 ms</td><td class=\"num\">7.9 ms</td>"
        ));
        assert_eq!(html.matches("<h3>Latency</h3>").count(), 2);
    }

    #[test]
    fn a_passing_run_says_so() {
        let mut run = sample::run();
        run.scenarios.remove(0);
        let html = render(&run);
        assert!(html.contains("data-verdict=\"passed\" data-exit-code=\"0\""));
        assert!(html.contains("No finding fails the gate."));
    }

    #[test]
    fn reporter_writes_the_rendered_page_on_run_finished() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out/report.html");
        let run = sample::run();
        let mut reporter = HtmlReporter::new(path.clone());
        let written = crate::report::written_on_run_finished(&mut reporter, &path, &run);
        assert_eq!(written, render(&run));
    }
}
