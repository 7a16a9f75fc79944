//! Raw schemas (JSON Schema, OpenAPI 3.0 / 3.1, Swagger 2.0) → normalised [`Node`]s.
//!
//! Every `$ref` is resolved offline through the [`DocumentStore`] (components, other local
//! files); a reference that leads nowhere or an invalid keyword is an [`InputError`] naming the
//! file and pointer, never a silent skip. Each location is normalised once, so a schema used a
//! hundred times is one node, and a recursive schema is a cycle in the arena, not an endless
//! copy. The three spellings of "nullable" become [`Node::nullable`], and `allOf` parts are
//! merged into their parent ([`super::merge`]) so `$ref` restructuring does not look like a
//! change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::schema::{Additional, Arena, Bound, Conditional, Node, NodeId, Origin, TypeSet};
use crate::error::{InputError, did_you_mean};
use crate::json::{DocumentStore, escape_pointer_token};

/// Keywords that describe without constraining; a `$ref` with only these beside it is a
/// plain reference.
fn is_annotation(key: &str) -> bool {
    key.starts_with("x-")
        || matches!(
            key,
            "description"
                | "title"
                | "summary"
                | "example"
                | "examples"
                | "$comment"
                | "externalDocs"
                | "xml"
                | "discriminator"
                | "$schema"
                | "$id"
                | "$anchor"
                | "$defs"
                | "definitions"
                | "$dynamicAnchor"
        )
}

/// Keywords compared as written, because their meaning depends on the dynamic scope of the
/// evaluation and cannot be compared structurally.
const OPAQUE: &[&str] = &["$dynamicRef", "$recursiveRef"];

/// Whether a `pattern` accepts every string, so it constrains nothing (`''`, `.*`, `^.*$`).
fn matches_everything(pattern: &str) -> bool {
    matches!(
        pattern,
        "" | ".*" | "^.*" | ".*$" | "^.*$" | "(.*)" | "^(.*)$"
    )
}

/// A harmless spec quirk that was tolerated, with how often and where first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quirk {
    pub message: String,
    pub count: usize,
    pub first: String,
}

/// Builds the [`Arena`] of one side.
pub(crate) struct Normalizer<'s> {
    store: &'s mut DocumentStore,
    pub arena: Arena,
    docs: Vec<Arc<Value>>,
    file_ids: HashMap<PathBuf, usize>,
    by_loc: HashMap<(usize, String), NodeId>,
    /// Whether each node is fully built (a node still being built is part of a cycle).
    pub(super) complete: Vec<bool>,
    ref_cache: HashMap<(usize, String), Option<(usize, String)>>,
    resolving: HashSet<(usize, String)>,
    pub errors: Vec<InputError>,
    pub quirks: BTreeMap<String, Quirk>,
    /// Read invalid-but-repairable input (unknown type names, `#components/…` references) with
    /// a warning instead of failing.
    pub lenient: bool,
}

impl<'s> Normalizer<'s> {
    pub(crate) fn new(store: &'s mut DocumentStore) -> Self {
        Normalizer {
            store,
            arena: Arena::default(),
            docs: Vec::new(),
            file_ids: HashMap::new(),
            by_loc: HashMap::new(),
            complete: Vec::new(),
            ref_cache: HashMap::new(),
            resolving: HashSet::new(),
            errors: Vec::new(),
            quirks: BTreeMap::new(),
            lenient: false,
        }
    }

    /// Loads a file (once) and returns its id.
    pub(crate) fn file(&mut self, path: &Path) -> Result<usize, InputError> {
        let key = DocumentStore::key(path);
        if let Some(&id) = self.file_ids.get(&key) {
            return Ok(id);
        }
        let doc = self.store.load(&key)?;
        Ok(self.register(key, doc))
    }

    /// Registers an already-parsed document under `path`.
    pub(crate) fn register(&mut self, path: PathBuf, doc: Arc<Value>) -> usize {
        let id = self.docs.len();
        self.docs.push(doc);
        self.arena.files.push(path.clone());
        self.file_ids.insert(path, id);
        id
    }

    pub(crate) fn path(&self, file: usize) -> &Path {
        self.arena
            .files
            .get(file)
            .map_or(Path::new(""), PathBuf::as_path)
    }

    pub(crate) fn doc(&self, file: usize) -> Arc<Value> {
        Arc::clone(&self.docs[file])
    }

