//! Inferring a JSON Schema from sample values.
//!
//! A [`Shape`] accumulates every value seen at one place (a body, a property, the items of an
//! array) and turns into a schema:
//! - `type`: every JSON type seen; integers and non-integers together are `number`; a `null`
//!   sample adds `"null"` to the list;
//! - objects: `properties` merged across samples, `required` = present in every sample;
//! - arrays: one `items` schema merged from every element of every sample;
//! - strings: a `format` (`date-time`, `date`, `email`, `uuid`, `uri`) when every sample has
//!   it, else an `enum` when there are few distinct values, each seen about twice or more
//!   (at most [`Settings::enum_threshold`] values and at least twice as many samples).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::check::drift::is_uuid;

/// Tunables of inference.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Most distinct values a string field may have to become an `enum` (0: never).
    pub enum_threshold: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { enum_threshold: 5 }
    }
}

/// Whether a string has a format.
type FormatTest = fn(&str) -> bool;

/// Formats recognised in strings, most specific first.
const FORMATS: &[(&str, FormatTest)] = &[
    ("date-time", is_date_time),
    ("date", is_date),
    ("uuid", is_uuid),
    ("email", is_email),
    ("uri", is_uri),
];

/// Everything seen at one place of the samples.
#[derive(Debug, Default, Clone)]
pub(crate) struct Shape {
    samples: usize,
    nulls: usize,
    booleans: usize,
    integers: usize,
    numbers: usize,
    strings: usize,
    /// Distinct string values, kept while they are few enough to be an enum.
    values: BTreeSet<String>,
    too_many_values: bool,
    /// Formats every string so far matched.
    formats: Option<BTreeSet<&'static str>>,
    objects: usize,
    /// Property → (samples it appeared in, its shape), in first-seen order.
    properties: Vec<(String, usize, Shape)>,
    arrays: usize,
    items: Option<Box<Shape>>,
}

/// Distinct values remembered before a field is known not to be an enum.
const VALUE_CAP: usize = 64;

impl Shape {
    pub(crate) fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// Adds one sample.
    pub(crate) fn add(&mut self, value: &Value) {
        self.samples += 1;
        match value {
            Value::Null => self.nulls += 1,
            Value::Bool(_) => self.booleans += 1,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.integers += 1,
            Value::Number(_) => self.numbers += 1,
            Value::String(s) => self.add_string(s),
            Value::Object(map) => {
                self.objects += 1;
                for (key, v) in map {
                    let i = match self.properties.iter().position(|(k, _, _)| k == key) {
                        Some(i) => i,
                        None => {
                            self.properties.push((key.clone(), 0, Shape::default()));
                            self.properties.len() - 1
                        }
                    };
                    let entry = &mut self.properties[i];
                    entry.1 += 1;
                    entry.2.add(v);
                }
            }
            Value::Array(items) => {
                self.arrays += 1;
                let shape = self.items.get_or_insert_with(Box::default);
                for item in items {
                    shape.add(item);
                }
            }
        }
    }

    fn add_string(&mut self, s: &str) {
        self.strings += 1;
        if !self.too_many_values {
            self.values.insert(s.to_string());
            if self.values.len() > VALUE_CAP {
                self.values.clear();
                self.too_many_values = true;
            }
        }
        // Only the formats every earlier string matched are still worth testing.
        let matched = FORMATS
            .iter()
            .filter(|(name, _)| self.formats.as_ref().is_none_or(|f| f.contains(name)))
            .filter(|(_, test)| test(s))
            .map(|(name, _)| *name)
            .collect();
        self.formats = Some(matched);
    }

    /// Properties seen in object samples, in first-seen order.
    pub(crate) fn properties(&self) -> impl Iterator<Item = (&String, &Shape)> {
        self.properties.iter().map(|(k, _, s)| (k, s))
    }

    /// Properties present in every object sample.
    pub(crate) fn required(&self) -> BTreeSet<String> {
        self.properties
            .iter()
            .filter(|(_, n, _)| *n == self.objects)
            .map(|(k, _, _)| k.clone())
            .collect()
    }

