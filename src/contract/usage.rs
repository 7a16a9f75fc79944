//! Usage evidence: which consumers the recordings show using a field of a target's request or
//! response, from the learned lineage (`contracts/lineage.yaml`) — `used by: erp.customer-sync
//! (2 of 2 recorded calls)`, or `no recorded use` when the interface's recorded traffic reached
//! its consumers, the field's recorded values could be followed, and none of them ever received
//! it.
//!
//! `interlock diff` and `interlock run` attach it to a finding on such a field, name only the
//! consumers the evidence leaves (those seen using it, and those with no recordings at all), and,
//! when the project opts in (`[diff] unused`), soften a finding on a field with no recorded use.
//! See `docs/lineage.md#usage-weighted-verdicts`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lineage::{Lineage, Side};

/// What the recordings say about the use of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub status: UsageStatus,
    /// Each peer operation seen receiving the field's value, most often first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<Use>,
    /// The consumers whose traffic the recordings hold: the evidence covers them.
    pub recorded: Vec<String>,
    /// Consumers of the interface without recorded traffic: the evidence says nothing of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrecorded: Vec<String>,
    /// One line: `used by: erp.customer-sync (2 of 2 recorded calls)`.
    pub summary: String,
}

/// Whether any recorded consumer used the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsageStatus {
    /// A recorded consumer received it.
    Used,
    /// The recorded consumers never received it.
    Unused,
}

/// One peer operation that received the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Use {
    /// The consumer (the peer's name).
    pub consumer: String,
    /// The peer operation's interface.
    pub interface: String,
    /// Where the value arrived in its request body.
    pub pointer: String,
    /// In how many recorded calls it arrived …
    pub held: u64,
    /// … of how many calls to that operation the recordings hold.
    pub calls: u64,
}

impl Usage {
    /// The consumers a finding on the field affects: those seen using it and those without
    /// recordings, in the order of `consumers`; a recorded consumer that never used it is left
    /// out.
    pub fn consumers(&self, consumers: &[String]) -> Vec<String> {
        consumers
            .iter()
            .filter(|c| {
                !self.recorded.contains(c) || self.used_by.iter().any(|u| &u.consumer == *c)
            })
            .cloned()
            .collect()
    }

    pub fn is_unused(&self) -> bool {
        self.status == UsageStatus::Unused
    }
}

