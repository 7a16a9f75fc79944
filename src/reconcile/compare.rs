//! Keys and comparisons: how a key is normalised before the join, and when two values of a
//! field count as equal.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::error::did_you_mean;

/// One step of a key's normalisation, applied in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyTransform {
    Trim,
    Lowercase,
    Uppercase,
    /// Removes the prefix when present, ignoring case (`CRM-` removes `crm-` too).
    StripPrefix(String),
    /// Removes leading zeros of the digits (`000123` → `123`).
    StripLeadingZeros,
}

const TRANSFORMS: &[&str] = &[
    "trim",
    "lowercase",
    "uppercase",
    "strip_prefix",
    "strip_leading_zeros",
];

type ParseError = (String, Option<String>);

impl KeyTransform {
    pub(crate) fn parse(name: &str, arg: Option<String>) -> Result<KeyTransform, ParseError> {
        let transform = match (name, arg) {
            ("trim", None) => KeyTransform::Trim,
            ("lowercase", None) => KeyTransform::Lowercase,
            ("uppercase", None) => KeyTransform::Uppercase,
            ("strip_leading_zeros", None) => KeyTransform::StripLeadingZeros,
            ("strip_prefix", Some(prefix)) if !prefix.is_empty() => {
                KeyTransform::StripPrefix(prefix)
            }
            ("strip_prefix", _) => {
                return Err((
                    "`strip_prefix` needs the prefix".to_owned(),
                    Some("write `- strip_prefix: CRM-`".to_owned()),
                ));
            }
            (name, Some(_)) if TRANSFORMS.contains(&name) => {
                return Err((format!("`{name}` takes no argument"), None));
            }
            (name, _) => {
                return Err((
                    format!(
                        "unknown key transform `{name}`; one of {}",
                        TRANSFORMS.join(", ")
                    ),
                    did_you_mean(name, TRANSFORMS.iter().copied()),
                ));
            }
        };
        Ok(transform)
    }

    fn apply(&self, key: String) -> String {
        match self {
            KeyTransform::Trim => key.trim().to_owned(),
            KeyTransform::Lowercase => key.to_lowercase(),
            KeyTransform::Uppercase => key.to_uppercase(),
            KeyTransform::StripPrefix(prefix) => match key.get(..prefix.len()) {
                Some(head) if head.eq_ignore_ascii_case(prefix) => key[prefix.len()..].to_owned(),
                _ => key,
            },
            KeyTransform::StripLeadingZeros => {
                let stripped = key.trim_start_matches('0');
                if stripped.is_empty() && !key.is_empty() {
                    "0".to_owned()
                } else {
                    stripped.to_owned()
                }
            }
        }
    }
}

/// The key of a row as text (strings as they are, numbers in their JSON form), normalised;
/// `None` when the row has no usable key (missing, null, an object or array).
pub fn normalise_key(value: Option<&Value>, transforms: &[KeyTransform]) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let key = transforms.iter().fold(text, |k, t| t.apply(k));
    (!key.is_empty()).then_some(key)
}

/// How two values of a field are compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// Equal JSON values.
    Exact,
    /// Decimal numbers (from numbers or numeric strings), rounded to `scale` digits when given,
    /// equal within `tolerance`.
    Decimal {
        tolerance: Decimal,
        scale: Option<u32>,
    },
    /// `Decimal`, and the currency fields equal (ignoring case).
    Money {
        tolerance: Decimal,
        scale: Option<u32>,
    },
    /// RFC 3339 timestamps naming the same moment (whatever their offsets), within `tolerance`.
    Instant { tolerance: Duration },
    /// Strings equal ignoring case (and surrounding white space).
    CaseInsensitive,
    /// Arrays with the same elements, ignoring order and repetition.
    Set,
    /// The first side's value looked up in the table (unlisted values as they are), then equal.
    Map(BTreeMap<String, String>),
}

pub const COMPARISONS: &[&str] = &[
    "exact",
    "decimal",
    "money",
    "instant",
    "case-insensitive",
    "set",
    "map",
];

