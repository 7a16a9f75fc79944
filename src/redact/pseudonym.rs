//! Deterministic pseudonyms: a keyed HMAC-SHA256 of the (normalised) value drives a stream of
//! bytes that fills a replacement of the same shape.
//!
//! The same key and the same input give the same pseudonym in every recording and every run, so
//! the CRM's and the ERP's recordings of one customer still join. The shapes:
//!
//! - email: `u<12 letters/digits>@example.invalid` (input compared case-insensitively);
//! - phone: every digit replaced by a digit, `+`, spaces and punctuation kept (input compared by
//!   its digits only, so `+49 30 1234` and `+49301234` get the same digits);
//! - bank account: an IBAN keeps its country code and length and gets valid check digits; other
//!   account numbers keep their shape;
//! - name: each word keeps its length and capitalisation, letters only;
//! - date: a valid `YYYY-MM-DD` date;
//! - national id and generic: digits stay digits, upper-case letters upper-case, lower-case
//!   letters lower-case, everything else kept;
//! - numbers stay numbers with the same count of digits.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// What a personal-data value is, which decides the shape of its pseudonym.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Phone,
    NationalId,
    BankAccount,
    /// A payment card number.
    Card,
    Name,
    /// A postal address or one of its lines.
    Address,
    Date,
    Generic,
    /// A credential: replaced by `[redacted]`, not pseudonymised.
    Secret,
    /// Left as it is (switches off a default rule).
    Keep,
}

impl Kind {
    /// Whether this kind needs the pseudonym key.
    pub(crate) fn needs_key(self) -> bool {
        !matches!(self, Kind::Secret | Kind::Keep)
    }

    /// The name of the kind, as written in the project file and in recordings.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::NationalId => "national_id",
            Kind::BankAccount => "bank_account",
            Kind::Card => "card",
            Kind::Name => "name",
            Kind::Address => "address",
            Kind::Date => "date",
            Kind::Generic => "generic",
            Kind::Secret => "secret",
            Kind::Keep => "keep",
        }
    }
}

/// The replacement text for credentials.
pub(crate) const REDACTED: &str = "[redacted]";

/// Makes pseudonyms from one secret key.
#[derive(Clone)]
pub(crate) struct Pseudonymizer {
    /// HMAC-SHA256 set up with the key once; each block clones it.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer { key: <hidden> }")
    }
}

