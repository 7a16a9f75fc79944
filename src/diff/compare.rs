//! Recursive comparison of two normalised schemas in one direction.
//!
//! The walk visits each (old node, new node) pair once per message, which both stops cycles and
//! keeps a schema referenced many times from being reported many times in the same message. It
//! emits [`RawChange`]s (a [`Kind`] plus where and what); the severity comes later, from the rule
//! table and the project's overrides.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::rename;
use super::rules::{Direction, Kind};
use super::schema::{Additional, Arena, Bound, Node, NodeId, TypeSet};
use super::settings::ReaderPolicy;
pub(crate) use super::wire::Wire;
use super::wire::{on_wire, same};

/// Where a change sits in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Where {
    pub file: PathBuf,
    pub pointer: String,
}

/// A change before severity is attached.
#[derive(Debug, Clone)]
pub(crate) struct RawChange {
    pub kind: Kind,
    /// Field path inside the message body or parameter (`customer.tax_id`, `lines[].amount`).
    pub field: String,
    pub at: Where,
    pub old: Value,
    pub new: Value,
    pub message: String,
}

/// Compares schemas of one message (a request, or one response status).
pub(crate) struct SchemaDiff<'a> {
    pub old: &'a Arena,
    pub new: &'a Arena,
    pub direction: Direction,
    /// How the reader of this message treats properties it does not know.
    pub policy: ReaderPolicy,
    /// How the values travel: as JSON, or as strings on the wire (parameters and headers).
    pub wire: Wire,
    seen: HashSet<(NodeId, NodeId)>,
    pub out: Vec<RawChange>,
}

pub(crate) fn join(field: &str, name: &str) -> String {
    if field.is_empty() {
        name.to_string()
    } else {
        format!("{field}.{name}")
    }
}

impl<'a> SchemaDiff<'a> {
    pub(crate) fn new(
        old: &'a Arena,
        new: &'a Arena,
        direction: Direction,
        policy: ReaderPolicy,
    ) -> Self {
        SchemaDiff {
            old,
            new,
            direction,
            policy,
            wire: Wire::Json,
            seen: HashSet::new(),
            out: Vec::new(),
        }
    }

    /// A fresh comparison with the same arenas and direction, for trial matches.
    pub(crate) fn scratch(&self, o: NodeId, n: NodeId) -> Vec<RawChange> {
        let mut s = SchemaDiff::new(self.old, self.new, self.direction, self.policy);
        s.wire = self.wire;
        s.compare(o, n, "");
        s.out
    }

    /// Records that a message compares `o` with `n` at its root; false when it already did
    /// (e.g. one schema shared by two media types).
    pub(crate) fn first_visit(&mut self, o: NodeId, n: NodeId) -> bool {
        let (o, _) = self.old.effective(o);
        let (n, _) = self.new.effective(n);
        self.seen.insert((o, n))
    }

    /// Whether two schemas are the same shape (no change at all).
    pub(crate) fn equivalent(&self, o: NodeId, n: NodeId) -> bool {
        self.scratch(o, n).is_empty()
    }

    pub(crate) fn at_old(&self, id: NodeId) -> Where {
        let node = self.old.node(id);
        Where {
            file: self.old.file(&node.origin).to_path_buf(),
            pointer: node.origin.pointer.clone(),
        }
    }

    pub(crate) fn at_new(&self, id: NodeId) -> Where {
        let node = self.new.node(id);
        Where {
            file: self.new.file(&node.origin).to_path_buf(),
            pointer: node.origin.pointer.clone(),
        }
    }

    pub(crate) fn push(
        &mut self,
        kind: Kind,
        field: &str,
        at: Where,
        old: Value,
        new: Value,
        message: String,
    ) {
        self.out.push(RawChange {
            kind,
            field: field.to_string(),
            at,
            old,
            new,
            message,
        });
    }

