//! Value domains: what the recordings show each contracted field really holds — the values of
//! an enum-like field, the decimal scale, integers vs floats, the length and characters of
//! codes, the offsets of date-times, the range of numbers.
//!
//! `interlock domains` learns them from recordings into `contracts/domains.yaml`, a reviewed
//! file of its own (never written into the contracts, so re-learning is not a contract change
//! for `interlock diff`); `interlock run` reports a live value outside its domain as
//! `domain-drift` (see [`crate::check::domain`]). The format is in `docs/domains.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::format::StringFormat;
use crate::json::{escape_pointer_token, for_each_leaf, wildcard_indices};

/// The file name of the learned domains, in a contracts folder.
pub const DOMAINS_FILE: &str = "domains.yaml";

/// The format version written in `interlock_domains`.
pub const DOMAINS_VERSION: u32 = 1;

/// An enum-like field has at most this many distinct values.
const MAX_ENUM_VALUES: usize = 12;
/// Values longer than this are never taken for enum members.
const MAX_ENUM_VALUE_CHARS: usize = 40;
/// Distinct values tracked per field before it is known not to be enum-like.
const TRACKED_VALUES: usize = 64;
/// Values a field needs before integers-only and its decimal scale count as its domain.
pub const MIN_NUMBERS: u64 = 3;
/// Values a code-like field needs before its length and characters count as its domain.
pub const MIN_CODES: u64 = 5;

/// The learned domains of every interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domains {
    /// The format version (1).
    pub interlock_domains: u32,
    /// Whether a live value outside its domain fails the run (`failure`, the default) or is
    /// only reported (`info`). Kept when the file is learned again.
    #[serde(default, skip_serializing_if = "DriftSeverity::is_default")]
    pub severity: DriftSeverity,
    /// By interface id.
    #[serde(default)]
    pub interfaces: BTreeMap<String, InterfaceDomains>,
}

/// What a `domain-drift` finding does to the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftSeverity {
    /// Fails the run (exit 1).
    #[default]
    Failure,
    /// Reported, never fails the run.
    Info,
}

impl DriftSeverity {
    fn is_default(&self) -> bool {
        *self == DriftSeverity::Failure
    }
}

/// The domains of one interface's request body and of its response bodies by status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceDomains {
    /// Request body fields by JSON pointer (array indices written `*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request: BTreeMap<String, FieldDomain>,
    /// Response body fields by status, then by JSON pointer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub responses: BTreeMap<String, BTreeMap<String, FieldDomain>>,
}

/// A JSON value's type as domains count it: integers and floats apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    String,
    Integer,
    Float,
    Boolean,
    Null,
}

impl ValueType {
    /// The type of a leaf value; `None` for objects and arrays.
    pub fn of(value: &Value) -> Option<ValueType> {
        Some(match value {
            Value::String(_) => ValueType::String,
            Value::Number(n) if n.is_f64() => ValueType::Float,
            Value::Number(_) => ValueType::Integer,
            Value::Bool(_) => ValueType::Boolean,
            Value::Null => ValueType::Null,
            Value::Object(_) | Value::Array(_) => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Integer => "integer",
            ValueType::Float => "float",
            ValueType::Boolean => "boolean",
            ValueType::Null => "null",
        }
    }
}

/// A class of characters a string holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CharClass {
    /// ASCII digits.
    Digit,
    /// ASCII upper-case letters.
    Upper,
    /// ASCII lower-case letters.
    Lower,
    /// ASCII punctuation and symbols.
    Punct,
    /// White space.
    Space,
    /// Anything else (letters of other scripts, emoji, …).
    Other,
}

impl CharClass {
    pub fn of(c: char) -> CharClass {
        match c {
            '0'..='9' => CharClass::Digit,
            'A'..='Z' => CharClass::Upper,
            'a'..='z' => CharClass::Lower,
            c if c.is_whitespace() => CharClass::Space,
            c if c.is_ascii() => CharClass::Punct,
            _ => CharClass::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CharClass::Digit => "digits",
            CharClass::Upper => "upper-case letters",
            CharClass::Lower => "lower-case letters",
            CharClass::Punct => "punctuation",
            CharClass::Space => "spaces",
            CharClass::Other => "non-ASCII characters",
        }
    }

    /// The classes of the characters of `s`.
    pub fn all_of(s: &str) -> BTreeSet<CharClass> {
        s.chars().map(CharClass::of).collect()
    }
}