/// An error of a comparison's options: the key it concerns, the message and a hint.
type OptionError = (&'static str, String, Option<String>);

impl Comparison {
    pub(crate) fn parse(
        name: &str,
        tolerance: Option<&str>,
        scale: Option<u32>,
        map: Option<BTreeMap<String, String>>,
    ) -> Result<Comparison, OptionError> {
        let no = |option: &'static str, present: bool| -> Result<(), OptionError> {
            if present {
                Err((
                    option,
                    format!("`{option}` does not apply to `compare: {name}`"),
                    None,
                ))
            } else {
                Ok(())
            }
        };
        let decimal_tolerance = || -> Result<Decimal, OptionError> {
            match tolerance {
                None => Ok(Decimal::ZERO),
                Some(text) => Decimal::parse(text).filter(|d| !d.is_negative()).ok_or((
                    "tolerance",
                    format!("`{text}` is not a non-negative decimal"),
                    Some("e.g. `tolerance: 0.01`".to_owned()),
                )),
            }
        };
        let comparison = match name {
            "exact" | "case-insensitive" | "set" => {
                no("tolerance", tolerance.is_some())?;
                no("scale", scale.is_some())?;
                no("map", map.is_some())?;
                match name {
                    "exact" => Comparison::Exact,
                    "set" => Comparison::Set,
                    _ => Comparison::CaseInsensitive,
                }
            }
            "decimal" | "money" => {
                no("map", map.is_some())?;
                if scale.is_some_and(|s| s > 18) {
                    return Err(("scale", "a scale is at most 18 digits".to_owned(), None));
                }
                let tolerance = decimal_tolerance()?;
                if name == "decimal" {
                    Comparison::Decimal { tolerance, scale }
                } else {
                    Comparison::Money { tolerance, scale }
                }
            }
            "instant" => {
                no("scale", scale.is_some())?;
                no("map", map.is_some())?;
                let tolerance = match tolerance {
                    None => Duration::ZERO,
                    Some(text) => super::spec::parse_duration(text).ok_or((
                        "tolerance",
                        format!("`{text}` is not a duration"),
                        Some("e.g. `tolerance: 1s` (ms, s, m, h)".to_owned()),
                    ))?,
                };
                Comparison::Instant { tolerance }
            }
            "map" => {
                no("tolerance", tolerance.is_some())?;
                no("scale", scale.is_some())?;
                let map = map.ok_or((
                    "compare",
                    "`compare: map` needs the lookup table".to_owned(),
                    Some("add e.g. `map: {won: CLOSED, lost: CANCELLED}`".to_owned()),
                ))?;
                Comparison::Map(map)
            }
            other => {
                return Err((
                    "compare",
                    format!(
                        "unknown comparison `{other}`; one of {}",
                        COMPARISONS.join(", ")
                    ),
                    did_you_mean(other, COMPARISONS.iter().copied()),
                ));
            }
        };
        Ok(comparison)
    }

    /// The comparison's name as written in files and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Comparison::Exact => "exact",
            Comparison::Decimal { .. } => "decimal",
            Comparison::Money { .. } => "money",
            Comparison::Instant { .. } => "instant",
            Comparison::CaseInsensitive => "case-insensitive",
            Comparison::Set => "set",
            Comparison::Map(_) => "map",
        }
    }

    /// `None` when the values agree, else why not. `currencies` are the two currency values
    /// of a `money` field.
    pub fn differs(
        &self,
        a: Option<&Value>,
        b: Option<&Value>,
        currencies: Option<(Option<&Value>, Option<&Value>)>,
    ) -> Option<String> {
        let a = a.filter(|v| !v.is_null());
        let b = b.filter(|v| !v.is_null());
        let (a, b) = match (a, b) {
            (None, None) => return None,
            (Some(_), None) | (None, Some(_)) => {
                return Some("present on one side only".to_owned());
            }
            (Some(a), Some(b)) => (a, b),
        };
        match self {
            Comparison::Exact => (a != b).then(|| "values differ".to_owned()),
            Comparison::Decimal { tolerance, scale } => decimal_differs(a, b, *tolerance, *scale),
            Comparison::Money { tolerance, scale } => {
                if let Some((ca, cb)) = currencies {
                    let text = |v: Option<&Value>| {
                        v.and_then(Value::as_str).map(|s| s.trim().to_uppercase())
                    };
                    if text(ca) != text(cb) {
                        return Some("currencies differ".to_owned());
                    }
                }
                decimal_differs(a, b, *tolerance, *scale)
            }
            Comparison::Instant { tolerance } => {
                let (Some(x), Some(y)) = (instant(a), instant(b)) else {
                    return Some("not an RFC 3339 timestamp with an offset".to_owned());
                };
                let apart = (x - y).unsigned_abs();
                (apart > *tolerance).then(|| format!("{:.3} s apart", apart.as_secs_f64()))
            }
            Comparison::CaseInsensitive => match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => (x.trim().to_lowercase() != y.trim().to_lowercase())
                    .then(|| "values differ".to_owned()),
                _ => (a != b).then(|| "values differ".to_owned()),
            },
            Comparison::Set => match (a.as_array(), b.as_array()) {
                (Some(x), Some(y)) => {
                    let set = |v: &Vec<Value>| {
                        v.iter()
                            .map(Value::to_string)
                            .collect::<std::collections::BTreeSet<_>>()
                    };
                    (set(x) != set(y)).then(|| "the sets differ".to_owned())
                }
                _ => Some("not an array".to_owned()),
            },
            Comparison::Map(table) => {
                let mapped = match a {
                    Value::String(s) => table.get(s).map(|m| Value::String(m.clone())),
                    other => table
                        .get(&other.to_string())
                        .map(|m| Value::String(m.clone())),
                };
                let a = mapped.as_ref().unwrap_or(a);
                (a != b).then(|| match &mapped {
                    Some(m) => format!("maps to {m}"),
                    None => "values differ (no mapping)".to_owned(),
                })
            }
        }
    }
}