    pub(crate) fn error(&mut self, file: usize, pointer: &str, message: impl Into<String>) {
        let path = self.path(file).to_path_buf();
        self.errors
            .push(InputError::at_pointer(path, pointer, message));
    }

    fn quirk(&mut self, key: &str, message: &str, file: usize, pointer: &str) {
        let first = format!("{}: {pointer}", self.path(file).display());
        self.quirks
            .entry(key.to_string())
            .or_insert_with(|| Quirk {
                message: message.to_string(),
                count: 0,
                first,
            })
            .count += 1;
    }

    /// Follows a `$ref` written at `ref_pointer` in `file`; reports and returns `None` when it
    /// leads nowhere.
    pub(crate) fn resolve(
        &mut self,
        file: usize,
        ref_pointer: &str,
        reference: &str,
    ) -> Option<(usize, String)> {
        let cache_key = (file, reference.to_string());
        if let Some(hit) = self.ref_cache.get(&cache_key).cloned() {
            if hit.is_none() {
                self.error(
                    file,
                    ref_pointer,
                    format!("$ref `{reference}` cannot be resolved (see the error above)"),
                );
            }
            return hit;
        }
        let target = if let Some(fragment) = reference.strip_prefix('#') {
            // Same-document reference: no file system access needed.
            let pointer = percent_encoding::percent_decode_str(fragment)
                .decode_utf8_lossy()
                .into_owned();
            if pointer.is_empty() || self.docs[file].pointer(&pointer).is_some() {
                Some((file, pointer))
            } else if self.lenient
                && !pointer.starts_with('/')
                && self.docs[file].pointer(&format!("/{pointer}")).is_some()
            {
                self.quirk(
                    "ref-without-slash",
                    "`$ref: '#components/…'` (no `/` after `#`) read as `#/components/…`",
                    file,
                    ref_pointer,
                );
                Some((file, format!("/{pointer}")))
            } else {
                self.store_resolve(file, ref_pointer, reference)
            }
        } else {
            self.store_resolve(file, ref_pointer, reference)
        };
        self.ref_cache.insert(cache_key, target.clone());
        target
    }

    fn store_resolve(
        &mut self,
        file: usize,
        ref_pointer: &str,
        reference: &str,
    ) -> Option<(usize, String)> {
        let from = self.path(file).to_path_buf();
        match self.store.resolve(&from, ref_pointer, reference) {
            Ok(resolved) => match self.file(&resolved.file) {
                Ok(id) => Some((id, resolved.pointer)),
                Err(err) => {
                    self.errors.push(err);
                    None
                }
            },
            Err(err) => {
                self.errors.push(err);
                None
            }
        }
    }

    /// Adds a node built by hand (e.g. a Swagger 2.0 form body).
    pub(crate) fn push_node(&mut self, node: Node) -> NodeId {
        let id = self.arena.nodes.len();
        self.arena.nodes.push(node);
        self.complete.push(true);
        id
    }

    fn any_node(&mut self, file: usize, pointer: &str) -> NodeId {
        let id = self.arena.nodes.len();
        self.arena.nodes.push(Node::any(Origin {
            file,
            pointer: pointer.to_string(),
        }));
        self.complete.push(true);
        id
    }

    /// The schema at `pointer` in `file`.
    pub(crate) fn schema_at(&mut self, file: usize, pointer: &str) -> NodeId {
        if let Some(&id) = self.by_loc.get(&(file, pointer.to_string())) {
            return id;
        }
        let doc = self.doc(file);
        match doc.pointer(pointer) {
            Some(value) => self.schema(file, pointer, value),
            None => {
                self.error(file, pointer, "expected a schema here, found nothing");
                self.any_node(file, pointer)
            }
        }
    }

