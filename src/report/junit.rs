//! The JUnit XML report: how a CI system (GitHub, GitLab, Jenkins) sees a run.
//!
//! One `<testsuite>` per scenario, one `<testcase>` per replayed exchange. The split between
//! "the check found something" and "the check could not run" is kept: failing findings become
//! one `<failure>` per testcase, a transport problem becomes an `<error type="transport">`.
//! Findings and errors that belong to the scenario as a whole go to an extra testcase named
//! `scenario`. Info findings never fail a testcase; they are listed in `<system-out>`. The
//! mapping is specified in `docs/junit.md`.

use std::fmt::Write as _;
use std::path::PathBuf;

use junit_report::{
    Duration, OffsetDateTime, Report, TestCase, TestCaseBuilder, TestSuite, TestSuiteBuilder,
};

use super::console::values;
use super::{Event, Reporter};
use crate::error::Error;
use crate::fsutil::write_atomic;
use crate::model::cause::causes;
use crate::model::{Cause, ExchangeResult, Finding, Location, Outcome, RunResult, ScenarioResult};

/// The `type` of an `<error>` for an exchange that could not be sent or answered.
pub(crate) const TRANSPORT: &str = "transport";
/// The `type` of an `<error>` for a scenario that could not run at all.
pub(crate) const ENVIRONMENT: &str = "environment";
/// The name of the extra testcase holding a scenario's own findings and errors.
pub(crate) const SCENARIO_CASE: &str = "scenario";

/// Failing findings named in a `<failure>`'s `message` before the rest is elided.
const NAMED_IN_MESSAGE: usize = 3;
/// Longest rendering of an old or new value in a failure text.
const VALUE_WIDTH: usize = 200;

/// Writes the JUnit XML report to a file when the run finishes.
pub(crate) struct JunitReporter {
    path: PathBuf,
    run_started: Option<OffsetDateTime>,
    /// When each scenario started, by name, for the suites' `timestamp`.
    scenario_started: Vec<(String, OffsetDateTime)>,
}

impl JunitReporter {
    pub(crate) fn new(path: PathBuf) -> Self {
        JunitReporter {
            path,
            run_started: None,
            scenario_started: Vec::new(),
        }
    }
}

impl Reporter for JunitReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        match event {
            Event::RunStarted { .. } => {
                self.run_started = Some(OffsetDateTime::now_utc());
                Ok(())
            }
            Event::ScenarioStarted { scenario, .. } => {
                self.scenario_started
                    .push((scenario.name.clone(), OffsetDateTime::now_utc()));
                Ok(())
            }
            Event::ExchangeFinished { .. } | Event::ScenarioFinished { .. } => Ok(()),
            Event::RunFinished { result } => {
                let run_started = self.run_started.unwrap_or_else(|| estimated_start(result));
                let timestamp = |scenario: &ScenarioResult| {
                    self.scenario_started
                        .iter()
                        .find(|(name, _)| *name == scenario.name)
                        .map_or(run_started, |(_, at)| *at)
                };
                let xml = to_xml(result, &timestamp).map_err(|err| {
                    Error::environment(format!(
                        "cannot write the JUnit report {}: {err}",
                        self.path.display()
                    ))
                })?;
                write_atomic(&self.path, xml.as_bytes())
            }
        }
    }
}

#[cfg(test)]
/// The JUnit XML of a finished run with every suite stamped `timestamp`.
pub(crate) fn render_at(result: &RunResult, timestamp: OffsetDateTime) -> String {
    // Writing XML into memory fails only on an XML error, which escaped text cannot cause;
    // should it ever, the report says so rather than going missing.
    to_xml(result, &|_| timestamp).unwrap_or_else(|err| {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><!-- cannot render the report: {} -->",
            attr(&err.to_string()).replace("--", "- -")
        )
    })
}

fn estimated_start(result: &RunResult) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.checked_sub(duration(result.duration)).unwrap_or(now)
}

