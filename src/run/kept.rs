//! What a scenario keeps of its exchanges until the run finishes: every exchange with a finding
//! or an error, the recorded and live bodies of only the first few failing exchanges per cause,
//! and counts of the rest. Reporters that list every exchange receive each one as it finishes
//! ([`crate::report::Event::ExchangeFinished`]), so a run of a million exchanges keeps no more
//! than its failures.

use std::collections::HashMap;

use crate::model::{ExchangeResult, Unlisted};

/// The exchanges of one scenario as it runs, compacted.
#[derive(Debug, Default)]
pub(super) struct Kept {
    pub exchanges: Vec<ExchangeResult>,
    pub unlisted: Unlisted,
    /// Failing exchanges whose bodies were kept, by cause id.
    bodies: HashMap<String, usize>,
    max_bodies_per_cause: usize,
}

impl Kept {
    pub(super) fn new(max_bodies_per_cause: usize) -> Self {
        Kept {
            max_bodies_per_cause,
            ..Kept::default()
        }
    }

    /// Keeps an exchange with a finding or an error (its bodies only while one of its causes
    /// has fewer than the maximum kept), counts any other.
    pub(super) fn add(&mut self, mut exchange: ExchangeResult) {
        if !exchange.kept_to_the_end() {
            self.unlisted.count(&exchange);
            return;
        }
        if exchange.recorded_body.is_some() || exchange.live_body.is_some() {
            let ids = crate::model::cause::failing_cause_ids(&exchange);
            let max = self.max_bodies_per_cause;
            let wanted = ids
                .iter()
                .any(|id| self.bodies.get(id).copied().unwrap_or(0) < max);
            if wanted {
                for id in ids {
                    *self.bodies.entry(id).or_default() += 1;
                }
            } else {
                exchange.recorded_body = None;
                exchange.live_body = None;
            }
        }
        self.exchanges.push(exchange);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::model::{Finding, FindingKind, Location};

    fn exchange(index: usize, findings: Vec<Finding>) -> ExchangeResult {
        let failing = findings.iter().any(Finding::is_failure);
        ExchangeResult {
            index,
            name: format!("GET /x #{}", index + 1),
            method: "GET".into(),
            url: "/x".into(),
            interface: Some("crm.x".into()),
            recorded_status: 200,
            live_status: Some(200),
            duration: Duration::ZERO,
            recorded_duration_ms: None,
            findings,
            error: None,
            recorded_body: failing.then(|| json!({"a": 1})),
            live_body: failing.then(|| json!({"a": "1"})),
            skipped: false,
        }
    }

    fn changed(path: &str) -> Finding {
        Finding::new(
            FindingKind::TypeChanged,
            Location::Response,
            path,
            "type changed",
        )
        .with_values(Some(json!(1)), Some(json!("1")))
    }

    #[test]
    fn passing_exchanges_are_counted_failing_ones_kept_with_bodies_up_to_the_cap_per_cause() {
        let mut kept = Kept::new(2);
        for i in 0..10 {
            let findings = match i % 5 {
                0 => vec![changed("/a")],
                1 => vec![changed("/b")],
                _ => Vec::new(),
            };
            kept.add(exchange(i, findings));
        }
        assert_eq!(kept.unlisted.passed, 6);
        assert_eq!(kept.unlisted.live_statuses.get(&200), Some(&6));
        let with_bodies: Vec<usize> = (kept.exchanges.iter())
            .filter(|e| e.recorded_body.is_some() && e.live_body.is_some())
            .map(|e| e.index)
            .collect();
        let kept_indices: Vec<usize> = kept.exchanges.iter().map(|e| e.index).collect();
        assert_eq!(kept_indices, [0, 1, 5, 6]);
        assert_eq!(with_bodies, [0, 1, 5, 6]);

        let mut capped = Kept::new(1);
        for i in 0..4 {
            capped.add(exchange(i, vec![changed("/a")]));
        }
        let bodies: Vec<bool> = (capped.exchanges.iter())
            .map(|e| e.live_body.is_some())
            .collect();
        assert_eq!(bodies, [true, false, false, false]);
        assert!(capped.exchanges.iter().all(|e| e.findings.len() == 1));
    }
}
