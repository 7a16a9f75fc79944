//! Field lineage in a run: a value the recordings always carried from the target's request or
//! response into a peer request (`crm.customer.create request /credit_limit →
//! erp.customer-sync /credit_limit`) that the live peer request no longer carries is a
//! `lineage-broken` finding — even when the peer accepts the request by its contract (the CRM
//! sending the ERP `80000` for a customer created with `800000`).
//!
//! Values are compared with the value-linking rules of request chaining
//! ([`crate::link::value::linkable`]): identifiers and integers of at least four digits, never
//! short numbers, amounts with decimals, words or dates.

use serde_json::Value;

use crate::contract::lineage::{Lineage, Mapping, Side, Transform};
use crate::link::value::linkable;
use crate::model::{Finding, FindingKind, Location};

/// How `to` carries `from`, if it does (both must be linkable values).
pub(crate) fn transform_between(from: &Value, to: &Value) -> Option<Transform> {
    let (a, b) = (linkable(from)?, linkable(to)?);
    if from == to {
        return Some(Transform::Identity);
    }
    if a == b {
        return match (from, to) {
            (Value::Number(_), Value::String(_)) => Some(Transform::NumberToString),
            (Value::String(_), Value::Number(_)) => Some(Transform::StringToNumber),
            _ => None,
        };
    }
    (from.is_string() && to.is_string() && a.to_lowercase() == b.to_lowercase())
        .then_some(Transform::Case)
}

/// Whether `to` carries `from` by `transform` (a case-insensitive mapping also holds when the
/// case happens to be the same).
pub(crate) fn holds(transform: Transform, from: &Value, to: &Value) -> bool {
    match transform_between(from, to) {
        Some(found) => {
            found == transform || transform == Transform::Case && found == Transform::Identity
        }
        None => false,
    }
}

/// A request the target sent a peer during one exchange.
pub(crate) struct PeerRequest<'a> {
    pub peer: &'a str,
    /// The peer operation's interface, when a contract covers it.
    pub interface: Option<&'a str>,
    pub body: &'a Value,
}

/// The lineage findings of one exchange of `interface`: what the target received (`request`)
/// and answered (`response`), and the requests it sent its peers meanwhile.
pub(crate) fn check_exchange(
    lineage: &Lineage,
    interface: &str,
    request: Option<&Value>,
    response: Option<&Value>,
    peer_requests: &[PeerRequest<'_>],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for sent in peer_requests {
        // Per field of the request sent: the mappings into it, and whether each held.
        let mut into: Vec<(&str, bool, Finding)> = Vec::new();
        for mapping in lineage
            .from_interface(interface)
            .filter(|m| sent.peer == m.to.peer && sent.interface == Some(m.to.interface.as_str()))
        {
            let body = match mapping.from.message {
                Side::Request => request,
                Side::Response => response,
            };
            let Some(from) = body.and_then(|b| b.pointer(&mapping.from.pointer)) else {
                continue;
            };
            if linkable(from).is_none() {
                continue;
            }
            let Some(to) = sent.body.pointer(&mapping.to.pointer) else {
                continue;
            };
            let held = holds(mapping.transform, from, to);
            into.push((&mapping.to.pointer, held, broken(mapping, from, to)));
        }
        // A field carried from several places holds when one of them still carries it: the
        // credit limit the ERP receives is the one the CRM was given, even when the CRM's
        // answer now spells it `"800000.00"` (a change its own findings report).
        let carried: Vec<&str> = into
            .iter()
            .filter(|(_, held, _)| *held)
            .map(|(pointer, _, _)| *pointer)
            .collect();
        findings.extend(
            into.into_iter()
                .filter(|(pointer, held, _)| !held && !carried.contains(pointer))
                .map(|(_, _, finding)| finding),
        );
    }
    findings
}

