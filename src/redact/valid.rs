//! Checksums and number plans shared by the value detectors and the pseudonyms: a value is
//! only recognised when it passes its checksum, and a pseudonym passes the same checks as the
//! value it replaces.
//!
//! - Chinese mobile numbers: 11 digits `1[3-9]…`, optionally after the country code `86`; the
//!   pseudonym keeps `+86` (or `86`) and the three-digit carrier prefix.
//! - E.164 numbers (`+` and 7–15 digits): the pseudonym keeps the country code.
//! - Chinese resident ids (GB 11643): 17 digits and an ISO 7064 MOD 11-2 check character; the
//!   pseudonym keeps the province, gets a plausible birth date and a valid check character.
//! - Payment cards: 13–19 digits, Luhn, a known issuer prefix; the pseudonym keeps length,
//!   issuer prefix and grouping and passes Luhn.
//! - IBANs: ISO 13616 mod-97 check digits.

use super::pseudonym::{Stream, digits_of, shape};

/// Whether `digits` (digits only) is a Chinese mobile number, with or without `86` in front.
/// Returns the position of the mobile part.
fn chinese_mobile_start(digits: &str) -> Option<usize> {
    let b = digits.as_bytes();
    let mobile =
        |at: usize| b.len() == at + 11 && b[at] == b'1' && (b'3'..=b'9').contains(&b[at + 1]);
    if mobile(0) {
        Some(0)
    } else if digits.starts_with("86") && mobile(2) {
        Some(2)
    } else {
        None
    }
}

/// Whether `digits` is a Chinese mobile number (11 digits `1[3-9]…`, optionally after `86`).
pub(crate) fn is_chinese_mobile(digits: &str) -> bool {
    chinese_mobile_start(digits).is_some()
}

/// ITU-T E.164 country codes of one and two digits; every other code has three.
const SHORT_COUNTRY_CODES: &[&str] = &[
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Digits of an international number's country code.
fn country_code_len(digits: &str) -> usize {
    (1..=2)
        .find(|n| {
            digits
                .get(..*n)
                .is_some_and(|cc| SHORT_COUNTRY_CODES.contains(&cc))
        })
        .unwrap_or(3)
}

/// The pseudonym of a phone number: every digit replaced except a Chinese mobile's `86` and
/// carrier prefix, or an international number's country code; punctuation, spaces and `+`
/// kept. The digits that are replaced come from the national part only, so `+86 138…` and
/// `138…` of one person get the same pseudonym digits.
pub(crate) fn phone<'k>(value: &str, stream: impl FnOnce(&str) -> Stream<'k>) -> String {
    let digits = digits_of(value);
    let (keep, national) = match chinese_mobile_start(&digits) {
        Some(start) => (start + 3, &digits[start..]),
        None if value.trim_start().starts_with('+') => {
            let cc = country_code_len(&digits).min(digits.len());
            (cc, &digits[cc..])
        }
        None => (0, digits.as_str()),
    };
    let mut stream = stream(national);
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= keep { c } else { stream.digit() }
        })
        .collect()
}

/// Luhn's checksum over digits.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits, false).is_multiple_of(10)
}

