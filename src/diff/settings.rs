//! The `[diff]` section of `interlock.toml`: severity overrides per rule id, the content-model
//! policy (how readers treat properties they do not know) and how far a change to a field with
//! no recorded use is softened.
//!
//! ```toml
//! [diff]
//! severity = { "response-enum-value-added" = "breaking", "request-default-changed" = "safe" }
//! content_model = { request = "strict", response = "tolerant" }
//! lenient = false
//! unused = "potentially-breaking"
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::rules::{self, Direction, Kind, Severity};
use crate::error::did_you_mean;

/// Settings of `interlock diff`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffConfig {
    /// Severity per rule id, replacing the table's default.
    #[serde(default, deserialize_with = "severity_map")]
    pub severity: BTreeMap<String, Severity>,
    /// How readers of each message treat properties they do not know.
    #[serde(default)]
    pub content_model: ContentModel,
    /// Read invalid-but-repairable specs (unknown type names such as `int`, `$ref: '#components/…'`)
    /// with a warning instead of failing; `--lenient` sets it for one run.
    #[serde(default)]
    pub lenient: bool,
    /// The severity at most of a removed or changed field that no recorded consumer ever used
    /// (`unused = "potentially-breaking"`); unset, usage evidence never changes a verdict.
    #[serde(default)]
    pub unused: Option<Severity>,
}

impl DiffConfig {
    /// The severity of `kind` in `direction`: the project's override, else the table's.
    pub(crate) fn severity(&self, kind: Kind, direction: Direction) -> Severity {
        self.severity
            .get(&kind.rule_id(direction))
            .copied()
            .unwrap_or_else(|| kind.default_severity(direction))
    }
}

/// The content-model policy per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentModel {
    /// The provider reading requests (default `strict`: `additionalProperties: false` honoured).
    #[serde(default = "strict")]
    pub request: ReaderPolicy,
    /// Consumers reading responses (default `tolerant`: unknown properties are ignored).
    #[serde(default = "tolerant")]
    pub response: ReaderPolicy,
}

fn strict() -> ReaderPolicy {
    ReaderPolicy::Strict
}
fn tolerant() -> ReaderPolicy {
    ReaderPolicy::Tolerant
}

impl Default for ContentModel {
    fn default() -> Self {
        ContentModel {
            request: ReaderPolicy::Strict,
            response: ReaderPolicy::Tolerant,
        }
    }
}

impl ContentModel {
    /// The reader policy of one direction.
    pub(crate) fn for_direction(&self, direction: Direction) -> ReaderPolicy {
        match direction {
            Direction::Request => self.request,
            Direction::Response => self.response,
        }
    }
}

/// How a reader treats properties its schema does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReaderPolicy {
    /// Ignores them, even where the schema says `additionalProperties: false`.
    Tolerant,
    /// Rejects them where the schema says `additionalProperties: false`.
    Strict,
    /// Rejects them everywhere, as if every object were closed.
    Closed,
}

fn severity_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Severity>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<String, Severity>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of rule id = \"safe\" | \"potentially-breaking\" | \"breaking\"")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(id) = map.next_key::<String>()? {
                if !rules::is_rule_id(&id) {
                    let hint =
                        did_you_mean(&id, rules::all_rule_ids().iter().map(|r| r.id.as_str()))
                            .unwrap_or_else(|| {
                                "see docs/diff-rules.md for every rule id".to_string()
                            });
                    return Err(de::Error::custom(format!(
                        "unknown rule id `{id}` ({hint})"
                    )));
                }
                let severity: Severity = map.next_value()?;
                out.insert(id, severity);
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrapper {
        diff: DiffConfig,
    }

    #[test]
    fn overrides_and_policy_parse() {
        let w: Wrapper = toml::from_str(
            "[diff]\nseverity = { \"response-enum-value-added\" = \"breaking\" }\ncontent_model = { response = \"strict\" }\n",
        )
        .expect("valid [diff] section");
        assert_eq!(
            w.diff.severity(Kind::EnumValueAdded, Direction::Response),
            Severity::Breaking
        );
        assert_eq!(w.diff.content_model.response, ReaderPolicy::Strict);
        assert_eq!(w.diff.content_model.request, ReaderPolicy::Strict);
    }

    #[test]
    fn unknown_rule_id_has_did_you_mean() {
        let err = toml::from_str::<Wrapper>(
            "[diff]\nseverity = { \"response-enum-value-add\" = \"breaking\" }\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            err.contains("did you mean `response-enum-value-added`?"),
            "{err}"
        );
    }

    #[test]
    fn unknown_severity_is_rejected() {
        assert!(
            toml::from_str::<Wrapper>(
                "[diff]\nseverity = { \"response-enum-value-added\" = \"fatal\" }\n"
            )
            .is_err()
        );
    }
}
