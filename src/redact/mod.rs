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

mod audit;
mod command;
pub(crate) mod detect;
mod live;
mod parameters;
pub(crate) mod pseudonym;
pub(crate) mod rules;
pub(crate) mod secrets;
mod sniff;
mod valid;

use serde_json::Value;

pub(crate) use audit::Audit;
pub(crate) use command::redact_file;
pub(crate) use live::Aligned;
pub use live::LivePrivacy;
pub(crate) use pseudonym::{Kind, Pseudonymizer, REDACTED};
pub(crate) use rules::{RedactConfig, Rules};

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, InputError};
use crate::json::escape_pointer_token;
use crate::recording::{Body, Exchange, HeaderValue, Headers, Pseudonymised, Request};

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
    /// Without a key, personal data becomes a typed placeholder (`[pseudonymised:email]`)
    /// instead of `[redacted]`: what a run shows of live values it cannot pseudonymise.
    placeholders: bool,
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
                placeholders: false,
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
            placeholders: false,
        })
    }

    /// Redacts one exchange in place: headers, the URL, and the bodies whatever their content
    /// type (JSON, JSON sent as text, form and multipart fields, free text; encoded bodies are
    /// decoded first), by field name and by value ([`detect`]).
    ///
    /// Then every value removed anywhere in the exchange (a token, a cookie value, an email) is
    /// also replaced wherever else it appears in the exchange, e.g. echoed back inside a response
    /// body or a free-text field (values of at least [`MIN_SWEPT_LEN`] characters). Every place
    /// replaced is listed in the exchange's `pseudonymised`.
    pub(crate) fn redact_exchange(&self, exchange: &mut Exchange) {
        sniff::decode_body(&mut exchange.request.headers, &mut exchange.request.body);
        sniff::decode_body(&mut exchange.response.headers, &mut exchange.response.body);
        let mut found = Found::default();
        self.redact_headers(&mut exchange.request.headers, "/request", &mut found);
        self.redact_headers(&mut exchange.response.headers, "/response", &mut found);
        exchange.request.url = self.redact_url(&exchange.request.url, &mut found);
        let request_type = content_type(&exchange.request.headers);
        let response_type = content_type(&exchange.response.headers);
        self.redact_body(
            &mut exchange.request.body,
            request_type.as_deref(),
            ("/request/body", "/request/form"),
            &mut found,
        );
        self.redact_body(
            &mut exchange.response.body,
            response_type.as_deref(),
            ("/response/body", "/response/form"),
            &mut found,
        );
        found.sweep(exchange);
    }

    /// The built-in credential and personal-data rules without a key: credentials become
    /// `[redacted]`, personal data a typed placeholder (`[pseudonymised:email]`). What a mocked
    /// peer shows of the requests it was sent, in its journal and its log.
    pub(crate) fn shown() -> &'static Redactor {
        static SHOWN: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(|| Redactor {
            rules: Rules::new(&RedactConfig::default(), Path::new("interlock.toml"))
                .unwrap_or_else(|_| unreachable!("the built-in rules are valid")),
            pseudonyms: None,
            placeholders: true,
        });
        &SHOWN
    }

    /// A request redacted like the request of an exchange.
    pub(crate) fn redact_request(&self, request: Request) -> Request {
        let mut exchange = Exchange {
            request,
            ..Exchange::default()
        };
        self.redact_exchange(&mut exchange);
        exchange.request
    }

    /// The text with every value a detector recognises replaced, for a line printed on a
    /// console (a path, a message).
    pub(crate) fn redact_display(&self, text: &str) -> String {
        self.free_text(text, &mut Found::default())
            .map_or_else(|| text.to_string(), |(t, _)| t)
    }

    /// A path-and-query with credential and personal-data parameters replaced.
    fn redact_url(&self, url: &str, found: &mut Found) -> String {
        let (path, query) = match url.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (url, None),
        };
        let path = match self.free_text(path, found) {
            Some((replaced, kind)) => {
                found.place("/request/path".to_string(), kind);
                replaced
            }
            None => path.to_string(),
        };
        match query {
            Some(query) => format!(
                "{path}?{}",
                self.redact_form(query, "/request/query", found)
            ),
            None => path,
        }
    }

    fn redact_headers(&self, headers: &mut Headers, side: &str, found: &mut Found) {
        for (name, value) in headers.iter_mut() {
            let at = || format!("{side}/headers/{}", escape_pointer_token(name));
            // A descriptive header is a credential only when the configuration says so: no
            // built-in name or part is descriptive.
            let descriptive = DESCRIPTIVE_HEADERS.contains(&name.as_str());
            if descriptive && !self.rules.lists_header(name) {
                continue;
            }
            if !self.rules.is_secret_header(name) {
                let mut kind = None;
                let mut scan = |v: &mut String| {
                    if let Some((replaced, k)) = self.free_text(v, found) {
                        *v = replaced;
                        kind = Some(k);
                    }
                };
                match value {
                    HeaderValue::One(v) => scan(v),
                    HeaderValue::Many(vs) => vs.iter_mut().for_each(scan),
                }
                if let Some(kind) = kind {
                    found.place(at(), kind);
                }
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
            found.place(at(), Kind::Secret.name());
        }
    }

    /// Redacts a body; `at` is the place of the body itself and of its form fields.
    fn redact_body(
        &self,
        body: &mut Body,
        content_type: Option<&str>,
        (at, form_at): (&str, &str),
        found: &mut Found,
    ) {
        match body {
            Body::Json(value) => {
                self.redact_json(Arc::make_mut(value), &mut Vec::new(), at, found);
            }
            Body::Text(text) => match sniff::text(content_type, text) {
                sniff::Text::Json(mut value) => {
                    let before = value.clone();
                    self.redact_json(&mut value, &mut Vec::new(), at, found);
                    if value != before {
                        *text = value.to_string();
                    }
                }
                sniff::Text::Form => *text = self.redact_form(text, form_at, found),
                sniff::Text::Multipart(boundary) => {
                    if let Some(redacted) = self.redact_multipart(text, &boundary, form_at, found) {
                        *text = redacted;
                    }
                }
                sniff::Text::Free => {
                    if let Some((replaced, kind)) = self.free_text(text, found) {
                        *text = replaced;
                        found.place(at.to_string(), kind);
                    }
                }
            },
            Body::Empty | Body::Base64(_) => {}
        }
    }

    /// Each part of a multipart body: a field named like a credential or personal data is
    /// replaced whole, any other part's content is sniffed like a body of its own.
    fn redact_multipart(
        &self,
        text: &str,
        boundary: &str,
        form_at: &str,
        found: &mut Found,
    ) -> Option<String> {
        let (preamble, mut parts, epilogue) = sniff::multipart(text, boundary)?;
        for part in &mut parts {
            let at = format!("{form_at}/{}", escape_pointer_token(&part.name));
            match self.rules.parameter(&part.name) {
                Kind::Keep => {
                    let part_type = part.head.lines().find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.trim()
                            .eq_ignore_ascii_case("content-type")
                            .then(|| value.trim().to_string())
                    });
                    let mut body = Body::Text(part.content.clone());
                    let nested = format!("{at}/form");
                    self.redact_body(&mut body, part_type.as_deref(), (&at, &nested), found);
                    if let Body::Text(content) = body {
                        part.content = content;
                    }
                }
                kind => {
                    part.content = self.replace_text(kind, &part.content, found);
                    found.place(at, kind.name());
                }
            }
        }
        Some(sniff::join_multipart(
            boundary, &preamble, &parts, &epilogue,
        ))
    }

    fn redact_form(&self, form: &str, at: &str, found: &mut Found) -> String {
        let mut places = Vec::new();
        let redacted = parameters::map_pairs(form, |name, value| {
            let place = format!("{at}/{}", escape_pointer_token(name));
            match self.rules.parameter(name) {
                Kind::Keep => {
                    let (replaced, kind) = self.free_text(value, found)?;
                    places.push((place, kind));
                    Some(replaced)
                }
                kind => {
                    places.push((place, kind.name()));
                    Some(self.replace_text(kind, value, found))
                }
            }
        });
        for (place, kind) in places {
            found.place(place, kind);
        }
        redacted
    }

    fn redact_json(&self, value: &mut Value, path: &mut Vec<String>, at: &str, found: &mut Found) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    path.push(key.clone());
                    self.redact_json_member(child, path, at, found);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.redact_json_member(child, path, at, found);
                    path.pop();
                }
            }
            Value::String(text) => {
                if let Some(mut inner) = sniff::json_container(text) {
                    // JSON inside a string: redacted by the same rules, from the same place.
                    let before = inner.clone();
                    self.redact_json(&mut inner, path, at, found);
                    if inner != before {
                        *text = inner.to_string();
                    }
                } else if let Some((replaced, kind)) = self.free_text(text, found) {
                    *text = replaced;
                    found.place(pointer_at(at, path), kind);
                }
            }
            Value::Number(_) | Value::Bool(_) | Value::Null => {}
        }
    }

    fn redact_json_member(
        &self,
        value: &mut Value,
        path: &mut Vec<String>,
        at: &str,
        found: &mut Found,
    ) {
        match self.rules.json_field(path) {
            Kind::Keep => self.redact_json(value, path, at, found),
            // A person object (`"contact_person": {"name": …, "phone": …}`): its members go by
            // their own names.
            Kind::Name if value.is_object() => self.redact_json(value, path, at, found),
            kind => self.replace_json(kind, value, path, at, found),
        }
    }

    /// Replaces every scalar inside `value` (nulls and booleans stay).
    fn replace_json(
        &self,
        kind: Kind,
        value: &mut Value,
        path: &mut Vec<String>,
        at: &str,
        found: &mut Found,
    ) {
        match value {
            Value::String(s) => {
                *s = self.replace_text(kind, s, found);
                found.place(pointer_at(at, path), kind.name());
            }
            Value::Number(n) => {
                let replacement = match (&self.pseudonyms, kind) {
                    (_, Kind::Secret) => Value::String(REDACTED.to_string()),
                    (None, _) if self.placeholders => Value::String(placeholder(kind.name())),
                    (None, _) => Value::String(REDACTED.to_string()),
                    (Some(p), _) => Value::Number(p.number(n)),
                };
                found.add(n.to_string(), replacement.to_string());
                found.place(pointer_at(at, path), kind.name());
                *value = replacement;
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.replace_json(kind, v, path, at, found);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    path.push(key.clone());
                    self.replace_json(kind, v, path, at, found);
                    path.pop();
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn replace_text(&self, kind: Kind, text: &str, found: &mut Found) -> String {
        let replacement = match (&self.pseudonyms, kind) {
            (_, Kind::Keep) => return text.to_string(),
            (Some(p), _) => p.text(kind, text),
            (None, Kind::Secret) => REDACTED.to_string(),
            (None, _) if self.placeholders => placeholder(kind.name()),
            (None, _) => REDACTED.to_string(),
        };
        found.add(text.to_string(), replacement.clone());
        replacement
    }

    /// Free text with every detected value replaced, and the kind of the place: the
    /// detector's kind when the value is the whole text, `text` when it sits inside it.
    /// `None` when nothing was found.
    fn free_text(&self, text: &str, found: &mut Found) -> Option<(String, &'static str)> {
        if text.is_empty() {
            return None;
        }
        let mut hits: Vec<(std::ops::Range<usize>, Kind, bool)> = self
            .rules
            .detectors
            .find(text)
            .into_iter()
            .map(|d| (d.range, d.detector.kind(), false))
            .collect();
        hits.extend(
            parameters::secret_pairs_in_text(text, |name| {
                self.rules.parameter(name) == Kind::Secret
            })
            .into_iter()
            .map(|range| (range, Kind::Secret, true)),
        );
        if hits.is_empty() {
            return None;
        }
        hits.sort_by_key(|(r, _, _)| (r.start, std::cmp::Reverse(r.end)));
        let mut out = String::new();
        let mut end = 0;
        let mut kinds = Vec::new();
        for (range, kind, in_url) in hits {
            if range.start < end {
                continue;
            }
            out.push_str(&text[end..range.start]);
            let original = &text[range.clone()];
            let replacement = if in_url {
                let encoded: String =
                    url::form_urlencoded::byte_serialize(REDACTED.as_bytes()).collect();
                found.add(original.to_string(), encoded.clone());
                encoded
            } else {
                self.replace_text(kind, original, found)
            };
            out.push_str(&replacement);
            kinds.push((range.clone(), kind));
            end = range.end;
        }
        out.push_str(&text[end..]);
        let whole = kinds.len() == 1 && kinds[0].0.start == 0 && kinds[0].0.end == text.len();
        Some((out, if whole { kinds[0].1.name() } else { "text" }))
    }
}

/// The typed placeholder snapshots and reports show for a pseudonymised place.
pub(crate) fn placeholder(kind: &str) -> String {
    format!("[pseudonymised:{kind}]")
}

/// Headers that describe the message, never scanned for personal data.
const DESCRIPTIVE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "content-encoding",
    "date",
    "last-modified",
    "expires",
    "etag",
    "cache-control",
    "vary",
    "accept",
    "accept-encoding",
    "accept-language",
    "user-agent",
];

/// `/response/body` + `["customer", "email"]` → `/response/body/customer/email`.
fn pointer_at(at: &str, path: &[String]) -> String {
    let mut pointer = at.to_string();
    for segment in path {
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(segment));
    }
    pointer
}

