//! Operation path templates such as `/api/v1/customers/{id}`.

use std::fmt;

/// A path template: literal segments and `{name}` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    raw: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

impl PathTemplate {
    /// Parses a template; it must start with `/` and braces must close within a segment.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        if !raw.starts_with('/') {
            return Err(format!("path `{raw}` must start with `/`"));
        }
        let mut segments = Vec::new();
        for part in raw.trim_start_matches('/').split('/') {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if name.is_empty() || name.contains(['{', '}']) {
                    return Err(format!(
                        "path `{raw}`: segment `{part}` is not a valid `{{name}}` parameter"
                    ));
                }
                segments.push(Segment::Param(name.to_string()));
            } else if part.contains(['{', '}']) {
                return Err(format!(
                    "path `{raw}`: segment `{part}` mixes text and a parameter; write the parameter as a whole segment"
                ));
            } else {
                segments.push(Segment::Literal(part.to_string()));
            }
        }
        Ok(PathTemplate {
            raw: raw.to_string(),
            segments,
        })
    }

    /// Whether a concrete path (no query string) fits the template.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let mut parts = path.trim_start_matches('/').split('/');
        for segment in &self.segments {
            match (segment, parts.next()) {
                (Segment::Literal(lit), Some(part)) if lit == part => {}
                (Segment::Param(_), Some(part)) if !part.is_empty() => {}
                _ => return false,
            }
        }
        parts.next().is_none()
    }

    /// Literal segments count: the more, the more specific.
    pub(crate) fn specificity(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_parameters_and_literals() {
        let t = PathTemplate::parse("/api/v1/customers/{id}").unwrap();
        assert!(t.matches("/api/v1/customers/C-1001"));
        assert!(t.matches("/api/v1/customers/C-1001?x=1"));
        assert!(!t.matches("/api/v1/customers"));
        assert!(!t.matches("/api/v1/customers/"));
        assert!(!t.matches("/api/v1/customers/C-1/orders"));
        assert_eq!(t.specificity(), 3);
    }

    #[test]
    fn rejects_mixed_segments() {
        assert!(
            PathTemplate::parse("/a/x{id}")
                .unwrap_err()
                .contains("mixes text")
        );
        assert!(PathTemplate::parse("a").is_err());
    }
}