    /// Compares the old schema `o` with the new schema `n`, found at `field`.
    pub(crate) fn compare(&mut self, o: NodeId, n: NodeId, field: &str) {
        let (o, o_wrap_null) = self.old.effective(o);
        let (n, n_wrap_null) = self.new.effective(n);
        if !self.seen.insert((o, n)) {
            return;
        }
        let (old, new) = (self.old.node(o), self.new.node(n));
        if old.alternatives.is_empty() != new.alternatives.is_empty() {
            // One side became (or stopped being) a choice: match the plain side as one branch.
            let olds = if old.alternatives.is_empty() {
                vec![o]
            } else {
                old.alternatives.clone()
            };
            let news = if new.alternatives.is_empty() {
                vec![n]
            } else {
                new.alternatives.clone()
            };
            if olds.len() > 1 || news.len() > 1 {
                self.nullable(
                    o,
                    n,
                    old.nullable || o_wrap_null,
                    new.nullable || n_wrap_null,
                    field,
                );
                self.branches(
                    &olds,
                    &news,
                    field,
                    Kind::BranchAdded,
                    Kind::BranchRemoved,
                    true,
                );
                return;
            }
        }
        let old_types = implied_types(old);
        let new_types = implied_types(new);
        if self.wire == Wire::TextExploded && self.scalar_to_list(o, n, old_types, new_types, field)
        {
            return;
        }
        if self.types(old_types, new_types, field, n) {
            return;
        }
        let old_null = old.nullable || o_wrap_null || old_types.is_none();
        let new_null = new.nullable || n_wrap_null || new_types.is_none();
        self.nullable(o, n, old_null, new_null, field);
        self.enums(old, new, field, n);
        self.format(old, new, field, n);
        self.constraints(old, new, field, n);
        self.annotations(old, new, field, n);
        if old.is_object_like() || new.is_object_like() {
            self.object(o, n, field);
        }
        self.arrays(o, n, field);
        if !old.alternatives.is_empty() || !new.alternatives.is_empty() {
            let (a, b) = (old.alternatives.clone(), new.alternatives.clone());
            self.branches(&a, &b, field, Kind::BranchAdded, Kind::BranchRemoved, true);
        }
        if !old.all_of.is_empty() || !new.all_of.is_empty() {
            let (a, b) = (old.all_of.clone(), new.all_of.clone());
            self.branches(
                &a,
                &b,
                field,
                Kind::AllOfBranchAdded,
                Kind::AllOfBranchRemoved,
                false,
            );
        }
        self.keywords(o, n, field);
    }

    /// Returns true when the types share no value (nothing deeper is worth comparing).
    fn types(
        &mut self,
        old: Option<TypeSet>,
        new: Option<TypeSet>,
        field: &str,
        at: NodeId,
    ) -> bool {
        let (kind, disjoint) = match (on_wire(old, self.wire), on_wire(new, self.wire)) {
            (None, None) => return false,
            (Some(a), Some(b)) if a == b => return false,
            (None, Some(_)) => (Kind::TypeNarrowed, false),
            (Some(_), None) => (Kind::TypeWidened, false),
            (Some(a), Some(b)) if b.is_subset_of(a) => (Kind::TypeNarrowed, false),
            (Some(a), Some(b)) if a.is_subset_of(b) => (Kind::TypeWidened, false),
            (Some(a), Some(b)) => (Kind::TypeChanged, a.intersect(b).bits() == 0),
        };
        let (o, n) = (type_value(old), type_value(new));
        let message = format!(
            "type of {} changed from {} to {}",
            describe(field),
            type_text(old),
            type_text(new)
        );
        self.push(kind, field, self.at_new(at), o, n, message);
        disjoint
    }

    fn nullable(&mut self, o: NodeId, n: NodeId, old: bool, new: bool, field: &str) {
        if old == new {
            return;
        }
        let (kind, verb) = if new {
            (Kind::NullableAdded, "may now be null")
        } else {
            (Kind::NullableRemoved, "may no longer be null")
        };
        let _ = o;
        let at = self.at_new(n);
        self.push(
            kind,
            field,
            at,
            json!(old),
            json!(new),
            format!("{} {verb}", describe(field)),
        );
    }

