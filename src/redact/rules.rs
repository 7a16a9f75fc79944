//! The redaction rules: the project file's `[redact]` section, the built-in defaults, and
//! deciding what happens to a header, a query parameter or a JSON field.
//!
//! Field names are compared without case, `_` and `-`, so `first_name`, `firstName` and
//! `First-Name` are one rule. The defaults are listed in `docs/redaction.md`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::pseudonym::Kind;
use crate::error::InputError;
use crate::json::{escape_pointer_token, unescape_pointer_token};

/// The `[redact]` section of `interlock.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactConfig {
    /// Apply the built-in personal-data field names ([`DEFAULT_FIELDS`]).
    #[serde(default = "yes")]
    pub defaults: bool,
    /// Field name (any depth, JSON bodies, query and form parameters) → kind.
    #[serde(default)]
    pub fields: BTreeMap<String, Kind>,
    /// JSON pointer into request and response bodies (`*` = any array item or member) → kind.
    #[serde(default)]
    pub pointers: BTreeMap<String, Kind>,
    /// More header names whose values are credentials.
    #[serde(default)]
    pub headers: Vec<String>,
    /// More query and form parameter names whose values are credentials.
    #[serde(default)]
    pub query: Vec<String>,
    /// Value detectors switched on or off by name (all are on by default).
    #[serde(default)]
    pub detectors: BTreeMap<String, bool>,
    /// More parent names under which `name` is a person's name (`owner`, `联系人`, …).
    #[serde(default)]
    pub person_parents: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            defaults: true,
            fields: BTreeMap::new(),
            pointers: BTreeMap::new(),
            headers: Vec::new(),
            query: Vec::new(),
            detectors: BTreeMap::new(),
            person_parents: Vec::new(),
        }
    }
}

/// Personal-data field names pseudonymised unless `defaults = false`.
pub(crate) const DEFAULT_FIELDS: &[(&str, Kind)] = &[
    ("email", Kind::Email),
    ("email_address", Kind::Email),
    ("e_mail", Kind::Email),
    ("contact_email", Kind::Email),
    ("phone", Kind::Phone),
    ("phone_number", Kind::Phone),
    ("telephone", Kind::Phone),
    ("mobile", Kind::Phone),
    ("mobile_phone", Kind::Phone),
    ("mobile_number", Kind::Phone),
    ("fax", Kind::Phone),
    ("contact_phone", Kind::Phone),
    ("tel", Kind::Phone),
    ("cellphone", Kind::Phone),
    ("cell_phone", Kind::Phone),
    ("手机", Kind::Phone),
    ("手机号", Kind::Phone),
    ("手机号码", Kind::Phone),
    ("电话", Kind::Phone),
    ("联系电话", Kind::Phone),
    ("联系方式", Kind::Phone),
    ("邮箱", Kind::Email),
    ("电子邮箱", Kind::Email),
    ("电子邮件", Kind::Email),
    ("联系邮箱", Kind::Email),
    ("first_name", Kind::Name),
    ("last_name", Kind::Name),
    ("given_name", Kind::Name),
    ("family_name", Kind::Name),
    ("surname", Kind::Name),
    ("full_name", Kind::Name),
    ("contact_name", Kind::Name),
    ("person_name", Kind::Name),
    ("contact_person", Kind::Name),
    ("姓名", Kind::Name),
    ("联系人", Kind::Name),
    ("联系人姓名", Kind::Name),
    ("负责人", Kind::Name),
    ("address", Kind::Address),
    ("street", Kind::Address),
    ("street_address", Kind::Address),
    ("address_line", Kind::Address),
    ("address_line1", Kind::Address),
    ("address_line2", Kind::Address),
    ("address_line_1", Kind::Address),
    ("address_line_2", Kind::Address),
    ("postal_address", Kind::Address),
    ("home_address", Kind::Address),
    ("地址", Kind::Address),
    ("详细地址", Kind::Address),
    ("联系地址", Kind::Address),
    ("家庭住址", Kind::Address),
    ("id_card", Kind::NationalId),
    ("id_card_no", Kind::NationalId),
    ("id_card_number", Kind::NationalId),
    ("id_number", Kind::NationalId),
    ("身份证", Kind::NationalId),
    ("身份证号", Kind::NationalId),
    ("身份证号码", Kind::NationalId),
    ("card_no", Kind::Card),
    ("card_number", Kind::Card),
    ("credit_card", Kind::Card),
    ("bank_card", Kind::Card),
    ("银行卡号", Kind::Card),
    ("payee_account", Kind::BankAccount),
    ("account_number", Kind::BankAccount),
    ("银行账号", Kind::BankAccount),
    ("出生日期", Kind::Date),
    ("national_id", Kind::NationalId),
    ("ssn", Kind::NationalId),
    ("social_security_number", Kind::NationalId),
    ("passport_number", Kind::NationalId),
    ("iban", Kind::BankAccount),
    ("bank_account", Kind::BankAccount),
    ("date_of_birth", Kind::Date),
    ("birth_date", Kind::Date),
    ("birthdate", Kind::Date),
    ("dob", Kind::Date),
];

