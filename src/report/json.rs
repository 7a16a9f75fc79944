//! The JSON report: the whole run as one machine-readable document.
//!
//! Written once, atomically, when the run finishes. The document is versioned by its first key,
//! `"interlock_report": 2`, and carries the verdict and exit code the gate used, the counts, the
//! ranked causes (each finding names its cause by id), and every scenario with its exchanges, findings and latency — the result model's own
//! serialization, with each scenario and exchange's outcome added. The format is specified in
//! `docs/json-report.md`.

use std::path::PathBuf;

use serde::Serialize;

use super::{Event, Reporter};
use crate::error::Error;
use crate::fsutil::write_atomic;
use crate::model::cause::causes;
use crate::model::{
    Binding, Cause, Counts, ExchangeResult, Finding, Latency, Outcome, Reconciliation, RunResult,
    ScenarioResult, ShardOf,
};

/// The version of the document, bumped on any incompatible change.
pub(crate) const FORMAT_VERSION: u32 = 2;

/// The versions `interlock report merge` reads: 1 had no `causes`.
pub(crate) const READABLE_VERSIONS: [u32; 2] = [1, 2];

/// Writes the JSON report to a file when the run finishes.
pub(crate) struct JsonReporter {
    path: PathBuf,
}

impl JsonReporter {
    pub(crate) fn new(path: PathBuf) -> Self {
        JsonReporter { path }
    }
}

impl Reporter for JsonReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        let Event::RunFinished { result } = event else {
            return Ok(());
        };
        let text = to_json(result).map_err(|err| {
            Error::environment(format!(
                "cannot write the JSON report {}: {err}",
                self.path.display()
            ))
        })?;
        write_atomic(&self.path, text.as_bytes())
    }
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
    exchanges: Vec<ExchangeReport<'a>>,
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
            exchanges: scenario
                .exchanges
                .iter()
                .map(|exchange| ExchangeReport {
                    outcome: exchange.outcome(),
                    exchange,
                })
                .collect(),
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
