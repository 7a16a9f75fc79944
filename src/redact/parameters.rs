//! Redacting inside text formats: `name=value` pairs of query strings and form bodies, and the
//! values of credential headers (keeping the auth scheme and cookie names).

use super::pseudonym::REDACTED;

/// Rewrites the values of `a=1&b=2` pairs for which `replace(name, value)` gives a new value;
/// every other pair is kept byte for byte. Names and values are form-decoded before the call.
pub(crate) fn map_pairs(
    pairs: &str,
    mut replace: impl FnMut(&str, &str) -> Option<String>,
) -> String {
    pairs
        .split('&')
        .map(|piece| {
            let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = decode(raw_name);
            match replace(&name, &decode(raw_value)) {
                Some(value) => format!("{raw_name}={}", encode(&value)),
                None => piece.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The value ranges of `name=value` pairs inside free text (an echoed URL's `?access_token=…`,
/// a message quoting `api_key=…`) whose name `is_secret` says is a credential.
pub(crate) fn secret_pairs_in_text(
    text: &str,
    is_secret: impl Fn(&str) -> bool,
) -> Vec<std::ops::Range<usize>> {
    static PAIR: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?:^|[^A-Za-z0-9_.\-])([A-Za-z0-9_.\-]+)=([^&\s"'<>#`;,]+)"#).ok()
    });
    let Some(pair) = PAIR.as_ref() else {
        return Vec::new();
    };
    pair.captures_iter(text)
        .filter_map(|c| {
            let (name, value) = (c.get(1)?, c.get(2)?);
            let already = matches!(value.as_str(), "%5Bredacted%5D" | "[redacted]");
            (!already && is_secret(&decode(name.as_str()))).then(|| value.range())
        })
        .collect()
}

fn decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The redacted value of a credential header: `Bearer [redacted]`, `sid=[redacted]; theme=…`,
/// `sid=[redacted]; Path=/; HttpOnly`, or `[redacted]`; with the secret parts it removed (the
/// whole value, credentials, cookie values).
pub(crate) fn redacted_header(name: &str, value: &str) -> (String, Vec<String>) {
    let mut removed = vec![value.trim().to_string()];
    let redacted = match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => match value.trim().split_once(' ') {
            Some((scheme, credentials)) => {
                removed.push(credentials.trim().to_string());
                format!("{scheme} {REDACTED}")
            }
            None => REDACTED.to_string(),
        },
        "cookie" => value
            .split(';')
            .map(|c| redact_cookie(c.trim(), &mut removed))
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => {
            let (cookie, attributes) = value.split_once(';').unwrap_or((value, ""));
            let cookie = redact_cookie(cookie.trim(), &mut removed);
            if attributes.is_empty() {
                cookie
            } else {
                format!("{cookie};{attributes}")
            }
        }
        _ => REDACTED.to_string(),
    };
    (redacted, removed)
}

fn redact_cookie(cookie: &str, removed: &mut Vec<String>) -> String {
    match cookie.split_once('=') {
        Some((name, value)) => {
            removed.push(value.trim().to_string());
            format!("{name}={REDACTED}")
        }
        None => REDACTED.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_chosen_pairs_change() {
        let out = map_pairs("a=1+2&token=x%2By&b=%20", |name, value| {
            (name == "token").then(|| format!("<{value}>"))
        });
        assert_eq!(out, "a=1+2&token=%3Cx%2By%3E&b=%20");
    }

    #[test]
    fn header_values_keep_their_shape() {
        assert_eq!(
            redacted_header("Authorization", "Basic dXNlcjpwYXNz").0,
            "Basic [redacted]"
        );
        assert_eq!(redacted_header("x-api-key", "k").0, "[redacted]");
        assert_eq!(
            redacted_header("set-cookie", "sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT").0,
            "sid=[redacted]; Expires=Wed, 21 Oct 2026 07:28:00 GMT"
        );
    }
}