impl Lineage {
    /// The use the recordings show of the field at `pointer` (a JSON pointer, `*` for any array
    /// item) in `interface`'s `side`, for an interface with `consumers` (any peer when it names
    /// none); `None` when the recordings hold no call of the interface to any of them (no
    /// evidence either way), and when no mapping starts at the field and its recorded values
    /// could not be followed (words, short codes, dates: see `compared`).
    pub fn usage(
        &self,
        interface: &str,
        side: Side,
        pointer: &str,
        consumers: &[String],
    ) -> Option<Usage> {
        // Calls per peer operation: the `calls` section, else what the mappings saw.
        let mut calls: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for c in self.calls.iter().filter(|c| c.from == interface) {
            *calls.entry((&c.peer, &c.interface)).or_default() += c.count;
        }
        if calls.is_empty() {
            for m in self
                .mappings
                .iter()
                .filter(|m| m.from.interface == interface)
            {
                let n = calls.entry((&m.to.peer, &m.to.interface)).or_default();
                *n = (*n).max(m.seen);
            }
        }
        // Only consumers of the interface count: a peer the target merely calls (the ERP it
        // reads receivables from) is no reader of the target's messages.
        if !consumers.is_empty() {
            calls.retain(|(peer, _), _| consumers.iter().any(|c| c == peer));
        }
        if calls.is_empty() {
            return None;
        }
        let mut used: BTreeMap<(&str, &str), Use> = BTreeMap::new();
        for m in self.mappings.iter().filter(|m| {
            m.from.interface == interface
                && m.from.message == side
                && m.held > 0
                && calls.contains_key(&(m.to.peer.as_str(), m.to.interface.as_str()))
                && within(&m.from.pointer, pointer)
        }) {
            let key = (m.to.peer.as_str(), m.to.interface.as_str());
            let total = calls.get(&key).copied().unwrap_or_default().max(m.held);
            let entry = used.entry(key).or_insert_with(|| Use {
                consumer: m.to.peer.clone(),
                interface: m.to.interface.clone(),
                pointer: m.to.pointer.clone(),
                held: 0,
                calls: total,
            });
            if m.held > entry.held {
                entry.held = m.held;
                entry.pointer = m.to.pointer.clone();
            }
        }
        let mut used_by: Vec<Use> = used.into_values().collect();
        used_by.sort_by(|a, b| b.held.cmp(&a.held).then(a.interface.cmp(&b.interface)));
        let mut recorded: Vec<String> = calls.keys().map(|(peer, _)| peer.to_string()).collect();
        recorded.dedup();
        let unrecorded: Vec<String> = consumers
            .iter()
            .filter(|c| !recorded.contains(c))
            .cloned()
            .collect();
        let status = if !used_by.is_empty() {
            UsageStatus::Used
        } else if self
            .compared
            .iter()
            .filter(|c| c.interface == interface)
            .flat_map(|c| c.side(side))
            .any(|followed| within(followed, pointer))
        {
            UsageStatus::Unused
        } else {
            // Values that cannot be followed (words, short codes, dates): no evidence.
            return None;
        };
        let mut summary = match status {
            UsageStatus::Used => format!(
                "used by: {}",
                used_by
                    .iter()
                    .map(|u| format!(
                        "{} ({} of {} recorded {})",
                        u.interface,
                        u.held,
                        u.calls,
                        noun(u.calls)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            UsageStatus::Unused => format!(
                "no recorded use: never passed on in {}",
                calls
                    .iter()
                    .map(|((_, op), n)| format!("{n} recorded {op} {}", noun(*n)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if !unrecorded.is_empty() {
            summary.push_str(&format!("; no recordings of {}", unrecorded.join(", ")));
        }
        Some(Usage {
            status,
            used_by,
            recorded,
            unrecorded,
            summary,
        })
    }
}

fn noun(n: u64) -> &'static str {
    if n == 1 { "call" } else { "calls" }
}

/// Whether the mapped field `mapped` is the field at `pointer` or inside it (`*` matches any
/// one token on either side).
fn within(mapped: &str, pointer: &str) -> bool {
    if pointer.is_empty() {
        return true;
    }
    let mut a = mapped.split('/').skip(1);
    for want in pointer.split('/').skip(1) {
        match a.next() {
            Some(got) if got == want || got == "*" || want == "*" => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::lineage::{Calls, Compared, credit_limit_mapping};
    use super::*;

    fn lineage(held: u64, calls: u64) -> Lineage {
        Lineage {
            interlock_lineage: 1,
            calls: vec![Calls {
                from: "crm.customer.create".into(),
                peer: "erp".into(),
                interface: "erp.customer-sync".into(),
                count: calls,
            }],
            compared: vec![Compared {
                interface: "crm.customer.create".into(),
                request: vec!["/credit_limit".into(), "/memo".into()],
                response: vec!["/credit_limit".into()],
            }],
            mappings: vec![credit_limit_mapping(held, held)],
        }
    }

    fn consumers() -> Vec<String> {
        vec!["web-ui".into(), "erp".into()]
    }

    #[test]
    fn a_field_passed_on_is_used_by_the_peer_operation() {
        let usage = lineage(412, 412)
            .usage(
                "crm.customer.create",
                Side::Request,
                "/credit_limit",
                &consumers(),
            )
            .expect("evidence");
        assert_eq!(usage.status, UsageStatus::Used);
        assert_eq!(
            usage.summary,
            "used by: erp.customer-sync (412 of 412 recorded calls); no recordings of web-ui"
        );
        assert_eq!(usage.consumers(&consumers()), ["web-ui", "erp"]);
    }

    #[test]
    fn a_field_never_passed_on_has_no_recorded_use() {
        let usage = lineage(2, 3)
            .usage("crm.customer.create", Side::Request, "/memo", &consumers())
            .expect("evidence");
        assert!(usage.is_unused());
        assert_eq!(
            usage.summary,
            "no recorded use: never passed on in 3 recorded erp.customer-sync calls; no recordings of web-ui"
        );
        assert_eq!(usage.consumers(&consumers()), ["web-ui"]);
        // The response side is another message.
        assert!(
            lineage(2, 3)
                .usage(
                    "crm.customer.create",
                    Side::Response,
                    "/credit_limit",
                    &consumers()
                )
                .is_some_and(|u| u.is_unused())
        );
    }

    #[test]
    fn a_field_whose_values_could_not_be_followed_has_no_evidence() {
        assert_eq!(
            lineage(2, 2).usage("crm.customer.create", Side::Request, "/name", &consumers()),
            None
        );
    }

    #[test]
    fn an_interface_without_recorded_calls_to_its_consumers_has_no_evidence() {
        assert_eq!(
            lineage(2, 2).usage("crm.customer.get", Side::Response, "/id", &consumers()),
            None
        );
        // The ERP is called, but is no consumer of the interface.
        let web_only = ["web-ui".to_string()];
        assert_eq!(
            lineage(2, 2).usage(
                "crm.customer.create",
                Side::Request,
                "/credit_limit",
                &web_only
            ),
            None
        );
    }

    #[test]
    fn a_parent_object_is_used_when_a_field_inside_it_is() {
        assert!(within("/customer/credit_limit", "/customer"));
        assert!(within("/lines/*/amount", "/lines/*"));
        assert!(within("/lines/0/amount", "/lines/*/amount"));
        assert!(!within("/customer", "/customer/credit_limit"));
        assert!(!within("/credit_limit_2", "/credit_limit"));
    }
}