fn to_xml(
    result: &RunResult,
    timestamp: &dyn Fn(&ScenarioResult) -> OffsetDateTime,
) -> Result<String, junit_report::Error> {
    let mut report = Report::new();
    let causes = causes(result);
    report.add_testsuites(
        result
            .scenarios
            .iter()
            .map(|s| suite(s, timestamp(s), &causes)),
    );
    let mut bytes = Vec::new();
    report.write_xml(&mut bytes)?;
    bytes.push(b'\n');
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn suite(scenario: &ScenarioResult, timestamp: OffsetDateTime, causes: &[Cause]) -> TestSuite {
    let name = attr(&scenario.name);
    let mut builder = TestSuiteBuilder::new(&name);
    builder.set_timestamp(timestamp);
    builder.add_testcases(
        scenario
            .exchanges
            .iter()
            .map(|e| exchange_case(&name, e, causes)),
    );
    if scenario.error.is_some() || !scenario.findings.is_empty() {
        builder.add_testcase(scenario_case(&name, scenario, causes));
    }
    builder.build()
}

fn exchange_case(classname: &str, exchange: &ExchangeResult, causes: &[Cause]) -> TestCase {
    let name = attr(&exchange.name);
    let time = duration(exchange.duration);
    let header = format!(
        "{} {}: {}",
        exchange.method,
        exchange.url,
        match exchange.live_status {
            Some(live) => format!("recorded {} → live {live}", exchange.recorded_status),
            None => format!("recorded {} → no response", exchange.recorded_status),
        }
    );
    let mut builder = match (&exchange.error, exchange.outcome()) {
        (Some(error), _) => {
            let mut text = format!("{header}\n{error}\n");
            write_findings(&mut text, &exchange.findings);
            let mut b = TestCaseBuilder::error(&name, time, TRANSPORT, &attr(error));
            b.set_trace(&cdata(&text));
            b
        }
        (None, Outcome::Skipped) => TestCaseBuilder::skipped(&name),
        (None, Outcome::Failed) => failure_case(&name, time, &header, &exchange.findings, causes),
        (None, _) => passed_case(&name, time, &exchange.findings),
    };
    builder.set_classname(classname);
    builder.build()
}

fn scenario_case(classname: &str, scenario: &ScenarioResult, causes: &[Cause]) -> TestCase {
    let time = Duration::ZERO;
    let header = format!("scenario {} (target {})", scenario.name, scenario.target);
    let mut builder = match &scenario.error {
        Some(error) => {
            let mut text = format!("{header}\n{error}\n");
            write_findings(&mut text, &scenario.findings);
            let mut b = TestCaseBuilder::error(SCENARIO_CASE, time, ENVIRONMENT, &attr(error));
            b.set_trace(&cdata(&text));
            b
        }
        None if scenario.findings.iter().any(Finding::is_failure) => {
            failure_case(SCENARIO_CASE, time, &header, &scenario.findings, causes)
        }
        None => passed_case(SCENARIO_CASE, time, &scenario.findings),
    };
    builder.set_classname(classname);
    builder.build()
}

/// A `<failure>` typed by the first cause of its failing findings (else the first finding's
/// kind), its causes' lines in `message`, every finding in the text.
fn failure_case(
    name: &str,
    time: Duration,
    header: &str,
    findings: &[Finding],
    causes: &[Cause],
) -> TestCaseBuilder {
    let failing: Vec<&Finding> = findings.iter().filter(|f| f.is_failure()).collect();
    let mine: Vec<&Cause> = causes
        .iter()
        .filter(|c| failing.iter().any(|f| f.cause.as_ref() == Some(&c.id)))
        .collect();
    let (kind, message) = match mine.first() {
        Some(first) => (first.kind.as_str(), cause_summary(&mine)),
        None => (
            failing.first().map_or("finding", |f| f.kind.id()),
            summary(&failing),
        ),
    };
    let mut text = format!("{header}\n");
    write_findings(&mut text, findings);
    let mut builder = TestCaseBuilder::failure(name, time, kind, &attr(&message));
    builder.set_trace(&cdata(&text));
    builder
}

/// A passing testcase; its info findings, if any, in `<system-out>`.
fn passed_case(name: &str, time: Duration, findings: &[Finding]) -> TestCaseBuilder {
    let mut builder = TestCaseBuilder::success(name, time);
    if !findings.is_empty() {
        let mut text = String::new();
        write_findings(&mut text, findings);
        builder.set_system_out(&cdata(&text));
    }
    builder
}

/// `2 causes: `tax_id` renamed to `taxNumber`; `credit_limit` changed type number → string`
fn cause_summary(causes: &[&Cause]) -> String {
    let lines: Vec<&str> = causes.iter().map(|c| c.line.as_str()).collect();
    format!(
        "{}: {}",
        super::console::plural(causes.len(), "cause", "causes"),
        lines.join("; ")
    )
}

/// `3 findings: field-removed /tax_id, field-added /taxNumber, type-changed /credit_limit, …`
fn summary(failing: &[&Finding]) -> String {
    let count = match failing.len() {
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    };
    let mut named: Vec<String> = failing
        .iter()
        .take(NAMED_IN_MESSAGE)
        .map(|f| {
            format!("{} {}", f.kind.id(), place(f))
                .trim_end()
                .to_owned()
        })
        .collect();
    if failing.len() > NAMED_IN_MESSAGE {
        named.push("…".to_owned());
    }
    format!("{count}: {}", named.join(", "))
}

/// Every finding as a short paragraph: kind and place, old → new, message, who is affected.
/// Paragraphs are separated by a blank line, and from any text before them.
fn write_findings(text: &mut String, findings: &[Finding]) {
    for finding in findings {
        if !text.is_empty() {
            text.push('\n');
        }
        let info = if finding.is_failure() { "" } else { "info " };
        let _ = write!(text, "{info}{}", finding.kind.id());
        let place = place(finding);
        if !place.is_empty() {
            let _ = write!(text, " at {place}");
        }
        if let Some(interface) = &finding.interface {
            let _ = write!(text, " ({interface})");
        }
        text.push('\n');
        if let Some(values) = values(finding, VALUE_WIDTH) {
            let _ = writeln!(text, "  {values}");
        }
        let _ = writeln!(text, "  {}", attr(&finding.message));
        if !finding.affected.is_empty() {
            let _ = writeln!(text, "  affects: {}", finding.affected.join(", "));
        }
    }
}

/// The path, prefixed by the peer for a request the target sent; `""` (the whole body) as `/`.
fn place(finding: &Finding) -> String {
    let pointer = crate::json::display_pointer(&finding.path);
    match &finding.location {
        Location::Response => pointer.to_owned(),
        Location::PeerRequest { peer } => format!("{peer} request {pointer}"),
        Location::Scenario => finding.path.clone(),
    }
}

fn duration(d: std::time::Duration) -> Duration {
    Duration::try_from(d).unwrap_or(Duration::MAX)
}

/// Text XML 1.0 can carry: characters it forbids become U+FFFD.
fn xml_safe(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
        c => c,
    }
}

