//! Finding personal data a recording still holds in clear: what `interlock check` warns about.
//!
//! The recording's exchanges go through the project's redaction (without a key: personal data
//! becomes a placeholder); a place whose value changes and that the exchange does not list in
//! `pseudonymised` holds a value that looks like personal data or a credential and was not
//! redacted.

use std::path::Path;

use super::LivePrivacy;
use super::rules::RedactConfig;
use crate::error::Error;
use crate::json::unescape_pointer_token;
use crate::recording::{self, Body, Exchange};

/// Finds places redaction would still change.
pub(crate) struct Audit {
    privacy: LivePrivacy,
}

impl Audit {
    pub(crate) fn new(config: &RedactConfig, file: &Path) -> Result<Audit, Error> {
        Ok(Audit {
            privacy: LivePrivacy::with_key(config, file, None)?,
        })
    }

    /// The places of `exchange` holding personal data or credentials in clear, e.g.
    /// `/response/body/contacts/0/email`.
    pub(crate) fn unredacted(&self, exchange: &Exchange) -> Vec<String> {
        let mut redacted = exchange.clone();
        redacted.pseudonymised.clear();
        self.privacy.redactor.redact_exchange(&mut redacted);
        redacted
            .pseudonymised
            .iter()
            .filter(|place| !exchange.pseudonymised.iter().any(|p| p.at == place.at))
            .filter(|place| value_at(exchange, &place.at) != value_at(&redacted, &place.at))
            .map(|place| place.at.clone())
            .collect()
    }
}

/// The value at a place, as text, for comparing before and after redaction.
fn value_at(exchange: &Exchange, at: &str) -> Option<String> {
    let (side, rest) = match at.strip_prefix("/request") {
        Some(rest) => (true, rest),
        None => (false, at.strip_prefix("/response")?),
    };
    let (headers, body) = if side {
        (&exchange.request.headers, &exchange.request.body)
    } else {
        (&exchange.response.headers, &exchange.response.body)
    };
    if let Some(name) = rest.strip_prefix("/headers/") {
        return headers
            .get(&unescape_pointer_token(name))
            .map(|v| v.values().collect::<Vec<_>>().join("\n"));
    }
    if let Some(pointer) = rest.strip_prefix("/body") {
        return match body {
            Body::Json(json) => json.pointer(pointer).map(ToString::to_string),
            Body::Text(text) => Some(text.clone()),
            Body::Empty | Body::Base64(_) => None,
        };
    }
    // Query, form and path places: the URL or the body as a whole.
    if rest.starts_with("/query") || rest.starts_with("/path") || rest.starts_with("/url") {
        return Some(exchange.request.url.clone());
    }
    Some(recording::to_line(exchange))
}
