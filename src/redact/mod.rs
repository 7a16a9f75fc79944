//! Redaction: credentials and personal data are removed from an exchange before its bytes reach
//! disk.
//!
//! Credentials are always redacted: `Authorization`, `Proxy-Authorization`, `Cookie`,
//! `Set-Cookie`, API-key and token headers, token-like query and form parameters and JSON fields
//! such as `password` or `refresh_token` become `[redacted]` (an auth scheme and cookie names are
//! kept, so the shape of a request is still visible). Personal data, matched by field name at any
//! depth or by JSON pointer, becomes a deterministic pseudonym of the same shape
//! ([`pseudonym`]), keyed by the secret in [`KEY_VARIABLE`]. The recorder, the HAR importer and
//! `interlock redact` all go through [`Redactor::redact_exchange`]. Rules and defaults are
//! documented in `docs/redaction.md`.

mod command;
mod parameters;
pub(crate) mod pseudonym;
pub(crate) mod rules;
pub(crate) mod secrets;

use serde_json::Value;

pub(crate) use command::redact_file;
pub(crate) use pseudonym::{Kind, Pseudonymizer, REDACTED};
pub(crate) use rules::{RedactConfig, Rules};

use std::path::Path;

use crate::error::{Error, InputError};
use crate::recording::{Body, Exchange, HeaderValue, Headers};

/// The environment variable holding the pseudonym key.
pub(crate) const KEY_VARIABLE: &str = "INTERLOCK_REDACT_KEY";

/// The shortest key accepted, in bytes.
pub(crate) const MIN_KEY_LEN: usize = 16;

/// Applies the project's redaction rules to exchanges.
#[derive(Debug, Clone)]
pub(crate) struct Redactor {
    rules: Rules,
    /// `None` only when no rule makes pseudonyms.
    pseudonyms: Option<Pseudonymizer>,
}

impl Redactor {
    /// From the project config's `[redact]` rules plus the key from [`KEY_VARIABLE`].
    ///
    /// Fails closed (exit 2) when a personal-data rule applies and the key is not set or too
    /// short, so nothing is ever written unredacted.
    /// `file` is the project file the rules come from, named in messages.
    pub(crate) fn from_config(config: &RedactConfig, file: &Path) -> Result<Redactor, Error> {
        Self::from_config_with_key(config, file, std::env::var(KEY_VARIABLE).ok())
    }

