//! The shape of a string value: an RFC 3339 date-time and its offset, a date, a UUID, or
//! plain text. Drift detection, snapshot normalisation and value domains share it.

/// The shape of a string value, for format-drift detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StringFormat {
    /// RFC 3339 date-time with its offset as written (`Z`, `+08:00`).
    DateTime {
        offset: String,
    },
    /// A date-time without an offset (local time).
    LocalDateTime,
    /// `YYYY-MM-DD`.
    Date,
    Uuid,
    Plain,
}

impl StringFormat {
    pub(crate) fn of(s: &str) -> StringFormat {
        use time::format_description::well_known::Rfc3339;
        if s.len() >= 19
            && s.as_bytes()
                .get(10)
                .is_some_and(|c| *c == b'T' || *c == b't' || *c == b' ')
        {
            if time::OffsetDateTime::parse(&s.replacen(' ', "T", 1), &Rfc3339).is_ok() {
                return StringFormat::DateTime {
                    offset: offset_of(s),
                };
            }
            let local =
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
            let head = s.replacen(' ', "T", 1);
            let head = head.split('.').next().unwrap_or("");
            if head.len() == 19 && time::PrimitiveDateTime::parse(head, &local).is_ok() {
                return StringFormat::LocalDateTime;
            }
        }
        if s.len() == 10
            && time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                .is_ok()
        {
            return StringFormat::Date;
        }
        if is_uuid(s) {
            return StringFormat::Uuid;
        }
        StringFormat::Plain
    }

    /// Why moving from `self` to `other` is a format drift, if it is.
    pub(crate) fn drift_to(&self, other: &StringFormat) -> Option<String> {
        match (self, other) {
            (StringFormat::DateTime { offset: a }, StringFormat::DateTime { offset: b })
                if a != b =>
            {
                Some(format!("date-time offset changed {a} → {b}"))
            }
            (a, b)
                if a != b
                    && !(matches!(a, StringFormat::Plain) && matches!(b, StringFormat::Plain)) =>
            {
                Some(format!("changed format from {} to {}", a.name(), b.name()))
            }
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            StringFormat::DateTime { .. } => "date-time",
            StringFormat::LocalDateTime => "date-time without offset",
            StringFormat::Date => "date",
            StringFormat::Uuid => "uuid",
            StringFormat::Plain => "plain text",
        }
    }
}

fn offset_of(s: &str) -> String {
    if s.ends_with(['Z', 'z']) {
        return "Z".to_string();
    }
    let tail = &s[s.len().saturating_sub(6)..];
    if tail.starts_with(['+', '-']) {
        tail.to_string()
    } else {
        String::new()
    }
}

/// Whether a string is a UUID in its canonical 8-4-4-4-12 hex form.
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}