    /// The schema `value`, written at `pointer` in `file`.
    pub(crate) fn schema(&mut self, file: usize, pointer: &str, value: &Value) -> NodeId {
        let key = (file, pointer.to_string());
        if let Some(&id) = self.by_loc.get(&key) {
            return id;
        }
        if let Some(map) = value.as_object()
            && let Some(reference) = map.get("$ref")
            && map.keys().all(|k| k == "$ref" || is_annotation(k))
        {
            let ref_pointer = format!("{pointer}/$ref");
            let Some(reference) = reference.as_str() else {
                self.error(file, &ref_pointer, "`$ref` must be a string");
                return self.any_node(file, pointer);
            };
            if !self.resolving.insert(key.clone()) {
                self.error(
                    file,
                    &ref_pointer,
                    format!("$ref `{reference}` refers to itself without a schema in between"),
                );
                return self.any_node(file, pointer);
            }
            let id = match self.resolve(file, &ref_pointer, reference) {
                Some((tf, tp)) => self.schema_at(tf, &tp),
                None => self.any_node(file, pointer),
            };
            self.resolving.remove(&key);
            self.by_loc.insert(key, id);
            return id;
        }
        let id = self.arena.nodes.len();
        let origin = Origin {
            file,
            pointer: pointer.to_string(),
        };
        self.arena.nodes.push(Node::any(origin.clone()));
        self.complete.push(false);
        self.by_loc.insert(key, id);
        let mut node = self.build(file, pointer, value, origin);
        if node.name.is_none() {
            node.name = reusable_name(pointer);
        }
        self.arena.nodes[id] = node;
        self.complete[id] = true;
        id
    }

    fn child(&mut self, file: usize, pointer: &str, key: &str, value: &Value) -> NodeId {
        self.schema(
            file,
            &format!("{pointer}/{}", escape_pointer_token(key)),
            value,
        )
    }

