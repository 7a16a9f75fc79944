//! Values a reconciliation prints (keys and the two sides' values of a mismatch) pass through
//! the project's redaction rules first, by the pointer they were read at: a credential becomes
//! `[redacted]`, personal data its keyed pseudonym (or `[redacted]` when no pseudonym key is
//! set, since a report must never carry the raw value).

use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::redact::{
    KEY_VARIABLE, Kind, MIN_KEY_LEN, Pseudonymizer, REDACTED, RedactConfig, Rules,
};

/// Redacts printed values.
pub struct Printer {
    rules: Rules,
    pseudonyms: Option<Pseudonymizer>,
}

impl Printer {
    /// From the project's `[redact]` rules; pseudonyms when [`KEY_VARIABLE`] holds a key.
    pub fn new(config: &RedactConfig, file: &Path) -> Result<Printer, Error> {
        let rules = Rules::new(config, file).map_err(Error::Input)?;
        let pseudonyms = std::env::var(KEY_VARIABLE)
            .ok()
            .filter(|k| k.len() >= MIN_KEY_LEN)
            .map(|k| Pseudonymizer::new(k.as_bytes()));
        Ok(Printer { rules, pseudonyms })
    }

    /// `value`, read at `pointer` of a row, as a report may show it.
    pub fn value(&self, pointer: &str, value: &Value) -> Value {
        let path: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(crate::json::unescape_pointer_token)
            .collect();
        match self.rules.json_field(&path) {
            Kind::Keep => value.clone(),
            Kind::Secret => Value::String(REDACTED.to_owned()),
            kind => match (&self.pseudonyms, value) {
                (_, Value::Null) => Value::Null,
                (Some(p), Value::String(s)) => Value::String(p.text(kind, s)),
                (Some(p), Value::Number(n)) => Value::Number(p.number(n)),
                _ => Value::String(REDACTED.to_owned()),
            },
        }
    }
}
