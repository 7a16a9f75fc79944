//! JSON pointers (RFC 6901): escaping tokens, showing pointers to people, folding array
//! positions into wildcards, walking the leaves of a value.

use std::fmt::Write as _;

use serde_json::Value;

/// Escapes one JSON pointer token (`~` → `~0`, `/` → `~1`); borrows when nothing to escape.
pub(crate) fn escape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

/// A JSON pointer as shown to people: the whole document (`""`) reads as `/`.
pub(crate) fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// A JSON pointer with every array position as `*` (`/orders/3/id` → `/orders/*/id`), the
/// form that matches the same field in every item.
pub(crate) fn wildcard_indices(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|token| {
            if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                token
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Unescapes one JSON pointer token.
pub(crate) fn unescape_pointer_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Calls `f` with the pointer and value of every leaf of `value` (a leaf is anything but an
/// object or an array).
pub(crate) fn for_each_leaf(value: &Value, f: &mut impl FnMut(&str, &Value)) {
    fn walk(value: &Value, pointer: &mut String, f: &mut impl FnMut(&str, &Value)) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer_token(key));
                    walk(v, pointer, f);
                    pointer.truncate(len);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let len = pointer.len();
                    let _ = write!(pointer, "/{index}");
                    walk(item, pointer, f);
                    pointer.truncate(len);
                }
            }
            leaf => f(pointer, leaf),
        }
    }
    walk(value, &mut String::new(), f);
}
