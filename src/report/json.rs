//! The JSON report: the whole run as one machine-readable document.
//!
//! Written once, when the run finishes: atomically to a file, as it is assembled to `-`, a
//! device or a FIFO ([`crate::fsutil::AtomicFile`]). The document is versioned by its first key,
//! `"interlock_report": 2`, and carries the verdict and exit code the gate used, the counts, the
//! ranked causes (each finding names its cause by id), and every scenario with its exchanges, findings and latency — the result model's own
//! serialization, with each scenario and exchange's outcome added. The format is specified in
//! `docs/json-report.md`.

use std::path::PathBuf;

use serde::Serialize;

use super::spool::{Piece, Spool, kept_at};
use super::{Event, Reporter};
use crate::error::Error;
use crate::fsutil::AtomicFile;
use crate::model::cause::causes;
use crate::model::{
    Binding, Cause, Counts, ExchangeResult, Finding, Latency, Outcome, Reconciliation, RunResult,
    ScenarioResult, ShardOf,
};

/// The version of the document, bumped on any incompatible change.
pub(crate) const FORMAT_VERSION: u32 = 2;

/// The versions `interlock report merge` reads: 1 had no `causes`.
pub(crate) const READABLE_VERSIONS: [u32; 2] = [1, 2];

/// Writes the JSON report to a file when the run finishes. Each exchange the run does not keep
/// is written to a spool as it finishes, and copied into its place at the end.
pub(crate) struct JsonReporter {
    path: PathBuf,
    spool: Spool,
}

impl JsonReporter {
    pub(crate) fn new(path: PathBuf) -> Self {
        JsonReporter {
            spool: Spool::beside(&path),
            path,
        }
    }

    fn error(&self, err: impl std::fmt::Display) -> Error {
        Error::environment(format!(
            "cannot write the JSON report {}: {err}",
            self.path.display()
        ))
    }
}

impl Reporter for JsonReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        match event {
            Event::ExchangeFinished {
                scenario, result, ..
            } => self
                .spool
                .add(&scenario.name, result, |e| listed_exchange(e).into_bytes())
                .map_err(|err| self.error(err)),
            Event::RunFinished { result } => {
                let mut file = AtomicFile::create(&self.path)?;
                write_json(result, &mut self.spool, &mut file).map_err(|err| self.error(err))?;
                file.commit()
            }
            _ => Ok(()),
        }
    }
}

/// Where a scenario's exchanges go in the document, as the list or a placeholder string that
/// [`write_json`] replaces with the spooled exchanges.
#[derive(Serialize)]
#[serde(untagged)]
enum Exchanges<'a> {
    Listed(Vec<ExchangeReport<'a>>),
    Spooled(String),
}

/// Indentation of an exchange object in the pretty-printed document (`scenarios[i]
/// .exchanges[j]` is four levels deep), and of the closing bracket of its list.
const EXCHANGE_INDENT: &str = "        ";
const LIST_END_INDENT: &str = "      ";

/// One exchange as it appears in the document's `exchanges` list, indented to its place.
fn listed_exchange(exchange: &ExchangeResult) -> String {
    let report = ExchangeReport {
        outcome: exchange.outcome(),
        exchange,
    };
    // String keys and infallible serializers: this cannot fail.
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    let mut indented = String::with_capacity(text.len() + 256);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            indented.push('\n');
        }
        indented.push_str(EXCHANGE_INDENT);
        indented.push_str(line);
    }
    indented
}