/// Parents under which `name` (and `full_name`, `display_name`) is a person's name; the
/// member itself, when a string, is a person's name too (`"contact_person": "Anna Berg"`).
pub(crate) const PERSON_PARENTS: &[&str] = &[
    "owner",
    "contact",
    "contacts",
    "contact_person",
    "contact_persons",
    "person",
    "employee",
    "account_holder",
    "cardholder",
    "card_holder",
    "recipient",
    "联系人",
    "负责人",
    "经办人",
];

/// Member names that are a person's name under a [`PERSON_PARENTS`] parent.
const PERSON_NAME_MEMBERS: &[&str] = &["name", "full_name", "display_name", "名称", "名字"];

/// JSON body fields whose values are credentials, always replaced by `[redacted]` (so are
/// fields named like a credential header, e.g. `authorization`).
pub(crate) const SECRET_FIELDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "session_token",
    "api_key",
    "apikey",
    "private_key",
    "token",
];

/// Header names whose values are credentials.
pub(crate) const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-amz-security-token",
    "ocp-apim-subscription-key",
];

/// Parts of a header name that make it a credential (`x-erp-session-token`, `x-client-secret`).
pub(crate) const SECRET_HEADER_PARTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "api-key",
    "apikey",
    "signature",
    "credential",
    "session",
    "auth",
];

/// Query and form parameters whose values are credentials.
pub(crate) const SECRET_QUERY: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "signature",
    "sig",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "session",
    "sessionid",
    "auth",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// Compares names without case, `_` and `-`.
pub(crate) fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The compiled rules.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    fields: BTreeMap<String, Kind>,
    pointers: Vec<(Vec<String>, Kind)>,
    headers: Vec<String>,
    /// Query and form parameters whose values are secrets: the built-in ones and the
    /// project's, normalised.
    query: Vec<String>,
    /// Normalised parent names under which `name` is a person's name.
    person_parents: Vec<String>,
    pub(crate) detectors: super::detect::Detectors,
}

