//! Portable column types: the native spellings of PostgreSQL and SQLite mapped onto one small
//! set, and the judgement of a type change as widening, narrowing or incompatible.

use serde::{Deserialize, Serialize};

use super::table::Column;

/// The type a comparison works on; the native spelling is kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortableType {
    Smallint,
    Integer,
    Bigint,
    /// Exact numbers with `precision` and `scale` (`numeric`, `decimal`).
    Decimal,
    Real,
    Double,
    Boolean,
    /// Text with an optional maximum `length` (`varchar`, `char`, `text`).
    String,
    Date,
    Time,
    /// A date-time without a time zone.
    Timestamp,
    /// A date-time with a time zone.
    Timestamptz,
    Uuid,
    Json,
    Bytes,
    /// A PostgreSQL enum type; its labels are the column's `values`.
    Enum,
    /// Anything else; compared by its native spelling.
    Other,
}

impl PortableType {
    pub fn id(self) -> &'static str {
        match self {
            PortableType::Smallint => "smallint",
            PortableType::Integer => "integer",
            PortableType::Bigint => "bigint",
            PortableType::Decimal => "decimal",
            PortableType::Real => "real",
            PortableType::Double => "double",
            PortableType::Boolean => "boolean",
            PortableType::String => "string",
            PortableType::Date => "date",
            PortableType::Time => "time",
            PortableType::Timestamp => "timestamp",
            PortableType::Timestamptz => "timestamptz",
            PortableType::Uuid => "uuid",
            PortableType::Json => "json",
            PortableType::Bytes => "bytes",
            PortableType::Enum => "enum",
            PortableType::Other => "other",
        }
    }

    /// Rank among the integer types, for widening.
    fn integer_rank(self) -> Option<u32> {
        match self {
            PortableType::Smallint => Some(1),
            PortableType::Integer => Some(2),
            PortableType::Bigint => Some(3),
            _ => None,
        }
    }

    /// Decimal digits an integer type holds.
    fn integer_digits(self) -> Option<u32> {
        match self {
            PortableType::Smallint => Some(5),
            PortableType::Integer => Some(10),
            PortableType::Bigint => Some(19),
            _ => None,
        }
    }
}

/// A native type mapped to its portable type and sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    pub kind: PortableType,
    pub length: Option<u32>,
    pub precision: Option<u32>,
    pub scale: Option<u32>,
}

/// Maps a native type (PostgreSQL's `format_type` or SQLite's declared type) to its portable
/// type. SQLite's affinity rules apply to names no list knows: anything with `INT` is an
/// integer, `CHAR`/`CLOB`/`TEXT` a string.
pub fn classify(native: &str) -> Classified {
    let lower = native.trim().to_ascii_lowercase();
    // `timestamp(3) with time zone`: the arguments may sit in the middle.
    let (base, args) = match (lower.find('('), lower.find(')')) {
        (Some(open), Some(close)) if close > open => (
            format!("{} {}", lower[..open].trim(), lower[close + 1..].trim()),
            lower[open + 1..close]
                .split(',')
                .map(|a| a.trim().parse::<u32>().ok())
                .collect::<Vec<_>>(),
        ),
        _ => (lower.clone(), Vec::new()),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = args.first().copied().flatten();
    let second = args.get(1).copied().flatten();
    let plain = |kind| Classified {
        kind,
        length: None,
        precision: None,
        scale: None,
    };
    let kind = match base.as_str() {
        "smallint" | "int2" | "tinyint" | "smallserial" | "serial2" => PortableType::Smallint,
        "bigint" | "int8" | "bigserial" | "serial8" | "unsigned big int" => PortableType::Bigint,
        "numeric" | "decimal" => {
            return Classified {
                kind: PortableType::Decimal,
                length: None,
                precision: first,
                scale: first.map(|_| second.unwrap_or(0)),
            };
        }
        "real" | "float4" => PortableType::Real,
        "double precision" | "double" | "float8" | "float" => PortableType::Double,
        "boolean" | "bool" => PortableType::Boolean,
        "date" => PortableType::Date,
        "time" | "time without time zone" | "time with time zone" | "timetz" => PortableType::Time,
        "timestamp" | "timestamp without time zone" | "datetime" => PortableType::Timestamp,
        "timestamptz" | "timestamp with time zone" => PortableType::Timestamptz,
        "uuid" => PortableType::Uuid,
        "json" | "jsonb" => PortableType::Json,
        "bytea" | "blob" => PortableType::Bytes,
        // PostgreSQL types whose names merely contain `int`.
        "interval" | "point" | "int4range" | "int8range" | "tsinterval" => PortableType::Other,
        b if b.contains("int") || b == "serial" || b == "serial4" => PortableType::Integer,
        b if b.contains("char") || b.contains("clob") || b.contains("text") => {
            return Classified {
                kind: PortableType::String,
                // `character` without a length is one character in SQL.
                length: first.or((b == "character" || b == "char").then_some(1)),
                precision: None,
                scale: None,
            };
        }
        _ => PortableType::Other,
    };
    plain(kind)
}

/// How a column's type changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeChange {
    /// Every old value fits the new type (a reader sized for the old one may still overflow).
    Widened,
    /// Some old values no longer fit: writers fail, stored data is cut or converted.
    Narrowed,
    /// Neither: a different kind of value (number → string, date → timestamp).
    Incompatible,
}

impl TypeChange {
    pub fn word(self) -> &'static str {
        match self {
            TypeChange::Widened => "widened",
            TypeChange::Narrowed => "narrowed",
            TypeChange::Incompatible => "changed",
        }
    }
}

