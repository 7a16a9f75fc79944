//! Fault injection at run time: the rules of one peer (configured in
//! [`crate::scenario::fault`]) counting calls per route and picking the fault for each call.
//!
//! Percentages are reproducible: whether call N of a rule is hit depends only on the seed, the
//! rule's position and N, never on timing or on other routes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::scenario::fault::{Action, Calls, FaultSpec};

/// One fault rule, ready to apply.
#[derive(Debug)]
pub(crate) struct Fault {
    spec: FaultSpec,
    /// Calls seen on the rule's route so far.
    seen: AtomicU64,
}

/// The fault chosen for one call.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub delay: Option<Duration>,
    pub action: Option<Action>,
    /// E.g. ``status 503 (Retry-After: 1) on call 1 of `POST /erp/v2/customers` ``.
    pub label: String,
}

impl Fault {
    pub(crate) fn new(spec: FaultSpec) -> Fault {
        Fault {
            spec,
            seen: AtomicU64::new(0),
        }
    }

    fn selects(&self, call: u64, seed: u64, rule: usize) -> bool {
        match self.spec.calls {
            Calls::Every => true,
            Calls::Range(from, to) => (from..=to).contains(&call),
            Calls::Percent(p) => {
                let mix = seed ^ ((rule as u64) << 48) ^ call.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                fastrand::Rng::with_seed(mix).f64() * 100.0 < p
            }
        }
    }
}

/// The fault rules of one peer.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<Fault>,
    seed: u64,
}

impl Faults {
    pub(crate) fn new(rules: Vec<Fault>, seed: u64) -> Self {
        Faults { rules, seed }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Counts the call on every rule whose route it is on and returns the first rule that
    /// fires. `template` is the path template of the contract covering the call, if any.
    pub(crate) fn pick(&self, method: &str, path: &str, template: Option<&str>) -> Option<Hit> {
        let mut hit = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.spec.route_matches(method, path, template) {
                continue;
            }
            let call = rule.seen.fetch_add(1, Ordering::Relaxed) + 1;
            if hit.is_none() && rule.selects(call, self.seed, index) {
                let delay = rule.spec.delay.map(|(min, max)| {
                    if min == max {
                        min
                    } else {
                        let mix = self.seed ^ call ^ ((index as u64) << 40) ^ 0x5bd1_e995;
                        let span = (max - min).as_millis() as u64;
                        min + ms_duration(fastrand::Rng::with_seed(mix).u64(0..=span))
                    }
                });
                hit = Some(Hit {
                    delay,
                    action: rule.spec.action.clone(),
                    label: rule.spec.describe(call),
                });
            }
        }
        hit
    }
}

fn ms_duration(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::fault::{Action, parse_spec};

    fn fault(spec: &str) -> Fault {
        Fault::new(FaultSpec::from_raw(&parse_spec(spec).expect("a spec")).expect("a fault"))
    }

    fn hits(faults: &Faults, method: &str, path: &str, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| faults.pick(method, path, None).is_some())
            .collect()
    }

    #[test]
    fn nth_call_and_ranges_count_per_route() {
        let faults = Faults::new(
            vec![fault("status:503,calls=2,route=POST /erp/v2/customers")],
            0,
        );
        assert!(faults.pick("GET", "/erp/v2/customers", None).is_none());
        assert_eq!(
            hits(&faults, "POST", "/erp/v2/customers", 3),
            [false, true, false]
        );
        let faults = Faults::new(vec![fault("close,calls=1..2")], 0);
        assert_eq!(hits(&faults, "GET", "/x", 3), [true, true, false]);
    }

    #[test]
    fn percentages_are_reproducible_and_roughly_right() {
        let run = || {
            let faults = Faults::new(vec![fault("reset,calls=25%")], 7);
            hits(&faults, "GET", "/x", 400)
        };
        let first = run();
        assert_eq!(first, run());
        let hit = first.iter().filter(|h| **h).count();
        assert!((60..140).contains(&hit), "{hit} of 400");
    }

    #[test]
    fn templates_match_concrete_paths_and_labels_name_the_call() {
        let faults = Faults::new(vec![fault("status:429,retry_after=2,route=GET /r/{id}")], 0);
        let hit = faults.pick("get", "/r/INV-1", None).expect("a hit");
        assert_eq!(
            hit.label,
            "status 429 (Retry-After: 2) on call 1 of `GET /r/{id}`"
        );
        assert_eq!(
            hit.action,
            Some(Action::Status {
                status: 429,
                retry_after: Some(2)
            })
        );
    }

    #[test]
    fn random_delays_stay_in_range() {
        let faults = Faults::new(vec![fault("delay:200-800")], 3);
        for _ in 0..50 {
            let delay = faults
                .pick("GET", "/", None)
                .and_then(|h| h.delay)
                .expect("a delay");
            assert!((200..=800).contains(&delay.as_millis()), "{delay:?}");
        }
    }

    #[test]
    fn bad_rules_say_what_would_be_right() {
        let err = |spec: &str| {
            parse_spec(spec)
                .and_then(|raw| FaultSpec::from_raw(&raw).map(|_| ()))
                .expect_err("an error")
        };
        assert!(err("explode").contains("is not a fault"));
        assert!(err("reset,close").contains("one rule per fault"));
        assert!(err("reset,calls=0").contains("counts from 1"));
        assert!(err("reset,calls=often").contains("percentage"));
        assert!(err("status:503,route=erp/customers").contains("must start with `/`"));
        assert!(err("retry_after=3").contains("goes with `status`"));
    }
}