    fn build(&mut self, file: usize, pointer: &str, value: &Value, origin: Origin) -> Node {
        let mut node = Node::any(origin);
        let map = match value {
            Value::Bool(true) => return node,
            Value::Bool(false) => {
                node.types = Some(TypeSet::empty());
                return node;
            }
            Value::Object(map) => map,
            other => {
                self.error(
                    file,
                    pointer,
                    format!(
                        "expected a schema (an object or a boolean), found {}",
                        crate::json::described_type(other)
                    ),
                );
                return node;
            }
        };
        let mut parts: Vec<NodeId> = Vec::new();
        let mut all_of_nullable: Option<bool> = None;
        let (mut if_, mut then, mut otherwise) = (None, None, None);
        for (key, v) in map {
            let at = format!("{pointer}/{}", escape_pointer_token(key));
            match key.as_str() {
                "type" => node.types = self.types(file, &at, v, &mut node.nullable),
                "nullable" | "x-nullable" => match v {
                    Value::Bool(b) => node.nullable |= *b,
                    _ => self.error(file, &at, format!("`{key}` must be true or false")),
                },
                "enum" => match v {
                    Value::Array(values) => {
                        node.nullable |= values.iter().any(Value::is_null);
                        node.enumeration =
                            Some(values.iter().filter(|v| !v.is_null()).cloned().collect());
                    }
                    _ => self.error(file, &at, "`enum` must be an array of values"),
                },
                "const" => {
                    if v.is_null() {
                        node.nullable = true;
                        node.enumeration = Some(Vec::new());
                    } else {
                        node.enumeration = Some(vec![v.clone()]);
                    }
                }
                "format" => node.format = self.string(file, &at, key, v),
                "pattern" => {
                    node.pattern = self
                        .string(file, &at, key, v)
                        .filter(|p| !matches_everything(p))
                }
                "readOnly" | "writeOnly" => match v {
                    Value::Bool(b) if key == "readOnly" => node.read_only = *b,
                    Value::Bool(b) => node.write_only = *b,
                    _ => self.error(file, &at, format!("`{key}` must be true or false")),
                },
                "discriminator" => {
                    let mapping = v.get("mapping").and_then(Value::as_object);
                    node.discriminator = Some(
                        mapping
                            .map(|m| {
                                m.iter()
                                    .map(|(k, t)| (k.clone(), t.as_str().unwrap_or("").to_string()))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    );
                }
                "contentEncoding" => node.content_encoding = self.string(file, &at, key, v),
                "contentMediaType" => node.content_media_type = self.string(file, &at, key, v),
                "contentSchema" => node.content_schema = Some(self.schema(file, &at, v)),
                "dependentRequired" | "dependentSchemas" | "dependencies" => {
                    self.dependencies(file, &at, key, v, &mut node)
                }
                "if" => if_ = Some(self.schema(file, &at, v)),
                "then" => then = Some(self.schema(file, &at, v)),
                "else" => otherwise = Some(self.schema(file, &at, v)),
                "contains" => node.contains = Some(self.schema(file, &at, v)),
                "minContains" => node.min_contains = self.count(file, &at, key, v),
                "maxContains" => node.max_contains = self.count(file, &at, key, v),
                "patternProperties" => match v.as_object() {
                    Some(map) => {
                        for (re, schema) in map {
                            let id = self.child(file, &at, re, schema);
                            node.pattern_properties.insert(re.clone(), id);
                        }
                    }
                    None => self.error(file, &at, "`patternProperties` must map patterns to schemas"),
                },
                "propertyNames" => node.property_names = Some(self.schema(file, &at, v)),
                "unevaluatedProperties" | "unevaluatedItems" => {
                    let rest = match v {
                        Value::Bool(true) => Additional::Open,
                        Value::Bool(false) => Additional::Closed,
                        _ => Additional::Schema(self.schema(file, &at, v)),
                    };
                    if key == "unevaluatedProperties" {
                        node.unevaluated_properties = Some(rest);
                    } else {
                        node.unevaluated_items = Some(rest);
                    }
                }
                "minLength" => node.min_length = self.count(file, &at, key, v),
                "maxLength" => node.max_length = self.count(file, &at, key, v),
                "minItems" => node.min_items = self.count(file, &at, key, v),
                "maxItems" => node.max_items = self.count(file, &at, key, v),
                "minProperties" => node.min_properties = self.count(file, &at, key, v),
                "maxProperties" => node.max_properties = self.count(file, &at, key, v),
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    self.bound(file, &at, key, v, map, &mut node)
                }
                "multipleOf" => match v.as_f64() {
                    Some(step) if step > 0.0 => node.multiple_of = Some(step),
                    _ => self.error(file, &at, "`multipleOf` must be a number greater than 0"),
                },
                "uniqueItems" => match v {
                    Value::Bool(b) => node.unique_items = *b,
                    _ => self.error(file, &at, "`uniqueItems` must be true or false"),
                },
                "deprecated" => match v {
                    Value::Bool(b) => node.deprecated = *b,
                    _ => self.error(file, &at, "`deprecated` must be true or false"),
                },
                "default" => node.default = Some(v.clone()),
                "properties" => self.properties(file, &at, v, &mut node),
                "required" => match v {
                    Value::Array(names) => {
                        for (i, name) in names.iter().enumerate() {
                            match name.as_str() {
                                Some(n) => {
                                    node.required.insert(n.to_string());
                                }
                                None => self.error(
                                    file,
                                    &format!("{at}/{i}"),
                                    "`required` lists property names (strings)",
                                ),
                            }
                        }
                    }
                    Value::Bool(_) => self.quirk(
                        "property-required",
                        "property-level `required: true|false` is not valid JSON Schema or OpenAPI; \
                         `true` is read as listing the property in its object's `required`",
                        file,
                        &at,
                    ),
                    _ => self.error(file, &at, "`required` must be an array of property names"),
                },
                "additionalProperties" => {
                    node.additional = match v {
                        Value::Bool(true) => Additional::Open,
                        Value::Bool(false) => Additional::Closed,
                        _ => Additional::Schema(self.schema(file, &at, v)),
                    }
                }
                "items" => match v {
                    Value::Array(items) => {
                        node.tuple = self.schema_list(file, &at, items);
                    }
                    _ => node.items = Some(self.schema(file, &at, v)),
                },
                "prefixItems" => match v {
                    Value::Array(items) => node.tuple = self.schema_list(file, &at, items),
                    _ => self.error(file, &at, "`prefixItems` must be an array of schemas"),
                },
                "allOf" | "anyOf" | "oneOf" => {
                    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
                        self.error(file, &at, format!("`{key}` must be a non-empty array of schemas"));
                        continue;
                    };
                    let ids = self.schema_list(file, &at, items);
                    if key == "allOf" {
                        let all_null = ids.iter().all(|&id| self.nodes_nullable(id));
                        all_of_nullable = Some(all_null);
                        parts.extend(ids);
                    } else {
                        let (nulls, rest): (Vec<NodeId>, Vec<NodeId>) =
                            ids.into_iter().partition(|&id| self.is_pure_null(id));
                        node.nullable |= !nulls.is_empty();
                        if rest.len() == 1 {
                            parts.push(rest[0]);
                        } else {
                            node.alternatives.extend(rest);
                        }
                    }
                }
                "not" => node.not = Some(self.schema(file, &at, v)),
                "$ref" => {
                    // A reference with constraints beside it: both apply, as an `allOf`.
                    match v.as_str() {
                        Some(reference) => {
                            if let Some((tf, tp)) = self.resolve(file, &at, reference) {
                                parts.push(self.schema_at(tf, &tp));
                            }
                        }
                        None => self.error(file, &at, "`$ref` must be a string"),
                    }
                }
                _ if OPAQUE.contains(&key.as_str()) => {
                    node.opaque.insert(key.clone(), v.clone());
                }
                _ => {}
            }
        }
        if let Some(condition) = if_ {
            node.condition = Some(Conditional {
                condition,
                then,
                otherwise,
            });
        }
        let own_nullable = node.nullable;
        for part in parts {
            self.merge(&mut node, part);
        }
        node.nullable = own_nullable || all_of_nullable.unwrap_or(false) || node.nullable;
        node
    }

