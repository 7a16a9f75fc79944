//! The line and column of a JSON pointer in a YAML document, for errors found after parsing
//! (a `capture:` entry naming an exchange that does not exist).
//!
//! The document is walked by serde down the pointer's path only; reaching the node stops the
//! walk with a marker error, to which the YAML parser attaches the node's position.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::unescape_pointer_token;

const FOUND: &str = "interlock: pointer found";

/// The 1-based line and column where the node at `pointer` starts, when it exists.
pub fn yaml_position(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(unescape_pointer_token)
        .collect();
    let de = serde_yaml_ng::Deserializer::from_str(text);
    match (Find { tokens: &tokens }).deserialize(de) {
        Err(err) if err.to_string().contains(FOUND) => {
            err.location().map(|at| (at.line(), at.column()))
        }
        _ => None,
    }
}

struct Find<'p> {
    tokens: &'p [String],
}

impl<'de> DeserializeSeed<'de> for Find<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

macro_rules! scalar {
    ($($name:ident: $ty:ty),*) => {$(
        fn $name<E: de::Error>(self, _: $ty) -> Result<(), E> {
            self.here()
        }
    )*};
}

impl Find<'_> {
    fn here<E: de::Error>(&self) -> Result<(), E> {
        if self.tokens.is_empty() {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for Find<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.here()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.here()?;
        while let Some(key) = map.next_key::<serde_yaml_ng::Value>()? {
            let key = match key {
                serde_yaml_ng::Value::String(s) => s,
                other => serde_yaml_ng::to_string(&other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            if key == self.tokens[0] {
                map.next_value_seed(Find {
                    tokens: &self.tokens[1..],
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.here()?;
        let wanted = self.tokens[0].parse::<usize>().ok();
        let mut index = 0;
        loop {
            let more = if Some(index) == wanted {
                seq.next_element_seed(Find {
                    tokens: &self.tokens[1..],
                })?
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::yaml_position;

    #[test]
    fn block_and_flow_nodes_are_found_where_they_start() {
        let text = "target: crm\ncapture:\n  - from: {exchange: 7, pointer: /idd}\n    as: customer_id\n  - as: other\n    from:\n      exchange: 2\n";
        assert_eq!(yaml_position(text, "/target"), Some((1, 9)));
        assert_eq!(
            yaml_position(text, "/capture/0/from/exchange"),
            Some((3, 22))
        );
        assert_eq!(
            yaml_position(text, "/capture/0/from/pointer"),
            Some((3, 34))
        );
        assert_eq!(
            yaml_position(text, "/capture/1/from/exchange"),
            Some((7, 17))
        );
        assert_eq!(yaml_position(text, "/capture/2"), None);
        assert_eq!(yaml_position(text, "/nothing"), None);
    }
}
