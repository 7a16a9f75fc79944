//! JSON pretty-printed as lines that know which field they belong to.
//!
//! Each line carries the JSON pointer of the deepest value that starts (or, for a closing
//! bracket, ends) on it, so a finding's `path` can mark exactly the lines of its field: the
//! line of a scalar, or every line from an object's key to its closing brace.

use serde_json::Value;

use crate::json::escape_pointer_token;

/// One line of pretty-printed JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// JSON pointer of the value this line shows (`""` for the whole body).
    pub path: String,
    /// The text, indented by two spaces per level.
    pub text: String,
}

/// `value` pretty-printed (two-space indent, as `serde_json::to_string_pretty`), line by line.
pub(crate) fn lines(value: &Value) -> Vec<Line> {
    let mut out = Vec::new();
    emit(value, "", 0, None, false, &mut out);
    out
}

/// Whether the line of `line_path` is part of the field at `path`.
pub(crate) fn within(line_path: &str, path: &str) -> bool {
    line_path == path
        || (line_path.starts_with(path) && line_path.as_bytes().get(path.len()) == Some(&b'/'))
}

fn emit(
    value: &Value,
    path: &str,
    depth: usize,
    key: Option<&str>,
    comma: bool,
    out: &mut Vec<Line>,
) {
    let indent = "  ".repeat(depth);
    let prefix = match key {
        Some(k) => format!("{indent}{}: ", Value::String(k.to_owned())),
        None => indent.clone(),
    };
    let tail = if comma { "," } else { "" };
    let line = |text: String| Line {
        path: path.to_owned(),
        text,
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push(line(format!("{prefix}{{")));
            let last = map.len() - 1;
            for (i, (k, v)) in map.iter().enumerate() {
                let child = format!("{path}/{}", escape_pointer_token(k));
                emit(v, &child, depth + 1, Some(k), i < last, out);
            }
            out.push(line(format!("{indent}}}{tail}")));
        }
        Value::Array(items) if !items.is_empty() => {
            out.push(line(format!("{prefix}[")));
            let last = items.len() - 1;
            for (i, v) in items.iter().enumerate() {
                emit(v, &format!("{path}/{i}"), depth + 1, None, i < last, out);
            }
            out.push(line(format!("{indent}]{tail}")));
        }
        scalar => out.push(line(format!("{prefix}{scalar}{tail}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_equals_serde_pretty_printing() {
        let value = json!({"a": {"b": [1, {"c": null}], "e": {}}, "d/~": "x", "f": []});
        let text: Vec<String> = lines(&value).into_iter().map(|l| l.text).collect();
        let expected = serde_json::to_string_pretty(&value).expect("serializes");
        assert_eq!(text.join("\n"), expected);
    }

    #[test]
    fn every_line_knows_its_pointer() {
        let value =
            json!({"tax_id": "X", "address": {"city": "Shanghai"}, "tags": ["a"], "a/b": 1});
        let paths: Vec<String> = lines(&value).into_iter().map(|l| l.path).collect();
        assert_eq!(
            paths,
            [
                "",
                "/tax_id",
                "/address",
                "/address/city",
                "/address",
                "/tags",
                "/tags/0",
                "/tags",
                "/a~1b",
                ""
            ]
        );
    }

    #[test]
    fn within_matches_the_field_and_its_children_only() {
        assert!(within("/address", "/address"));
        assert!(within("/address/city", "/address"));
        assert!(!within("/address2", "/address"));
        assert!(within("/anything", ""));
        assert!(!within("/tax", "/tax_id"));
    }
}