impl Rules {
    /// Builds the rules; a pointer that does not start with `/` is an input error.
    pub(crate) fn new(config: &RedactConfig, file: &Path) -> Result<Rules, Vec<InputError>> {
        let mut fields = BTreeMap::new();
        for name in SECRET_FIELDS.iter().chain(SECRET_HEADERS) {
            fields.insert(normalise(name), Kind::Secret);
        }
        if config.defaults {
            for (name, kind) in DEFAULT_FIELDS {
                fields.insert(normalise(name), *kind);
            }
        }
        for (name, kind) in &config.fields {
            fields.insert(normalise(name), *kind);
        }
        let mut errors = Vec::new();
        let mut pointers = Vec::new();
        for (pointer, kind) in &config.pointers {
            if pointer.starts_with('/') {
                pointers.push((split_pointer(pointer), *kind));
            } else {
                errors.push(
                    InputError::at_pointer(
                        file,
                        format!("/redact/pointers/{}", escape_pointer_token(pointer)),
                        format!("`{pointer}` is not a JSON pointer"),
                    )
                    .with_hint("a pointer starts with `/`, e.g. \"/customer/email\" or \"/contacts/*/phone\""),
                );
            }
        }
        let mut detectors = Vec::new();
        for name in config.detectors.keys() {
            if super::detect::Detector::from_name(name).is_none() {
                let known: Vec<&str> = super::detect::ALL.iter().map(|d| d.name()).collect();
                errors.push(
                    InputError::at_pointer(
                        file,
                        format!("/redact/detectors/{}", escape_pointer_token(name)),
                        format!("`{name}` is not a value detector"),
                    )
                    .with_hint(format!("the detectors are {}", known.join(", "))),
                );
            }
        }
        for detector in super::detect::ALL {
            // `defaults = false` switches off the personal-data detectors unless named here;
            // the credential detectors stay on.
            let default = config.defaults || !detector.kind().needs_key();
            if config
                .detectors
                .get(detector.name())
                .copied()
                .unwrap_or(default)
            {
                detectors.push(*detector);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let person_parents = if config.defaults { PERSON_PARENTS } else { &[] }
            .iter()
            .copied()
            .chain(config.person_parents.iter().map(String::as_str))
            .map(normalise)
            .collect();
        Ok(Rules {
            person_parents,
            detectors: super::detect::Detectors::new(detectors),
            fields,
            pointers,
            headers: config
                .headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            query: SECRET_QUERY
                .iter()
                .copied()
                .chain(config.query.iter().map(String::as_str))
                .map(normalise)
                .collect(),
        })
    }

    /// Whether any rule makes pseudonyms (and so needs the key).
    pub(crate) fn needs_key(&self) -> bool {
        self.detectors.needs_key()
            || self.fields.values().any(|k| k.needs_key())
            || self.pointers.iter().any(|(_, k)| k.needs_key())
    }

    /// Whether a header's value is a credential.
    pub(crate) fn is_secret_header(&self, name: &str) -> bool {
        let name = match name.bytes().any(|b| b.is_ascii_uppercase()) {
            true => std::borrow::Cow::Owned(name.to_ascii_lowercase()),
            false => std::borrow::Cow::Borrowed(name),
        };
        SECRET_HEADERS.contains(&&*name)
            || SECRET_HEADER_PARTS.iter().any(|part| name.contains(part))
            || self.lists_header(&name)
    }

    /// Whether the configuration lists a header (lower-case) as a credential.
    pub(crate) fn lists_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h == name)
    }

    /// What happens to a query or form parameter's value.
    pub(crate) fn parameter(&self, name: &str) -> Kind {
        let normalised = normalise(name);
        let listed = self.query.contains(&normalised);
        match self.fields.get(&normalised) {
            Some(kind) => *kind,
            None if listed || looks_secret(&normalised) => Kind::Secret,
            None => Kind::Keep,
        }
    }

    /// What happens to the JSON value at `path` (object keys and array indices from the root).
    pub(crate) fn json_field(&self, path: &[String]) -> Kind {
        if let Some((_, kind)) = self
            .pointers
            .iter()
            .find(|(pattern, _)| pointer_matches(pattern, path))
        {
            return *kind;
        }
        let Some(last) = path.last() else {
            return Kind::Keep;
        };
        if last.parse::<usize>().is_ok() {
            return Kind::Keep;
        }
        // Most names are already normal: looked up without a copy.
        let normalised: std::borrow::Cow<'_, str> = if last
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            last.as_str().into()
        } else {
            normalise(last).into()
        };
        match self.fields.get(normalised.as_ref()) {
            Some(kind) => *kind,
            None if looks_secret(&normalised) => Kind::Secret,
            None if self.under_person(path)
                && PERSON_NAME_MEMBERS
                    .iter()
                    .any(|m| normalise(m) == normalised) =>
            {
                Kind::Name
            }
            None => Kind::Keep,
        }
    }

    /// Whether the member at `path` sits in an object under a person-like parent
    /// (`/owner/name`, `/contacts/0/name`).
    fn under_person(&self, path: &[String]) -> bool {
        path[..path.len() - 1]
            .iter()
            .rev()
            .find(|segment| segment.parse::<usize>().is_err())
            .is_some_and(|parent| self.person_parents.contains(&normalise(parent)))
    }
}