/// The document, with the exchanges of spooled scenarios copied from the spool (the kept ones
/// rendered from `result`, with their causes). Pretty-printed JSON never holds a raw newline
/// inside a string, so an exchange printed alone and indented reads exactly as the whole
/// document would print it.
///
/// What is held in memory is the document without its spooled exchanges (what the run keeps
/// anyway: counts, causes, the exchanges with a finding or an error); the spooled ones go from
/// the spool to `out` one at a time. A result with nothing spooled (one read back from reports)
/// is serialized straight to `out`.
fn write_json(
    result: &RunResult,
    spool: &mut Spool,
    out: &mut dyn std::io::Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let marker = format!("interlock-spooled-exchanges-{:016x}", fastrand::u64(..));
    let mut report = Report::of(result);
    let mut spooled = false;
    for (i, scenario) in report.scenarios.iter_mut().enumerate() {
        if spool.has(scenario.name) {
            scenario.exchanges = Exchanges::Spooled(format!("{marker}-{i}"));
            spooled = true;
        }
    }
    if !spooled {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        out.write_all(b"\n")?;
        return Ok(());
    }
    let text = serde_json::to_string_pretty(&report)?;
    let mut rest = text.as_str();
    for (i, scenario) in result.scenarios.iter().enumerate() {
        let placeholder = format!("\"{marker}-{i}\"");
        let Some((before, after)) = rest.split_once(&placeholder) else {
            continue;
        };
        out.write_all(before.as_bytes())?;
        let mut first = true;
        spool.replay(&scenario.name, |piece| {
            let kept;
            let bytes = match piece {
                Piece::Text(bytes) => bytes,
                Piece::Kept(index) => match kept_at(&scenario.exchanges, index) {
                    Some(exchange) => {
                        kept = listed_exchange(exchange);
                        kept.as_bytes()
                    }
                    None => return Ok(()),
                },
            };
            out.write_all(if first { b"[\n" } else { b",\n" })?;
            first = false;
            out.write_all(bytes)
        })?;
        if first {
            out.write_all(b"[]")?;
        } else {
            write!(out, "\n{LIST_END_INDENT}]")?;
        }
        rest = after;
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
/// The JSON report of a finished run, pretty-printed, with a trailing newline.
pub(crate) fn render(result: &RunResult) -> String {
    // The model has string keys and infallible serializers only, so this cannot fail; should
    // it ever, the document still says so in valid JSON.
    to_json(result).unwrap_or_else(|err| {
        serde_json::json!({
            "interlock_report": FORMAT_VERSION,
            "error": format!("cannot serialize the run: {err}"),
        })
        .to_string()
    })
}

#[cfg(test)]
fn to_json(result: &RunResult) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&Report::of(result))?;
    text.push('\n');
    Ok(text)
}

#[derive(Serialize)]
struct Report<'a> {
    interlock_report: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<ShardOf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a str>,
    verdict: &'static str,
    exit_code: u8,
    counts: Counts,
    duration_ms: f64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    notes: &'a [String],
    causes: Vec<Cause>,
    scenarios: Vec<ScenarioReport<'a>>,
}

#[derive(Serialize)]
struct ScenarioReport<'a> {
    name: &'a str,
    target: &'a str,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(flatten)]
    environment: &'a crate::model::Environment,
    duration_ms: f64,
    exchanges: Exchanges<'a>,
    findings: &'a [Finding],
    latency: &'a [Latency],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    bindings: &'a [Binding],
    #[serde(skip_serializing_if = "Option::is_none")]
    reconciliation: Option<&'a Reconciliation>,
}

#[derive(Serialize)]
struct ExchangeReport<'a> {
    outcome: Outcome,
    #[serde(flatten)]
    exchange: &'a ExchangeResult,
}

impl<'a> Report<'a> {
    fn of(result: &'a RunResult) -> Self {
        Report {
            interlock_report: FORMAT_VERSION,
            shard: result.shard,
            run_id: result.run_id.as_deref(),
            verdict: result.verdict(),
            exit_code: result.exit_code(),
            counts: result.counts(),
            duration_ms: millis(result.duration),
            notes: &result.notes,
            causes: causes(result),
            scenarios: result.scenarios.iter().map(ScenarioReport::of).collect(),
        }
    }
}

impl<'a> ScenarioReport<'a> {
    fn of(scenario: &'a ScenarioResult) -> Self {
        ScenarioReport {
            name: &scenario.name,
            target: &scenario.target,
            outcome: scenario.outcome(),
            error: scenario.error.as_deref(),
            environment: &scenario.environment,
            duration_ms: millis(scenario.duration),
            exchanges: Exchanges::Listed(
                scenario
                    .exchanges
                    .iter()
                    .map(|exchange| ExchangeReport {
                        outcome: exchange.outcome(),
                        exchange,
                    })
                    .collect(),
            ),
            findings: &scenario.findings,
            latency: &scenario.latency,
            bindings: &scenario.bindings,
            reconciliation: scenario.reconciliation.as_deref(),
        }
    }
}

