//! JSON and YAML documents: parsing with positions, the local document store with offline
//! `$ref` resolution, and JSON pointers.

pub(crate) mod document;
pub(crate) mod format;
mod locate;
pub(crate) mod pointer;
mod same;

pub use document::{
    DocumentStore, Resolved, collect_refs, file_uri, parse_json, parse_value, parse_yaml,
    read_value, yaml_error,
};
pub(crate) use document::{add_ref_root, allow_outside_refs, set_project_root, set_ref_roots};
pub use locate::yaml_position;
pub(crate) use pointer::{
    display_pointer, escape_pointer_token, for_each_leaf, unescape_pointer_token, wildcard_indices,
};
pub(crate) use same::{equal, parses_to};

/// A JSON value's type name as people say it.
/// `a text`, `an empty`: the word with its indefinite article.
pub(crate) fn with_article(word: &str) -> String {
    let article = match word.chars().next() {
        Some(c) if "aeiouAEIOU".contains(c) => "an",
        _ => "a",
    };
    format!("{article} {word}")
}

pub(crate) fn type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// A JSON value's type with its article, for messages (`a number`, `an object`).
pub(crate) fn described_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