fn luhn_sum(digits: &str, check_missing: bool) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            let double = (i % 2 == 1) != check_missing;
            if double {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

/// Whether a card number starts with a known issuer prefix: Visa, Mastercard, American
/// Express, Discover, JCB, UnionPay, Diners Club, Maestro, Mir.
pub(crate) fn known_issuer(digits: &str) -> bool {
    let prefix = |n: usize| {
        digits
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    digits.starts_with('4')
        || (51..=55).contains(&prefix(2))
        || (2221..=2720).contains(&prefix(4))
        || matches!(
            prefix(2),
            34 | 37 | 36 | 38 | 39 | 62 | 65 | 50 | 56 | 57 | 58
        )
        || (300..=305).contains(&prefix(3))
        || (644..=649).contains(&prefix(3))
        || prefix(4) == 6011
        || (3528..=3589).contains(&prefix(4))
        || (2200..=2204).contains(&prefix(4))
        || prefix(2) == 67
}

/// Whether `digits` looks like a payment card number: 13–19 digits, Luhn, known issuer.
pub(crate) fn is_card(digits: &str) -> bool {
    (13..=19).contains(&digits.len()) && known_issuer(digits) && luhn_valid(digits)
}

/// The pseudonym of a card number: the first four digits (the issuer) and the grouping kept,
/// the rest replaced, the last digit set so the number passes Luhn.
pub(crate) fn card(value: &str, stream: &mut Stream<'_>) -> String {
    let digits = digits_of(value);
    if digits.len() < 8 {
        return shape(value, stream);
    }
    let body_len = digits.len() - 1;
    let mut new: String = digits[..4].to_string();
    while new.len() < body_len {
        new.push(stream.digit());
    }
    let check = (10 - luhn_sum(&new, true) % 10) % 10;
    new.push(char::from(b'0' + check as u8));
    let mut replaced = new.chars();
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                replaced.next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// ISO 7064 MOD 11-2 check character of a resident id's first 17 digits.
fn resident_id_check(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// Whether `value` is an 18-character Chinese resident id with a valid check character and a
/// real birth date.
pub(crate) fn is_resident_id(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let check = b[17].to_ascii_uppercase() as char;
    check == resident_id_check(&value[..17]) && birth_date_valid(&value[6..14])
}

fn birth_date_valid(yyyymmdd: &str) -> bool {
    let (Ok(year), Ok(month), Ok(day)) = (
        yyyymmdd[..4].parse::<i32>(),
        yyyymmdd[4..6].parse::<u8>(),
        yyyymmdd[6..8].parse::<u8>(),
    ) else {
        return false;
    };
    (1900..=2100).contains(&year)
        && time::Month::try_from(month)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(year, m, day).ok())
            .is_some()
}

/// The pseudonym of a valid resident id: the province (first two digits) kept, a plausible
/// birth date between 1950 and 2004, a valid check character; `None` for any other value.
pub(crate) fn resident_id(value: &str, stream: &mut Stream<'_>) -> Option<String> {
    let trimmed = value.trim();
    if !is_resident_id(trimmed) {
        return None;
    }
    let mut id = trimmed[..2].to_string();
    for _ in 0..4 {
        id.push(stream.digit());
    }
    let year = 1950 + u32::from(stream.byte()) % 55;
    let month = 1 + u32::from(stream.byte()) % 12;
    let day = 1 + u32::from(stream.byte()) % 28;
    id.push_str(&format!("{year:04}{month:02}{day:02}"));
    for _ in 0..3 {
        id.push(stream.digit());
    }
    id.push(resident_id_check(&id));
    Some(value.replacen(trimmed, &id, 1))
}

/// Whether a compact, upper-case IBAN has valid ISO 13616 check digits.
pub(crate) fn is_iban(compact: &str) -> bool {
    let b = compact.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::pseudonym::{Kind, Pseudonymizer};

    fn p() -> Pseudonymizer {
        Pseudonymizer::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn chinese_mobile_keeps_its_prefix_class_and_country_code() {
        let local = p().text(Kind::Phone, "13812345678");
        assert!(local.starts_with("138") && local.len() == 11, "{local}");
        assert!(is_chinese_mobile(&local));
        assert_ne!(local, "13812345678");
        let international = p().text(Kind::Phone, "+86 138 1234 5678");
        assert!(international.starts_with("+86 138 "), "{international}");
        assert_eq!(
            digits_of(&international)[2..],
            local[..],
            "joins on the national number"
        );
        let german = p().text(Kind::Phone, "+4930 55501234");
        assert!(german.starts_with("+49"), "{german}");
    }

    #[test]
    fn resident_id_pseudonym_is_a_valid_id() {
        let real = "11010519491231002X";
        assert!(is_resident_id(real));
        assert!(!is_resident_id("110105194912310021"));
        let id = p().text(Kind::NationalId, real);
        assert!(is_resident_id(&id), "{id}");
        assert!(id.starts_with("11") && id != real, "{id}");
        let year: u32 = id[6..10].parse().unwrap();
        assert!((1950..=2004).contains(&year), "{id}");
    }

    #[test]
    fn card_pseudonym_keeps_length_issuer_and_luhn() {
        assert!(is_card("4111111111111111"));
        assert!(!is_card("4111111111111112"));
        assert!(!is_card("9111111111111111"), "unknown issuer");
        let card = p().text(Kind::Card, "4111 1111 1111 1111");
        assert_eq!(card.len(), 19);
        assert!(card.starts_with("4111 "), "{card}");
        assert!(is_card(&digits_of(&card)), "{card}");
        assert_ne!(card, "4111 1111 1111 1111");
    }

    #[test]
    fn iban_check_digits() {
        assert!(is_iban("DE89370400440532013000"));
        assert!(!is_iban("DE88370400440532013000"));
        assert!(is_iban("GB82WEST12345698765432"));
    }
}