/// The shortest removed value (in UTF-8 bytes) that is also replaced elsewhere in its
/// exchange.
pub(crate) const MIN_SWEPT_LEN: usize = 6;

/// Values removed from one exchange, with what replaced them, and the places replaced.
#[derive(Default)]
struct Found {
    replacements: Vec<(String, String)>,
    places: Vec<Pseudonymised>,
}

impl Found {
    fn add(&mut self, original: String, replacement: String) {
        // Bytes, not characters: a Chinese name of two or three characters is swept too.
        if original.len() >= MIN_SWEPT_LEN && original != replacement {
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

    fn place(&mut self, at: String, kind: &str) {
        self.places.push(Pseudonymised {
            at,
            kind: kind.to_string(),
        });
    }

    /// Replaces every removed value wherever it still appears: URL, header values, JSON
    /// strings and text bodies (longer values first, so a value containing another goes
    /// whole); then lists every place in the exchange's `pseudonymised`.
    fn sweep(mut self, exchange: &mut Exchange) {
        self.replacements
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        self.replacements.dedup_by(|a, b| a.0 == b.0);
        let replacements = std::mem::take(&mut self.replacements);
        let replace = |text: &mut String| -> bool {
            let mut changed = false;
            for (original, replacement) in &replacements {
                if text.contains(original.as_str()) {
                    *text = text.replace(original.as_str(), replacement);
                    changed = true;
                }
            }
            changed
        };
        if !replacements.is_empty() {
            if replace(&mut exchange.request.url) {
                self.place("/request/url".to_string(), "text");
            }
            for (side, headers) in [
                ("/request", &mut exchange.request.headers),
                ("/response", &mut exchange.response.headers),
            ] {
                for (name, value) in headers.iter_mut() {
                    let changed = match value {
                        HeaderValue::One(v) => replace(v),
                        HeaderValue::Many(vs) => {
                            // Every value is swept, not only up to the first change.
                            let mut changed = false;
                            for v in vs.iter_mut() {
                                changed |= replace(v);
                            }
                            changed
                        }
                    };
                    if changed {
                        self.place(
                            format!("{side}/headers/{}", escape_pointer_token(name)),
                            "text",
                        );
                    }
                }
            }
            for (side, body) in [
                ("/request/body", &mut exchange.request.body),
                ("/response/body", &mut exchange.response.body),
            ] {
                match body {
                    Body::Json(json) => sweep_json(
                        Arc::make_mut(json),
                        &mut side.to_string(),
                        &replace,
                        &mut self.places,
                    ),
                    Body::Text(text) => {
                        if replace(text) {
                            self.place(side.to_string(), "text");
                        }
                    }
                    Body::Empty | Body::Base64(_) => {}
                }
            }
        }
        // A place keeps the most specific kind it was given (`email` over `text`).
        let mut places = std::mem::take(&mut exchange.pseudonymised);
        places.append(&mut self.places);
        places.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| (a.kind == "text").cmp(&(b.kind == "text")))
        });
        places.dedup_by(|later, first| later.at == first.at);
        exchange.pseudonymised = places;
    }
}