fn broken(mapping: &Mapping, from: &Value, to: &Value) -> Finding {
    let mut finding = Finding::new(
        FindingKind::LineageBroken,
        Location::PeerRequest {
            peer: mapping.to.peer.clone(),
        },
        mapping.to.pointer.clone(),
        format!(
            "`{}` sent to {} is {to} where the target's {} had {from} at `{}` ({} in {} of {} recorded exchanges)",
            mapping.to.pointer,
            mapping.to.interface,
            mapping.from.message.name(),
            mapping.from.pointer,
            mapping.transform.name(),
            mapping.held,
            mapping.seen
        ),
    )
    .with_values(Some(from.clone()), Some(to.clone()));
    finding.interface = Some(mapping.to.interface.clone());
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transforms_between_linkable_values() {
        assert_eq!(
            transform_between(&json!(800000), &json!(800000)),
            Some(Transform::Identity)
        );
        assert_eq!(
            transform_between(&json!(800000), &json!("800000")),
            Some(Transform::NumberToString)
        );
        assert_eq!(
            transform_between(&json!("C-10023"), &json!("c-10023")),
            Some(Transform::Case)
        );
        assert_eq!(transform_between(&json!(800000), &json!(80000)), None);
        // Too short to mean anything: never linked.
        assert_eq!(transform_between(&json!(12), &json!(12)), None);
        assert!(holds(Transform::Case, &json!("C-10023"), &json!("C-10023")));
        assert!(!holds(Transform::Identity, &json!(800000), &json!(80000)));
    }

    fn lineage() -> Lineage {
        Lineage {
            interlock_lineage: 1,
            calls: Vec::new(),
            compared: Vec::new(),
            mappings: vec![crate::contract::lineage::credit_limit_mapping(3, 3)],
        }
    }

    #[test]
    fn a_scaled_value_sent_on_breaks_the_lineage() {
        let request = json!({"credit_limit": 800000});
        let sent = json!({"credit_limit": 80000});
        let peer = [PeerRequest {
            peer: "erp",
            interface: Some("erp.customer-sync"),
            body: &sent,
        }];
        let found = check_exchange(
            &lineage(),
            "crm.customer.create",
            Some(&request),
            None,
            &peer,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, FindingKind::LineageBroken);
        assert_eq!(found[0].path, "/credit_limit");
        assert_eq!(
            found[0].message,
            "`/credit_limit` sent to erp.customer-sync is 80000 where the target's request had 800000 at `/credit_limit` (identity in 3 of 3 recorded exchanges)"
        );
        let same = json!({"credit_limit": 800000});
        let peer = [PeerRequest {
            peer: "erp",
            interface: Some("erp.customer-sync"),
            body: &same,
        }];
        assert!(
            check_exchange(
                &lineage(),
                "crm.customer.create",
                Some(&request),
                None,
                &peer
            )
            .is_empty()
        );
    }

    #[test]
    fn a_response_that_changed_type_does_not_break_a_field_the_request_still_carries() {
        let mut from_response = crate::contract::lineage::credit_limit_mapping(1, 1);
        from_response.from.message = Side::Response;
        let lineage = Lineage {
            interlock_lineage: 1,
            calls: Vec::new(),
            compared: Vec::new(),
            mappings: vec![
                crate::contract::lineage::credit_limit_mapping(2, 2),
                from_response,
            ],
        };
        let request = json!({"credit_limit": 800000});
        let response = json!({"credit_limit": "800000.00"});
        let sent = json!({"credit_limit": 800000});
        let peer = [PeerRequest {
            peer: "erp",
            interface: Some("erp.customer-sync"),
            body: &sent,
        }];
        let check = |request: &Value, response: &Value| {
            check_exchange(
                &lineage,
                "crm.customer.create",
                Some(request),
                Some(response),
                &peer,
            )
        };
        assert!(check(&request, &response).is_empty());
        // Neither source carries it any more: every mapping into it is reported.
        let scaled = json!({"credit_limit": 8000000});
        assert_eq!(check(&scaled, &scaled).len(), 2);
    }
}
