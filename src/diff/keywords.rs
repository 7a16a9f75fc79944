//! JSON Schema 2019-09 / 2020-12 applicators, content and OpenAPI discriminator keywords,
//! compared by what they accept.
//!
//! Each keyword either adds a constraint (the accepted set narrows: breaking in a request), drops
//! one (it widens: breaking in a response), or holds a subschema that is compared recursively in
//! the same direction (`then`, `contains`, `propertyNames`, a `dependentSchemas` entry) — or, for
//! `not`, judged in the opposite one, since excluding more accepts less. Only what cannot be
//! decided (a changed `if` condition, a changed name pattern, a `not` moving both ways) stays
//! potentially breaking, with the reason in the message.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::compare::{SchemaDiff, additional_value, describe, describe_object, join, list, plural};
use super::rules::{Direction, Kind, Severity};
use super::schema::{Additional, Node, NodeId};

impl SchemaDiff<'_> {
    /// Compares every keyword below between the old node `o` and the new node `n`.
    pub(super) fn keywords(&mut self, o: NodeId, n: NodeId, field: &str) {
        let (old_arena, new_arena) = (self.old, self.new);
        let (old, new) = (old_arena.node(o), new_arena.node(n));
        self.not(old, new, field, n);
        self.conditional(old, new, field, n);
        self.dependent(old, new, field, n);
        self.contains(old, new, field, n);
        self.pattern_properties(old, new, field, n);
        self.subschema(
            (old.property_names, new.property_names),
            &format!("{field}<name>"),
            n,
            (Kind::PropertyNamesAdded, Kind::PropertyNamesRemoved),
            "`propertyNames`",
        );
        self.unevaluated(old, new, field, n);
        self.content(old, new, field, n);
        self.discriminator(old, new, field, n);
    }

    fn note(&mut self, kind: Kind, field: &str, at: NodeId, old: Value, new: Value, text: String) {
        let at = self.at_new(at);
        self.push(kind, field, at, old, new, text);
    }

    /// A keyword holding one schema: added, removed, or compared in the same direction.
    fn subschema(
        &mut self,
        (a, b): (Option<NodeId>, Option<NodeId>),
        field: &str,
        at: NodeId,
        (added, removed): (Kind, Kind),
        keyword: &str,
    ) {
        match (a, b) {
            (None, None) => {}
            (Some(x), Some(y)) => self.compare(x, y, field),
            (None, Some(_)) => {
                let text = format!("{keyword} now constrains {}", describe(field));
                self.note(added, field, at, Value::Null, json!("schema"), text);
            }
            (Some(_), None) => {
                let text = format!("{keyword} no longer constrains {}", describe(field));
                self.note(removed, field, at, json!("schema"), Value::Null, text);
            }
        }
    }

    /// `not`: the excluded schema accepting more means the value accepts less.
    fn not(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let (kind, text) = match (old.not, new.not) {
            (None, None) => return,
            (None, Some(_)) => (
                Kind::NotNarrowed,
                "now excludes values with `not`".to_string(),
            ),
            (Some(_), None) => (
                Kind::NotWidened,
                "no longer excludes values with `not`".to_string(),
            ),
            (Some(a), Some(b)) => {
                let inner = self.scratch(a, b);
                if inner.is_empty() {
                    return;
                }
                let (grows, shrinks) = inner.iter().fold((false, false), |(g, s), c| {
                    let (cg, cs) = effect(c.kind);
                    (g || cg, s || cs)
                });
                let what: Vec<&str> = inner.iter().map(|c| c.kind.as_str()).collect();
                match (grows, shrinks) {
                    (true, false) => (
                        Kind::NotNarrowed,
                        format!(
                            "excludes more values: its `not` schema changed ({})",
                            what.join(", ")
                        ),
                    ),
                    (false, true) => (
                        Kind::NotWidened,
                        format!(
                            "excludes fewer values: its `not` schema changed ({})",
                            what.join(", ")
                        ),
                    ),
                    _ => (
                        Kind::NotChanged,
                        format!(
                            "has a `not` schema that both gained and lost values ({}); review which values it now excludes",
                            what.join(", ")
                        ),
                    ),
                }
            }
        };
        let text = format!("{} {text}", describe(field));
        self.note(
            kind,
            field,
            at,
            json!(old.not.is_some()),
            json!(new.not.is_some()),
            text,
        );
    }

    /// `if` / `then` / `else`: with the same condition, each branch is compared; a different
    /// condition moves values between branches, which cannot be decided in general.
    fn conditional(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let has_branch = |c: &super::schema::Conditional| c.then.is_some() || c.otherwise.is_some();
        match (old.condition, new.condition) {
            (None, None) => {}
            (None, Some(c)) if has_branch(&c) => {
                let text = format!(
                    "{} is now constrained by `if`/`then`/`else`",
                    describe(field)
                );
                self.note(
                    Kind::ConditionalAdded,
                    field,
                    at,
                    Value::Null,
                    json!("if"),
                    text,
                );
            }
            (Some(c), None) if has_branch(&c) => {
                let text = format!(
                    "{} is no longer constrained by `if`/`then`/`else`",
                    describe(field)
                );
                self.note(
                    Kind::ConditionalRemoved,
                    field,
                    at,
                    json!("if"),
                    Value::Null,
                    text,
                );
            }
            (Some(a), Some(b)) => {
                if !self.equivalent(a.condition, b.condition) {
                    let text = format!(
                        "the `if` condition of {} changed, so values may take the other branch; \
                         two conditions cannot be compared in general: review it",
                        describe(field)
                    );
                    self.note(
                        Kind::ConditionalChanged,
                        field,
                        at,
                        json!("if"),
                        json!("if"),
                        text,
                    );
                    return;
                }
                for (label, x, y) in [("then", a.then, b.then), ("else", a.otherwise, b.otherwise)]
                {
                    let f = format!("{field}<{label}>");
                    match (x, y) {
                        (Some(x), Some(y)) => self.compare(x, y, &f),
                        (None, Some(_)) => {
                            let text = format!("{} gained an `{label}` branch", describe(field));
                            self.note(
                                Kind::ConditionalAdded,
                                &f,
                                at,
                                Value::Null,
                                json!(label),
                                text,
                            );
                        }
                        (Some(_), None) => {
                            let text = format!("{} lost its `{label}` branch", describe(field));
                            self.note(
                                Kind::ConditionalRemoved,
                                &f,
                                at,
                                json!(label),
                                Value::Null,
                                text,
                            );
                        }
                        (None, None) => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// `dependentRequired` (lists grown or shrunk) and `dependentSchemas` (entries compared).
    fn dependent(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let triggers: BTreeSet<&String> = old
            .dependent_required
            .keys()
            .chain(new.dependent_required.keys())
            .collect();
        let empty = BTreeSet::new();
        for trigger in triggers {
            let a = old.dependent_required.get(trigger).unwrap_or(&empty);
            let b = new.dependent_required.get(trigger).unwrap_or(&empty);
            let f = join(field, trigger);
            let added: Vec<Value> = b.difference(a).map(|s| json!(s)).collect();
            let removed: Vec<Value> = a.difference(b).map(|s| json!(s)).collect();
            if !added.is_empty() {
                let text = format!("when `{f}` is present, {} now required too", are(&added));
                self.note(
                    Kind::DependentRequiredAdded,
                    &f,
                    at,
                    Value::Null,
                    Value::Array(added),
                    text,
                );
            }
            if !removed.is_empty() {
                let text = format!(
                    "when `{f}` is present, {} no longer required",
                    are(&removed)
                );
                self.note(
                    Kind::DependentRequiredRemoved,
                    &f,
                    at,
                    Value::Array(removed),
                    Value::Null,
                    text,
                );
            }
        }
        let triggers: BTreeSet<&String> = old
            .dependent_schemas
            .keys()
            .chain(new.dependent_schemas.keys())
            .collect();
        for trigger in triggers {
            let f = format!("{field}<when {trigger}>");
            let pair = (
                old.dependent_schemas.get(trigger).copied(),
                new.dependent_schemas.get(trigger).copied(),
            );
            let keyword = format!(
                "the `dependentSchemas` entry for `{}`",
                join(field, trigger)
            );
            self.subschema(
                pair,
                &f,
                at,
                (Kind::DependentSchemaAdded, Kind::DependentSchemaRemoved),
                &keyword,
            );
        }
    }

    /// `contains` with `minContains` (default 1) and `maxContains` (default unbounded).
    fn contains(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let f = format!("{field}[contains]");
        self.subschema(
            (old.contains, new.contains),
            &f,
            at,
            (Kind::ContainsAdded, Kind::ContainsRemoved),
            "`contains`",
        );
        if old.contains.is_none() || new.contains.is_none() {
            return;
        }
        for (keyword, a, b, is_min) in [
            (
                "minContains",
                old.min_contains.unwrap_or(1),
                new.min_contains.unwrap_or(1),
                true,
            ),
            (
                "maxContains",
                old.max_contains.unwrap_or(u64::MAX),
                new.max_contains.unwrap_or(u64::MAX),
                false,
            ),
        ] {
            if a == b {
                continue;
            }
            let kind = if (b > a) == is_min {
                Kind::ContainsCountTightened
            } else {
                Kind::ContainsCountLoosened
            };
            let show = |v: u64| if v == u64::MAX { json!(null) } else { json!(v) };
            let text = format!(
                "`{keyword}` of {} changed from {} to {}",
                describe(field),
                show(a),
                show(b)
            );
            self.note(kind, field, at, show(a), show(b), text);
        }
    }

    /// `patternProperties`: entries with the same pattern are compared; an entry whose pattern
    /// changed but whose schema did not is a pattern change; others are added or removed (in a
    /// closed object an entry admits properties the object rejected, so it widens it).
    fn pattern_properties(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let mut old_left: Vec<(&String, NodeId)> = Vec::new();
        for (re, &x) in &old.pattern_properties {
            match new.pattern_properties.get(re) {
                Some(&y) => self.compare(x, y, &join(field, &format!("/{re}/"))),
                None => old_left.push((re, x)),
            }
        }
        let mut new_left: Vec<(&String, NodeId)> = new
            .pattern_properties
            .iter()
            .filter(|(re, _)| !old.pattern_properties.contains_key(*re))
            .map(|(re, &y)| (re, y))
            .collect();
        old_left.retain(|&(a, x)| {
            let Some(i) = new_left.iter().position(|&(_, y)| self.equivalent(x, y)) else {
                return true;
            };
            let (b, _) = new_left.remove(i);
            let text = format!(
                "the `patternProperties` name pattern of {} changed from `{a}` to `{b}`; \
                 regular expressions cannot be compared in general: review it",
                describe_object(field)
            );
            self.note(Kind::PatternChanged, field, at, json!(a), json!(b), text);
            false
        });
        // In a closed object an entry admits properties the object otherwise rejects.
        let closed = new.additional == Additional::Closed;
        let entries = new_left
            .into_iter()
            .map(|(re, _)| (re, true))
            .chain(old_left.into_iter().map(|(re, _)| (re, false)));
        for (re, added) in entries {
            let (kind, text) = match (closed, added) {
                (true, true) => (Kind::AdditionalPropertiesWidened, "now accepts"),
                (true, false) => (Kind::AdditionalPropertiesNarrowed, "no longer accepts"),
                (false, true) => (Kind::PatternPropertiesAdded, "now constrains"),
                (false, false) => (Kind::PatternPropertiesRemoved, "no longer constrains"),
            };
            let text = format!(
                "{} {text} properties matching `{re}`",
                describe_object(field)
            );
            let (o, n) = if added {
                (Value::Null, json!(re))
            } else {
                (json!(re), Value::Null)
            };
            self.note(kind, field, at, o, n, text);
        }
    }

    /// `unevaluatedProperties` and `unevaluatedItems`, like `additionalProperties`.
    fn unevaluated(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        for (keyword, a, b, narrowed, widened, f) in [
            (
                "unevaluatedProperties",
                old.unevaluated_properties,
                new.unevaluated_properties,
                Kind::UnevaluatedPropertiesNarrowed,
                Kind::UnevaluatedPropertiesWidened,
                join(field, "*"),
            ),
            (
                "unevaluatedItems",
                old.unevaluated_items,
                new.unevaluated_items,
                Kind::UnevaluatedItemsNarrowed,
                Kind::UnevaluatedItemsWidened,
                format!("{field}[*]"),
            ),
        ] {
            let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
            let kind = match (a, b) {
                (Additional::Open, Additional::Open) | (Additional::Closed, Additional::Closed) => {
                    continue;
                }
                (Additional::Schema(x), Additional::Schema(y)) => {
                    self.compare(x, y, &f);
                    continue;
                }
                (Additional::Open, _) | (Additional::Schema(_), Additional::Closed) => narrowed,
                _ => widened,
            };
            let verb = if kind == narrowed {
                "accepts less"
            } else {
                "accepts more"
            };
            let text = format!("`{keyword}` of {} now {verb}", describe(field));
            self.note(
                kind,
                field,
                at,
                additional_value(a),
                additional_value(b),
                text,
            );
        }
    }

    /// `contentEncoding`, `contentMediaType` and `contentSchema` of a string carrying a document.
    fn content(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let show = |v: &Option<String>| {
            v.as_deref()
                .map_or("none".to_string(), |s| format!("`{s}`"))
        };
        if old.content_encoding != new.content_encoding {
            let text = format!(
                "`contentEncoding` of {} changed from {} to {}",
                describe(field),
                show(&old.content_encoding),
                show(&new.content_encoding)
            );
            self.note(
                Kind::ContentEncodingChanged,
                field,
                at,
                json!(old.content_encoding),
                json!(new.content_encoding),
                text,
            );
        }
        let kind = match (&old.content_media_type, &new.content_media_type) {
            (a, b) if a == b => None,
            (None, Some(_)) => Some(Kind::ContentMediaTypeAdded),
            (Some(_), None) => Some(Kind::ContentMediaTypeRemoved),
            _ => Some(Kind::ContentMediaTypeChanged),
        };
        if let Some(kind) = kind {
            let text = format!(
                "`contentMediaType` of {} changed from {} to {}",
                describe(field),
                show(&old.content_media_type),
                show(&new.content_media_type)
            );
            self.note(
                kind,
                field,
                at,
                json!(old.content_media_type),
                json!(new.content_media_type),
                text,
            );
        }
        self.subschema(
            (old.content_schema, new.content_schema),
            &format!("{field}<content>"),
            at,
            (Kind::ContentSchemaAdded, Kind::ContentSchemaRemoved),
            "`contentSchema`",
        );
    }

    /// `discriminator.mapping` values, when both versions have a discriminator.
    fn discriminator(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let (Some(a), Some(b)) = (&old.discriminator, &new.discriminator) else {
            return;
        };
        let only = |x: &BTreeMap<String, String>, y: &BTreeMap<String, String>| -> Vec<Value> {
            x.keys()
                .filter(|k| !y.contains_key(*k))
                .map(|k| json!(k))
                .collect()
        };
        for (values, kind, text) in [
            (
                only(a, b),
                Kind::DiscriminatorMappingRemoved,
                "no longer mapped",
            ),
            (only(b, a), Kind::DiscriminatorMappingAdded, "now mapped"),
        ] {
            if values.is_empty() {
                continue;
            }
            let message = format!(
                "discriminator value{} {} of {} {text}",
                plural(values.len()),
                list(&values),
                describe(field)
            );
            let (o, n) = if kind == Kind::DiscriminatorMappingAdded {
                (Value::Null, Value::Array(values))
            } else {
                (Value::Array(values), Value::Null)
            };
            self.note(kind, field, at, o, n, message);
        }
    }
}

/// Whether a kind of change makes a schema accept more values, fewer, or (both) moves them, read
/// off its verdicts: breaking only for requests means fewer, only for responses more (a
/// potentially-breaking verdict on the other side is a policy tier, not a widening).
fn effect(kind: Kind) -> (bool, bool) {
    use Severity::{Breaking as B, PotentiallyBreaking as P, Safe as S};
    match (
        kind.default_severity(Direction::Request),
        kind.default_severity(Direction::Response),
    ) {
        (S, S) => (false, false),
        (S, _) | (P, B) => (true, false),
        (_, S) | (B, P) => (false, true),
        _ => (true, true),
    }
}

/// "`vat` is", "`vat`, `country` are".
fn are(names: &[Value]) -> String {
    let verb = if names.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", list(names))
}