fn sweep_json(
    value: &mut Value,
    at: &mut String,
    replace: &impl Fn(&mut String) -> bool,
    places: &mut Vec<Pseudonymised>,
) {
    match value {
        Value::String(s) => {
            let changed = replace(s);
            if changed {
                places.push(Pseudonymised {
                    at: at.clone(),
                    kind: "text".to_string(),
                });
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                sweep_json(v, at, replace, places);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_pointer_token(key));
                sweep_json(v, at, replace, places);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn content_type(headers: &Headers) -> Option<String> {
    headers.get("content-type").map(|v| v.first().to_string())
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
    fn a_descriptive_header_is_a_credential_only_when_the_configuration_lists_it() {
        for name in DESCRIPTIVE_HEADERS {
            assert!(
                !rules::SECRET_HEADERS.contains(name)
                    && !rules::SECRET_HEADER_PARTS.iter().any(|p| name.contains(p)),
                "{name}"
            );
        }
        let line = r#"{"request":{"method":"GET","url":"/c","headers":{"user-agent":"erp-sync/1.2 build 7"}},"response":{"status":200}}"#;
        let mut kept = exchange(line);
        redactor("").redact_exchange(&mut kept);
        assert_eq!(
            kept.request.headers["user-agent"].first(),
            "erp-sync/1.2 build 7"
        );
        let mut listed = exchange(line);
        redactor("[redact]\nheaders = [\"User-Agent\"]\n").redact_exchange(&mut listed);
        assert_eq!(listed.request.headers["user-agent"].first(), REDACTED);
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