    /// `dependentRequired`, `dependentSchemas`, and draft 4–7 `dependencies` (an array is a
    /// required list, anything else a schema).
    fn dependencies(&mut self, file: usize, pointer: &str, key: &str, v: &Value, node: &mut Node) {
        let Some(map) = v.as_object() else {
            self.error(
                file,
                pointer,
                format!(
                    "`{key}` must map property names to {}",
                    if key == "dependentRequired" {
                        "lists of names"
                    } else {
                        "schemas"
                    }
                ),
            );
            return;
        };
        for (name, dep) in map {
            match dep {
                Value::Array(names) if key != "dependentSchemas" => {
                    let list = node.dependent_required.entry(name.clone()).or_default();
                    for (i, n) in names.iter().enumerate() {
                        match n.as_str() {
                            Some(n) => {
                                list.insert(n.to_string());
                            }
                            None => self.error(
                                file,
                                &format!("{pointer}/{}/{i}", escape_pointer_token(name)),
                                format!("`{key}` lists property names (strings)"),
                            ),
                        }
                    }
                }
                _ if key == "dependentRequired" => self.error(
                    file,
                    &format!("{pointer}/{}", escape_pointer_token(name)),
                    "`dependentRequired` maps a property to a list of property names",
                ),
                _ => {
                    let id = self.child(file, pointer, name, dep);
                    node.dependent_schemas.insert(name.clone(), id);
                }
            }
        }
    }

    fn nodes_nullable(&self, id: NodeId) -> bool {
        self.complete[id] && self.arena.nodes[id].nullable
    }

    fn is_pure_null(&self, id: NodeId) -> bool {
        let n = &self.arena.nodes[id];
        self.complete[id]
            && n.nullable
            && n.types == Some(TypeSet::empty())
            && n.enumeration.as_ref().is_none_or(Vec::is_empty)
    }

