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
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::console::values;
use std::collections::HashMap;

use super::junit_xml::{Case, Detail, Outcome as Element, Stream, Suite, Totals, attr};
use super::spool::{Piece, Spool};
use super::{Event, Reporter};
use crate::error::Error;
use crate::fsutil::AtomicFile;
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

/// Writes the JUnit XML report to a file when the run finishes. The testcase of each exchange
/// the run does not keep is written to a spool as the exchange finishes.
pub(crate) struct JunitReporter {
    path: PathBuf,
    run_started: Option<OffsetDateTime>,
    /// When each scenario started, by name, for the suites' `timestamp`.
    scenario_started: Vec<(String, OffsetDateTime)>,
    spool: Spool,
    /// The totals of the spooled testcases, by scenario name.
    spooled: HashMap<String, Totals>,
}

impl JunitReporter {
    pub(crate) fn new(path: PathBuf) -> Self {
        JunitReporter {
            spool: Spool::beside(&path),
            path,
            run_started: None,
            scenario_started: Vec::new(),
            spooled: HashMap::new(),
        }
    }

    fn write_error(&self, err: &std::io::Error) -> Error {
        Error::io("write", &self.path, err)
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
            Event::ExchangeFinished {
                scenario, result, ..
            } => {
                let mut totals = Totals::default();
                self.spool
                    .add(&scenario.name, result, |exchange| {
                        let case = exchange_case(&scenario.name, exchange, false, &[]);
                        totals = Totals::one(&case);
                        case.to_bytes()
                    })
                    .map_err(|err| self.write_error(&err))?;
                let spooled = self.spooled.entry(scenario.name.clone()).or_default();
                *spooled = spooled.add(totals);
                Ok(())
            }
            Event::ScenarioFinished { .. } => Ok(()),
            Event::RunFinished { result } => {
                let run_started = self.run_started.unwrap_or_else(|| estimated_start(result));
                let started = std::mem::take(&mut self.scenario_started);
                let timestamp = |scenario: &ScenarioResult| {
                    started
                        .iter()
                        .find(|(name, _)| *name == scenario.name)
                        .map_or(run_started, |(_, at)| *at)
                };
                let mut file = AtomicFile::create(&self.path)?;
                write_xml(
                    result,
                    &timestamp,
                    &mut self.spool,
                    &self.spooled,
                    &mut file,
                )
                .map_err(|err| self.write_error(&err))?;
                file.commit()
            }
        }
    }
}

#[cfg(test)]
/// The JUnit XML of a finished run with every suite stamped `timestamp`.
pub(crate) fn render_at(result: &RunResult, timestamp: OffsetDateTime) -> String {
    let mut spool = Spool::beside(std::path::Path::new("junit.xml"));
    let mut out = Vec::new();
    write_xml(
        result,
        &|_| timestamp,
        &mut spool,
        &HashMap::new(),
        &mut out,
    )
    .expect("in memory");
    String::from_utf8(out).expect("UTF-8")
}

fn estimated_start(result: &RunResult) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.checked_sub(result.duration.try_into().unwrap_or(time::Duration::ZERO))
        .unwrap_or(now)
}

/// The document of a run whose passing testcases were spooled as it went: each suite's kept
/// testcases are built here, the spooled ones copied in their places. A scenario with nothing
/// spooled (a result read back from reports) is built whole.
fn write_xml(
    result: &RunResult,
    timestamp: &dyn Fn(&ScenarioResult) -> OffsetDateTime,
    spool: &mut Spool,
    spooled: &HashMap<String, Totals>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let causes = causes(result);
    let suites: Vec<(Suite, Totals)> = result
        .scenarios
        .iter()
        .map(|s| {
            let suite = suite(s, timestamp(s), &causes);
            let totals = match spooled.get(&s.name) {
                // The spool holds the testcases of the exchanges the run did not keep.
                Some(spooled) if spool.has(&s.name) => {
                    let (exchanges, own) = suite.cases.split_at(s.exchanges.len());
                    (s.exchanges.iter().zip(exchanges))
                        .filter(|(e, _)| e.kept_to_the_end())
                        .map(|(_, case)| Totals::one(case))
                        .fold(*spooled, Totals::add)
                        .add(Totals::of(own))
                }
                _ => Totals::of(&suite.cases),
            };
            (suite, totals)
        })
        .collect();
    let total = (suites.iter().map(|(_, t)| *t)).fold(Totals::default(), Totals::add);
    let mut w = Stream::start(out, total, suites.is_empty())?;
    for (id, ((suite, totals), scenario)) in suites.iter().zip(&result.scenarios).enumerate() {
        w.start_suite(id, suite, *totals)?;
        let (exchanges, own) = suite.cases.split_at(scenario.exchanges.len());
        if spool.has(&scenario.name) {
            spool.replay(&scenario.name, |piece| match piece {
                Piece::Text(bytes) => w.raw(bytes),
                Piece::Kept(index) => {
                    match scenario.exchanges.binary_search_by_key(&index, |e| e.index) {
                        Ok(at) => w.case(&exchanges[at]),
                        Err(_) => Ok(()),
                    }
                }
            })?;
        } else {
            for case in exchanges {
                w.case(case)?;
            }
        }
        for case in own {
            w.case(case)?;
        }
        w.end_suite()?;
    }
    w.finish().map(|_| ())
}

