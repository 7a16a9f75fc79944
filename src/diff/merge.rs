//! `allOf` parts merged into one effective schema, so restructuring a schema into parts, or a
//! part repeating a constraint already present, is not a change.
//!
//! Both parts apply to every value: types intersect, enums intersect, the stricter bound of each
//! pair holds, required lists and dependent requirements join, and two schemas for the same
//! property merge in turn. A part that is still being built (it refers back to its parent) or
//! that cannot be folded in (two `oneOf`s, two `not`s, two `if`s, two `contains`) stays an
//! unmerged `allOf` part, compared part by part.

use super::normalize::Normalizer;
use super::schema::{Additional, Node, NodeId};

impl Normalizer<'_> {
    /// Merges an `allOf` part (or the single non-null alternative) into `node`.
    pub(super) fn merge(&mut self, node: &mut Node, part: NodeId) {
        if !self.complete[part] {
            node.all_of.push(part);
            return;
        }
        let p = self.arena.nodes[part].clone();
        if !p.alternatives.is_empty() && !node.alternatives.is_empty()
            || p.not.is_some() && node.not.is_some()
            || p.condition.is_some() && node.condition.is_some()
            || p.contains.is_some() && node.contains.is_some()
        {
            node.all_of.push(part);
            return;
        }
        node.types = match (node.types, p.types) {
            (Some(a), Some(b)) => Some(a.intersect(b)),
            (a, b) => a.or(b),
        };
        node.nullable = node.nullable || (p.nullable && node.types.is_none() && p.types.is_some());
        if node.enumeration.is_none() {
            node.enumeration = p.enumeration;
        } else if let (Some(a), Some(b)) = (node.enumeration.as_mut(), p.enumeration.as_ref()) {
            a.retain(|v| b.contains(v));
        }
        macro_rules! take { ($($f:ident),*) => { $( if node.$f.is_none() { node.$f = p.$f.clone(); } )* } }
        take!(
            format,
            pattern,
            multiple_of,
            not,
            default,
            name,
            discriminator,
            content_encoding,
            content_media_type,
            content_schema,
            contains,
            property_names,
            unevaluated_properties,
            unevaluated_items
        );
        // Both parts apply: the stricter bound of each pair holds.
        macro_rules! stricter { ($($f:ident: $pick:ident),*) => { $( node.$f = match (node.$f, p.$f) { (Some(a), Some(b)) => Some(a.$pick(b)), (a, b) => a.or(b) }; )* } }
        stricter!(
            min_length: max,
            max_length: min,
            min_items: max,
            max_items: min,
            min_properties: max,
            max_properties: min,
            min_contains: max,
            max_contains: min
        );
        node.minimum = match (node.minimum, p.minimum) {
            (Some(a), Some(b)) if b.value > a.value || (b.value == a.value && b.exclusive) => {
                Some(b)
            }
            (a, b) => a.or(b),
        };
        node.maximum = match (node.maximum, p.maximum) {
            (Some(a), Some(b)) if b.value < a.value || (b.value == a.value && b.exclusive) => {
                Some(b)
            }
            (a, b) => a.or(b),
        };
        node.read_only |= p.read_only;
        node.write_only |= p.write_only;
        for (name, list) in p.dependent_required {
            node.dependent_required
                .entry(name)
                .or_default()
                .extend(list);
        }
        for (name, id) in p.dependent_schemas {
            node.dependent_schemas.entry(name).or_insert(id);
        }
        for (re, id) in p.pattern_properties {
            node.pattern_properties.entry(re).or_insert(id);
        }
        if node.condition.is_none() {
            node.condition = p.condition;
        }
        node.unique_items |= p.unique_items;
        node.deprecated |= p.deprecated;
        for (name, id) in p.properties {
            match node.properties.get(&name) {
                Some(&existing) if existing != id => {
                    // Both schemas apply to the property: merge them into one effective schema,
                    // so a part repeating a constraint already present changes nothing.
                    let combined = if self.complete[existing] && self.complete[id] {
                        let mut merged = self.arena.nodes[existing].clone();
                        self.merge(&mut merged, id);
                        merged
                    } else {
                        let mut both = Node::any(node.origin.clone());
                        both.all_of = vec![existing, id];
                        both
                    };
                    let both = self.arena.nodes.len();
                    self.arena.nodes.push(combined);
                    self.complete.push(true);
                    node.properties.insert(name, both);
                }
                _ => {
                    node.properties.insert(name, id);
                }
            }
        }
        node.required.extend(p.required);
        if node.additional == Additional::Open {
            node.additional = p.additional;
        }
        if node.items.is_none() {
            node.items = p.items;
        }
        if node.tuple.is_empty() {
            node.tuple = p.tuple;
        }
        if node.alternatives.is_empty() {
            node.alternatives = p.alternatives;
        }
        node.all_of.extend(p.all_of);
        for (k, v) in p.opaque {
            node.opaque.entry(k).or_insert(v);
        }
    }
}