/// Names like `adminPassword` or `client_secret_v2`.
fn looks_secret(normalised: &str) -> bool {
    normalised.contains("password") || normalised.contains("secret")
}

fn split_pointer(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(unescape_pointer_token)
        .collect()
}

fn pointer_matches(pattern: &[String], path: &[String]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, s)| p == "*" || p == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(config: &RedactConfig) -> Rules {
        Rules::new(config, Path::new("interlock.toml")).unwrap()
    }

    fn path(segments: &[&str]) -> Vec<String> {
        segments.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn defaults_match_any_spelling_and_can_be_switched_off() {
        let r = rules(&RedactConfig::default());
        assert_eq!(r.json_field(&path(&["contact", "firstName"])), Kind::Name);
        assert_eq!(r.json_field(&path(&["EMAIL"])), Kind::Email);
        assert_eq!(r.json_field(&path(&["tax_id"])), Kind::Keep);
        assert_eq!(r.json_field(&path(&["adminPassword"])), Kind::Secret);
        assert!(r.needs_key());
        let off = rules(&RedactConfig {
            defaults: false,
            ..RedactConfig::default()
        });
        assert_eq!(off.json_field(&path(&["email"])), Kind::Keep);
        assert_eq!(off.json_field(&path(&["password"])), Kind::Secret);
        assert!(!off.needs_key());
    }

    #[test]
    fn pointers_with_wildcards_win_over_names() {
        let config = RedactConfig {
            pointers: BTreeMap::from([("/contacts/*/email".to_string(), Kind::Generic)]),
            fields: BTreeMap::from([("mobile".to_string(), Kind::Keep)]),
            ..RedactConfig::default()
        };
        let r = rules(&config);
        assert_eq!(
            r.json_field(&path(&["contacts", "3", "email"])),
            Kind::Generic
        );
        assert_eq!(r.json_field(&path(&["owner", "email"])), Kind::Email);
        assert_eq!(r.json_field(&path(&["mobile"])), Kind::Keep);
    }

    #[test]
    fn bad_pointer_is_reported_at_its_config_key() {
        let config = RedactConfig {
            pointers: BTreeMap::from([("customer/email".to_string(), Kind::Email)]),
            ..RedactConfig::default()
        };
        let errors = Rules::new(&config, Path::new("interlock.toml")).unwrap_err();
        assert_eq!(
            errors[0].position,
            crate::error::Position::Pointer("/redact/pointers/customer~1email".into())
        );
    }

    #[test]
    fn headers_and_query() {
        let r = rules(&RedactConfig {
            headers: vec!["X-Tenant-Key".into()],
            ..RedactConfig::default()
        });
        for h in [
            "Authorization",
            "x-api-key",
            "X-ERP-Session-Token",
            "x-tenant-key",
        ] {
            assert!(r.is_secret_header(h), "{h}");
        }
        assert!(!r.is_secret_header("content-type"));
        assert!(!r.is_secret_header("idempotency-key"));
        assert_eq!(r.parameter("access_token"), Kind::Secret);
        assert_eq!(r.parameter("apiKey"), Kind::Secret);
        assert_eq!(r.parameter("email"), Kind::Email);
        assert_eq!(r.parameter("page"), Kind::Keep);
    }
}