fn suite(scenario: &ScenarioResult, timestamp: OffsetDateTime, causes: &[Cause]) -> Suite {
    let mut cases: Vec<Case> = scenario
        .exchanges
        .iter()
        .map(|e| exchange_case(&scenario.name, e, scenario.reconciliation.is_some(), causes))
        .collect();
    if scenario.error.is_some() || !scenario.findings.is_empty() {
        cases.push(scenario_case(scenario, causes));
    }
    Suite {
        name: scenario.name.clone(),
        package: Some(format!("testsuite/{}", scenario.name)),
        timestamp: timestamp.format(&Rfc3339).ok(),
        cases,
    }
}

/// A testcase per exchange; for a reconciliation (`reconciled`), per compared field and for its
/// keys, headed by what was compared and how it came out rather than a status.
fn exchange_case(
    classname: &str,
    exchange: &ExchangeResult,
    reconciled: bool,
    causes: &[Cause],
) -> Case {
    let header = if reconciled {
        format!("{}: {}", exchange.name, exchange.url)
    } else {
        format!(
            "{} {}: {}",
            exchange.method,
            exchange.url,
            match exchange.live_status {
                Some(live) => format!("recorded {} → live {live}", exchange.recorded_status),
                None => format!("recorded {} → no response", exchange.recorded_status),
            }
        )
    };
    let mut case = match (&exchange.error, exchange.outcome()) {
        (Some(error), _) => error_case(TRANSPORT, error, &header, &exchange.findings),
        (None, Outcome::Skipped) => Case {
            results: vec![Element::Skipped {
                message: Some("skip: true in the scenario".to_owned()),
            }],
            ..Case::default()
        },
        (None, Outcome::Failed) => failure_case(&header, &exchange.findings, causes),
        (None, _) => passed_case(&exchange.findings),
    };
    if reconciled && exchange.outcome() == Outcome::Passed {
        let info = case.system_out.take().unwrap_or_default();
        case.system_out = Some(format!("{header}\n{info}"));
    }
    case.name = exchange.name.clone();
    case.classname = Some(classname.to_owned());
    case.time = exchange.duration;
    case
}

fn scenario_case(scenario: &ScenarioResult, causes: &[Cause]) -> Case {
    let header = format!("scenario {} (target {})", scenario.name, scenario.target);
    let mut case = match &scenario.error {
        Some(error) => error_case(ENVIRONMENT, error, &header, &scenario.findings),
        None if scenario.findings.iter().any(Finding::is_failure) => {
            failure_case(&header, &scenario.findings, causes)
        }
        None => passed_case(&scenario.findings),
    };
    case.name = SCENARIO_CASE.to_owned();
    case.classname = Some(scenario.name.clone());
    case.time = Duration::ZERO;
    case
}

/// An `<error>` of `kind`: the error on one line, the header, the error and any findings below.
fn error_case(kind: &str, error: &str, header: &str, findings: &[Finding]) -> Case {
    let mut text = format!("{header}\n{error}\n");
    write_findings(&mut text, findings);
    Case {
        results: vec![Element::Error(Detail {
            kind: kind.to_owned(),
            message: error.to_owned(),
            text: Some(text),
        })],
        ..Case::default()
    }
}

