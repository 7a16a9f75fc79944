//! Object properties: added, removed, required-ness, and removed + added pairs recognised as a
//! possible rename.
//!
//! A property removed and another added in the same object with the same schema, where the old
//! one was required or the object closed, are reported once, as "possibly renamed `tax_id` →
//! `taxNumber`"; without that evidence they are two changes. Candidates are paired one to one,
//! most similar names first. `readOnly` properties are not part of requests and `writeOnly` ones
//! not part of responses, so only the properties a message carries are compared.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::compare::{SchemaDiff, Where, join};
use super::rules::{Direction, Kind};
use super::schema::{Additional, Arena, Node, NodeId};
use super::settings::ReaderPolicy;

/// Compares the properties of the objects `o` (old) and `n` (new) found at `field`.
pub(crate) fn properties(d: &mut SchemaDiff<'_>, o: NodeId, n: NodeId, field: &str) {
    let (old_arena, new_arena) = (d.old, d.new);
    let (old, new) = (old_arena.node(o), new_arena.node(n));
    // A `readOnly` property is not part of a request, a `writeOnly` one not part of a response
    // (OpenAPI): only the properties the message carries are compared.
    let direction = d.direction;
    let carried = |arena: &'_ Arena, node: &'_ Node| -> BTreeSet<String> {
        let in_message = |name: &&String| {
            node.properties.get(*name).is_none_or(|&id| {
                let (read_only, write_only) = arena.access(id);
                match direction {
                    Direction::Request => !read_only,
                    Direction::Response => !write_only,
                }
            })
        };
        node.properties
            .keys()
            .chain(node.required.iter())
            .filter(in_message)
            .cloned()
            .collect()
    };
    let (old_set, new_set) = (carried(old_arena, old), carried(new_arena, new));
    let old_names: BTreeSet<&String> = old_set.iter().collect();
    let new_names: BTreeSet<&String> = new_set.iter().collect();
    let removed: Vec<&String> = old_names.difference(&new_names).copied().collect();
    let added: Vec<&String> = new_names.difference(&old_names).copied().collect();
    // Why a property still written in the schema left (or joined) the message.
    let access_note = |name: &String, arena: &Arena, node: &Node, other: &Node| -> &'static str {
        if !other.properties.contains_key(name) {
            return "";
        }
        match (
            direction,
            node.properties.get(name).map(|&id| arena.access(id)),
        ) {
            (Direction::Request, Some((true, _))) => " (now readOnly: no longer part of requests)",
            (Direction::Response, Some((_, true))) => {
                " (now writeOnly: no longer part of responses)"
            }
            (Direction::Request, Some((false, _))) => " (no longer readOnly: now part of requests)",
            (Direction::Response, Some((_, false))) => {
                " (no longer writeOnly: now part of responses)"
            }
            _ => "",
        }
    };

    for name in old_names.intersection(&new_names) {
        let f = join(field, name);
        if let (Some(&a), Some(&b)) = (old.properties.get(*name), new.properties.get(*name)) {
            d.compare(a, b, &f);
        }
        required_change(
            d,
            n,
            &f,
            old.required.contains(*name),
            new.required.contains(*name),
        );
    }

    // A property still written on the other side only changed access: it is no rename.
    let rename_from: Vec<&String> = removed
        .iter()
        .copied()
        .filter(|name| !new.properties.contains_key(*name))
        .collect();
    let rename_to: Vec<&String> = added
        .iter()
        .copied()
        .filter(|name| !old.properties.contains_key(*name))
        .collect();
    let renames = pair_renames(d, &rename_from, &rename_to, old, new);
    for &(r, a) in &renames {
        let f = join(field, a);
        let at = new
            .properties
            .get(a)
            .map_or_else(|| d.at_new(n), |&id| d.at_new(id));
        let message = format!("possibly renamed `{}` → `{a}`", join(field, r));
        d.push(Kind::PropertyRenamed, &f, at, json!(r), json!(a), message);
        if let (Some(&x), Some(&y)) = (old.properties.get(r), new.properties.get(a)) {
            d.compare(x, y, &f);
        }
        required_change(d, n, &f, old.required.contains(r), new.required.contains(a));
    }

    let policy_closed = |closed: bool| match d.policy {
        ReaderPolicy::Tolerant => false,
        ReaderPolicy::Strict => closed,
        ReaderPolicy::Closed => true,
    };
    let new_closed = policy_closed(new.additional == Additional::Closed);
    let old_closed = policy_closed(old.additional == Additional::Closed);
    for name in removed {
        if renames.iter().any(|(r, _)| *r == name.as_str()) {
            continue;
        }
        let required = old.required.contains(name);
        // A property made readOnly is still named, so a closed object still accepts it.
        let still_named = new.properties.contains_key(name);
        let kind = match (d.direction, required) {
            (Direction::Request, _) if new_closed && !still_named => {
                Kind::PropertyRemovedFromClosedObject
            }
            (_, true) => Kind::RequiredPropertyRemoved,
            (_, false) => Kind::OptionalPropertyRemoved,
        };
        let at = old
            .properties
            .get(name)
            .map_or_else(|| d.at_old(o), |&id| d.at_old(id));
        let f = join(field, name);
        let message = format!(
            "{} property `{f}` removed{}",
            if required { "required" } else { "optional" },
            access_note(name, new_arena, new, old)
        );
        d.push(kind, &f, at, json!(name), Value::Null, message);
    }
    for name in added {
        if renames.iter().any(|(_, a)| *a == name.as_str()) {
            continue;
        }
        let required = new.required.contains(name);
        let kind = match (d.direction, required) {
            (Direction::Response, _) if old_closed => Kind::PropertyAddedToClosedObject,
            (_, true) => Kind::RequiredPropertyAdded,
            (_, false) => Kind::PropertyAdded,
        };
        let at = new
            .properties
            .get(name)
            .map_or_else(|| d.at_new(n), |&id| d.at_new(id));
        let f = join(field, name);
        let message = format!(
            "{} property `{f}` added{}",
            if required { "required" } else { "optional" },
            access_note(name, new_arena, new, old)
        );
        d.push(kind, &f, at, Value::Null, json!(name), message);
    }
}