/// An attribute value or a line of text: one line, XML-safe (quick-xml escapes the markup
/// characters).
fn attr(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { xml_safe(c) })
        .collect()
}

/// Text for a CDATA section: XML-safe, with `]]>` split across two sections so it cannot end
/// the section early.
fn cdata(text: &str) -> String {
    text.chars()
        .map(xml_safe)
        .collect::<String>()
        .replace("]]>", "]]]]><![CDATA[>")
}

#[cfg(test)]
mod tests {
    use junit_report::datetime;

    use super::*;
    use crate::model::FindingKind;
    use crate::report::console::sample;

    fn xml() -> String {
        render_at(&sample::run(), datetime!(2026-01-01 00:00 UTC))
    }

    #[test]
    fn junit_report_snapshot() {
        insta::with_settings!({filters => vec![
            (r#"timestamp="[^"]*""#, r#"timestamp="[timestamp]""#),
            (r#"time="[^"]*""#, r#"time="[time]""#),
            (r"(<testsuite |<testcase |</testsuite>|</testsuites>)", "\n$1"),
        ]}, {
            insta::assert_snapshot!(xml());
        });
    }

    #[test]
    fn skipped_exchanges_are_skipped_testcases_and_failures_name_their_causes() {
        let mut run = sample::run();
        run.scenarios[1].exchanges[1].skipped = true;
        crate::model::cause::annotate(&mut run);
        let xml = render_at(&run, datetime!(2026-01-01 00:00 UTC));
        assert_eq!(xml.matches("<skipped/>").count(), 1, "{xml}");
        assert!(
            xml.contains(r#"<failure type="peer-contract" message="4 causes: `erp` rejects"#),
            "{xml}"
        );
    }

    #[test]
    fn one_error_and_one_failure_per_failing_testcase() {
        let xml = xml();
        assert_eq!(xml.matches("<error").count(), 1);
        assert_eq!(xml.matches("<error type=\"transport\"").count(), 1);
        // The failing exchange and the scenario's missing peer call.
        assert_eq!(xml.matches("<failure").count(), 2);
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        // Six exchanges plus the `scenario` testcase.
        assert_eq!(xml.matches("<testcase ").count(), 7);
        assert!(xml.contains(
            "<testsuite id=\"0\" name=\"customer-sync\" package=\"testsuite/customer-sync\" \
             tests=\"5\" errors=\"1\" failures=\"2\""
        ));
    }

    #[test]
    fn failure_is_typed_and_summarised() {
        let xml = xml();
        assert!(xml.contains(
            "<failure type=\"field-removed\" message=\"5 findings: field-removed /tax_id, \
             field-added /taxNumber, type-changed /credit_limit, …\">"
        ));
        assert!(xml.contains("  500000 → \"500000\"\n"));
        assert!(xml.contains(
            "\npeer-request-invalid at erp request / (erp.customers.upsert)\n  \
             missing required property `tax_id`\n  affects: erp, crm\n"
        ));
        assert!(xml.contains(
            "<failure type=\"peer-call-missing\" message=\"1 finding: peer-call-missing\">"
        ));
    }

    #[test]
    fn info_findings_pass_and_go_to_system_out() {
        let xml = xml();
        assert!(xml.contains(
            "<testcase name=\"GET /health #2\" time=\"0.003\" classname=\"customer-sync\">\
             <system-out><![CDATA[info no-contract at /\n"
        ));
    }

    #[test]
    fn scenario_error_is_an_environment_error() {
        let mut run = sample::run();
        run.scenarios[1].error = Some("cannot bind peer erp to 127.0.0.1:9001".into());
        let xml = render_at(&run, datetime!(2026-01-01 00:00 UTC));
        assert!(xml.contains(
            "<testcase name=\"scenario\" time=\"0\" classname=\"order-to-invoice\">\
             <error type=\"environment\" message=\"cannot bind peer erp to 127.0.0.1:9001\">"
        ));
        assert_eq!(xml.matches("<error").count(), 2);
    }

    #[test]
    fn hostile_text_stays_well_formed() {
        let mut run = sample::run();
        run.scenarios[0].exchanges[1].findings[0] = Finding::new(
            FindingKind::ValueChanged,
            Location::Response,
            "/note",
            "ends ]]> early \u{1} with <tags> & \"quotes\"\nand lines",
        );
        run.scenarios[0].name = "a \"quoted\" <name>".into();
        let xml = render_at(&run, datetime!(2026-01-01 00:00 UTC));
        assert!(xml.contains("ends ]]]]><![CDATA[> early   with <tags> & \"quotes\" and lines"));
        assert!(xml.contains("name=\"a &quot;quoted&quot; &lt;name&gt;\""));
        assert!(!xml.contains('\u{1}'));
    }

    #[test]
    fn reporter_writes_the_file_atomically() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("junit.xml");
        let run = sample::run();
        let mut reporter = JunitReporter::new(path.clone());
        reporter
            .report(&Event::RunStarted {
                scenarios: 2,
                exchanges: 6,
            })
            .expect("run started");
        reporter
            .report(&Event::RunFinished { result: &run })
            .expect("run finished");
        let written = std::fs::read_to_string(&path).expect("the report file");
        assert!(written.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites>"));
        assert_eq!(written.matches("<error").count(), 1);
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
