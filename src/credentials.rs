//! Credentials for a live target: headers (`Authorization`, an API key, `Cookie`) and query
//! parameters that replace what a recording holds (recordings store `[redacted]` there).
//!
//! They come from `--header "NAME: VALUE"` on the command line ([`HeaderArg`], curl's syntax)
//! and from the chosen profile of `interlock.toml` (`[profiles.X.headers.TARGET]`,
//! `[profiles.X.query.TARGET]`, read by `config`). Every value is registered as a secret
//! ([`crate::redact::secrets`]) when a run is planned, so it is sent and never shown.

use std::fmt;

use crate::error::InputError;

/// One `--header "NAME: VALUE"` flag, as curl reads `-H`: the name before the first colon,
/// the value after it with surrounding blanks trimmed. `NAME:` with nothing after the colon
/// removes the recorded header instead of sending it.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderArg {
    pub name: String,
    pub value: String,
}

impl HeaderArg {
    /// Parses `NAME: VALUE` (the flag named `flag` in messages, e.g. `--header`). A value is
    /// never echoed in an error.
    pub fn parse(flag: &str, spec: &str) -> Result<HeaderArg, InputError> {
        let example = format!(
            "e.g. {flag} \"Authorization: Bearer $CRM_TOKEN\" or {flag} \"Cookie: session=$SESSION\""
        );
        let Some((name, value)) = spec.split_once(':') else {
            let shown = spec.split_whitespace().next().unwrap_or("");
            return Err(InputError::usage(format!(
                "{flag} `{shown}…` has no colon: a header is NAME: VALUE"
            ))
            .with_hint(example));
        };
        let name = name.trim();
        if !is_header_name(name) {
            return Err(InputError::usage(format!(
                "{flag}: `{name}` is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
            ))
            .with_hint(example));
        }
        let value = value.trim();
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(InputError::usage(format!(
                "{flag} {name}: the value holds a line break or NUL, which no header may"
            )));
        }
        Ok(HeaderArg {
            name: name.to_string(),
            value: value.to_string(),
        })
    }
}

/// The value never shows, not even in debug output.
impl fmt::Debug for HeaderArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: [redacted]", self.name)
    }
}

/// An RFC 9110 token character (what a header name is made of).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `name` can be a header name: a non-empty RFC 9110 token.
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_token_byte)
}

/// What is sent to one target on top of (and instead of) the recorded request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Headers replacing recorded ones of the same name (compared case-insensitively); an empty
    /// value removes the recorded header.
    pub headers: Vec<HeaderArg>,
    /// Query parameters replacing recorded ones of the same name, else appended.
    pub query: Vec<(String, String)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("headers", &self.headers)
            .field(
                "query",
                &self.query.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Credentials {
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.query.is_empty()
    }

    /// These credentials, then `later`'s on top: a header or parameter of the same name in
    /// `later` wins (the command line over the profile).
    #[must_use]
    pub fn overridden_by(mut self, later: &Credentials) -> Credentials {
        for header in &later.headers {
            self.headers
                .retain(|h| !h.name.eq_ignore_ascii_case(&header.name));
            self.headers.push(header.clone());
        }
        for (name, value) in &later.query {
            self.query.retain(|(n, _)| n != name);
            self.query.push((name.clone(), value.clone()));
        }
        self
    }

    /// Whether a recorded header of this name is replaced (or removed).
    pub fn overrides_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The values to keep out of every output: each whole value and, for a value with an auth
    /// scheme (`Bearer abc`) or cookies (`a=1; b=2`), its secret parts too.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for header in &self.headers {
            out.push(header.value.clone());
            if let Some((_, token)) = header.value.split_once(' ') {
                out.push(token.trim().to_string());
            }
            if header.name.eq_ignore_ascii_case("cookie") {
                for pair in header.value.split(';') {
                    if let Some((_, v)) = pair.split_once('=') {
                        out.push(v.trim().to_string());
                    }
                }
            }
        }
        for (_, value) in &self.query {
            out.push(value.clone());
            out.push(
                percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
            // As it stands in a URL's query once sent.
            out.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
        }
        // Very short parts (`a` of `a=1`) would blank out ordinary text; whole values stay.
        let whole: Vec<String> = self
            .headers
            .iter()
            .map(|h| h.value.clone())
            .chain(self.query.iter().map(|(_, v)| v.clone()))
            .collect();
        out.retain(|s| s.len() >= 4 || whole.contains(s));
        out.retain(|s| !s.is_empty());
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_syntax_and_errors_without_the_value() {
        let h = HeaderArg::parse("--header", "Authorization:  Bearer abc123 ").unwrap();
        assert_eq!(
            (h.name.as_str(), h.value.as_str()),
            ("Authorization", "Bearer abc123")
        );
        let removed = HeaderArg::parse("--header", "X-Trace:").unwrap();
        assert_eq!(removed.value, "");
        let err = HeaderArg::parse("--header", "Bearer s3cr3t-value").unwrap_err();
        assert!(err.message.contains("no colon"), "{}", err.message);
        assert!(!err.to_string().contains("s3cr3t-value"), "{err}");
        assert!(err.hint.unwrap().contains("Authorization: Bearer"));
        assert!(HeaderArg::parse("--header", "Bad Name: x").is_err());
        assert_eq!(format!("{h:?}"), "Authorization: [redacted]");
    }

    #[test]
    fn the_command_line_wins_and_secret_parts_are_listed() {
        let profile = Credentials {
            headers: vec![HeaderArg::parse("h", "Authorization: Bearer old-token").unwrap()],
            query: vec![("api_key".into(), "k/1 2".into())],
        };
        let flags = Credentials {
            headers: vec![HeaderArg::parse("h", "authorization: Bearer new-token").unwrap()],
            query: Vec::new(),
        };
        let merged = profile.overridden_by(&flags);
        assert_eq!(merged.headers.len(), 1);
        assert_eq!(merged.headers[0].value, "Bearer new-token");
        let secrets = merged.secrets();
        for s in [
            "Bearer new-token",
            "new-token",
            "k/1 2",
            "k%2F1%202",
            "k%2F1+2",
        ] {
            assert!(secrets.contains(&s.to_string()), "{s} in {secrets:?}");
        }
    }
}
