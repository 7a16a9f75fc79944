//! Which values may be linked, and their shape.
//!
//! A value is linkable when it is unlikely to recur by chance: a string of at least
//! [`MIN_LENGTH`] characters that holds a digit (`C-10023`, a UUID, an ETag) or is a long
//! unbroken token, or an integer of at least [`MIN_LENGTH`] digits (`48213`). Never linked:
//! booleans, `null`, fractions (amounts), small integers, strings without a digit (words,
//! names, enum values, currencies), text with spaces, dates and date-times (they collide by
//! the second and their format is checked separately), and anything longer than
//! [`MAX_LENGTH`].

use serde_json::Value;

/// The shortest value that is linked.
pub const MIN_LENGTH: usize = 4;

/// The longest value that is linked (a body, not an identifier, past that).
pub const MAX_LENGTH: usize = 256;

/// A string without a digit is linked only from this length on (a random token, not a word).
pub const MIN_TOKEN_LENGTH: usize = 20;

/// The text a JSON value is linked by, when it may be linked at all.
pub fn linkable(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => linkable_text(text).then(|| text.clone()),
        Value::Number(n) => {
            let n = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from))?;
            let text = n.to_string();
            (text.trim_start_matches('-').len() >= MIN_LENGTH).then_some(text)
        }
        _ => None,
    }
}

/// Whether [`linkable`] would give the value's text (without copying it).
pub fn is_linkable(value: &Value) -> bool {
    match value {
        Value::String(text) => linkable_text(text),
        Value::Number(_) => linkable(value).is_some(),
        _ => false,
    }
}

/// Whether a piece of text (a path segment, a query or header value, a JSON string) may be
/// linked.
pub fn linkable_text(text: &str) -> bool {
    // Cheap refusals first, by bytes (a character takes one to four): most text is words.
    if !(MIN_LENGTH..=MAX_LENGTH * 4).contains(&text.len()) {
        return false;
    }
    let digit = text.bytes().any(|b| b.is_ascii_digit());
    if !digit && text.len() < MIN_TOKEN_LENGTH {
        return false;
    }
    let length = text.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return false;
    }
    if text.chars().any(char::is_whitespace) || looks_like_date(text) {
        return false;
    }
    if digit {
        return true;
    }
    length >= MIN_TOKEN_LENGTH
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c))
}

/// `2026-03-02`, `2026-03-02T09:15:00+08:00`, `09:15:00`: dates and times are never linked.
fn looks_like_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    let time = b.len() >= 8 && digits(0..2) && b[2] == b':' && digits(3..5) && b[5] == b':';
    date || time
}

/// The shape of a value: each run of letters and digits becomes `9` when it holds a digit
/// (`10023`, `3f2b8c1e`), else `A`, `a` or `Aa` by case; other characters stay. `C-10023`
/// and `C-20555` have the shape `A-9`, as do all UUIDs one another's. A number's shape is `#`.
pub fn shape(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text_shape(text)),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("#".to_string()),
        _ => None,
    }
}

/// The shape of a piece of text (see [`shape`]).
pub fn text_shape(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.is_empty() {
            return;
        }
        let class = if run.chars().any(|c| c.is_ascii_digit()) {
            "9"
        } else if run.chars().all(|c| c.is_uppercase()) {
            "A"
        } else if run.chars().all(|c| c.is_lowercase()) {
            "a"
        } else {
            "Aa"
        };
        out.push_str(class);
        run.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_tokens_and_large_integers_are_linkable() {
        for value in [
            json!("C-10023"),
            json!("3f2b8c1e-9d4a-4e2f-8a61-0c7d5b9e2a14"),
            json!("W/\"a1b2c3\""),
            json!(48213),
            json!("abcdefghijklmnopqrstuvwxyz"),
        ] {
            assert!(linkable(&value).is_some(), "{value}");
        }
    }

    #[test]
    fn words_small_numbers_booleans_amounts_and_dates_are_never_linked() {
        for value in [
            json!("active"),
            json!("CNY"),
            json!("li.na"),
            json!(true),
            json!(null),
            json!(42),
            json!(800.5),
            json!("C-1"),
            json!("2026-03-02T09:15:00+08:00"),
            json!("2026-03-02"),
            json!("+86 755 8663 2210"),
            json!("深圳前海瑞丰供应链管理有限公司"),
        ] {
            assert_eq!(linkable(&value), None, "{value}");
        }
    }

    #[test]
    fn shapes_ignore_run_lengths_but_keep_classes_and_punctuation() {
        assert_eq!(text_shape("C-10023"), "A-9");
        assert_eq!(text_shape("C-20555"), text_shape("C-10023"));
        assert_ne!(text_shape("10023"), text_shape("C-10023"));
        assert_eq!(
            text_shape("3f2b8c1e-9d4a-4e2f-8a61-0c7d5b9e2a14"),
            text_shape("a0000000-1111-4222-8333-444444444444")
        );
        assert_eq!(shape(&json!(48213)), shape(&json!(50001)));
        assert_ne!(shape(&json!(48213)), shape(&json!("48213")));
    }
}
