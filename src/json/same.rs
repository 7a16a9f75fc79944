//! Whether JSON text parses to a value already at hand, decided as the text is read, without
//! building the value: a live body that repeats its recording is the recorded value, shared,
//! instead of parsed. The answer is exactly `serde_json::from_slice(bytes) == Ok(value)` with
//! members in the same order; anything else (another order, a duplicate member, a number
//! written another way that parses the same) is "no", and the caller parses as usual.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// Whether `bytes` hold exactly `value`, its object members in its order.
pub(crate) fn parses_to(bytes: &[u8], value: &Value) -> bool {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    Same(value).deserialize(&mut deserializer).is_ok() && deserializer.end().is_ok()
}

/// Whether two values are equal (`a == b`), found without hashing a member name when their
/// members come in the same order, as they do in a live body that repeats its recording.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            for ((k, v), (l, w)) in x.iter().zip(y) {
                if k != l {
                    // Another order: the members are matched by name.
                    return a == b;
                }
                if !equal(v, w) {
                    return false;
                }
            }
            true
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| equal(v, w))
        }
        _ => a == b,
    }
}

/// Reads one value and fails at the first difference from the value it holds.
struct Same<'v>(&'v Value);

fn differs<E: de::Error>() -> E {
    E::custom("differs")
}

impl<'de> DeserializeSeed<'de> for Same<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Same<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the value at hand")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.is_null().then_some(()).ok_or_else(differs)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        (self.0.as_bool() == Some(b))
            .then_some(())
            .ok_or_else(differs)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.number(Some(Number::from(n)))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.number(Some(Number::from(n)))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        // As `Value` reads it: a number that is not finite is `null`.
        match Number::from_f64(n) {
            None => self.visit_unit(),
            number => self.number(number),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        (self.0.as_str() == Some(s))
            .then_some(())
            .ok_or_else(differs)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Value::Array(items) = self.0 else {
            return Err(differs());
        };
        for item in items {
            seq.next_element_seed(Same(item))?.ok_or_else(differs)?;
        }
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(differs()),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Value::Object(members) = self.0 else {
            return Err(differs());
        };
        for (key, value) in members {
            map.next_key_seed(Key(key))?.ok_or_else(differs)?;
            map.next_value_seed(Same(value))?;
        }
        match map.next_key::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(differs()),
        }
    }
}

impl Same<'_> {
    fn number<E: de::Error>(&self, number: Option<Number>) -> Result<(), E> {
        match (self.0, number) {
            (Value::Number(held), Some(read)) if *held == read => Ok(()),
            _ => Err(differs()),
        }
    }
}

/// Reads one member name and fails unless it is the one held.
struct Key<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "the member `{}`", self.0)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        (s == self.0).then_some(()).ok_or_else(differs)
    }
}

#[cfg(test)]
mod tests {
    use super::parses_to;
    use serde_json::{Value, json};

    /// What the shortcut must agree with: parsing, then comparing in order.
    fn parsed_equal(text: &str, value: &Value) -> bool {
        fn ordered(a: &Value, b: &Value) -> bool {
            match (a, b) {
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len()
                        && x.iter()
                            .zip(y)
                            .all(|((k, v), (l, w))| k == l && ordered(v, w))
                }
                (Value::Array(x), Value::Array(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(v, w)| ordered(v, w))
                }
                _ => a == b,
            }
        }
        serde_json::from_str::<Value>(text).is_ok_and(|parsed| ordered(&parsed, value))
    }

    #[test]
    fn text_that_parses_to_the_value_in_its_order_is_the_value() {
        let value = json!({
            "id": "C-10023", "credit_limit": 500000.0, "count": 3, "delta": -2,
            "active": true, "gone": null, "name": "上海华东 \"精密\"",
            "contacts": [{"phone": "+86 138"}, []], "big": 18446744073709551615u64
        });
        let compact = value.to_string();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        for text in [compact.as_str(), pretty.as_str(), &format!(" {compact}\n")] {
            assert!(parses_to(text.as_bytes(), &value), "{text}");
            assert!(parsed_equal(text, &value), "{text}");
        }
    }

    #[test]
    fn any_difference_is_no_as_parsing_says() {
        let value = json!({"id": "C-1", "n": 1, "x": 1.5, "list": [1, 2], "o": {"a": null}});
        for text in [
            r#"{"id":"C-2","n":1,"x":1.5,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1.0,"x":1.5,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":"1","x":1.5,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1,"x":1.25,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1,2,3],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1,2],"o":{"a":false}}"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1,2],"o":{}}"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1,2],"o":{"a":null},"extra":0}"#,
            r#"{"n":1,"id":"C-1","x":1.5,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","id":"C-1","n":1,"x":1.5,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1,2],"o":{"a":null}} trailing"#,
            r#"{"id":"C-1","n":1,"x":1.5,"list":[1,2],"o":{"a":null}"#,
            r#"[]"#,
            "",
        ] {
            assert!(!parses_to(text.as_bytes(), &value), "{text}");
        }
        // Written another way, the same value: the order of members is what parsing keeps, so
        // escapes and exponents that parse the same are the same.
        for text in [
            r#"{"id":"C\u002d1","n":1,"x":1.5,"list":[1,2],"o":{"a":null}}"#,
            r#"{"id":"C-1","n":1,"x":15e-1,"list":[1,2],"o":{"a":null}}"#,
        ] {
            assert!(parses_to(text.as_bytes(), &value), "{text}");
            assert!(parsed_equal(text, &value), "{text}");
        }
    }

    #[test]
    fn equal_agrees_with_eq_whatever_the_order_of_members() {
        let a = json!({"id": "C-1", "o": {"x": 1, "y": [1, {"z": 2}]}, "n": 1.5});
        for (b, same) in [
            (
                json!({"id": "C-1", "o": {"x": 1, "y": [1, {"z": 2}]}, "n": 1.5}),
                true,
            ),
            (
                json!({"n": 1.5, "o": {"y": [1, {"z": 2}], "x": 1}, "id": "C-1"}),
                true,
            ),
            (
                json!({"id": "C-1", "o": {"x": 1, "y": [1, {"z": 3}]}, "n": 1.5}),
                false,
            ),
            (
                json!({"id": "C-1", "o": {"x": 1, "y": [{"z": 2}, 1]}, "n": 1.5}),
                false,
            ),
            (
                json!({"id": "C-1", "o": {"x": 1, "y": [1, {"z": 2}]}}),
                false,
            ),
            (
                json!({"id": "C-1", "o": {"x": 1, "y": [1, {"z": 2}]}, "n": 1}),
                false,
            ),
        ] {
            assert_eq!(super::equal(&a, &b), same, "{b}");
            assert_eq!(a == b, same, "{b}");
        }
    }

    #[test]
    fn scalars_at_the_top_are_compared_too() {
        for (text, value, same) in [
            ("null", Value::Null, true),
            ("0", json!(0), true),
            ("-7", json!(-7), true),
            ("-7", json!(-7.0), false),
            ("\"a\"", json!("a"), true),
            ("true", json!(false), false),
        ] {
            assert_eq!(parses_to(text.as_bytes(), &value), same, "{text}");
            assert_eq!(parsed_equal(text, &value), same, "{text}");
        }
    }
}
