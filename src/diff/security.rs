//! Security requirements compared by who can still call the operation.
//!
//! A client satisfies one alternative of the old requirements (for an open operation: the empty
//! one). It still gets in when some new alternative needs no scheme and no scope that old
//! alternative did not already need; otherwise it is rejected: `security-requirement-added`
//! (a scheme it does not send) or `security-scope-added` (its token lacks a scope), both
//! breaking. The reverse check finds requirements that were relaxed, which is safe. An `apiKey`
//! scheme every new alternative needs is a required parameter too; a requirement added only
//! by such schemes is reported once, as `request-required-parameter-added`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::api::Requirements;
use super::rules::Kind;

type Alternative = BTreeMap<String, BTreeSet<String>>;

/// One security change of an operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SecurityChange {
    pub kind: Kind,
    pub old: Value,
    pub new: Value,
    pub message: String,
}

/// Whether a client holding what `have` needs also holds what `need` needs.
fn satisfies(have: &Alternative, need: &Alternative) -> bool {
    need.iter()
        .all(|(scheme, scopes)| have.get(scheme).is_some_and(|held| scopes.is_subset(held)))
}

fn show(alt: &Alternative) -> Value {
    json!(alt)
}

fn describe(alt: &Alternative) -> String {
    if alt.is_empty() {
        return "no credentials".to_string();
    }
    alt.iter()
        .map(|(scheme, scopes)| {
            if scopes.is_empty() {
                format!("`{scheme}`")
            } else {
                let scopes: Vec<String> = scopes.iter().map(|s| format!("`{s}`")).collect();
                format!("`{scheme}` (scopes {})", scopes.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The changes from `old` to `new` requirements of the operation shown as `op`.
pub(crate) fn compare(old: &Requirements, new: &Requirements, op: &str) -> Vec<SecurityChange> {
    let mut out = Vec::new();
    one_way(&old.alternatives, new, op, true, &mut out);
    let relaxed = Requirements {
        alternatives: old.alternatives.clone(),
        ..Requirements::default()
    };
    one_way(&new.alternatives, &relaxed, op, false, &mut out);
    out
}

/// Every alternative of `from` that no alternative of `to` lets through; `tighter` says
/// whether `from` is the old side (so `to` asks for more).
fn one_way(
    from: &[Alternative],
    to: &Requirements,
    op: &str,
    tighter: bool,
    out: &mut Vec<SecurityChange>,
) {
    for have in from {
        if to.alternatives.iter().any(|need| satisfies(have, need)) {
            continue;
        }
        // The closest alternative: same schemes with other scopes if there is one, else the
        // one needing the fewest schemes `have` lacks.
        let closest = to
            .alternatives
            .iter()
            .min_by_key(|need| {
                let missing = need.keys().filter(|s| !have.contains_key(*s)).count();
                (missing, need.len())
            })
            .cloned()
            .unwrap_or_default();
        let scopes_only = closest.keys().all(|s| have.contains_key(s));
        // Only required `apiKey` parameters missing: the parameter finding reports it.
        if tighter
            && closest
                .keys()
                .filter(|s| !have.contains_key(*s))
                .all(|s| to.as_parameters.contains(s))
            && !scopes_only
        {
            continue;
        }
        let kind = match (tighter, scopes_only) {
            (true, true) => Kind::SecurityScopeAdded,
            (true, false) => Kind::SecurityRequirementAdded,
            (false, true) => Kind::SecurityScopeRemoved,
            (false, false) => Kind::SecurityRequirementRemoved,
        };
        let text = if tighter {
            format!(
                "{op} now needs {} where clients with {} got in",
                describe(&closest),
                describe(have)
            )
        } else {
            format!(
                "{op} now lets clients with {} in; it needed {}",
                describe(have),
                describe(&closest)
            )
        };
        let (old, new) = if tighter {
            (show(have), show(&closest))
        } else {
            (show(&closest), show(have))
        };
        out.push(SecurityChange {
            kind,
            old,
            new,
            message: text,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reqs(alternatives: Value) -> Requirements {
        let alternatives: Vec<Alternative> =
            serde_json::from_value(alternatives).unwrap_or_default();
        Requirements {
            alternatives,
            ..Requirements::default()
        }
    }

    fn kinds(old: Value, new: Value) -> Vec<Kind> {
        compare(&reqs(old), &reqs(new), "GET /a")
            .into_iter()
            .map(|c| c.kind)
            .collect()
    }

    #[test]
    fn requirement_added_to_an_open_operation_is_breaking() {
        assert_eq!(
            kinds(json!([{}]), json!([{"bearer": []}])),
            vec![Kind::SecurityRequirementAdded]
        );
        assert_eq!(
            kinds(json!([{"bearer": []}]), json!([{}])),
            vec![Kind::SecurityRequirementRemoved]
        );
    }

    #[test]
    fn scope_added_and_removed() {
        assert_eq!(
            kinds(
                json!([{"oauth": ["read"]}]),
                json!([{"oauth": ["read", "write"]}])
            ),
            vec![Kind::SecurityScopeAdded]
        );
        assert_eq!(
            kinds(
                json!([{"oauth": ["read", "write"]}]),
                json!([{"oauth": ["read"]}])
            ),
            vec![Kind::SecurityScopeRemoved]
        );
    }

    #[test]
    fn a_new_alternative_only_relaxes() {
        assert_eq!(
            kinds(
                json!([{"oauth": ["read"]}]),
                json!([{"oauth": ["read"]}, {"bearer": []}])
            ),
            vec![Kind::SecurityRequirementRemoved]
        );
        assert!(kinds(json!([{"a": []}, {"b": []}]), json!([{"b": []}, {"a": []}])).is_empty());
    }
}
