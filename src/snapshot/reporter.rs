//! The snapshot writer: a reporter that turns every live response into a snapshot and compares
//! it with the accepted one.
//!
//! Snapshots are taken for scenarios loaded from a `scenario.yaml` (not for ad-hoc `--replay`
//! runs, which have no folder to keep them in). A differing snapshot is not a finding: the drift
//! checks already judge the difference; the snapshot keeps it for review. At the end of the run
//! one line on stderr says what is pending and how to review it.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::check::ExchangeResult;
use crate::error::Error;
use crate::pipeline::RunPlan;
use crate::replay::LiveResponse;
use crate::report::{Event, Reporter};
use crate::scenario::{SCENARIO_FILE, Scenario};

use super::normalize::{self, Response};
use super::{Metadata, Mode, Outcome, SNAPSHOT_DIR, SnapFile};

/// Writes snapshots as exchanges finish; summarizes at the end of the run.
pub struct SnapshotReporter {
    plan: Arc<RunPlan>,
    mode: Mode,
    out: Box<dyn Write + Send>,
    counts: Counts,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    unchanged: usize,
    new_pending: usize,
    changed_pending: usize,
    written: usize,
    new_not_written: usize,
    changed_not_written: usize,
}

impl SnapshotReporter {
    /// A reporter for `plan`, writing as `mode` says; the summary goes to `out`.
    pub fn new(plan: Arc<RunPlan>, mode: Mode, out: Box<dyn Write + Send>) -> Self {
        SnapshotReporter {
            plan,
            mode,
            out,
            counts: Counts::default(),
        }
    }

    fn exchange(
        &mut self,
        scenario: &str,
        result: &ExchangeResult,
        live: &LiveResponse,
    ) -> Result<(), Error> {
        let Some(scenario) = self.plan.scenarios.iter().find(|s| s.name == scenario) else {
            return Ok(());
        };
        if scenario.file.file_name().is_none_or(|n| n != SCENARIO_FILE) {
            return Ok(());
        }
        let Some(folder) = scenario.file.parent() else {
            return Ok(());
        };
        let snap = snapshot_of(&self.plan, scenario, result, live);
        let route = result.name.split(' ').nth(1).unwrap_or(&result.url);
        let name = super::file_name(&scenario.name, result.index, &result.method, route);
        let path = folder.join(SNAPSHOT_DIR).join(name);
        let counts = &mut self.counts;
        match super::record(&path, &snap, self.mode)? {
            Outcome::Unchanged => counts.unchanged += 1,
            Outcome::NewPending => counts.new_pending += 1,
            Outcome::ChangedPending => counts.changed_pending += 1,
            Outcome::NewAccepted | Outcome::ChangedAccepted => counts.written += 1,
            Outcome::NewNotWritten => counts.new_not_written += 1,
            Outcome::ChangedNotWritten => counts.changed_not_written += 1,
        }
        Ok(())
    }

    fn summary(&self) -> Option<String> {
        let c = self.counts;
        let pending = c.new_pending + c.changed_pending;
        let unwritten = c.new_not_written + c.changed_not_written;
        let mut parts = Vec::new();
        if pending > 0 {
            parts.push(format!(
                "{pending} pending ({} changed, {} new) — review with `interlock review` or `cargo insta review`",
                c.changed_pending, c.new_pending
            ));
        }
        if c.written > 0 {
            parts.push(format!("{} written", c.written));
        }
        if unwritten > 0 {
            parts.push(format!(
                "{} changed and {} new not written (mode `no`, the default on CI; pass --snapshots new to keep them for review)",
                c.changed_not_written, c.new_not_written
            ));
        }
        if parts.is_empty() {
            return (c.unchanged > 0).then(|| format!("snapshots: {} unchanged", c.unchanged));
        }
        Some(format!("snapshots: {}", parts.join("; ")))
    }
}

impl Reporter for SnapshotReporter {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        match event {
            Event::ExchangeFinished {
                scenario,
                result,
                live: Some(live),
            } => self.exchange(scenario, result, live),
            Event::RunFinished { .. } => {
                if let Some(line) = self.summary() {
                    // The summary is advice; a closed stream must not fail the run.
                    let _ = writeln!(self.out, "{line}");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The snapshot file of one exchange's live response.
pub fn snapshot_of(
    plan: &RunPlan,
    scenario: &Scenario,
    result: &ExchangeResult,
    live: &LiveResponse,
) -> SnapFile {
    let interface = result.interface.as_deref();
    let expectation = scenario.expectation_for(result.index, interface);
    let ignore = scenario.ignore.with(&expectation.ignore);
    let declared: Vec<&str> = interface
        .and_then(|i| plan.contracts.by_interface(i))
        .and_then(|c| c.response_for(live.status))
        .map(|(_, spec)| spec.headers.iter().map(|h| h.name.as_str()).collect())
        .unwrap_or_default();
    let response = Response {
        status: live.status,
        headers: &live.headers,
        body: &live.body,
    };
    let doc = normalize::document(response, &declared, &ignore);
    let description = match interface {
        Some(i) => format!("{i}: {} {}", result.method, result.url),
        None => format!("{} {}", result.method, result.url),
    };
    SnapFile {
        metadata: Metadata {
            source: Some(slash_path(&scenario.file)),
            description: Some(description),
            expression: Some(result.name.clone()),
        },
        contents: normalize::render(&doc),
    }
}

/// A path with `/` separators, as insta writes `source:`.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
