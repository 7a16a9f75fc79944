//! Parameter and header values as they travel: text on the wire, not JSON.
//!
//! A query, path, header or cookie value is a string whatever its schema says, so a `string`
//! accepts every `number`, `integer` or `boolean` an old client sent, and `1` and `"1"` are the
//! same enum value. An exploded parameter (`form` query parameters by default) sends one
//! `name=value` pair per array item, so one old scalar is a one-item array.

use serde_json::Value;

use super::compare::{SchemaDiff, describe, type_text, type_value};
use super::rules::Kind;
use super::schema::{NodeId, TypeSet};

/// How a schema's values are serialised, which decides what a type change means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Wire {
    /// A JSON document: `5` and `"5"` are different values.
    #[default]
    Json,
    /// A parameter or header value: every scalar is text, so a `string` accepts what a
    /// `number` or `boolean` did; one value of an array is sent as one separated token.
    Text,
    /// A parameter sent `explode`d (`form` query parameters by default): every array item is
    /// its own `name=value` pair, so one old scalar is a one-item array.
    TextExploded,
}

impl SchemaDiff<'_> {
    /// An exploded parameter going from a scalar to an array (or back): one old value is a
    /// one-item array on the wire, so the scalar is compared with the items.
    pub(super) fn scalar_to_list(
        &mut self,
        o: NodeId,
        n: NodeId,
        old_types: Option<TypeSet>,
        new_types: Option<TypeSet>,
        field: &str,
    ) -> bool {
        let scalar = |t: Option<TypeSet>| {
            t.is_some_and(|t| t.bits() != 0 && !t.has(TypeSet::ARRAY | TypeSet::OBJECT))
        };
        let list = |t: Option<TypeSet>| t == Some(TypeSet::of(TypeSet::ARRAY));
        let (old, new) = (self.old.node(o), self.new.node(n));
        let (kind, text) = match (old.items, new.items) {
            (_, Some(items)) if scalar(old_types) && list(new_types) => {
                self.compare(o, items, field);
                (
                    Kind::TypeWidened,
                    "an exploded array: every old value is sent as a one-item array",
                )
            }
            (Some(items), _) if list(old_types) && scalar(new_types) => {
                self.compare(items, n, field);
                (
                    Kind::TypeNarrowed,
                    "a single value: old clients sending several values are rejected",
                )
            }
            _ => return false,
        };
        let message = format!(
            "type of {} changed from {} to {}, {text}",
            describe(field),
            type_text(old_types),
            type_text(new_types)
        );
        let at = self.at_new(n);
        self.push(
            kind,
            field,
            at,
            type_value(old_types),
            type_value(new_types),
            message,
        );
        true
    }
}

/// The types a parameter value accepts on the wire: text is any scalar's spelling, so `string`
/// accepts what `integer`, `number` and `boolean` did.
pub(super) fn on_wire(t: Option<TypeSet>, wire: Wire) -> Option<TypeSet> {
    match t {
        Some(t) if wire != Wire::Json && t.has(TypeSet::STRING) => Some(TypeSet::of(
            t.bits() | TypeSet::BOOLEAN | TypeSet::INTEGER | TypeSet::NUMBER,
        )),
        other => other,
    }
}

/// Whether two enum values are the same value (on the wire: the same text, `1` and `"1"`).
pub(super) fn same(a: &Value, b: &Value, wire: Wire) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    a == b || wire != Wire::Json && text(a) == text(b)
}
