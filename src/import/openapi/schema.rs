//! Schema conversion of `interlock import openapi`: an OpenAPI 3.0 / 3.1 or Swagger 2.0 schema
//! object → JSON Schema 2020-12, one keyword at a time.
//!
//! `nullable` (and Swagger's `x-nullable`) becomes a type list or an `anyOf` with `null`,
//! `example` becomes `examples`, the boolean `exclusiveMinimum` / `exclusiveMaximum` the numeric
//! form, `type: file` a string, the tuple form of `items` `prefixItems`; property-level
//! `required: true` lists the property in its object's `required`; `x-` extension keywords are
//! dropped; references to reusable schemas point to their files under `schemas/`.

use serde_json::{Map, Value, json};

use super::{Converter, schemas_pointer};
use crate::error::InputError;
use crate::json::{escape_pointer_token, unescape_pointer_token};

/// Where a converted schema is written: references to `schemas/X.json` are relative to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Contract,
    SchemaFile,
}

/// The schema rewrite, one keyword at a time.
pub(super) struct SchemaConverter<'c, 'a> {
    pub(super) c: &'c mut Converter<'a>,
    pub(super) place: Place,
}

/// Keywords whose value is a map of name → schema.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value is one schema (or a boolean).
const SCHEMA_ONE: &[&str] = &[
    "not",
    "additionalProperties",
    "items",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
];

impl SchemaConverter<'_, '_> {
    pub(super) fn convert(&mut self, value: &Value, pointer: &str) -> Value {
        let Some(obj) = value.as_object() else {
            return value.clone();
        };
        let mut out = Map::new();
        let mut nullable = false;
        let mut example = None;
        for (key, v) in obj {
            let at = format!("{pointer}/{}", escape_pointer_token(key));
            match key.as_str() {
                "$ref" => match v.as_str().and_then(|r| self.reference(r, &at)) {
                    Some(r) => {
                        out.insert(key.clone(), json!(r));
                    }
                    None => {
                        out.insert(key.clone(), v.clone());
                    }
                },
                // `x-nullable` is the Swagger 2.0 spelling of the same thing.
                "nullable" | "x-nullable" => nullable = v == &Value::Bool(true),
                "example" => example = Some(v.clone()),
                "type" => {
                    out.insert(key.clone(), self.types(v, &at));
                }
                "required" => match v {
                    // Property-level `required: true|false` (not valid OpenAPI): the parent's
                    // `properties` loop lists `true` in the object's `required`.
                    Value::Bool(_) => {}
                    other => {
                        out.insert(key.clone(), other.clone());
                    }
                },
                "exclusiveMinimum" | "exclusiveMaximum" if v.is_boolean() => {}
                "items" if v.is_array() => {
                    out.insert("prefixItems".into(), self.list(v, &at));
                }
                k if k.starts_with("x-") => {}
                k if SCHEMA_MAPS.contains(&k) => {
                    out.insert(key.clone(), self.map(v, &at));
                }
                k if SCHEMA_LISTS.contains(&k) => {
                    out.insert(key.clone(), self.list(v, &at));
                }
                k if SCHEMA_ONE.contains(&k) => {
                    out.insert(key.clone(), self.convert(v, &at));
                }
                _ => {
                    out.insert(key.clone(), v.clone());
                }
            }
        }
        for (flag, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if obj.get(flag) == Some(&Value::Bool(true))
                && let Some(limit) = out.remove(bound)
            {
                out.insert(flag.into(), limit);
            }
        }
        self.property_required(obj, &mut out);
        if let Some(example) = example
            && !out.contains_key("examples")
        {
            out.insert("examples".into(), json!([example]));
        }
        if nullable {
            return make_nullable(out);
        }
        Value::Object(out)
    }

    /// Lists properties written with `required: true` in the object's `required`.
    fn property_required(&mut self, obj: &Map<String, Value>, out: &mut Map<String, Value>) {
        let Some(props) = obj.get("properties").and_then(Value::as_object) else {
            return;
        };
        let marked: Vec<&String> = props
            .iter()
            .filter(|(_, p)| p.get("required") == Some(&Value::Bool(true)))
            .map(|(name, _)| name)
            .collect();
        if props
            .values()
            .any(|p| p.get("required").is_some_and(Value::is_boolean))
        {
            self.c.quirks.insert(
                "property-level `required: true|false` (not valid OpenAPI) read as listing the \
                 property in its object's `required`"
                    .to_string(),
            );
        }
        if marked.is_empty() {
            return;
        }
        let list = out.entry("required").or_insert_with(|| json!([]));
        if let Some(list) = list.as_array_mut() {
            for name in marked {
                if !list.iter().any(|v| v.as_str() == Some(name)) {
                    list.push(json!(name));
                }
            }
        }
    }

