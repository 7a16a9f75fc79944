//! Ignore rules: JSON pointers with `*` wildcards, e.g. `/items/*/updated_at`.
//!
//! An ignored field's *value* is not compared (it is volatile: an id, a timestamp), but its
//! presence, its type and its format still are, so a time-zone change in an ignored timestamp
//! is still caught as format drift. A rule may also name a header (`header:x-request-id`).

use std::fmt;

/// One rule: a pointer pattern, token by token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    raw: String,
    kind: RuleKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RuleKind {
    /// Tokens of a body pointer; `*` matches any one token, a trailing `**` any rest.
    Body(Vec<String>),
    /// A lower-case header name.
    Header(String),
}

impl IgnoreRule {
    /// Parses `/a/*/b`, `""` (the whole body) or `header:name`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(name) = raw.strip_prefix("header:") {
            if name.is_empty() {
                return Err("`header:` needs a header name, e.g. `header:x-request-id`".to_string());
            }
            return Ok(IgnoreRule {
                raw: raw.to_string(),
                kind: RuleKind::Header(name.to_ascii_lowercase()),
            });
        }
        if !raw.is_empty() && !raw.starts_with('/') {
            return Err(format!(
                "`{raw}` is not a JSON pointer: write it as `/{raw}` (tokens separated by `/`, `*` for any one)"
            ));
        }
        let tokens = if raw.is_empty() {
            Vec::new()
        } else {
            raw[1..]
                .split('/')
                .map(crate::json::unescape_pointer_token)
                .collect()
        };
        Ok(IgnoreRule {
            raw: raw.to_string(),
            kind: RuleKind::Body(tokens),
        })
    }

    /// Whether the rule covers a body pointer (and so everything under it).
    pub(crate) fn covers(&self, pointer: &str) -> bool {
        let RuleKind::Body(pattern) = &self.kind else {
            return false;
        };
        let mut tokens = pointer.split('/').skip(1);
        for p in pattern {
            if p == "**" {
                return true;
            }
            match tokens.next() {
                Some(t) if p == "*" || token_eq(p, t) => {}
                _ => return false,
            }
        }
        true
    }

    pub(crate) fn covers_header(&self, name: &str) -> bool {
        matches!(&self.kind, RuleKind::Header(h) if h.eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for IgnoreRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Compares a pattern token with an escaped pointer token, unescaping only when needed.
fn token_eq(pattern: &str, escaped: &str) -> bool {
    if escaped.contains('~') {
        pattern == crate::json::unescape_pointer_token(escaped)
    } else {
        pattern == escaped
    }
}

/// A set of rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    rules: Vec<IgnoreRule>,
}

impl IgnoreRules {
    pub fn new(rules: Vec<IgnoreRule>) -> Self {
        IgnoreRules { rules }
    }

    pub(crate) fn covers(&self, pointer: &str) -> bool {
        self.rules.iter().any(|r| r.covers(pointer))
    }

    pub(crate) fn covers_header(&self, name: &str) -> bool {
        self.rules.iter().any(|r| r.covers_header(name))
    }

    /// These rules plus others (e.g. scenario-wide plus one exchange's).
    #[must_use]
    pub(crate) fn with(&self, more: &IgnoreRules) -> IgnoreRules {
        let mut rules = self.rules.clone();
        rules.extend(more.rules.iter().cloned());
        IgnoreRules { rules }
    }

    /// The rules as written.
    pub(crate) fn raw(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.raw.clone()).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_one_token_and_everything_below() {
        let r = IgnoreRule::parse("/items/*/updated_at").unwrap();
        assert!(r.covers("/items/0/updated_at"));
        assert!(r.covers("/items/12/updated_at/nested"));
        assert!(!r.covers("/items/0/created_at"));
        assert!(!r.covers("/items"));
    }

    #[test]
    fn double_star_and_headers() {
        assert!(IgnoreRule::parse("/meta/**").unwrap().covers("/meta/a/b"));
        let h = IgnoreRule::parse("header:X-Request-Id").unwrap();
        assert!(h.covers_header("x-request-id"));
        assert!(!h.covers("/x-request-id"));
    }

    #[test]
    fn missing_slash_is_explained() {
        let err = IgnoreRule::parse("items/*/id").unwrap_err();
        assert!(err.contains("`/items/*/id`"), "{err}");
    }
}
