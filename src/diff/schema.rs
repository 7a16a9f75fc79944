//! The normalised schema model both sides of a diff are turned into.
//!
//! A [`Node`] is a JSON Schema with every spelling difference removed: `$ref`s are followed (a
//! node is shared by every place that references it, so cycles are edges, not copies), the three
//! ways of allowing `null` become one flag, `const` is a one-value enum, mergeable `allOf`s are
//! merged, and bounds are numbers with an explicit exclusive flag. Annotations that do not change
//! what is valid (`description`, `example`, `title`) are dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// Index of a node in an [`Arena`].
pub(crate) type NodeId = usize;

/// The JSON types a schema accepts, `null` excluded (see [`Node::nullable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TypeSet(u8);

impl TypeSet {
    pub(crate) const BOOLEAN: u8 = 1;
    pub(crate) const INTEGER: u8 = 2;
    pub(crate) const NUMBER: u8 = 4;
    pub(crate) const STRING: u8 = 8;
    pub(crate) const ARRAY: u8 = 16;
    pub(crate) const OBJECT: u8 = 32;
    pub(crate) const NAMES: [(&'static str, u8); 6] = [
        ("boolean", Self::BOOLEAN),
        ("integer", Self::INTEGER),
        ("number", Self::NUMBER),
        ("string", Self::STRING),
        ("array", Self::ARRAY),
        ("object", Self::OBJECT),
    ];

    pub(crate) fn empty() -> Self {
        TypeSet(0)
    }

    pub(crate) fn of(bits: u8) -> Self {
        TypeSet(bits)
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn has(self, bits: u8) -> bool {
        self.0 & bits != 0
    }

    pub(crate) fn insert(&mut self, bits: u8) {
        self.0 |= bits;
    }

    /// The set with `integer` folded into `number` where both are present.
    fn values(self) -> u8 {
        if self.has(Self::NUMBER) {
            self.0 | Self::INTEGER
        } else {
            self.0
        }
    }

    /// Whether every value of `self` is a value of `other` (`integer` ⊂ `number`).
    pub(crate) fn is_subset_of(self, other: TypeSet) -> bool {
        self.values() & !other.values() == 0
    }

    pub(crate) fn intersect(self, other: TypeSet) -> TypeSet {
        let mut bits = self.values() & other.values();
        if self.has(Self::NUMBER) && other.has(Self::NUMBER) {
            bits |= Self::NUMBER;
        } else {
            bits &= !Self::NUMBER;
        }
        TypeSet(bits)
    }

    pub(crate) fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .filter(|(_, bit)| self.has(*bit))
            .map(|(name, _)| *name)
            .collect()
    }
}

/// A numeric bound (`minimum`, `exclusiveMaximum`, …).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

/// What an object says about properties it does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Additional {
    /// Absent or `true`.
    #[default]
    Open,
    /// `false`.
    Closed,
    /// A schema every other property must match.
    Schema(NodeId),
}

/// `if` / `then` / `else`: a missing `then` or `else` accepts everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conditional {
    pub condition: NodeId,
    pub then: Option<NodeId>,
    pub otherwise: Option<NodeId>,
}

/// Where a node is written: file and JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Origin {
    pub file: usize,
    pub pointer: String,
}

/// One normalised schema.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub origin: Origin,
    /// `None`: any type.
    pub types: Option<TypeSet>,
    pub nullable: bool,
    pub format: Option<String>,
    /// Allowed values, `null` removed (it sets [`Node::nullable`]).
    pub enumeration: Option<Vec<Value>>,
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub multiple_of: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub properties: BTreeMap<String, NodeId>,
    pub required: BTreeSet<String>,
    pub additional: Additional,
    pub items: Option<NodeId>,
    /// Positional items (`prefixItems`, or `items` as an array).
    pub tuple: Vec<NodeId>,
    /// `oneOf` and `anyOf` alternatives (null alternatives folded into `nullable`).
    pub alternatives: Vec<NodeId>,
    /// `allOf` parts that could not be merged (a part that refers back to this node).
    pub all_of: Vec<NodeId>,
    pub not: Option<NodeId>,
    pub default: Option<Value>,
    pub deprecated: bool,
    /// `readOnly`: sent in responses only (OpenAPI); a request need not carry it.
    pub read_only: bool,
    /// `writeOnly`: sent in requests only (OpenAPI); a response never carries it.
    pub write_only: bool,
    /// `discriminator.mapping`: discriminator value → the `$ref` it selects.
    pub discriminator: Option<BTreeMap<String, String>>,
    /// `contentEncoding` of a string carrying encoded content (`base64`).
    pub content_encoding: Option<String>,
    /// `contentMediaType` of a string carrying a document.
    pub content_media_type: Option<String>,
    /// `contentSchema`: the schema of the decoded document.
    pub content_schema: Option<NodeId>,
    /// `dependentRequired` (and array-valued `dependencies`): property → properties it requires.
    pub dependent_required: BTreeMap<String, BTreeSet<String>>,
    /// `dependentSchemas` (and schema-valued `dependencies`): property → schema the object must
    /// then match.
    pub dependent_schemas: BTreeMap<String, NodeId>,
    /// `if` / `then` / `else`.
    pub condition: Option<Conditional>,
    /// `contains`, with `minContains` / `maxContains`.
    pub contains: Option<NodeId>,
    pub min_contains: Option<u64>,
    pub max_contains: Option<u64>,
    /// `patternProperties`: name pattern → schema.
    pub pattern_properties: BTreeMap<String, NodeId>,
    /// `propertyNames`: the schema every property name (a string) matches.
    pub property_names: Option<NodeId>,
    /// `unevaluatedProperties` (`None`: absent).
    pub unevaluated_properties: Option<Additional>,
    /// `unevaluatedItems` (`None`: absent).
    pub unevaluated_items: Option<Additional>,
    /// Keywords compared as written because nothing structural can be said about them
    /// (`$dynamicRef`, `$recursiveRef`).
    pub opaque: BTreeMap<String, Value>,
    /// The name of the reusable schema it was defined as (`Invoice`), for messages.
    pub name: Option<String>,
}