/// What the recordings show one field holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDomain {
    /// How many recorded values were seen.
    pub seen: u64,
    /// How many of them had each type.
    pub types: BTreeMap<ValueType, u64>,
    /// For an enum-like string field: each value and how often it was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeMap<String, u64>>,
    /// Digits after the decimal point of floats and of decimal strings (`"1200.00"`): fewest
    /// and most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<[u32; 2]>,
    /// Length of strings in characters: shortest and longest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<[usize; 2]>,
    /// The classes of characters the strings held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chars: Option<BTreeSet<CharClass>>,
    /// The offsets of RFC 3339 date-times (`Z`, `+08:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offsets: Option<BTreeSet<String>>,
    /// Smallest and largest number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
}

impl FieldDomain {
    /// Whether only integers were seen (nulls aside), at least [`MIN_NUMBERS`] of them.
    pub fn integers_only(&self) -> bool {
        self.types
            .get(&ValueType::Integer)
            .is_some_and(|n| *n >= MIN_NUMBERS)
            && self
                .types
                .keys()
                .all(|t| matches!(t, ValueType::Integer | ValueType::Null))
    }

    /// Whether the strings look like identifiers or codes (no spaces, ASCII only, not
    /// date-times, at least [`MIN_CODES`] of them): their character classes and a fixed
    /// length are then part of the domain, where free text's are not.
    pub fn is_code_like(&self) -> bool {
        let strings = self.types.get(&ValueType::String).copied().unwrap_or(0);
        strings >= MIN_CODES
            && self.offsets.is_none()
            && self.chars.as_ref().is_some_and(|chars| {
                !chars.is_empty()
                    && !chars.contains(&CharClass::Space)
                    && !chars.contains(&CharClass::Other)
            })
    }

    /// The decimal scale, when at least [`MIN_NUMBERS`] values showed one.
    pub fn known_scale(&self) -> Option<[u32; 2]> {
        let decimals = self.types.get(&ValueType::Float).copied().unwrap_or(0)
            + self.types.get(&ValueType::String).copied().unwrap_or(0);
        self.scale.filter(|_| decimals >= MIN_NUMBERS)
    }

    /// The one length every recorded code had.
    pub fn fixed_length(&self) -> Option<usize> {
        match self.length {
            Some([min, max]) if min == max && self.is_code_like() => Some(min),
            _ => None,
        }
    }
}

/// Digits after the decimal point of a float (as JSON writes it back) or a decimal string.
pub fn scale_of(value: &Value) -> Option<u32> {
    let text = match value {
        Value::Number(n) if n.is_f64() => n.to_string(),
        Value::String(s) if is_decimal_string(s) => s.clone(),
        _ => return None,
    };
    if text.contains(['e', 'E']) {
        return None;
    }
    Some(
        text.split_once('.')
            .map_or(0, |(_, frac)| frac.len() as u32),
    )
}