    fn enums(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        match (&old.enumeration, &new.enumeration) {
            (None, None) => {}
            (None, Some(values)) => self.push(
                Kind::EnumAdded,
                field,
                self.at_new(at),
                Value::Null,
                Value::Array(values.clone()),
                format!("{} is now restricted to {}", describe(field), list(values)),
            ),
            (Some(values), None) => self.push(
                Kind::EnumRemoved,
                field,
                self.at_new(at),
                Value::Array(values.clone()),
                Value::Null,
                format!(
                    "{} is no longer restricted to a list of values",
                    describe(field)
                ),
            ),
            (Some(a), Some(b)) => {
                let wire = self.wire;
                let within = |v: &Value, list: &[Value]| list.iter().any(|w| same(v, w, wire));
                let added: Vec<Value> = b.iter().filter(|v| !within(v, a)).cloned().collect();
                let removed: Vec<Value> = a.iter().filter(|v| !within(v, b)).cloned().collect();
                if let ([was], [is]) = (removed.as_slice(), added.as_slice())
                    && a.len() == 1
                    && b.len() == 1
                {
                    let message = format!(
                        "constant {} changed from {} to {}",
                        describe(field),
                        list(std::slice::from_ref(was)),
                        list(std::slice::from_ref(is))
                    );
                    self.push(
                        Kind::ConstChanged,
                        field,
                        self.at_new(at),
                        was.clone(),
                        is.clone(),
                        message,
                    );
                    return;
                }
                if !removed.is_empty() {
                    let message = format!(
                        "enum value{} {} removed from {}",
                        plural(removed.len()),
                        list(&removed),
                        describe(field)
                    );
                    self.push(
                        Kind::EnumValueRemoved,
                        field,
                        self.at_new(at),
                        Value::Array(removed),
                        Value::Null,
                        message,
                    );
                }
                if !added.is_empty() {
                    let message = format!(
                        "enum value{} {} added to {}",
                        plural(added.len()),
                        list(&added),
                        describe(field)
                    );
                    self.push(
                        Kind::EnumValueAdded,
                        field,
                        self.at_new(at),
                        Value::Null,
                        Value::Array(added),
                        message,
                    );
                }
            }
        }
    }

    fn format(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let (o, n) = (old.format.as_deref(), new.format.as_deref());
        let kind = match (o, n) {
            (a, b) if a == b => return,
            (None, Some(_)) => Kind::FormatAdded,
            (Some(_), None) => Kind::FormatRemoved,
            (Some(a), Some(b)) if format_subset(b, a) => Kind::FormatNarrowed,
            (Some(a), Some(b)) if format_subset(a, b) => Kind::FormatWidened,
            _ => Kind::FormatChanged,
        };
        let message = format!(
            "format of {} changed from {} to {}",
            describe(field),
            o.map_or("none".to_string(), |f| format!("`{f}`")),
            n.map_or("none".to_string(), |f| format!("`{f}`"))
        );
        self.push(kind, field, self.at_new(at), json!(o), json!(n), message);
    }