impl Node {
    /// A node accepting anything.
    pub(crate) fn any(origin: Origin) -> Node {
        Node {
            origin,
            ..Node::default()
        }
    }

    /// Whether the node has object structure to compare.
    pub(crate) fn is_object_like(&self) -> bool {
        self.types.is_none_or(|t| t.has(TypeSet::OBJECT))
            && (!self.properties.is_empty()
                || !self.required.is_empty()
                || self.additional != Additional::Open
                || self.types.is_some_and(|t| t.has(TypeSet::OBJECT)))
    }

    /// Only a wrapper around one unmerged `allOf` part (plus nullability and `readOnly` /
    /// `writeOnly`, read with [`Arena::access`]).
    pub(crate) fn is_wrapper(&self) -> bool {
        self.all_of.len() == 1
            && self.types.is_none()
            && self.format.is_none()
            && self.enumeration.is_none()
            && self.properties.is_empty()
            && self.required.is_empty()
            && self.additional == Additional::Open
            && self.items.is_none()
            && self.tuple.is_empty()
            && self.alternatives.is_empty()
            && self.not.is_none()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.opaque.is_empty()
            && self.discriminator.is_none()
            && self.content_encoding.is_none()
            && self.content_media_type.is_none()
            && self.content_schema.is_none()
            && self.dependent_required.is_empty()
            && self.dependent_schemas.is_empty()
            && self.condition.is_none()
            && self.contains.is_none()
            && self.pattern_properties.is_empty()
            && self.property_names.is_none()
            && self.unevaluated_properties.is_none()
            && self.unevaluated_items.is_none()
    }
}

/// All nodes of one side of a diff, with the files they came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Arena {
    pub nodes: Vec<Node>,
    pub files: Vec<PathBuf>,
}

impl Arena {
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub(crate) fn file(&self, origin: &Origin) -> &std::path::Path {
        self.files
            .get(origin.file)
            .map_or(std::path::Path::new(""), PathBuf::as_path)
    }

    /// Whether the schema `id` (or a wrapper on the way to its content) says `readOnly` /
    /// `writeOnly`.
    pub(crate) fn access(&self, mut id: NodeId) -> (bool, bool) {
        let (mut read_only, mut write_only) = (false, false);
        for _ in 0..64 {
            let node = &self.nodes[id];
            read_only |= node.read_only;
            write_only |= node.write_only;
            if !node.is_wrapper() {
                break;
            }
            id = node.all_of[0];
        }
        (read_only, write_only)
    }

    /// Follows wrapper nodes; returns the node that carries content and whether a wrapper on
    /// the way allowed `null`.
    pub(crate) fn effective(&self, mut id: NodeId) -> (NodeId, bool) {
        let mut nullable = false;
        for _ in 0..64 {
            let node = &self.nodes[id];
            if !node.is_wrapper() {
                break;
            }
            nullable |= node.nullable;
            id = node.all_of[0];
        }
        (id, nullable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_is_a_subset_of_number() {
        let int = TypeSet::of(TypeSet::INTEGER);
        let num = TypeSet::of(TypeSet::NUMBER);
        assert!(int.is_subset_of(num));
        assert!(!num.is_subset_of(int));
        assert!(!TypeSet::of(TypeSet::STRING).is_subset_of(num));
        assert_eq!(num.intersect(int), int);
    }
}
