//! JSON pointers (RFC 6901): escaping tokens, showing pointers to people, folding array
//! positions into wildcards.

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
