//! Reports: independent consumers of the runner's events.
//!
//! The runner emits [`Event`]s; each output format is a [`Reporter`]. Adding a format never
//! touches the runner. Files are written atomically by [`crate::fsutil::write_atomic`].

pub(crate) mod console;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod junit_xml;
pub(crate) mod listing;
pub(crate) mod markdown;
pub(crate) mod merge;
pub(crate) mod snapshot_summary;
pub(crate) mod spool;

use crate::contract::Contract;
use crate::error::Error;
use crate::model::{ExchangeResult, RunResult, ScenarioResult};
use crate::recording::Exchange;
use crate::scenario::{IgnoreRules, Scenario};
use crate::snapshot;

/// What the runner tells reporters, in order. Events carry what reporters need (the scenario,
/// the recorded exchange, the decisions already taken), so a reporter never looks anything up.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Before anything is replayed.
    RunStarted {
        scenarios: usize,
        exchanges: usize,
    },
    ScenarioStarted {
        scenario: &'a Scenario,
        /// The target's base URL, or `recorded` for the embedded stand-in.
        target: &'a str,
    },
    ExchangeFinished {
        scenario: &'a Scenario,
        /// The recorded exchange that was replayed.
        exchange: &'a Exchange,
        result: &'a ExchangeResult,
        /// The contract the exchange was checked against, if one covers it.
        contract: Option<&'a Contract>,
        /// The ignore rules that applied (the scenario's merged with the exchange's).
        ignore: &'a IgnoreRules,
        /// How the exchange's snapshot compared, when one was taken.
        snapshot: Option<snapshot::Outcome>,
    },
    ScenarioFinished {
        result: &'a ScenarioResult,
    },
    /// The whole run, after every scenario.
    RunFinished {
        result: &'a RunResult,
    },
}

/// Where a run (or a merge of runs) writes its file reports.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outputs {
    pub report_json: Option<std::path::PathBuf>,
    pub junit: Option<std::path::PathBuf>,
    pub html: Option<std::path::PathBuf>,
    pub summary_md: Option<std::path::PathBuf>,
    /// `--color` of the console report.
    pub color: crate::terminal::ColorChoice,
    /// `-q` / `-v` of the console report.
    pub verbosity: crate::terminal::Verbosity,
}

impl Outputs {
    /// Whether one of the outputs is `-`, standard output.
    pub(crate) fn uses_stdout(&self) -> bool {
        self.paths().any(crate::fsutil::is_stdio)
    }

    fn paths(&self) -> impl Iterator<Item = &std::path::Path> {
        [&self.report_json, &self.junit, &self.html, &self.summary_md]
            .into_iter()
            .flatten()
            .map(std::path::PathBuf::as_path)
    }

    /// At most one output may be `-`: standard output holds one report.
    pub(crate) fn validate(&self) -> Result<(), crate::error::InputError> {
        if self.paths().filter(|p| crate::fsutil::is_stdio(p)).count() > 1 {
            return Err(crate::error::InputError::usage(
                "only one report can go to standard output (`-`)",
            )
            .with_hint("write the others to files"));
        }
        Ok(())
    }

    /// The console report (styled by `color`, `verbosity` and the terminal) on stdout, or on stderr when a report goes
    /// to stdout; then [`Outputs::reporters`].
    pub(crate) fn with_console(&self) -> Vec<Box<dyn Reporter>> {
        let sink: Box<dyn std::io::Write + Send> = if self.uses_stdout() {
            Box::new(std::io::stderr())
        } else {
            Box::new(crate::fsutil::stdout())
        };
        let console = console::ConsoleReporter::new(
            sink,
            console::ConsoleStyle::new(self.color, self.verbosity),
        );
        let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(console)];
        reporters.extend(self.reporters());
        reporters
    }

    /// The file reporters for these outputs; the Markdown summary is also appended to
    /// `$GITHUB_STEP_SUMMARY` when that is set.
    pub(crate) fn reporters(&self) -> Vec<Box<dyn Reporter>> {
        let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
        if let Some(path) = &self.report_json {
            reporters.push(Box::new(json::JsonReporter::new(path.clone())));
        }
        if let Some(path) = &self.junit {
            reporters.push(Box::new(junit::JunitReporter::new(path.clone())));
        }
        if let Some(path) = &self.html {
            reporters.push(Box::new(html::HtmlReporter::new(path.clone())));
        }
        let step_summary = markdown::MarkdownReporter::step_summary_from_env();
        if self.summary_md.is_some() || step_summary.is_some() {
            reporters.push(Box::new(markdown::MarkdownReporter::new(
                self.summary_md.clone(),
                step_summary,
            )));
        }
        reporters
    }
}

/// One output format.
pub trait Reporter: Send {
    /// Receives every event; file reporters usually write on [`Event::RunFinished`].
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error>;
}

/// `value` with its backtick-quoted parts rendered by `code` and the rest by `text`: the code
/// spans of cause lines and messages (`` `tax_id` renamed ``) in the Markdown and HTML reports.
/// An unpaired backtick leaves the whole value plain text; an empty pair renders nothing.
pub(crate) fn code_spans(
    value: &str,
    code: impl Fn(&str) -> String,
    text: impl Fn(&str) -> String,
) -> String {
    let parts: Vec<&str> = value.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return text(value);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 && !part.is_empty() {
                code(part)
            } else {
                text(part)
            }
        })
        .collect()
}

/// What the recordings show of a finding's field use, as every report shows it: `used by:
/// erp.customer-sync (2 of 2 recorded calls)`, with `(information: [diff] unused)` on a finding
/// softened for no recorded use.
pub(crate) fn usage_note(finding: &crate::model::Finding) -> Option<String> {
    let usage = finding.usage.as_ref()?;
    Some(if finding.softened {
        format!("{} (information: [diff] unused)", usage.summary)
    } else {
        usage.summary.clone()
    })
}

#[cfg(test)]
/// For the file reporters' tests: feeds `reporter` a run start, checks nothing is written to
/// `path` yet, then the finished `run`, and returns what was written.
pub(crate) fn written_on_run_finished(
    reporter: &mut dyn Reporter,
    path: &std::path::Path,
    run: &RunResult,
) -> String {
    reporter
        .report(&Event::RunStarted {
            scenarios: run.scenarios.len(),
            exchanges: run.counts().exchanges,
        })
        .expect("run started");
    assert!(!path.exists(), "written before the run finished");
    reporter
        .report(&Event::RunFinished { result: run })
        .expect("run finished");
    std::fs::read_to_string(path).expect("the written report")
}
