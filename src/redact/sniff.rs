//! Recognising what a body holds whatever its content type says: JSON sent as `text/plain`,
//! `application/x-www-form-urlencoded` pairs, `multipart/form-data` parts, and bodies whose
//! `content-encoding` was not undone yet.

use base64::Engine as _;

use crate::recording::{Body, Headers, encoding};

/// What a text body holds.
pub(crate) enum Text {
    Json(serde_json::Value),
    Form,
    Multipart(String),
    Free,
}

/// Sniffs a text body (`content_type` as sent: a boundary is case-sensitive): multipart by its
/// content type's boundary, JSON when it parses as an
/// object or array, form pairs by content type or by their shape, free text otherwise.
pub(crate) fn text(content_type: Option<&str>, text: &str) -> Text {
    if let Some(boundary) = content_type.and_then(multipart_boundary) {
        return Text::Multipart(boundary);
    }
    if let Some(value) = json_container(text) {
        return Text::Json(value);
    }
    let says_form = content_type.is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .contains("application/x-www-form-urlencoded")
    });
    if says_form || looks_like_form(text) {
        Text::Form
    } else {
        Text::Free
    }
}

/// The JSON object or array a text holds, if it holds one.
pub(crate) fn json_container(text: &str) -> Option<serde_json::Value> {
    let trimmed = text.trim();
    let opens = trimmed.starts_with('{') || trimmed.starts_with('[');
    if !opens {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(trimmed)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// `a=1&b=two`: no whitespace, and every piece a name (letters, digits, `_.-[]%`) with `=`.
fn looks_like_form(text: &str) -> bool {
    !text.is_empty()
        && !text.contains(char::is_whitespace)
        && text.split('&').all(|piece| {
            piece.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-[]%".contains(c))
            })
        })
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    if !content_type.to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    content_type.split(';').find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// One part of a multipart body: its raw headers, its field name, its content.
pub(crate) struct Part {
    pub head: String,
    pub name: String,
    pub content: String,
}

/// Splits a multipart body into the text before the first part, the parts, and the rest
/// after the closing delimiter; `None` when it does not follow the boundary.
pub(crate) fn multipart(text: &str, boundary: &str) -> Option<(String, Vec<Part>, String)> {
    let delimiter = format!("--{boundary}");
    let mut pieces = text.split(delimiter.as_str());
    let preamble = pieces.next()?.to_string();
    let mut parts = Vec::new();
    let mut epilogue = None;
    for piece in pieces {
        if let Some(rest) = piece.strip_prefix("--") {
            epilogue = Some(rest.to_string());
            break;
        }
        let (head, content) = piece
            .split_once("\r\n\r\n")
            .or_else(|| piece.split_once("\n\n"))?;
        let content = content
            .strip_suffix("\r\n")
            .or_else(|| content.strip_suffix('\n'))
            .unwrap_or(content);
        parts.push(Part {
            head: head.to_string(),
            name: disposition_name(head).unwrap_or_default(),
            content: content.to_string(),
        });
    }
    Some((preamble, parts, epilogue?))
}

/// Puts a multipart body back together from what [`multipart`] split.
pub(crate) fn join_multipart(
    boundary: &str,
    preamble: &str,
    parts: &[Part],
    epilogue: &str,
) -> String {
    let mut out = preamble.to_string();
    for part in parts {
        let separator = if part.head.contains("\r\n") || part.head.is_empty() {
            "\r\n"
        } else {
            "\n"
        };
        out.push_str(&format!(
            "--{boundary}{}{separator}{separator}{}{separator}",
            part.head, part.content
        ));
    }
    out.push_str(&format!("--{boundary}--{epilogue}"));
    out
}

fn disposition_name(head: &str) -> Option<String> {
    let line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
    line.split(';').find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        (name.trim() == "name").then(|| value.trim().trim_matches('"').to_string())
    })
}

/// A body stored as bytes with a `content-encoding` this build decodes is decoded and stored
/// as JSON or text, its `content-encoding` header removed.
pub(crate) fn decode_body(headers: &mut Headers, body: &mut Body) {
    let Body::Base64(b64) = body else {
        return;
    };
    let Some(encoding) = headers
        .get("content-encoding")
        .map(|v| v.first().trim().to_ascii_lowercase())
        .filter(|e| encoding::is_known(e))
    else {
        return;
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()) else {
        return;
    };
    if let Some(plain) = encoding::decode(&encoding, &bytes) {
        let content_type = headers.get("content-type").map(|v| v.first().to_string());
        *body = Body::from_bytes(content_type.as_deref(), &plain);
        headers.remove("content-encoding");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_by_label() {
        assert!(matches!(
            text(Some("text/plain"), r#"{"a":1}"#),
            Text::Json(_)
        ));
        assert!(matches!(text(None, "a=1&b=x%40y"), Text::Form));
        assert!(matches!(
            text(Some("text/plain"), "hello there"),
            Text::Free
        ));
        assert!(matches!(text(Some("text/plain"), "a=b c"), Text::Free));
        assert!(matches!(
            text(Some("multipart/form-data; boundary=\"XyZ\""), "--XyZ--"),
            Text::Multipart(b) if b == "XyZ"
        ));
    }

    #[test]
    fn multipart_splits_and_joins_byte_for_byte() {
        let body = "pre\r\n--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\nContent-Type: application/json\r\n\r\n{\"email\":\"a@b.example\"}\r\n--B--\r\n";
        let (pre, parts, post) = multipart(body, "B").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "password");
        assert_eq!(parts[0].content, "hunter2");
        assert_eq!(parts[1].name, "file");
        assert_eq!(join_multipart("B", &pre, &parts, &post), body);
    }
}