fn instant(value: &Value) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let text = value.as_str()?;
    time::OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(&text.replacen(' ', "T", 1), &Rfc3339))
        .ok()
}

fn decimal_differs(a: &Value, b: &Value, tolerance: Decimal, scale: Option<u32>) -> Option<String> {
    let parse = |v: &Value| match v {
        Value::Number(n) => Decimal::parse(&n.to_string()),
        Value::String(s) => Decimal::parse(s.trim()),
        _ => None,
    };
    let (Some(mut x), Some(mut y)) = (parse(a), parse(b)) else {
        return Some("not a decimal number".to_owned());
    };
    if let Some(scale) = scale {
        x = x.round(scale)?;
        y = y.round(scale)?;
    }
    let diff = x.sub(y)?.abs();
    (diff.cmp_to(tolerance)? == std::cmp::Ordering::Greater).then(|| format!("differ by {diff}"))
}

/// A decimal number as an integer mantissa and a count of fraction digits: exact, no floating
/// point (`1200.00` and `1200` are equal; `0.1 + 0.2` is `0.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        if self.scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

const MAX_SCALE: u32 = 30;

impl Decimal {
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// `-12.50`, `1200`, `1.2e3`, `+3`; `None` for anything else or beyond 38 digits.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (number, exponent) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, digits) = match number.as_bytes().first()? {
            b'-' => (true, &number[1..]),
            b'+' => (false, &number[1..]),
            _ => (false, number),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut mantissa: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(i128::from(b - b'0'))?;
        }
        let mut scale = i64::try_from(frac.len()).ok()? - i64::from(exponent);
        while scale < 0 {
            mantissa = mantissa.checked_mul(10)?;
            scale += 1;
        }
        let mut d = Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale: u32::try_from(scale).ok()?,
        };
        while d.scale > MAX_SCALE {
            d = d.round(MAX_SCALE)?;
        }
        Some(d)
    }

    fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    fn abs(self) -> Decimal {
        Decimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
        }
    }

    fn rescale(self, scale: u32) -> Option<Decimal> {
        let factor = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(factor)?,
            scale,
        })
    }

    /// Rounded half away from zero to `scale` fraction digits.
    fn round(self, scale: u32) -> Option<Decimal> {
        if self.scale <= scale {
            return Some(self);
        }
        let factor = 10i128.checked_pow(self.scale - scale)?;
        let q = self.mantissa / factor;
        let r = self.mantissa % factor;
        let q = if r.abs() * 2 >= factor {
            q + self.mantissa.signum()
        } else {
            q
        };
        Some(Decimal { mantissa: q, scale })
    }

    fn sub(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.rescale(scale)?, other.rescale(scale)?);
        Some(Decimal {
            mantissa: a.mantissa.checked_sub(b.mantissa)?,
            scale,
        })
    }

    fn cmp_to(self, other: Decimal) -> Option<std::cmp::Ordering> {
        let scale = self.scale.max(other.scale);
        Some(
            self.rescale(scale)?
                .mantissa
                .cmp(&other.rescale(scale)?.mantissa),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_compare_exactly() {
        let d = Comparison::Decimal {
            tolerance: Decimal::ZERO,
            scale: None,
        };
        assert_eq!(
            d.differs(Some(&json!("1200.00")), Some(&json!(1200)), None),
            None
        );
        assert_eq!(
            d.differs(Some(&json!("1200.00")), Some(&json!(1250)), None)
                .as_deref(),
            Some("differ by 50.00")
        );
        let rounded = Comparison::Decimal {
            tolerance: Decimal::parse("0.01").expect("a decimal"),
            scale: Some(2),
        };
        assert_eq!(
            rounded.differs(Some(&json!(10.004)), Some(&json!("10.01")), None),
            None
        );
        assert_eq!(Decimal::parse("1.2e3"), Decimal::parse("1200"));
        assert_eq!(Decimal::parse("abc"), None);
    }

    #[test]
    fn instants_across_offsets() {
        let i = Comparison::Instant {
            tolerance: Duration::ZERO,
        };
        assert_eq!(
            i.differs(
                Some(&json!("2026-03-01T18:00:00+08:00")),
                Some(&json!("2026-03-01T10:00:00Z")),
                None
            ),
            None
        );
        assert!(
            i.differs(
                Some(&json!("2026-03-01T18:00:01+08:00")),
                Some(&json!("2026-03-01T10:00:00Z")),
                None
            )
            .is_some()
        );
    }

    #[test]
    fn keys_normalise() {
        let t = [
            KeyTransform::Trim,
            KeyTransform::StripPrefix("CRM-".into()),
            KeyTransform::Uppercase,
        ];
        assert_eq!(
            normalise_key(Some(&json!(" crm-c001 ")), &t).as_deref(),
            Some("C001")
        );
        assert_eq!(normalise_key(Some(&json!(12)), &t).as_deref(), Some("12"));
        assert_eq!(normalise_key(None, &t), None);
    }
}
