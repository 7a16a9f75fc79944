//! Value detectors: personal data and credentials recognised by their shape wherever they are
//! (free text, a JSON string under any name, a text body, a header value), independent of
//! field names and content types.
//!
//! Each detector applies to strings only, never to JSON numbers, and accepts only values that
//! pass their checksum or structure. Numbers inside free text (a mobile, a card number, a
//! resident id) must be delimited: no digit or letter right before or after. Each can be
//! switched off by name in `[redact] detectors` (see `docs/redaction.md`).

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::pseudonym::{Kind, digits_of};
use super::valid;

/// One detector: its name in the project file and what a match becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detector {
    Email,
    Phone,
    ChineseMobile,
    ResidentId,
    Card,
    Iban,
    Jwt,
    AwsAccessKey,
    Bearer,
}

/// Every detector, in the order a tie at the same position is decided.
pub(crate) const ALL: &[Detector] = &[
    Detector::Jwt,
    Detector::Bearer,
    Detector::AwsAccessKey,
    Detector::Email,
    Detector::Iban,
    Detector::ResidentId,
    Detector::Card,
    Detector::ChineseMobile,
    Detector::Phone,
];

impl Detector {
    /// The name used in `[redact] detectors`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Detector::Email => "email",
            Detector::Phone => "phone",
            Detector::ChineseMobile => "cn_mobile",
            Detector::ResidentId => "cn_resident_id",
            Detector::Card => "card",
            Detector::Iban => "iban",
            Detector::Jwt => "jwt",
            Detector::AwsAccessKey => "aws_access_key",
            Detector::Bearer => "bearer",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Detector> {
        ALL.iter().copied().find(|d| d.name() == name)
    }

    /// What a value it finds becomes.
    pub(crate) fn kind(self) -> Kind {
        match self {
            Detector::Email => Kind::Email,
            Detector::Phone | Detector::ChineseMobile => Kind::Phone,
            Detector::ResidentId => Kind::NationalId,
            Detector::Card => Kind::Card,
            Detector::Iban => Kind::BankAccount,
            Detector::Jwt | Detector::AwsAccessKey | Detector::Bearer => Kind::Secret,
        }
    }

    fn pattern(self) -> &'static Regex {
        static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
            ALL.iter()
                .map(|d| Regex::new(d.source()).unwrap_or_else(|_| unreachable_pattern()))
                .collect()
        });
        &PATTERNS[self.index()]
    }

    /// The detector's position in [`ALL`].
    fn index(self) -> usize {
        ALL.iter().position(|d| *d == self).unwrap_or(0)
    }

    /// Which detectors' patterns occur in `text`, in one pass over it: most strings hold none,
    /// and only those that do are searched pattern by pattern. `None` (never, the patterns are
    /// constants covered by the tests) searches every detector.
    fn occurring(text: &str) -> Option<regex::SetMatches> {
        static SET: LazyLock<Option<RegexSet>> =
            LazyLock::new(|| RegexSet::new(ALL.iter().map(|d| d.source())).ok());
        SET.as_ref().map(|set| set.matches(text))
    }

    fn source(self) -> &'static str {
        match self {
            Detector::Email => {
                r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
            }
            Detector::Phone => r"\+[1-9][0-9]{0,2}(?:[ .\-]?\(?[0-9]\)?){6,14}",
            Detector::ChineseMobile => r"(?:\+?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}",
            Detector::ResidentId => r"[1-9][0-9]{16}[0-9Xx]",
            Detector::Card => r"[2-6][0-9]{3}(?:[ \-]?[0-9]){9,15}",
            Detector::Iban => r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}",
            Detector::Jwt => r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
            Detector::AwsAccessKey => {
                r"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}"
            }
            Detector::Bearer => r"(?i:bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*",
        }
    }

    /// Whether the text matched is really one of this detector's values.
    fn accepts(self, matched: &str) -> bool {
        match self {
            Detector::Email => !matched.to_ascii_lowercase().ends_with("@example.invalid"),
            Detector::Phone => (7..=15).contains(&digits_of(matched).len()),
            Detector::ChineseMobile => valid::is_chinese_mobile(&digits_of(matched)),
            Detector::ResidentId => valid::is_resident_id(matched),
            Detector::Card => valid::is_card(&digits_of(matched)),
            Detector::Iban => {
                valid::is_iban(&matched.chars().filter(|c| *c != ' ').collect::<String>())
            }
            Detector::Jwt | Detector::AwsAccessKey => true,
            Detector::Bearer => !matched.contains("[redacted]"),
        }
    }

    /// Whether a match must stand apart from the letters and digits around it.
    fn delimited(self) -> bool {
        !matches!(self, Detector::Bearer)
    }
}

#[cold]
fn unreachable_pattern() -> Regex {
    // The patterns are constants covered by the tests; a never-matching one keeps this total.
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!())
}

/// One value found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detection {
    pub range: Range<usize>,
    pub detector: Detector,
}

/// The detectors switched on for a project.
#[derive(Debug, Clone)]
pub(crate) struct Detectors {
    on: Vec<Detector>,
}