impl Pseudonymizer {
    pub(crate) fn new(key: &[u8]) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        let mac = Hmac::<Sha256>::new_from_slice(key)
            .unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()));
        Pseudonymizer { mac }
    }

    /// The pseudonym of a string value of the given kind.
    pub(crate) fn text(&self, kind: Kind, value: &str) -> String {
        match kind {
            Kind::Email => self.email(value),
            Kind::Phone => super::valid::phone(value, |seed| self.stream(seed)),
            Kind::BankAccount => self.bank_account(value),
            Kind::Card => super::valid::card(value, &mut self.stream(&digits_of(value))),
            Kind::Name => self.name(value),
            Kind::Address => shape(
                value,
                &mut self.stream(&normalise_spaces(value).to_lowercase()),
            ),
            Kind::Date => self.date(value),
            Kind::NationalId => match super::valid::resident_id(
                value,
                &mut self.stream(&value.trim().to_ascii_uppercase()),
            ) {
                Some(id) => id,
                None => shape(value, &mut self.stream(&normalise_spaces(value))),
            },
            Kind::Generic => shape(value, &mut self.stream(&normalise_spaces(value))),
            Kind::Secret => REDACTED.to_string(),
            Kind::Keep => value.to_string(),
        }
    }

    /// The pseudonym of a number: an integer keeps its digit count, a fraction its shape.
    pub(crate) fn number(&self, number: &serde_json::Number) -> serde_json::Number {
        let text = number.to_string();
        let mut stream = self.stream(&text);
        let replaced = shape_digits_nonzero_first(&text, &mut stream);
        if let Ok(n) = replaced.parse::<u64>() {
            return n.into();
        }
        if let Ok(n) = replaced.parse::<i64>() {
            return n.into();
        }
        replaced
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .unwrap_or_else(|| 0.into())
    }

    fn email(&self, value: &str) -> String {
        let mut stream = self.stream(&value.trim().to_lowercase());
        let local: String = (0..12).map(|_| stream.alphanumeric()).collect();
        format!("u{local}@example.invalid")
    }

    fn name(&self, value: &str) -> String {
        let normalised = normalise_spaces(value).to_lowercase();
        let mut stream = self.stream(&normalised);
        value
            .chars()
            .map(|c| {
                if is_cjk(c) {
                    stream.cjk()
                } else if c.is_uppercase() {
                    stream.upper()
                } else if c.is_alphabetic() {
                    stream.lower()
                } else {
                    c
                }
            })
            .collect()
    }

    fn date(&self, value: &str) -> String {
        let mut stream = self.stream(value.trim());
        let looks_like_date = value.len() >= 10
            && value.is_char_boundary(10)
            && value[..10].chars().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !looks_like_date {
            return shape(value, &mut stream);
        }
        let year = 1940 + u32::from(stream.byte()) % 60;
        let month = 1 + u32::from(stream.byte()) % 12;
        let day = 1 + u32::from(stream.byte()) % 28;
        format!("{year:04}-{month:02}-{day:02}{}", &value[10..])
    }

    fn bank_account(&self, value: &str) -> String {
        let compact: String = value
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let mut stream = self.stream(&compact);
        let is_iban = compact.len() >= 15
            && compact.chars().take(2).all(|c| c.is_ascii_uppercase())
            && compact.chars().skip(2).all(|c| c.is_ascii_alphanumeric());
        if !is_iban {
            return shape(value, &mut stream);
        }
        let bban = shape(&compact[4..], &mut stream);
        let country = &compact[..2];
        let check = iban_check_digits(country, &bban);
        let iban = format!("{country}{check:02}{bban}");
        regroup_like(value, &iban)
    }

    pub(super) fn stream(&self, input: &str) -> Stream<'_> {
        Stream {
            mac: &self.mac,
            input: input.as_bytes().to_vec(),
            block: Vec::new(),
            used: 0,
            counter: 0,
        }
    }
}

/// An endless stream of pseudo-random bytes: HMAC(key, input ‖ counter) blocks.
pub(crate) struct Stream<'k> {
    mac: &'k Hmac<Sha256>,
    input: Vec<u8>,
    block: Vec<u8>,
    used: usize,
    counter: u32,
}

impl Stream<'_> {
    pub(super) fn byte(&mut self) -> u8 {
        if self.used == self.block.len() {
            let mut mac = self.mac.clone();
            mac.update(&self.input);
            mac.update(&self.counter.to_be_bytes());
            self.block = mac.finalize().into_bytes().to_vec();
            self.counter = self.counter.wrapping_add(1);
            self.used = 0;
        }
        let b = self.block.get(self.used).copied().unwrap_or(0);
        self.used += 1;
        b
    }

    pub(super) fn digit(&mut self) -> char {
        char::from(b'0' + self.byte() % 10)
    }

    fn nonzero_digit(&mut self) -> char {
        char::from(b'1' + self.byte() % 9)
    }

    fn lower(&mut self) -> char {
        char::from(b'a' + self.byte() % 26)
    }

    fn upper(&mut self) -> char {
        char::from(b'A' + self.byte() % 26)
    }

    /// A common Chinese character, for names and addresses written in Chinese.
    fn cjk(&mut self) -> char {
        const COMMON: &[char] = &[
            '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱',
            '胡', '郭', '何', '林', '高', '罗', '伟', '芳', '娜', '敏', '静', '丽', '强', '磊',
            '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞', '平', '刚', '华',
            '东', '南', '西', '北', '中', '山', '海', '河', '路', '街', '城', '区', '新', '安',
        ];
        COMMON[usize::from(self.byte()) % COMMON.len()]
    }

    fn alphanumeric(&mut self) -> char {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        char::from(ALPHABET[usize::from(self.byte()) % ALPHABET.len()])
    }
}

