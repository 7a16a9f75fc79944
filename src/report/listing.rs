//! The exchanges a run counted without keeping them (passed without a finding, or skipped),
//! taken back from [`Event::ExchangeFinished`](super::Event) for the reports that list
//! exchanges in a page or a terminal: up to [`LISTED_PER_SCENARIO`] per scenario, the rest
//! counted in a line that says how many were left out.

use std::collections::HashMap;

use crate::model::{ExchangeResult, RunResult};

/// Passing (and skipped) exchanges of one scenario that the console and HTML reports list.
pub(crate) const LISTED_PER_SCENARIO: usize = 1000;

/// The passing exchanges seen so far, by scenario name.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    by_scenario: HashMap<String, Vec<ExchangeResult>>,
}

impl Listing {
    /// Takes an exchange that finished, if the run does not keep it and the scenario has
    /// fewer than [`LISTED_PER_SCENARIO`] listed.
    pub(crate) fn add(&mut self, scenario: &str, exchange: &ExchangeResult) {
        if exchange.kept_to_the_end() {
            return;
        }
        let listed = self.by_scenario.entry(scenario.to_owned()).or_default();
        if listed.len() < LISTED_PER_SCENARIO {
            listed.push(exchange.clone());
        }
    }

    /// The run with the listed exchanges back in their scenarios, in order, and no longer
    /// counted as unlisted; what stays in [`crate::model::ScenarioResult::unlisted`] was left
    /// out. A result that already lists an exchange (one read back from a report) keeps it.
    pub(crate) fn relisted(&self, run: &RunResult) -> RunResult {
        let mut run = run.clone();
        for scenario in &mut run.scenarios {
            let Some(listed) = self.by_scenario.get(&scenario.name) else {
                continue;
            };
            let mut merged = Vec::with_capacity(scenario.exchanges.len() + listed.len());
            let mut kept = std::mem::take(&mut scenario.exchanges)
                .into_iter()
                .peekable();
            for exchange in listed {
                while kept.peek().is_some_and(|k| k.index < exchange.index) {
                    merged.extend(kept.next());
                }
                if kept.peek().is_some_and(|k| k.index == exchange.index) {
                    continue;
                }
                let unlisted = &mut scenario.unlisted;
                if exchange.skipped {
                    unlisted.skipped = unlisted.skipped.saturating_sub(1);
                } else {
                    unlisted.passed = unlisted.passed.saturating_sub(1);
                }
                merged.push(exchange.clone());
            }
            merged.extend(kept);
            scenario.exchanges = merged;
        }
        run
    }
}