    /// The inferred schema.
    pub(crate) fn to_schema(&self, settings: &Settings) -> Value {
        let mut schema = Map::new();
        let mut types = Vec::new();
        if self.objects > 0 {
            types.push("object");
        }
        if self.arrays > 0 {
            types.push("array");
        }
        if self.strings > 0 {
            types.push("string");
        }
        if self.numbers > 0 {
            types.push("number");
        } else if self.integers > 0 {
            types.push("integer");
        }
        if self.booleans > 0 {
            types.push("boolean");
        }
        if self.nulls > 0 {
            types.push("null");
        }
        match types.as_slice() {
            [] => return json!({}),
            [one] => {
                schema.insert("type".into(), json!(one));
            }
            many => {
                schema.insert("type".into(), json!(many));
            }
        }
        if self.objects > 0 {
            let properties: Map<String, Value> = self
                .properties
                .iter()
                .map(|(k, _, s)| (k.clone(), s.to_schema(settings)))
                .collect();
            schema.insert("properties".into(), Value::Object(properties));
            let required: Vec<String> = self
                .properties
                .iter()
                .filter(|(_, n, _)| *n == self.objects)
                .map(|(k, _, _)| k.clone())
                .collect();
            if !required.is_empty() {
                schema.insert("required".into(), json!(required));
            }
        }
        if let Some(items) = self.items.as_deref().filter(|s| !s.is_empty()) {
            schema.insert("items".into(), items.to_schema(settings));
        }
        if self.strings > 0 {
            self.string_keywords(settings, &mut schema, types.len() == 1);
        }
        Value::Object(schema)
    }

    fn string_keywords(&self, settings: &Settings, schema: &mut Map<String, Value>, only: bool) {
        let format = self
            .formats
            .as_ref()
            .and_then(|f| FORMATS.iter().find(|(name, _)| f.contains(name)))
            .map(|(name, _)| *name);
        if let Some(format) = format {
            schema.insert("format".into(), json!(format));
            return;
        }
        let distinct = self.values.len();
        let is_enum = !self.too_many_values
            && settings.enum_threshold > 0
            && distinct <= settings.enum_threshold
            && self.strings >= 2 * distinct
            // An enum restricts the whole value, so only when strings (and null) are all there is.
            && (only || self.samples == self.strings + self.nulls);
        if is_enum {
            let mut values: Vec<Value> = self.values.iter().map(|v| json!(v)).collect();
            if self.nulls > 0 {
                values.push(Value::Null);
            }
            schema.insert("enum".into(), Value::Array(values));
        }
    }
}

/// RFC 3339 date-time with an offset, as JSON Schema's `date-time` format asserts.
fn is_date_time(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

fn is_date(s: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, &format).is_ok()
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

fn is_uri(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(samples: &[Value]) -> Value {
        let mut shape = Shape::default();
        for s in samples {
            shape.add(s);
        }
        shape.to_schema(&Settings::default())
    }

    #[test]
    fn required_is_present_in_every_sample() {
        let schema = infer(&[json!({"a": 1, "b": "x"}), json!({"a": 2.5})]);
        assert_eq!(
            schema,
            json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "string"}}, "required": ["a"]})
        );
    }

    #[test]
    fn formats_and_enums() {
        let schema = infer(&[
            json!({"at": "2026-03-02T09:15:00+08:00", "d": "2026-03-02", "s": "won", "m": "a@b.cn"}),
            json!({"at": "2026-03-03T09:15:00Z", "d": "2026-03-05", "s": "won", "m": "c@d.com"}),
        ]);
        assert_eq!(schema["properties"]["at"]["format"], "date-time");
        assert_eq!(schema["properties"]["d"]["format"], "date");
        assert_eq!(schema["properties"]["m"]["format"], "email");
        assert_eq!(schema["properties"]["s"]["enum"], json!(["won"]));
    }

    #[test]
    fn arrays_merge_items_and_nulls_join_types() {
        let schema = infer(&[json!([{"x": 1}, {"x": null, "y": true}]), json!([])]);
        assert_eq!(
            schema,
            json!({"type": "array", "items": {"type": "object", "properties": {"x": {"type": ["integer", "null"]}, "y": {"type": "boolean"}}, "required": ["x"]}})
        );
    }
}