/// Chinese (CJK unified ideograph) characters.
fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// The ASCII digits of a value, in order.
pub(super) fn digits_of(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).collect()
}

/// Digits → digits, letters → letters of the same case, everything else kept.
pub(super) fn shape(value: &str, stream: &mut Stream<'_>) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                stream.digit()
            } else if is_cjk(c) {
                stream.cjk()
            } else if c.is_uppercase() {
                stream.upper()
            } else if c.is_alphabetic() {
                stream.lower()
            } else {
                c
            }
        })
        .collect()
}

/// Like [`shape`] for a number's text, keeping the first digit non-zero when it was.
fn shape_digits_nonzero_first(text: &str, stream: &mut Stream<'_>) -> String {
    let mut seen_digit = false;
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                let first = !seen_digit;
                seen_digit = true;
                if first && c != '0' {
                    stream.nonzero_digit()
                } else {
                    stream.digit()
                }
            } else {
                c
            }
        })
        .collect()
}

fn normalise_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// ISO 13616 check digits: 98 − (BBAN ‖ country ‖ "00" as digits) mod 97.
fn iban_check_digits(country: &str, bban: &str) -> u32 {
    let rearranged = format!("{bban}{country}00");
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let value = c.to_digit(36).unwrap_or(0);
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    98 - remainder
}

/// Puts `compact`'s characters back into `original`'s grouping (spaces where it had spaces).
fn regroup_like(original: &str, compact: &str) -> String {
    let mut chars = compact.chars();
    original
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                c
            } else {
                chars.next().unwrap_or(c)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Pseudonymizer {
        Pseudonymizer::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn same_input_same_pseudonym_and_email_shape() {
        let a = p().text(Kind::Email, "Anna.Berg@example.com");
        let b = p().text(Kind::Email, "anna.berg@example.com ");
        assert_eq!(a, b);
        assert!(a.ends_with("@example.invalid"), "{a}");
        assert_ne!(a, p().text(Kind::Email, "other@example.com"));
        let other_key = Pseudonymizer::new(b"another key, another pseudonym!!");
        assert_ne!(a, other_key.text(Kind::Email, "anna.berg@example.com"));
    }

    #[test]
    fn phone_keeps_punctuation_and_length_and_joins_on_digits() {
        let a = p().text(Kind::Phone, "+49 30 1234567");
        assert_eq!(a.len(), "+49 30 1234567".len());
        assert!(a.starts_with("+49 "), "{a}");
        assert_eq!(&a[3..4], " ");
        assert_ne!(a, "+49 30 1234567");
        let b = p().text(Kind::Phone, "+49301234567");
        assert_eq!(a.replace(' ', ""), b);
    }

    #[test]
    fn iban_keeps_country_and_length_with_valid_check_digits() {
        let original = "DE89 3704 0044 0532 0130 00";
        let a = p().text(Kind::BankAccount, original);
        assert_eq!(a.len(), original.len());
        assert!(a.starts_with("DE"), "{a}");
        assert_ne!(a, original);
        let compact: String = a.chars().filter(|c| !c.is_whitespace()).collect();
        let check: u32 = compact[2..4].parse().unwrap();
        assert_eq!(check, iban_check_digits("DE", &compact[4..]));
        // The original IBAN is valid, so the check-digit function agrees with the standard.
        assert_eq!(iban_check_digits("DE", "370400440532013000"), 89);
    }

    #[test]
    fn name_date_number_shapes() {
        let name = p().text(Kind::Name, "Anna-Lena Berg");
        assert_eq!(name.len(), "Anna-Lena Berg".len());
        assert!(name.chars().next().unwrap().is_ascii_uppercase());
        assert_eq!(&name[4..5], "-");
        let date = p().text(Kind::Date, "1987-04-12");
        assert_eq!(date.len(), 10);
        assert!(
            time::Date::parse(
                &date,
                time::macros::format_description!("[year]-[month]-[day]")
            )
            .is_ok()
        );
        let n = p().number(&serde_json::Number::from(4711_u64));
        assert_eq!(n.to_string().len(), 4);
        assert!(n.is_u64());
    }
}