    fn constraints(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        let counts = [
            (
                "minLength",
                old.min_length,
                new.min_length,
                true,
                Kind::LengthTightened,
                Kind::LengthLoosened,
            ),
            (
                "maxLength",
                old.max_length,
                new.max_length,
                false,
                Kind::LengthTightened,
                Kind::LengthLoosened,
            ),
            (
                "minItems",
                old.min_items,
                new.min_items,
                true,
                Kind::ItemCountTightened,
                Kind::ItemCountLoosened,
            ),
            (
                "maxItems",
                old.max_items,
                new.max_items,
                false,
                Kind::ItemCountTightened,
                Kind::ItemCountLoosened,
            ),
            (
                "minProperties",
                old.min_properties,
                new.min_properties,
                true,
                Kind::PropertyCountTightened,
                Kind::PropertyCountLoosened,
            ),
            (
                "maxProperties",
                old.max_properties,
                new.max_properties,
                false,
                Kind::PropertyCountTightened,
                Kind::PropertyCountLoosened,
            ),
        ];
        for (keyword, o, n, is_min, tight, loose) in counts {
            let (o_eff, n_eff) = if is_min {
                (o.unwrap_or(0), n.unwrap_or(0))
            } else {
                (o.unwrap_or(u64::MAX), n.unwrap_or(u64::MAX))
            };
            let tighter = if is_min { n_eff > o_eff } else { n_eff < o_eff };
            if o_eff != n_eff {
                let kind = if tighter { tight } else { loose };
                self.bound_change(kind, keyword, json!(o), json!(n), field, at);
            }
        }
        for (is_min, o, n) in [
            (true, old.minimum, new.minimum),
            (false, old.maximum, new.maximum),
        ] {
            if o == n {
                continue;
            }
            let tighter = match (o, n) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) if a.value == b.value => b.exclusive,
                (Some(a), Some(b)) => (b.value > a.value) == is_min,
                (None, None) => continue,
            };
            let kind = if tighter {
                Kind::RangeTightened
            } else {
                Kind::RangeLoosened
            };
            let keyword = if is_min { "minimum" } else { "maximum" };
            self.bound_change(kind, keyword, bound_value(o), bound_value(n), field, at);
        }
        if old.multiple_of != new.multiple_of {
            let kind = match (old.multiple_of, new.multiple_of) {
                (None, Some(_)) => Kind::MultipleOfTightened,
                (Some(_), None) => Kind::MultipleOfLoosened,
                (Some(a), Some(b)) if is_multiple(b, a) => Kind::MultipleOfTightened,
                (Some(a), Some(b)) if is_multiple(a, b) => Kind::MultipleOfLoosened,
                _ => Kind::MultipleOfChanged,
            };
            self.bound_change(
                kind,
                "multipleOf",
                json!(old.multiple_of),
                json!(new.multiple_of),
                field,
                at,
            );
        }
        if old.unique_items != new.unique_items {
            let kind = if new.unique_items {
                Kind::UniqueItemsAdded
            } else {
                Kind::UniqueItemsRemoved
            };
            self.bound_change(
                kind,
                "uniqueItems",
                json!(old.unique_items),
                json!(new.unique_items),
                field,
                at,
            );
        }
        match (&old.pattern, &new.pattern) {
            (a, b) if a == b => {}
            (a, b) => {
                let kind = match (a, b) {
                    (None, Some(_)) => Kind::PatternAdded,
                    (Some(_), None) => Kind::PatternRemoved,
                    _ => Kind::PatternChanged,
                };
                self.bound_change(kind, "pattern", json!(a), json!(b), field, at);
            }
        }
        let keys: std::collections::BTreeSet<&String> =
            old.opaque.keys().chain(new.opaque.keys()).collect();
        for key in keys {
            let (a, b) = (old.opaque.get(key), new.opaque.get(key));
            if a != b {
                let message = format!("`{key}` of {} changed; review its effect", describe(field));
                self.push(
                    Kind::KeywordChanged,
                    field,
                    self.at_new(at),
                    json!(a),
                    json!(b),
                    message,
                );
            }
        }
    }

    fn bound_change(
        &mut self,
        kind: Kind,
        keyword: &str,
        o: Value,
        n: Value,
        field: &str,
        at: NodeId,
    ) {
        let show = |v: &Value| {
            if v.is_null() {
                "none".to_string()
            } else {
                v.to_string()
            }
        };
        let message = format!(
            "`{keyword}` of {} changed from {} to {}",
            describe(field),
            show(&o),
            show(&n)
        );
        self.push(kind, field, self.at_new(at), o, n, message);
    }

    fn annotations(&mut self, old: &Node, new: &Node, field: &str, at: NodeId) {
        if old.default != new.default {
            let message = format!(
                "default of {} changed from {} to {}",
                describe(field),
                old.default
                    .as_ref()
                    .map_or("none".to_string(), Value::to_string),
                new.default
                    .as_ref()
                    .map_or("none".to_string(), Value::to_string)
            );
            self.push(
                Kind::DefaultChanged,
                field,
                self.at_new(at),
                json!(old.default),
                json!(new.default),
                message,
            );
        }
        if new.deprecated && !old.deprecated {
            let message = format!("{} is now deprecated", describe(field));
            self.push(
                Kind::DeprecatedAdded,
                field,
                self.at_new(at),
                json!(false),
                json!(true),
                message,
            );
        }
    }

    fn object(&mut self, o: NodeId, n: NodeId, field: &str) {
        rename::properties(self, o, n, field);
        let (old, new) = (self.old.node(o), self.new.node(n));
        let at = self.at_new(n);
        let (kind, text) = match (old.additional, new.additional) {
            (Additional::Open, Additional::Open) | (Additional::Closed, Additional::Closed) => {
                return;
            }
            (Additional::Schema(a), Additional::Schema(b)) => {
                self.compare(a, b, &join(field, "*"));
                return;
            }
            (Additional::Open, _) | (Additional::Schema(_), Additional::Closed) => (
                Kind::AdditionalPropertiesNarrowed,
                "accepts fewer additional properties",
            ),
            _ => (
                Kind::AdditionalPropertiesWidened,
                "accepts more additional properties",
            ),
        };
        let message = format!("{} now {text}", describe_object(field));
        self.push(
            kind,
            field,
            at,
            additional_value(old.additional),
            additional_value(new.additional),
            message,
        );
    }

    /// `items` and positional items (`prefixItems`, or `items` as an array). A position is
    /// compared with whatever governs it on each side, its own schema or `items`, so moving
    /// from `items` to `prefixItems` still compares every position.
    fn arrays(&mut self, o: NodeId, n: NodeId, field: &str) {
        let (old_arena, new_arena) = (self.old, self.new);
        let (old, new) = (old_arena.node(o), new_arena.node(n));
        let item_field = format!("{field}[]");
        match (old.items, new.items) {
            (Some(a), Some(b)) => self.compare(a, b, &item_field),
            (None, Some(_)) => {
                let at = self.at_new(n);
                let message = format!("items of {} are now constrained", describe(field));
                self.push(
                    Kind::ItemsAdded,
                    &item_field,
                    at,
                    Value::Null,
                    json!("schema"),
                    message,
                );
            }
            (Some(_), None) => {
                let at = self.at_new(n);
                let message = format!("items of {} are no longer constrained", describe(field));
                self.push(
                    Kind::ItemsRemoved,
                    &item_field,
                    at,
                    json!("schema"),
                    Value::Null,
                    message,
                );
            }
            (None, None) => {}
        }
        for i in 0..old.tuple.len().max(new.tuple.len()) {
            let f = format!("{field}[{i}]");
            let x = old.tuple.get(i).copied();
            let y = new.tuple.get(i).copied();
            match (x.or(old.items), y.or(new.items)) {
                (Some(x), Some(y)) => self.compare(x, y, &f),
                (None, Some(y)) => {
                    let at = self.at_new(y);
                    self.push(
                        Kind::ItemsAdded,
                        &f,
                        at,
                        Value::Null,
                        json!("schema"),
                        format!("position {i} of {} is now constrained", describe(field)),
                    );
                }
                (Some(x), None) => {
                    let at = self.at_old(x);
                    self.push(
                        Kind::ItemsRemoved,
                        &f,
                        at,
                        json!("schema"),
                        Value::Null,
                        format!(
                            "position {i} of {} is no longer constrained",
                            describe(field)
                        ),
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// Matches alternatives (or unmerged `allOf` parts) by name, then by shape; compares the
    /// pairs and reports the rest as added or removed.
    fn branches(
        &mut self,
        olds: &[NodeId],
        news: &[NodeId],
        field: &str,
        added: Kind,
        removed: Kind,
        pair_leftovers: bool,
    ) {
        let mut old_left: Vec<NodeId> = olds.to_vec();
        let mut new_left: Vec<NodeId> = Vec::new();
        let mut pairs = Vec::new();
        for &b in news {
            let name = self.new.node(self.new.effective(b).0).name.clone();
            let by_name = name.as_ref().and_then(|nm| {
                old_left
                    .iter()
                    .position(|&a| self.old.node(self.old.effective(a).0).name.as_ref() == Some(nm))
            });
            match by_name.or_else(|| old_left.iter().position(|&a| self.equivalent(a, b))) {
                Some(i) => pairs.push((old_left.remove(i), b)),
                None => new_left.push(b),
            }
        }
        if pair_leftovers && old_left.len() == 1 && new_left.len() == 1 {
            pairs.push((old_left[0], new_left[0]));
            old_left.clear();
            new_left.clear();
        }
        for (a, b) in pairs {
            let label = self.branch_label(b, news);
            self.compare(a, b, &format!("{field}<{label}>"));
        }
        for b in new_left {
            let label = self.branch_label(b, news);
            let at = self.at_new(b);
            let message = format!("{} gained the alternative {label}", describe(field));
            self.push(added, field, at, Value::Null, json!(label), message);
        }
        for a in old_left {
            let (id, _) = self.old.effective(a);
            let label = self.old.node(id).name.clone().unwrap_or_else(|| {
                format!("#{}", olds.iter().position(|&x| x == a).unwrap_or(0) + 1)
            });
            let at = self.at_old(a);
            let message = format!("{} lost the alternative {label}", describe(field));
            self.push(removed, field, at, json!(label), Value::Null, message);
        }
    }

    fn branch_label(&self, b: NodeId, all: &[NodeId]) -> String {
        let (id, _) = self.new.effective(b);
        self.new
            .node(id)
            .name
            .clone()
            .unwrap_or_else(|| format!("#{}", all.iter().position(|&x| x == b).unwrap_or(0) + 1))
    }
}

/// The declared types, or those implied by object / array keywords and enum values.
fn implied_types(node: &Node) -> Option<TypeSet> {
    if node.types.is_some() {
        return node.types;
    }
    if !node.properties.is_empty()
        || !node.required.is_empty()
        || node.additional != Additional::Open
    {
        return Some(TypeSet::of(TypeSet::OBJECT));
    }
    if node.items.is_some() || !node.tuple.is_empty() {
        return Some(TypeSet::of(TypeSet::ARRAY));
    }
    let values = node.enumeration.as_ref()?;
    let mut set = TypeSet::empty();
    for v in values {
        set.insert(match v {
            Value::Bool(_) => TypeSet::BOOLEAN,
            Value::Number(n) if n.is_i64() || n.is_u64() => TypeSet::INTEGER,
            Value::Number(_) => TypeSet::NUMBER,
            Value::String(_) => TypeSet::STRING,
            Value::Array(_) => TypeSet::ARRAY,
            Value::Object(_) => TypeSet::OBJECT,
            Value::Null => 0,
        });
    }
    (!values.is_empty()).then_some(set)
}

/// Whether every value of format `a` is a value of format `b`. `date` is *not* contained in
/// `date-time`.
pub(crate) fn format_subset(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (a, b),
            ("int32", "int64") | ("int32", "double") | ("float", "double")
        )
}

fn is_multiple(a: f64, b: f64) -> bool {
    let r = a / b;
    (r - r.round()).abs() < 1e-9
}

pub(super) fn type_value(t: Option<TypeSet>) -> Value {
    match t {
        None => Value::Null,
        Some(t) => match t.names().as_slice() {
            [one] => json!(one),
            many => json!(many),
        },
    }
}

pub(super) fn type_text(t: Option<TypeSet>) -> String {
    match t {
        None => "any".to_string(),
        Some(t) if t.bits() == 0 => "null".to_string(),
        Some(t) => t.names().join(" | "),
    }
}

fn bound_value(b: Option<Bound>) -> Value {
    match b {
        None => Value::Null,
        Some(b) if b.exclusive => json!({"exclusive": b.value}),
        Some(b) => json!(b.value),
    }
}

pub(crate) fn additional_value(a: Additional) -> Value {
    match a {
        Additional::Open => json!(true),
        Additional::Closed => json!(false),
        Additional::Schema(_) => json!("schema"),
    }
}

/// "`customer.tax_id`", or "the body" at the root.
pub(crate) fn describe(field: &str) -> String {
    if field.is_empty() {
        "the value".to_string()
    } else {
        format!("`{field}`")
    }
}

pub(crate) fn describe_object(field: &str) -> String {
    if field.is_empty() {
        "the object".to_string()
    } else {
        format!("`{field}`")
    }
}

pub(crate) fn list(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("`{s}`"),
            other => format!("`{other}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_lattice() {
        assert!(format_subset("int32", "int64"));
        assert!(format_subset("float", "double"));
        assert!(!format_subset("int64", "int32"));
        assert!(!format_subset("date", "date-time"));
        assert!(!format_subset("date-time", "date"));
    }
}