impl Detectors {
    pub(crate) fn new(on: Vec<Detector>) -> Self {
        Detectors { on }
    }

    /// Whether any switched-on detector makes pseudonyms (and so needs the key).
    pub(crate) fn needs_key(&self) -> bool {
        self.on.iter().any(|d| d.kind().needs_key())
    }

    /// Every value found in `text`, in order, not overlapping (the earlier match wins, then
    /// the longer one, then the detector listed first in [`ALL`]).
    pub(crate) fn find(&self, text: &str) -> Vec<Detection> {
        let mut found: Vec<Detection> = Vec::new();
        let occurring = Detector::occurring(text);
        if occurring.as_ref().is_some_and(|o| !o.matched_any()) {
            return found;
        }
        let searched = |d: &&Detector| occurring.as_ref().is_none_or(|o| o.matched(d.index()));
        for detector in self.on.iter().filter(searched) {
            for m in detector.pattern().find_iter(text) {
                let mut range = m.range();
                if *detector == Detector::Bearer {
                    // Only the token: `Bearer ` stays, so the text still reads.
                    let skip = m.as_str().find(char::is_whitespace).unwrap_or(0);
                    let token = m.as_str()[skip..].trim_start();
                    range.start = m.end() - token.len();
                }
                if (!detector.delimited() || delimited(text, &range))
                    && detector.accepts(&text[range.clone()])
                {
                    found.push(Detection {
                        range,
                        detector: *detector,
                    });
                }
            }
        }
        let rank = |d: &Detector| ALL.iter().position(|x| x == d).unwrap_or(usize::MAX);
        found.sort_by(|a, b| {
            a.range
                .start
                .cmp(&b.range.start)
                .then(b.range.end.cmp(&a.range.end))
                .then(rank(&a.detector).cmp(&rank(&b.detector)))
        });
        let mut kept: Vec<Detection> = Vec::new();
        for d in found {
            if kept
                .last()
                .is_none_or(|last| d.range.start >= last.range.end)
            {
                kept.push(d);
            }
        }
        kept
    }
}

/// No letter, digit, `_`, `@` or `.`-followed-by-a-digit right before or after `range`.
fn delimited(text: &str, range: &Range<usize>) -> bool {
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    !glued(before) && !glued(after) && before != Some('+') && before != Some('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, &'static str)> {
        Detectors::new(ALL.to_vec())
            .find(text)
            .into_iter()
            .map(|d| (&text[d.range], d.detector.name()))
            .collect()
    }

    #[test]
    fn each_detector_finds_its_values_in_free_text() {
        assert_eq!(
            found("write to anna.berg@kunde.example today"),
            [("anna.berg@kunde.example", "email")]
        );
        assert_eq!(
            found("call +49 30 5550 1234."),
            [("+49 30 5550 1234", "phone")]
        );
        assert_eq!(
            found("手机13812345678，谢谢"),
            [("13812345678", "cn_mobile")]
        );
        assert_eq!(
            found("tel: +86 138 1234 5678"),
            [("+86 138 1234 5678", "cn_mobile")]
        );
        assert_eq!(
            found("id 11010519491231002X ok"),
            [("11010519491231002X", "cn_resident_id")]
        );
        assert_eq!(
            found("card 4111 1111 1111 1111 exp"),
            [("4111 1111 1111 1111", "card")]
        );
        assert_eq!(
            found("to DE89 3704 0044 0532 0130 00."),
            [("DE89 3704 0044 0532 0130 00", "iban")]
        );
        assert_eq!(
            found("pay GB82WEST12345698765432"),
            [("GB82WEST12345698765432", "iban")]
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl";
        assert_eq!(found(&format!("token {jwt} end")), [(jwt, "jwt")]);
        assert_eq!(
            found("key AKIAIOSFODNN7EXAMPLE used"),
            [("AKIAIOSFODNN7EXAMPLE", "aws_access_key")]
        );
        assert_eq!(
            found("sent Authorization: Bearer abc.def-123456"),
            [("abc.def-123456", "bearer")]
        );
    }

    #[test]
    fn checksums_and_delimiters_guard_against_false_positives() {
        assert!(
            found("order 13812345678901 shipped").is_empty(),
            "not delimited"
        );
        assert!(found("C13812345678").is_empty(), "glued to a letter");
        assert!(found("12345678901").is_empty(), "not a mobile prefix");
        assert!(found("110105194912310021").is_empty(), "bad check digit");
        assert!(found("4111111111111112").is_empty(), "fails Luhn");
        assert!(found("9111111111111111").is_empty(), "unknown issuer");
        assert!(
            found("DE88 3704 0044 0532 0130 00").is_empty(),
            "bad IBAN check digits"
        );
        assert!(
            found("uabc@example.invalid").is_empty(),
            "a pseudonym is not found again"
        );
        assert!(found("Bearer [redacted]").is_empty());
        assert!(found("2026-12-04T10:00:00+08:00 total 1234.56").is_empty());
    }

    #[test]
    fn every_detector_has_a_unique_name() {
        for d in ALL {
            assert_eq!(Detector::from_name(d.name()), Some(*d));
        }
    }
}