/// `-?digits.digits`, as finance systems write amounts.
fn is_decimal_string(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    s.split_once('.').is_some_and(|(int, frac)| {
        !int.is_empty()
            && !frac.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The offset of an RFC 3339 date-time, if `s` is one.
pub fn offset_of(s: &str) -> Option<String> {
    match StringFormat::of(s) {
        StringFormat::DateTime { offset } => Some(offset),
        _ => None,
    }
}

/// Accumulates the domain of one field while learning.
#[derive(Debug)]
struct Observer {
    domain: FieldDomain,
    /// Distinct string values (with counts) until there are too many to be an enum.
    values: Option<BTreeMap<String, u64>>,
    strings: u64,
    datetimes: u64,
}

impl Default for Observer {
    fn default() -> Self {
        Observer {
            domain: FieldDomain::default(),
            values: Some(BTreeMap::new()),
            strings: 0,
            datetimes: 0,
        }
    }
}

impl Observer {
    fn observe(&mut self, value: &Value) {
        let Some(kind) = ValueType::of(value) else {
            return;
        };
        let d = &mut self.domain;
        d.seen += 1;
        *d.types.entry(kind).or_default() += 1;
        if let Some(scale) = scale_of(value) {
            d.scale = Some(
                d.scale
                    .map_or([scale, scale], |[lo, hi]| [lo.min(scale), hi.max(scale)]),
            );
        }
        match value {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    d.range = Some(d.range.map_or([x, x], |[lo, hi]| [lo.min(x), hi.max(x)]));
                }
            }
            Value::String(s) => {
                self.strings += 1;
                let len = s.chars().count();
                d.length = Some(
                    d.length
                        .map_or([len, len], |[lo, hi]| [lo.min(len), hi.max(len)]),
                );
                d.chars
                    .get_or_insert_with(BTreeSet::new)
                    .extend(CharClass::all_of(s));
                if let Some(offset) = offset_of(s) {
                    self.datetimes += 1;
                    d.offsets.get_or_insert_with(BTreeSet::new).insert(offset);
                }
                if let Some(values) = &mut self.values {
                    if len > MAX_ENUM_VALUE_CHARS {
                        self.values = None;
                    } else {
                        *values.entry(s.clone()).or_default() += 1;
                        if values.len() > TRACKED_VALUES {
                            self.values = None;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) -> FieldDomain {
        // Enum-like: few distinct plain strings, each seen about twice or more on average.
        if let Some(values) = self.values.take()
            && self.strings > 0
            && self.datetimes == 0
            && values.len() <= MAX_ENUM_VALUES
            && self.strings >= 2 * values.len() as u64
            && values
                .keys()
                .all(|v| StringFormat::of(v) == StringFormat::Plain)
        {
            self.domain.values = Some(values);
        }
        self.domain
    }
}

/// Learns domains from recorded bodies, one body at a time.
#[derive(Debug, Default)]
pub struct Learner {
    fields: BTreeMap<(String, Option<u16>, String), Observer>,
    /// Bodies observed.
    pub bodies: u64,
}

impl Learner {
    /// Observes the request body (`status` `None`) or a response body of `interface`.
    pub fn observe(&mut self, interface: &str, status: Option<u16>, body: &Value) {
        self.observe_except(interface, status, body, &[]);
    }

    /// As [`Learner::observe`], where the fields at `private` pointers (array positions as
    /// `*`: the places a recording pseudonymised) never keep their values, only their shape.
    pub fn observe_except(
        &mut self,
        interface: &str,
        status: Option<u16>,
        body: &Value,
        private: &[String],
    ) {
        self.bodies += 1;
        for_each_leaf(body, &mut |pointer, value| {
            let pointer = wildcard_indices(pointer);
            let is_private = private.contains(&pointer);
            let observer = self
                .fields
                .entry((interface.to_string(), status, pointer))
                .or_default();
            if is_private {
                observer.values = None;
            }
            observer.observe(value);
        });
    }

    /// The learned domains.
    pub fn finish(self) -> Domains {
        let mut domains = Domains {
            interlock_domains: DOMAINS_VERSION,
            ..Domains::default()
        };
        for ((interface, status, pointer), observer) in self.fields {
            let entry = domains.interfaces.entry(interface).or_default();
            let fields = match status {
                None => &mut entry.request,
                Some(status) => entry.responses.entry(status.to_string()).or_default(),
            };
            fields.insert(pointer, observer.finish());
        }
        domains
    }
}

impl Domains {
    /// The domain of a field of a request body (`status` `None`) or a response body.
    pub fn field(
        &self,
        interface: &str,
        status: Option<u16>,
        pointer: &str,
    ) -> Option<&FieldDomain> {
        self.fields(interface, status)?.get(pointer)
    }

    /// The fields of a request body (`status` `None`) or a response body, by pointer.
    pub fn fields(
        &self,
        interface: &str,
        status: Option<u16>,
    ) -> Option<&BTreeMap<String, FieldDomain>> {
        let entry = self.interfaces.get(interface)?;
        match status {
            None => Some(&entry.request),
            Some(status) => entry.responses.get(&status.to_string()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.interfaces.is_empty()
    }

    /// The file as YAML, under a comment saying where it came from.
    pub fn to_yaml(&self, header: &str) -> Result<String, serde_yaml_ng::Error> {
        super::learned::to_yaml(header, self)
    }
}

impl super::learned::Learned for Domains {
    const VERSION_KEY: &'static str = "interlock_domains";
    const VERSION: u32 = DOMAINS_VERSION;
    const COMMAND: &'static str = "interlock domains";

    fn version(&self) -> u32 {
        self.interlock_domains
    }

    fn interfaces(&self) -> Vec<(String, &str)> {
        self.interfaces
            .keys()
            .map(|name| {
                (
                    format!("/interfaces/{}", escape_pointer_token(name)),
                    name.as_str(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn learn(bodies: &[Value]) -> Domains {
        let mut learner = Learner::default();
        for body in bodies {
            learner.observe("crm.customer.get", Some(200), body);
        }
        learner.finish()
    }

    #[test]
    fn an_enum_like_field_keeps_its_values_with_counts() {
        let d = learn(&[
            json!({"status": "open"}),
            json!({"status": "won"}),
            json!({"status": "open"}),
            json!({"status": "won"}),
        ]);
        let field = d.field("crm.customer.get", Some(200), "/status").unwrap();
        assert_eq!(
            field.values,
            Some(BTreeMap::from([("open".into(), 2), ("won".into(), 2)]))
        );
    }

    #[test]
    fn ids_and_timestamps_are_not_enums() {
        let d = learn(&[
            json!({"id": "C-1", "at": "2026-03-02T09:15:00+08:00"}),
            json!({"id": "C-2", "at": "2026-03-02T09:15:00+08:00"}),
            json!({"id": "C-3", "at": "2026-03-02T09:15:00+08:00"}),
            json!({"id": "C-4", "at": "2026-03-02T09:15:00+08:00"}),
            json!({"id": "C-5", "at": "2026-03-02T09:15:00+08:00"}),
        ]);
        let id = d.field("crm.customer.get", Some(200), "/id").unwrap();
        assert_eq!(id.values, None);
        assert_eq!(id.fixed_length(), Some(3));
        let at = d.field("crm.customer.get", Some(200), "/at").unwrap();
        assert_eq!(at.values, None);
        assert_eq!(at.offsets, Some(BTreeSet::from(["+08:00".to_string()])));
    }

    #[test]
    fn scale_counts_digits_of_floats_and_decimal_strings() {
        assert_eq!(scale_of(&json!(38650.5012)), Some(4));
        assert_eq!(scale_of(&json!("1200.00")), Some(2));
        assert_eq!(scale_of(&json!(800000)), None);
        assert_eq!(scale_of(&json!("C-1.2")), None);
        let d = learn(&[json!({"amount": 12.5}), json!({"amount": 99.99})]);
        let amount = d.field("crm.customer.get", Some(200), "/amount").unwrap();
        assert_eq!(amount.scale, Some([1, 2]));
        assert_eq!(amount.range, Some([12.5, 99.99]));
    }

    #[test]
    fn array_items_share_one_pointer() {
        let d = learn(&[json!({"items": [{"sku": "A1"}, {"sku": "B2"}]})]);
        let sku = d
            .field("crm.customer.get", Some(200), "/items/*/sku")
            .unwrap();
        assert_eq!(sku.seen, 2);
    }

    #[test]
    fn integers_and_floats_are_told_apart() {
        let d = learn(&[
            json!({"limit": 800000}),
            json!({"limit": 5000}),
            json!({"limit": 7}),
        ]);
        let limit = d.field("crm.customer.get", Some(200), "/limit").unwrap();
        assert!(limit.integers_only());
        assert_eq!(ValueType::of(&json!(800000.0)), Some(ValueType::Float));
    }

    #[test]
    fn pseudonymised_fields_keep_their_shape_and_never_their_values() {
        let mut learner = Learner::default();
        for _ in 0..4 {
            learner.observe_except(
                "crm.customer.get",
                Some(200),
                &json!({"contact": {"name": "Wang Fang"}, "status": "open"}),
                &["/contact/name".to_string()],
            );
        }
        let d = learner.finish();
        let name = d
            .field("crm.customer.get", Some(200), "/contact/name")
            .unwrap();
        assert_eq!(name.values, None);
        assert_eq!(name.length, Some([9, 9]));
        let status = d.field("crm.customer.get", Some(200), "/status").unwrap();
        assert_eq!(status.values, Some(BTreeMap::from([("open".into(), 4)])));
    }

    #[test]
    fn the_file_round_trips_through_yaml() {
        let d = learn(&[
            json!({"status": "open", "n": 1}),
            json!({"status": "open", "n": 2}),
        ]);
        let yaml = d.to_yaml("learned").unwrap();
        assert!(
            yaml.starts_with("# learned\ninterlock_domains: 1\n"),
            "{yaml}"
        );
        let back: Domains = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(back, d);
    }
}
