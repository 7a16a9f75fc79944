//! The snapshot line: what the run's snapshot decisions add up to, and how to review them.
//!
//! The runner decides each exchange's snapshot ([`crate::snapshot::record`]) and says how it
//! went in [`Event::ExchangeFinished`]; this reporter counts the outcomes and prints one line at
//! the end of the run (on stderr, beside the console report).

use std::io::Write;

use super::{Event, Reporter};
use crate::error::Error;
use crate::snapshot::Outcome;

/// Counts snapshot outcomes; writes the summary line when the run finishes.
pub(crate) struct SnapshotSummary {
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

impl SnapshotSummary {
    /// The summary goes to `out`.
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        SnapshotSummary {
            out,
            counts: Counts::default(),
        }
    }

    fn count(&mut self, outcome: Outcome) {
        let counts = &mut self.counts;
        match outcome {
            Outcome::Unchanged => counts.unchanged += 1,
            Outcome::NewPending => counts.new_pending += 1,
            Outcome::ChangedPending => counts.changed_pending += 1,
            Outcome::NewAccepted | Outcome::ChangedAccepted => counts.written += 1,
            Outcome::NewNotWritten => counts.new_not_written += 1,
            Outcome::ChangedNotWritten => counts.changed_not_written += 1,
        }
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

impl Reporter for SnapshotSummary {
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error> {
        match event {
            Event::ExchangeFinished {
                snapshot: Some(outcome),
                ..
            } => self.count(*outcome),
            Event::RunFinished { .. } => {
                if let Some(line) = self.summary() {
                    // The summary is advice; a closed stream must not fail the run.
                    let _ = writeln!(self.out, "{line}");
                }
            }
            _ => {}
        }
        Ok(())
    }
}