/// Milliseconds with microsecond precision, as the model serializes its durations.
fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::report::console::sample;

    fn parsed(result: &RunResult) -> Value {
        serde_json::from_str(&render(result)).expect("the report is JSON")
    }

    #[test]
    fn header_matches_the_run() {
        let run = sample::run();
        let report = parsed(&run);
        assert_eq!(report["interlock_report"], json!(2));
        assert_eq!(report["verdict"], json!(run.verdict()));
        assert_eq!(report["exit_code"], json!(run.exit_code()));
        assert_eq!(report["duration_ms"], json!(5234.0));
        let keys: Vec<&str> = report
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "interlock_report",
                "verdict",
                "exit_code",
                "counts",
                "duration_ms",
                "causes",
                "scenarios"
            ]
        );
    }

    #[test]
    fn counts_equal_the_model() {
        let run = sample::run();
        let counts: Counts = run.counts();
        let report = parsed(&run);
        assert_eq!(
            report["counts"],
            serde_json::to_value(counts).expect("counts serialize")
        );
        assert_eq!(
            report["counts"],
            json!({"scenarios": 2, "exchanges": 6, "passed": 4, "failed": 1, "errors": 1, "findings": 6})
        );
    }

    #[test]
    fn outcomes_findings_and_errors_are_carried() {
        let report = parsed(&sample::run());
        let sync = &report["scenarios"][0];
        assert_eq!(sync["name"], json!("customer-sync"));
        assert_eq!(sync["outcome"], json!("error"));
        assert!(sync.get("error").is_none());
        let outcomes: Vec<&Value> = sync["exchanges"]
            .as_array()
            .expect("exchanges")
            .iter()
            .map(|e| &e["outcome"])
            .collect();
        assert_eq!(
            outcomes,
            [
                &json!("passed"),
                &json!("failed"),
                &json!("passed"),
                &json!("error")
            ]
        );

        let create = &sync["exchanges"][1];
        assert_eq!(create["name"], json!("POST /customers #1"));
        assert_eq!(create["duration_ms"], json!(48.0));
        assert_eq!(
            create["findings"][2],
            json!({
                "kind": "type-changed",
                "severity": "failure",
                "location": {"kind": "response"},
                "interface": "crm.customers.create",
                "path": "/credit_limit",
                "old": 500000,
                "new": "500000",
                "affected": ["crm", "erp", "finance"],
                "message": "type changed from integer to string"
            })
        );
        assert_eq!(
            create["findings"][4]["location"],
            json!({"kind": "peer-request", "peer": "erp"})
        );

        let order = &sync["exchanges"][3];
        assert!(order.get("live_status").is_none());
        assert!(
            order["error"]
                .as_str()
                .expect("error")
                .contains("no response within 5 s")
        );
        assert_eq!(sync["findings"][0]["kind"], json!("peer-call-missing"));
        assert_eq!(sync["latency"][3]["count"], json!(3));
        assert_eq!(report["scenarios"][1]["outcome"], json!("passed"));
    }

    #[test]
    fn reporter_writes_on_run_finished_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out/report.json");
        let run = sample::run();
        let mut reporter = JsonReporter::new(path.clone());
        let written = crate::report::written_on_run_finished(&mut reporter, &path, &run);
        assert_eq!(written, render(&run));
    }

    #[test]
    fn unwritable_path_is_an_environment_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").expect("a file");
        let mut reporter = JsonReporter::new(blocker.join("report.json"));
        let err = reporter
            .report(&Event::RunFinished {
                result: &sample::run(),
            })
            .expect_err("a file is not a directory");
        assert_eq!(err.exit_code(), crate::exit_code::ENVIRONMENT);
    }
}