    fn map(&mut self, value: &Value, pointer: &str) -> Value {
        match value.as_object() {
            Some(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let at = format!("{pointer}/{}", escape_pointer_token(k));
                        (k.clone(), self.convert(v, &at))
                    })
                    .collect(),
            ),
            None => value.clone(),
        }
    }

    fn list(&mut self, value: &Value, pointer: &str) -> Value {
        match value.as_array() {
            Some(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.convert(v, &format!("{pointer}/{i}")))
                    .collect(),
            ),
            None => value.clone(),
        }
    }

    /// `type`: Swagger's `file` is a string; unknown names are repaired under `--lenient`.
    fn types(&mut self, value: &Value, pointer: &str) -> Value {
        match value {
            Value::String(name) => self.type_name(name, pointer).map_or(json!({}), Value::from),
            Value::Array(names) => Value::Array(
                names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| match n.as_str() {
                        Some(name) => self
                            .type_name(name, &format!("{pointer}/{i}"))
                            .map(Value::from),
                        None => Some(n.clone()),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn type_name(&mut self, name: &str, pointer: &str) -> Option<String> {
        const KNOWN: &[&str] = &[
            "string", "number", "integer", "boolean", "object", "array", "null",
        ];
        if KNOWN.contains(&name) {
            return Some(name.to_string());
        }
        if name == "file" {
            return Some("string".to_string());
        }
        let guess = crate::openapi::lenient_type(name).map(str::to_string);
        if self.c.options.lenient {
            self.c.quirks.insert(match &guess {
                Some(g) => format!("unknown type `{name}` read as `{g}`"),
                None => format!("unknown type `{name}` read as any type"),
            });
            return guess;
        }
        let hint = match &guess {
            Some(g) => format!("write `type: {g}`, or pass --lenient to repair it"),
            None => "use one of string, number, integer, boolean, object, array, or pass \
                     --lenient"
                .to_string(),
        };
        self.c.errors.push(
            InputError::at_pointer(self.c.spec, pointer, format!("unknown type `{name}`"))
                .with_hint(hint),
        );
        None
    }

    /// `#/components/schemas/X/…` → `schemas/X.json#/…` (or `X.json#/…` from a schema file).
    fn reference(&mut self, reference: &str, at: &str) -> Option<String> {
        let target = self.c.local_target(reference, at)?;
        let base = schemas_pointer(self.c.version);
        let rest = target.strip_prefix(base)?.strip_prefix('/')?;
        let (name, inner) = match rest.split_once('/') {
            Some((name, inner)) => (name, format!("#/{inner}")),
            None => (rest, String::new()),
        };
        let file = self.c.names.get(&unescape_pointer_token(name))?;
        Some(match self.place {
            Place::Contract => format!("schemas/{file}{inner}"),
            Place::SchemaFile => format!("{file}{inner}"),
        })
    }
}

/// 3.0 `nullable: true` → `null` added to the type list (and to `enum`), or an `anyOf` with
/// `null` when the schema has no `type` (a `$ref`, an `allOf`).
pub(super) fn make_nullable(mut schema: Map<String, Value>) -> Value {
    if let Some(list) = schema.get_mut("enum").and_then(Value::as_array_mut)
        && !list.contains(&Value::Null)
    {
        list.push(Value::Null);
    }
    match schema.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            schema.insert("type".into(), json!([t, "null"]));
            Value::Object(schema)
        }
        Some(Value::Array(list)) => {
            if !list.iter().any(|t| t == "null") {
                list.push(json!("null"));
            }
            Value::Object(schema)
        }
        _ => {
            let mut outer = Map::new();
            for key in [
                "description",
                "title",
                "examples",
                "default",
                "readOnly",
                "writeOnly",
            ] {
                if let Some(v) = schema.remove(key) {
                    outer.insert(key.into(), v);
                }
            }
            outer.insert(
                "anyOf".into(),
                json!([Value::Object(schema), {"type": "null"}]),
            );
            Value::Object(outer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_type_list_or_any_of() {
        let mut m = Map::new();
        m.insert("type".into(), json!("string"));
        m.insert("enum".into(), json!(["a"]));
        assert_eq!(
            make_nullable(m),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        let mut m = Map::new();
        m.insert("$ref".into(), json!("schemas/X.json"));
        m.insert("description".into(), json!("d"));
        assert_eq!(
            make_nullable(m),
            json!({"description": "d", "anyOf": [{"$ref": "schemas/X.json"}, {"type": "null"}]})
        );
    }
}