/// Compares a column's contracted type with its live one; `None` when they are the same.
pub fn type_change(old: &Column, new: &Column) -> Option<TypeChange> {
    use PortableType as T;
    use TypeChange::{Incompatible, Narrowed, Widened};
    let by_size = |old: Option<u32>, new: Option<u32>| match (old, new) {
        (a, b) if a == b => None,
        (None, Some(_)) => Some(Narrowed),
        (Some(_), None) => Some(Widened),
        (Some(a), Some(b)) if b > a => Some(Widened),
        _ => Some(Narrowed),
    };
    if old.kind == new.kind {
        return match old.kind {
            T::String => by_size(old.length, new.length),
            T::Decimal => decimal_change(old, new),
            T::Other | T::Enum => (normalize_native(&old.native_type)
                != normalize_native(&new.native_type))
            .then_some(Incompatible),
            _ => None,
        };
    }
    if let (Some(a), Some(b)) = (old.kind.integer_rank(), new.kind.integer_rank()) {
        return Some(if b > a { Widened } else { Narrowed });
    }
    Some(match (old.kind, new.kind) {
        (T::Real, T::Double) | (T::Enum, T::String) => Widened,
        (T::Double, T::Real) | (T::String, T::Enum) => Narrowed,
        (int, T::Decimal) if int.integer_rank().is_some() => {
            let digits = int.integer_digits().unwrap_or(0);
            match new.precision {
                None => Widened,
                Some(p) if p.saturating_sub(new.scale.unwrap_or(0)) >= digits => Widened,
                Some(_) => Narrowed,
            }
        }
        (T::Decimal, int) if int.integer_rank().is_some() => Narrowed,
        _ => Incompatible,
    })
}

fn decimal_change(old: &Column, new: &Column) -> Option<TypeChange> {
    let (Some(op), Some(np)) = (old.precision, new.precision) else {
        return match (old.precision, new.precision) {
            (None, None) => None,
            (None, Some(_)) => Some(TypeChange::Narrowed),
            _ => Some(TypeChange::Widened),
        };
    };
    let (os, ns) = (old.scale.unwrap_or(0), new.scale.unwrap_or(0));
    if (op, os) == (np, ns) {
        None
    } else if ns >= os && np.saturating_sub(ns) >= op.saturating_sub(os) {
        Some(TypeChange::Widened)
    } else {
        Some(TypeChange::Narrowed)
    }
}

/// Native spellings compared without case and extra spaces.
pub(crate) fn normalize_native(native: &str) -> String {
    native
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(native: &str) -> Column {
        let c = classify(native);
        Column {
            name: "c".into(),
            kind: c.kind,
            native_type: native.into(),
            nullable: true,
            default: None,
            length: c.length,
            precision: c.precision,
            scale: c.scale,
            values: Vec::new(),
            read_by: None,
        }
    }

    #[test]
    fn native_types_of_both_databases_classify() {
        let cases = [
            (
                "character varying(40)",
                PortableType::String,
                Some(40),
                None,
            ),
            ("VARCHAR(20)", PortableType::String, Some(20), None),
            ("text", PortableType::String, None, None),
            ("numeric(12,2)", PortableType::Decimal, None, Some(12)),
            ("NUMERIC(12, 2)", PortableType::Decimal, None, Some(12)),
            (
                "timestamp(3) with time zone",
                PortableType::Timestamptz,
                None,
                None,
            ),
            ("TIMESTAMP", PortableType::Timestamp, None, None),
            ("bigint", PortableType::Bigint, None, None),
            ("INT", PortableType::Integer, None, None),
            ("double precision", PortableType::Double, None, None),
            ("jsonb", PortableType::Json, None, None),
            ("interval", PortableType::Other, None, None),
            ("point", PortableType::Other, None, None),
        ];
        for (native, kind, length, precision) in cases {
            let c = classify(native);
            assert_eq!(
                (c.kind, c.length, c.precision),
                (kind, length, precision),
                "{native}"
            );
        }
    }

    #[test]
    fn changes_are_judged_by_direction() {
        let change = |a: &str, b: &str| type_change(&column(a), &column(b));
        assert_eq!(
            change("varchar(20)", "varchar(40)"),
            Some(TypeChange::Widened)
        );
        assert_eq!(
            change("varchar(40)", "varchar(20)"),
            Some(TypeChange::Narrowed)
        );
        assert_eq!(change("varchar(40)", "text"), Some(TypeChange::Widened));
        assert_eq!(change("integer", "bigint"), Some(TypeChange::Widened));
        assert_eq!(change("bigint", "integer"), Some(TypeChange::Narrowed));
        assert_eq!(
            change("numeric(12,2)", "numeric(14,2)"),
            Some(TypeChange::Widened)
        );
        assert_eq!(
            change("numeric(12,2)", "numeric(12,0)"),
            Some(TypeChange::Narrowed)
        );
        assert_eq!(
            change("numeric(12,2)", "text"),
            Some(TypeChange::Incompatible)
        );
        assert_eq!(
            change("integer", "numeric(11,2)"),
            Some(TypeChange::Narrowed)
        );
        assert_eq!(
            change("integer", "numeric(12,2)"),
            Some(TypeChange::Widened)
        );
        assert_eq!(
            change("timestamp", "timestamptz"),
            Some(TypeChange::Incompatible)
        );
        assert_eq!(change("character varying(20)", "VARCHAR(20)"), None);
    }
}