fn required_change(d: &mut SchemaDiff<'_>, n: NodeId, field: &str, was: bool, is: bool) {
    if was == is {
        return;
    }
    let (kind, text) = if is {
        (Kind::PropertyBecameRequired, "is now required")
    } else {
        (Kind::PropertyBecameOptional, "is now optional")
    };
    let at: Where = d.at_new(n);
    d.push(
        kind,
        field,
        at,
        json!(was),
        json!(is),
        format!("`{field}` {text}"),
    );
}

/// Removed / added pairs that are probably one property renamed, paired one to one by name
/// similarity. A rename needs evidence: the same type and constraints, and an old property
/// that every old value carried (required) or an object that rejects unknown properties, so the
/// old name cannot simply be dropped while the new one is ignored.
fn pair_renames<'n>(
    d: &SchemaDiff<'_>,
    removed: &[&'n String],
    added: &[&'n String],
    old: &super::schema::Node,
    new: &super::schema::Node,
) -> Vec<(&'n str, &'n str)> {
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    let closed = old.additional == Additional::Closed;
    let mut candidates = Vec::new();
    for &r in removed {
        let Some(&x) = old.properties.get(r) else {
            continue;
        };
        if !closed && !old.required.contains(r) {
            continue;
        }
        for &a in added {
            let Some(&y) = new.properties.get(a) else {
                continue;
            };
            // Same type and constraints: only annotations with no effect on values may differ.
            let compatible = d
                .scratch(x, y)
                .iter()
                .all(|c| matches!(c.kind, Kind::DeprecatedAdded | Kind::DefaultChanged));
            if compatible {
                candidates.push((similarity(r, a), r.as_str(), a.as_str()));
            }
        }
    }
    candidates.sort_by(|x, y| {
        y.0.total_cmp(&x.0)
            .then_with(|| x.1.cmp(y.1))
            .then_with(|| x.2.cmp(y.2))
    });
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for (_, r, a) in candidates {
        if pairs.iter().all(|(pr, pa)| *pr != r && *pa != a) {
            pairs.push((r, a));
        }
    }
    pairs
}

/// 0..=1: how alike two property names are, ignoring case, `_` and `-`.
fn similarity(a: &str, b: &str) -> f64 {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (a, b) = (norm(a), norm(b));
    if a == b {
        return 1.0;
    }
    strsim::normalized_levenshtein(&a, &b).max(if a.contains(&b) || b.contains(&a) {
        0.8
    } else {
        0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_ignores_case_and_separators() {
        assert_eq!(similarity("confirmation-code", "confirmation_code"), 1.0);
        assert!(similarity("id", "contactId") >= 0.8);
        assert!(similarity("tax_id", "taxNumber") > similarity("tax_id", "color"));
    }
}