    /// Like [`Redactor::from_config`] with the key given instead of read from the environment.
    pub(crate) fn from_config_with_key(
        config: &RedactConfig,
        file: &Path,
        key: Option<String>,
    ) -> Result<Redactor, Error> {
        let rules = Rules::new(config, file).map_err(Error::Input)?;
        if !rules.needs_key() {
            return Ok(Redactor {
                rules,
                pseudonyms: None,
            });
        }
        let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
            InputError::usage(format!(
                "personal-data redaction needs a pseudonym key, and {KEY_VARIABLE} is not set"
            ))
            .with_hint(format!(
                "create one with `export {KEY_VARIABLE}=$(openssl rand -hex 32)` and use the same key for every recording that must join; or set `defaults = false` in [redact] of {} when no personal data passes",
                file.display()
            ))
        })?;
        if key.len() < MIN_KEY_LEN {
            return Err(InputError::usage(format!(
                "{KEY_VARIABLE} is {} bytes long; a pseudonym key needs at least {MIN_KEY_LEN}",
                key.len()
            ))
            .with_hint(format!(
                "create one with `export {KEY_VARIABLE}=$(openssl rand -hex 32)`"
            ))
            .into());
        }
        Ok(Redactor {
            rules,
            pseudonyms: Some(Pseudonymizer::new(key.as_bytes())),
        })
    }

    /// Redacts one exchange in place: headers, query parameters, JSON bodies and form bodies.
    ///
    /// Then every value removed anywhere in the exchange (a token, a cookie value, an email) is
    /// also replaced wherever else it appears in the exchange, e.g. echoed back inside a response
    /// body or a free-text field (values of at least [`MIN_SWEPT_LEN`] characters).
    pub(crate) fn redact_exchange(&self, exchange: &mut Exchange) {
        let mut found = Found::default();
        self.redact_headers(&mut exchange.request.headers, &mut found);
        self.redact_headers(&mut exchange.response.headers, &mut found);
        exchange.request.url = self.redact_url(&exchange.request.url, &mut found);
        let request_type = content_type(&exchange.request.headers);
        let response_type = content_type(&exchange.response.headers);
        self.redact_body(
            &mut exchange.request.body,
            request_type.as_deref(),
            &mut found,
        );
        self.redact_body(
            &mut exchange.response.body,
            response_type.as_deref(),
            &mut found,
        );
        found.sweep(exchange);
    }

    /// A path-and-query with credential and personal-data parameters replaced.
    fn redact_url(&self, url: &str, found: &mut Found) -> String {
        match url.split_once('?') {
            Some((path, query)) => format!("{path}?{}", self.redact_form(query, found)),
            None => url.to_string(),
        }
    }

    fn redact_headers(&self, headers: &mut Headers, found: &mut Found) {
        for (name, value) in headers.iter_mut() {
            if !self.rules.is_secret_header(name) {
                continue;
            }
            let mut redact = |v: &str| {
                let (redacted, removed) = parameters::redacted_header(name, v);
                for secret in removed {
                    found.add(secret, REDACTED.to_string());
                }
                redacted
            };
            *value = match value {
                HeaderValue::One(v) => HeaderValue::One(redact(v)),
                HeaderValue::Many(vs) => HeaderValue::Many(vs.iter().map(|v| redact(v)).collect()),
            };
        }
    }

    fn redact_body(&self, body: &mut Body, content_type: Option<&str>, found: &mut Found) {
        let is_form = content_type.is_some_and(|ct| ct.contains("x-www-form-urlencoded"));
        match body {
            Body::Json(value) => {
                let mut path = Vec::new();
                self.redact_json(value, &mut path, found);
            }
            Body::Text(text) if is_form => *text = self.redact_form(text, found),
            _ => {}
        }
    }

    fn redact_form(&self, form: &str, found: &mut Found) -> String {
        parameters::map_pairs(form, |name, value| match self.rules.parameter(name) {
            Kind::Keep => None,
            kind => Some(self.replace_text(kind, value, found)),
        })
    }

    fn redact_json(&self, value: &mut Value, path: &mut Vec<String>, found: &mut Found) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    path.push(key.clone());
                    self.redact_json_member(child, path, found);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.redact_json_member(child, path, found);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn redact_json_member(&self, value: &mut Value, path: &mut Vec<String>, found: &mut Found) {
        match self.rules.json_field(path) {
            Kind::Keep => self.redact_json(value, path, found),
            kind => self.replace_json(kind, value, found),
        }
    }

    /// Replaces every scalar inside `value` (nulls and booleans stay).
    fn replace_json(&self, kind: Kind, value: &mut Value, found: &mut Found) {
        match value {
            Value::String(s) => *s = self.replace_text(kind, s, found),
            Value::Number(n) => {
                let replacement = match (&self.pseudonyms, kind) {
                    (_, Kind::Secret) | (None, _) => Value::String(REDACTED.to_string()),
                    (Some(p), _) => Value::Number(p.number(n)),
                };
                found.add(n.to_string(), replacement.to_string());
                *value = replacement;
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| self.replace_json(kind, v, found)),
            Value::Object(map) => map
                .values_mut()
                .for_each(|v| self.replace_json(kind, v, found)),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn replace_text(&self, kind: Kind, text: &str, found: &mut Found) -> String {
        let replacement = match (&self.pseudonyms, kind) {
            (_, Kind::Keep) => return text.to_string(),
            (Some(p), _) => p.text(kind, text),
            (None, _) => REDACTED.to_string(),
        };
        found.add(text.to_string(), replacement.clone());
        replacement
    }
}

/// The shortest removed value that is also replaced elsewhere in its exchange.
pub(crate) const MIN_SWEPT_LEN: usize = 6;

/// Values removed from one exchange, with what replaced them.
#[derive(Default)]
struct Found {
    replacements: Vec<(String, String)>,
}

impl Found {
    fn add(&mut self, original: String, replacement: String) {
        if original.chars().count() >= MIN_SWEPT_LEN && original != replacement {
            let encoded: String =
                url::form_urlencoded::byte_serialize(original.as_bytes()).collect();
            if encoded != original {
                let encoded_replacement =
                    url::form_urlencoded::byte_serialize(replacement.as_bytes()).collect();
                self.replacements.push((encoded, encoded_replacement));
            }
            self.replacements.push((original, replacement));
        }
    }

    /// Replaces every removed value wherever it still appears: URL, header values, JSON
    /// strings and text bodies. Longer values first, so a value containing another goes whole.
    fn sweep(mut self, exchange: &mut Exchange) {
        if self.replacements.is_empty() {
            return;
        }
        self.replacements
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        self.replacements.dedup_by(|a, b| a.0 == b.0);
        let replace = |text: &mut String| {
            for (original, replacement) in &self.replacements {
                if text.contains(original.as_str()) {
                    *text = text.replace(original.as_str(), replacement);
                }
            }
        };
        replace(&mut exchange.request.url);
        for headers in [
            &mut exchange.request.headers,
            &mut exchange.response.headers,
        ] {
            for value in headers.values_mut() {
                match value {
                    HeaderValue::One(v) => replace(v),
                    HeaderValue::Many(vs) => vs.iter_mut().for_each(&replace),
                }
            }
        }
        for body in [&mut exchange.request.body, &mut exchange.response.body] {
            match body {
                Body::Json(json) => sweep_json(json, &replace),
                Body::Text(text) => replace(text),
                Body::Empty | Body::Base64(_) => {}
            }
        }
    }
}

fn sweep_json(value: &mut Value, replace: &impl Fn(&mut String)) {
    match value {
        Value::String(s) => replace(s),
        Value::Array(items) => items.iter_mut().for_each(|v| sweep_json(v, replace)),
        Value::Object(map) => map.values_mut().for_each(|v| sweep_json(v, replace)),
        _ => {}
    }
}

fn content_type(headers: &Headers) -> Option<String> {
    headers
        .get("content-type")
        .map(|v| v.first().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::recording;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn redactor(toml: &str) -> Redactor {
        let config = Config::parse(Path::new("interlock.toml"), toml, Path::new(".")).unwrap();
        Redactor::from_config_with_key(&config.redact, &config.file, Some(KEY.to_string())).unwrap()
    }

    fn exchange(line: &str) -> Exchange {
        let (rec, errors) = recording::parse(Path::new("r.jsonl"), line);
        assert!(errors.is_empty(), "{errors:?}");
        rec.exchanges[0].1.clone()
    }

    #[test]
    fn credentials_and_personal_data_are_gone() {
        let mut e = exchange(
            r#"{"request":{"method":"POST","url":"/api/customers?access_token=tok123&page=2&email=anna%40berg.example","headers":{"authorization":"Bearer tok123","cookie":"sid=s3cr3t; theme=dark","content-type":"application/json"},"body":{"email":"anna@berg.example","password":"hunter2","contact":{"firstName":"Anna","phone":"+49 30 1234567"},"tax_id":"DE123"}},"response":{"status":201,"headers":{"set-cookie":"sid=s3cr3t; Path=/; HttpOnly"},"body":{"id":"C-1"}}}"#,
        );
        redactor("").redact_exchange(&mut e);
        let line = recording::to_line(&e);
        for secret in [
            "tok123", "s3cr3t", "hunter2", "anna", "Anna", "1234567", "berg",
        ] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
        assert_eq!(
            e.request.headers["authorization"].first(),
            "Bearer [redacted]"
        );
        assert_eq!(
            e.request.headers["cookie"].first(),
            "sid=[redacted]; theme=[redacted]"
        );
        assert_eq!(
            e.response.headers["set-cookie"].first(),
            "sid=[redacted]; Path=/; HttpOnly"
        );
        assert!(e.request.url.contains("page=2"), "{}", e.request.url);
        assert!(
            e.request.url.contains("access_token=%5Bredacted%5D"),
            "{}",
            e.request.url
        );
        let body = e.request.body.json().unwrap();
        assert_eq!(body["tax_id"], "DE123");
        assert_eq!(body["password"], "[redacted]");
        assert!(
            body["email"]
                .as_str()
                .unwrap()
                .ends_with("@example.invalid")
        );
    }

    #[test]
    fn form_bodies_are_redacted() {
        let mut e = exchange(
            r#"{"request":{"method":"POST","url":"/oauth/token","headers":{"content-type":"application/x-www-form-urlencoded"},"body_text":"grant_type=client_credentials&client_secret=abc%2Bdef&scope=erp"},"response":{"status":200,"body":{"access_token":"eyJhbGci","token_type":"Bearer"}}}"#,
        );
        redactor("").redact_exchange(&mut e);
        assert_eq!(
            e.request.body.text(),
            Some("grant_type=client_credentials&client_secret=%5Bredacted%5D&scope=erp")
        );
        assert_eq!(
            e.response.body.json().unwrap()["access_token"],
            "[redacted]"
        );
        assert_eq!(e.response.body.json().unwrap()["token_type"], "Bearer");
    }

    #[test]
    fn missing_key_fails_closed_unless_no_pseudonym_rule_applies() {
        let config = Config::parse(Path::new("i.toml"), "", Path::new(".")).unwrap();
        let Err(Error::Input(errors)) =
            Redactor::from_config_with_key(&config.redact, &config.file, None)
        else {
            panic!("expected an input error");
        };
        assert!(
            errors[0].message.contains(KEY_VARIABLE),
            "{}",
            errors[0].message
        );
        assert!(
            errors[0]
                .hint
                .as_deref()
                .unwrap_or("")
                .contains("openssl rand -hex 32")
        );
        assert!(
            Redactor::from_config_with_key(&config.redact, &config.file, Some("short".into()))
                .is_err()
        );
        let off = Config::parse(
            Path::new("i.toml"),
            "[redact]\ndefaults = false\n",
            Path::new("."),
        )
        .unwrap();
        let redactor = Redactor::from_config_with_key(&off.redact, &off.file, None).unwrap();
        let mut e = exchange(
            r#"{"request":{"method":"GET","url":"/x","headers":{"x-api-key":"k-999"}},"response":{"status":200,"body":{"email":"a@b.example"}}}"#,
        );
        redactor.redact_exchange(&mut e);
        assert_eq!(e.request.headers["x-api-key"].first(), "[redacted]");
        assert_eq!(e.response.body.json().unwrap()["email"], "a@b.example");
    }
}