/// One `<failure>` per cause of the failing findings, most harmful first: typed by the cause's
/// kind, its line as the message, the header and the cause's findings as the text. Failing
/// findings with no cause (a hand-built result) share one more `<failure>`, typed by the first
/// one's kind. Info findings go to `<system-out>`.
fn failure_case(header: &str, findings: &[Finding], causes: &[Cause]) -> Case {
    let failing: Vec<&Finding> = findings.iter().filter(|f| f.is_failure()).collect();
    let mut results: Vec<Element> = causes
        .iter()
        .filter_map(|cause| {
            let mine: Vec<&Finding> = failing
                .iter()
                .copied()
                .filter(|f| f.cause.as_ref() == Some(&cause.id))
                .collect();
            (!mine.is_empty()).then(|| {
                Element::Failure(Detail {
                    kind: cause.kind.clone(),
                    message: cause.line.clone(),
                    text: Some(finding_text(header, &mine)),
                })
            })
        })
        .collect();
    let orphans: Vec<&Finding> = failing
        .iter()
        .copied()
        .filter(|f| {
            f.cause
                .as_ref()
                .is_none_or(|id| !causes.iter().any(|c| &c.id == id))
        })
        .collect();
    if let Some(first) = orphans.first() {
        results.push(Element::Failure(Detail {
            kind: first.kind.id().to_owned(),
            message: summary(&orphans),
            text: Some(finding_text(header, &orphans)),
        }));
    }
    let info: Vec<&Finding> = findings.iter().filter(|f| !f.is_failure()).collect();
    Case {
        results,
        system_out: info_text(&info),
        ..Case::default()
    }
}

/// The header, then each finding as a paragraph.
fn finding_text(header: &str, findings: &[&Finding]) -> String {
    let mut text = format!("{header}\n");
    write_findings(&mut text, findings.iter().copied());
    text
}

fn info_text(findings: &[&Finding]) -> Option<String> {
    (!findings.is_empty()).then(|| {
        let mut text = String::new();
        write_findings(&mut text, findings.iter().copied());
        text
    })
}

/// A passing testcase; its info findings, if any, in `<system-out>`.
fn passed_case(findings: &[Finding]) -> Case {
    Case {
        system_out: info_text(&findings.iter().collect::<Vec<_>>()),
        ..Case::default()
    }
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
fn write_findings<'a>(text: &mut String, findings: impl IntoIterator<Item = &'a Finding>) {
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
        if let Some(usage) = super::usage_note(finding) {
            let _ = writeln!(text, "  {}", attr(&usage));
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

#[cfg(test)]
mod tests {
    use time::macros::datetime;

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
        assert_eq!(
            xml.matches(r#"<skipped message="skip: true in the scenario"/>"#)
                .count(),
            1,
            "{xml}"
        );
        assert!(xml.contains(r#"skipped="1" hostname"#), "{xml}");
    }

    #[test]
    fn one_failure_per_cause_most_harmful_first_each_with_its_findings() {
        let mut run = sample::run();
        crate::model::cause::annotate(&mut run);
        let xml = render_at(&run, datetime!(2026-01-01 00:00 UTC));
        let case = xml
            .split("<testcase ")
            .find(|c| c.starts_with("name=\"POST /customers #1\""))
            .expect("the failing exchange");
        let messages: Vec<&str> = case
            .split("<failure type=\"")
            .skip(1)
            .map(|f| f.split("\">").next().unwrap_or(""))
            .collect();
        assert_eq!(
            messages,
            [
                "peer-contract\" message=\"`erp` rejects the target&apos;s requests to \
                 `erp.customers.upsert`: missing required property `tax_id`",
                "renamed\" message=\"`tax_id` renamed to `taxNumber`",
                "type-changed\" message=\"`credit_limit` changed type number → string",
                "format-drift\" message=\"date-time offset changed from +08:00 to +09:00 in \
                 `crm` date-time values",
            ]
        );
        // The rename's failure holds its two findings and nothing else.
        let renamed = case
            .split("<failure type=\"renamed\"")
            .nth(1)
            .and_then(|f| f.split("</failure>").next())
            .expect("the rename");
        assert!(renamed.contains("field-removed at /tax_id"), "{renamed}");
        assert!(renamed.contains("field-added at /taxNumber"), "{renamed}");
        assert!(!renamed.contains("credit_limit"), "{renamed}");
        // The testsuite counts the testcase once.
        assert!(
            xml.contains(r#"<testsuites tests="7" failures="2" errors="1""#),
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
             tests=\"5\" failures=\"2\" errors=\"1\" skipped=\"0\""
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
        assert!(written.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites "));
        assert_eq!(written.matches("<error").count(), 1);
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