    fn schema_list(&mut self, file: usize, pointer: &str, items: &[Value]) -> Vec<NodeId> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.schema(file, &format!("{pointer}/{i}"), item))
            .collect()
    }

    fn properties(&mut self, file: usize, pointer: &str, value: &Value, node: &mut Node) {
        let Some(props) = value.as_object() else {
            self.error(
                file,
                pointer,
                "`properties` must map property names to schemas",
            );
            return;
        };
        for (name, schema) in props {
            if schema.get("required") == Some(&Value::Bool(true)) {
                node.required.insert(name.clone());
            }
            let id = self.child(file, pointer, name, schema);
            node.properties.insert(name.clone(), id);
        }
    }

    fn types(
        &mut self,
        file: usize,
        pointer: &str,
        value: &Value,
        nullable: &mut bool,
    ) -> Option<TypeSet> {
        let names: Vec<(String, &Value)> = match value {
            Value::String(_) => vec![(pointer.to_string(), value)],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{pointer}/{i}"), v))
                .collect(),
            _ => {
                self.error(
                    file,
                    pointer,
                    "`type` must be a type name or an array of them",
                );
                return None;
            }
        };
        let mut set = TypeSet::empty();
        for (at, name) in names {
            let Some(name) = name.as_str() else {
                self.error(file, &at, "`type` lists type names (strings)");
                continue;
            };
            match name {
                "null" => *nullable = true,
                // Swagger 2.0 file uploads are binary strings on the wire.
                "file" => set.insert(TypeSet::STRING),
                _ => match TypeSet::NAMES.iter().find(|(n, _)| *n == name) {
                    Some((_, bit)) => set.insert(*bit),
                    None if self.lenient => {
                        let guess = lenient_type(name);
                        let message = match guess {
                            Some((read_as, _)) => {
                                format!("unknown type `{name}` read as `{read_as}`")
                            }
                            None => format!("unknown type `{name}` read as any type"),
                        };
                        self.quirk(&format!("type-{name}"), &message, file, &at);
                        match guess {
                            Some((_, bit)) => set.insert(bit),
                            None => return None,
                        }
                    }
                    None => {
                        let hint = match name {
                            "double" | "float" => Some(format!(
                                "`{name}` is a format: write `type: number` with `format: {name}`"
                            )),
                            "int" | "int32" | "int64" | "long" => Some(
                                "write `type: integer` with `format: int32` or `int64`".to_string(),
                            ),
                            _ => did_you_mean(
                                name,
                                TypeSet::NAMES.iter().map(|(n, _)| *n).chain(["null"]),
                            ),
                        };
                        // A name `--lenient` can repair says so.
                        let hint = match (hint, lenient_type(name)) {
                            (Some(h), Some((read_as, _))) => Some(format!(
                                "{h}; or pass `--lenient` to read it as `{read_as}` with a warning"
                            )),
                            (None, Some((read_as, _))) => Some(format!(
                                "pass `--lenient` to read it as `{read_as}` with a warning"
                            )),
                            (hint, None) => hint,
                        };
                        let path = self.path(file).to_path_buf();
                        self.errors.push(
                            InputError::at_pointer(path, &at, format!("unknown type `{name}`"))
                                .with_hint_opt(hint),
                        );
                    }
                },
            }
        }
        Some(set)
    }

    fn string(&mut self, file: usize, pointer: &str, key: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(file, pointer, format!("`{key}` must be a string"));
                None
            }
        }
    }

    fn count(&mut self, file: usize, pointer: &str, key: &str, v: &Value) -> Option<u64> {
        let n = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        });
        if n.is_none() {
            self.error(
                file,
                pointer,
                format!("`{key}` must be a non-negative integer"),
            );
        }
        n
    }

    fn bound(
        &mut self,
        file: usize,
        pointer: &str,
        key: &str,
        v: &Value,
        map: &Map<String, Value>,
        node: &mut Node,
    ) {
        let is_min = key.to_ascii_lowercase().contains("min");
        let slot = if is_min {
            &mut node.minimum
        } else {
            &mut node.maximum
        };
        match (key.starts_with("exclusive"), v) {
            // OpenAPI 3.0 / draft 4: a flag on `minimum` / `maximum`.
            (true, Value::Bool(flag)) => {
                if let Some(b) = slot.as_mut() {
                    b.exclusive = *flag;
                }
            }
            (exclusive, Value::Number(n)) => {
                let value = n.as_f64().unwrap_or(0.0);
                let new = Bound { value, exclusive };
                let flag_key = if is_min {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                let flagged = !exclusive && map.get(flag_key) == Some(&Value::Bool(true));
                let new = Bound {
                    exclusive: new.exclusive || flagged,
                    ..new
                };
                // With both `minimum` and a numeric `exclusiveMinimum`, the stricter one counts.
                *slot = Some(match *slot {
                    Some(old) if is_min && old.value > new.value => old,
                    Some(old) if !is_min && old.value < new.value => old,
                    _ => new,
                });
            }
            _ => self.error(file, pointer, format!("`{key}` must be a number")),
        }
    }
}

/// The type an unknown type name most likely meant, for lenient reading, with its bit.
pub(crate) fn lenient_type(name: &str) -> Option<(&'static str, u8)> {
    let wanted = crate::openapi::lenient_type(name)?;
    TypeSet::NAMES
        .iter()
        .find(|(n, _)| *n == wanted)
        .map(|(n, bit)| (*n, *bit))
}

/// `Invoice` for `/components/schemas/Invoice`, `/definitions/Invoice` or `/$defs/Invoice`.
fn reusable_name(pointer: &str) -> Option<String> {
    let (parent, last) = pointer.rsplit_once('/')?;
    matches!(parent, "/components/schemas" | "/definitions" | "/$defs")
        .then(|| crate::json::unescape_pointer_token(last))
}
