//! Comparing in the pseudonym domain: what `interlock run` does with a live response before
//! it is checked, and before anything of it is written or printed.
//!
//! A recording holds pseudonyms where the live target answers with real data. With the key
//! (`INTERLOCK_REDACT_KEY`), the live response goes through the same redaction as a
//! recording, so an unchanged value meets its own pseudonym; a live value equal to the
//! recorded one (a target echoing the pseudonym it was sent) is kept as it is, never
//! pseudonymised twice. Without the key, the recorded places are compared by shape only
//! (presence and type; an email stays an email): the live value there is taken to be the
//! recorded one when its shape matches; other personal data found in the live response becomes
//! a typed placeholder. After the checks, every pseudonymised place of the live response and of
//! the findings shows as a typed placeholder (`[pseudonymised:email]`), with or without the key,
//! so snapshots do not depend on who ran them.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::rules::{RedactConfig, Rules};
use super::{KEY_VARIABLE, MIN_KEY_LEN, Redactor, placeholder};
use crate::error::Error;
use crate::json::unescape_pointer_token;
use crate::model::Finding;
use crate::recording::{Body, Exchange, HeaderValue, Headers, Pseudonymised, Response};

/// The project's redaction, for live responses.
#[derive(Debug, Clone)]
pub struct LivePrivacy {
    pub(super) redactor: Redactor,
    keyed: bool,
}

/// The places of one live response that show as placeholders, found by [`LivePrivacy::align`].
pub(crate) struct Aligned {
    places: Vec<Pseudonymised>,
    /// The live response's own headers, kept while its body (equal to the recording's) has not
    /// been searched for personal data: searched by [`Aligned::mask`], when something of the
    /// response is about to be shown.
    unsearched: Option<Headers>,
}

impl Default for LivePrivacy {
    /// The built-in rules without a key.
    fn default() -> Self {
        LivePrivacy::with_key(&RedactConfig::default(), Path::new("interlock.toml"), None)
            .unwrap_or_else(|_| unreachable!("the built-in rules are valid"))
    }
}

impl LivePrivacy {
    /// From the project's `[redact]` rules and, when set, [`KEY_VARIABLE`].
    pub(crate) fn from_config(config: &RedactConfig, file: &Path) -> Result<LivePrivacy, Error> {
        let key = std::env::var(KEY_VARIABLE)
            .ok()
            .filter(|k| k.len() >= MIN_KEY_LEN);
        Self::with_key(config, file, key)
    }

    pub(crate) fn with_key(
        config: &RedactConfig,
        file: &Path,
        key: Option<String>,
    ) -> Result<LivePrivacy, Error> {
        match key {
            Some(key) => Ok(LivePrivacy {
                redactor: Redactor::from_config_with_key(config, file, Some(key))?,
                keyed: true,
            }),
            None => Ok(LivePrivacy {
                redactor: Redactor {
                    rules: Rules::new(config, file).map_err(Error::Input)?,
                    pseudonyms: None,
                    placeholders: true,
                },
                keyed: false,
            }),
        }
    }

    /// Whether live values are pseudonymised with the key (else compared by shape only).
    pub fn keyed(&self) -> bool {
        self.keyed
    }

    /// A finding about what the target sent (a mocked peer's request) with every value the
    /// detectors recognise, in its message and its old and new values, pseudonymised (with the
    /// key) or a placeholder (without).
    pub(crate) fn redact_finding(&self, finding: &Finding) -> Finding {
        let mut finding = finding.clone();
        finding.message = self.redactor.redact_display(&finding.message);
        for value in [&mut finding.old, &mut finding.new].into_iter().flatten() {
            let mut exchange = Exchange {
                response: Response {
                    body: Body::from_json(value.clone()),
                    ..Response::default()
                },
                ..Exchange::default()
            };
            self.redactor.redact_exchange(&mut exchange);
            if let Body::Json(redacted) = exchange.response.body {
                *value = Arc::unwrap_or_clone(redacted);
            }
        }
        finding
    }

    /// Redacts a live response for comparison with `recorded` (see the module docs).
    ///
    /// A live body equal to the recorded one is compared as it is (redaction would give the
    /// recorded body back), and its personal data is searched for only when [`Aligned::mask`]
    /// is called; its headers are redacted on their own. With `headers_compared` (the contract
    /// declares response headers) the whole response is redacted at once, because values found
    /// in the body are also replaced where they recur in a header.
    pub(crate) fn align(
        &self,
        recorded: &Exchange,
        live: &mut Response,
        headers_compared: bool,
    ) -> Aligned {
        if !headers_compared && live.body == recorded.response.body {
            return self.align_headers(recorded, live);
        }
        let original = live.clone();
        let mut exchange = Exchange {
            response: std::mem::take(live),
            ..Exchange::default()
        };
        self.redactor.redact_exchange(&mut exchange);
        let mut redacted = exchange.response;
        // Equal to the recording: kept as recorded (an echoed pseudonym stays itself).
        if let (Body::Json(new), Body::Json(old), Body::Json(rec)) =
            (&mut redacted.body, &original.body, &recorded.response.body)
        {
            keep_equal(Arc::make_mut(new), old, rec);
        }
        if original.body == recorded.response.body {
            redacted.body = recorded.response.body.clone();
        }
        keep_recorded_headers(&original.headers, &recorded.response, &mut redacted);
        let recorded_places = response_places(&recorded.pseudonymised);
        if !self.keyed {
            for place in &recorded_places {
                take_recorded_shape(place, &recorded.response, &original, &mut redacted);
            }
        }
        *live = redacted;
        let mut aligned = Aligned {
            places: recorded_places,
            unsearched: None,
        };
        aligned.add(&exchange.pseudonymised);
        aligned
    }

    /// [`LivePrivacy::align`] of a response whose body equals the recorded one: only the
    /// headers are redacted now; the body is left to [`Aligned::mask`].
    fn align_headers(&self, recorded: &Exchange, live: &mut Response) -> Aligned {
        let original = live.headers.clone();
        let mut exchange = Exchange {
            response: Response {
                status: live.status,
                headers: std::mem::take(&mut live.headers),
                body: Body::Empty,
            },
            ..Exchange::default()
        };
        self.redactor.redact_exchange(&mut exchange);
        live.headers = exchange.response.headers;
        keep_recorded_headers(&original, &recorded.response, live);
        let mut aligned = Aligned {
            places: response_places(&recorded.pseudonymised),
            unsearched: Some(original),
        };
        aligned.add(&exchange.pseudonymised);
        aligned
    }
}

impl Aligned {
    /// Every pseudonymised place as a typed placeholder: in the live response, and in the
    /// old and new values of the findings at those places.
    ///
    /// A body left unsearched by [`LivePrivacy::align`] is searched first, with the response's
    /// own headers, exactly as `align` would have.
    pub(crate) fn mask(
        &mut self,
        privacy: &LivePrivacy,
        live: &mut Response,
        findings: &mut [Finding],
    ) {
        if let Some(headers) = self.unsearched.take() {
            let mut exchange = Exchange {
                response: Response {
                    status: live.status,
                    headers,
                    body: live.body.clone(),
                },
                ..Exchange::default()
            };
            privacy.redactor.redact_exchange(&mut exchange);
            self.add(&exchange.pseudonymised);
        }
        mask_response(&self.places, live);
        for finding in findings {
            let Some(place) = self.places.iter().find(|p| finding_at(finding, p)) else {
                continue;
            };
            let shown = Value::String(placeholder(&place.kind));
            for value in [&mut finding.old, &mut finding.new].into_iter().flatten() {
                if let Value::String(text) = value
                    && !text.is_empty()
                {
                    finding.message = finding
                        .message
                        .replace(text.as_str(), &placeholder(&place.kind));
                }
                *value = shown.clone();
            }
        }
    }

    /// The response places among an exchange's pseudonymised places, shown from now on.
    fn add(&mut self, exchange_places: &[Pseudonymised]) {
        self.places.extend(response_places(exchange_places));
        self.places.sort();
        self.places.dedup_by(|a, b| a.at == b.at);
    }

    /// A recorded body with its pseudonymised places as placeholders (after
    /// [`Aligned::mask`]).
    pub(crate) fn masked_body(&self, body: &Body) -> Option<Value> {
        let mut response = Response {
            body: body.clone(),
            ..Response::default()
        };
        mask_response(&self.places, &mut response);
        response.body.json().cloned()
    }
}

/// The response's places, with `at` relative to the response (`/body/…`, `/headers/…`).
fn response_places(places: &[Pseudonymised]) -> Vec<Pseudonymised> {
    places
        .iter()
        .filter_map(|p| {
            p.at.strip_prefix("/response").map(|rest| Pseudonymised {
                at: rest.to_string(),
                kind: p.kind.clone(),
            })
        })
        .collect()
}

fn finding_at(finding: &Finding, place: &Pseudonymised) -> bool {
    match (
        finding.path.strip_prefix("header:"),
        place.at.strip_prefix("/headers/"),
    ) {
        (Some(header), Some(name)) => header.eq_ignore_ascii_case(name),
        (None, None) => place
            .at
            .strip_prefix("/body")
            .is_some_and(|pointer| !pointer.is_empty() && pointer == finding.path),
        _ => false,
    }
}

fn mask_response(places: &[Pseudonymised], response: &mut Response) {
    for place in places {
        let shown = placeholder(&place.kind);
        if let Some(name) = place.at.strip_prefix("/headers/") {
            if let Some(value) = response.headers.get_mut(&unescape_pointer_token(name)) {
                *value = HeaderValue::One(shown);
            }
        } else if let Some(pointer) = place.at.strip_prefix("/body") {
            match &mut response.body {
                Body::Json(json) if !pointer.is_empty() => {
                    if let Some(value) = Arc::make_mut(json).pointer_mut(pointer)
                        && !value.is_null()
                    {
                        *value = Value::String(shown);
                    }
                }
                Body::Text(text) if pointer.is_empty() => *text = shown,
                _ => {}
            }
        }
    }
}

/// A live header equal to the recorded one is kept as recorded (an echoed pseudonym stays
/// itself).
fn keep_recorded_headers(original: &Headers, recorded: &Response, live: &mut Response) {
    for (name, value) in original {
        if recorded.headers.get(name) == Some(value) {
            live.headers.insert(name.clone(), value.clone());
        }
    }
}

/// Where the live value equals the recorded one, the redacted value goes back to it.
fn keep_equal(redacted: &mut Value, original: &Value, recorded: &Value) {
    if original == recorded {
        *redacted = recorded.clone();
        return;
    }
    match (redacted, original, recorded) {
        (Value::Object(new), Value::Object(old), Value::Object(rec)) => {
            for (key, value) in new.iter_mut() {
                if let (Some(o), Some(r)) = (old.get(key), rec.get(key)) {
                    keep_equal(value, o, r);
                }
            }
        }
        (Value::Array(new), Value::Array(old), Value::Array(rec)) => {
            for ((value, o), r) in new.iter_mut().zip(old).zip(rec) {
                keep_equal(value, o, r);
            }
        }
        _ => {}
    }
}

/// Without the key: the live value at a recorded place becomes the recorded one when it has
/// the same shape (present, same JSON type, an email where an email was); whether it did.
fn take_recorded_shape(
    place: &Pseudonymised,
    recorded: &Response,
    original: &Response,
    live: &mut Response,
) -> bool {
    let Some(pointer) = place.at.strip_prefix("/body").filter(|p| !p.is_empty()) else {
        return false;
    };
    let (Some(old), Body::Json(json)) = (
        recorded.body.json().and_then(|b| b.pointer(pointer)),
        &mut live.body,
    ) else {
        return false;
    };
    // The shape is the live value's own, before redaction (a number under `phone` becomes a
    // placeholder string).
    let (Some(new), Some(before)) = (
        Arc::make_mut(json).pointer_mut(pointer),
        original.body.json().and_then(|b| b.pointer(pointer)),
    ) else {
        return false;
    };
    let same_shape = match (old, before) {
        (Value::String(a), Value::String(b)) => {
            place.kind != "email"
                || (a.contains('@') == (b.contains('@') || b.starts_with("[pseudonymised:")))
        }
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    };
    if same_shape {
        *new = old.clone();
    } else {
        // A different type stays visible as that type, without its value.
        match before {
            Value::Number(_) => *new = Value::from(0),
            Value::Bool(_) | Value::Null => *new = before.clone(),
            _ => {}
        }
    }
    same_shape
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn exchange(line: &str) -> Exchange {
        let (rec, errors) = recording::parse(Path::new("r.jsonl"), line);
        assert!(errors.is_empty(), "{errors:?}");
        rec.exchanges[0].1.clone()
    }

    fn recorded() -> Exchange {
        let mut e = exchange(
            r#"{"request":{"method":"GET","url":"/c/1"},"response":{"status":200,"body":{"id":"C-1","email":"anna@kunde.example","echo":"x","phone":"+86 138 1234 5678"}}}"#,
        );
        Redactor::from_config_with_key(
            &RedactConfig::default(),
            Path::new("i.toml"),
            Some(KEY.into()),
        )
        .unwrap()
        .redact_exchange(&mut e);
        e
    }

    #[test]
    fn with_the_key_an_unchanged_value_meets_its_pseudonym_and_an_echo_stays() {
        let recorded = recorded();
        let privacy = LivePrivacy::with_key(
            &RedactConfig::default(),
            Path::new("i.toml"),
            Some(KEY.into()),
        )
        .unwrap();
        let mut live = exchange(
            r#"{"request":{"method":"GET","url":"/c/1"},"response":{"status":200,"body":{"id":"C-1","email":"anna@kunde.example","echo":"x","phone":"+86 138 1234 5678"}}}"#,
        )
        .response;
        let mut aligned = privacy.align(&recorded, &mut live, false);
        assert_eq!(live.body, recorded.response.body);
        // The target echoes the recorded pseudonym: kept, not pseudonymised again.
        let mut echoed = recorded.response.clone();
        privacy.align(&recorded, &mut echoed, false);
        assert_eq!(echoed.body, recorded.response.body);
        let mut findings = Vec::new();
        aligned.mask(&privacy, &mut live, &mut findings);
        assert_eq!(live.body.json().unwrap()["email"], "[pseudonymised:email]");
        assert_eq!(live.body.json().unwrap()["id"], "C-1");
    }

    #[test]
    fn without_the_key_recorded_places_are_compared_by_shape() {
        let recorded = recorded();
        let privacy =
            LivePrivacy::with_key(&RedactConfig::default(), Path::new("i.toml"), None).unwrap();
        assert!(!privacy.keyed());
        let mut live = exchange(
            r#"{"request":{"method":"GET","url":"/c/1"},"response":{"status":200,"body":{"id":"C-1","email":"other@kunde.example","echo":"x","phone":5}}}"#,
        )
        .response;
        privacy.align(&recorded, &mut live, false);
        let body = live.body.json().unwrap();
        assert_eq!(
            body["email"],
            recorded.response.body.json().unwrap()["email"]
        );
        assert!(
            body["phone"].is_number(),
            "a type change is still seen: {body}"
        );
        assert!(
            !live
                .body
                .json()
                .unwrap()
                .to_string()
                .contains("other@kunde")
        );
    }

    /// A live response equal to a recording made without the recorder (clear personal data):
    /// compared as it is, and masked exactly as a full redaction would mask it.
    #[test]
    fn a_live_body_equal_to_the_recording_is_searched_only_when_masked_and_masked_the_same() {
        let line = r#"{"request":{"method":"GET","url":"/c/1"},"response":{"status":200,"headers":{"content-type":"application/json","x-owner":"anna@kunde.example","set-cookie":"session=abcdef123456"},"body":{"id":"C-1","email":"anna@kunde.example","note":"call anna@kunde.example","phone":"+86 138 1234 5678"}}}"#;
        let recorded = exchange(line);
        for keyed in [false, true] {
            let privacy = LivePrivacy::with_key(
                &RedactConfig::default(),
                Path::new("i.toml"),
                keyed.then(|| KEY.to_string()),
            )
            .unwrap();
            let mut masked = Vec::new();
            for headers_compared in [false, true] {
                let mut live = recorded.response.clone();
                let mut aligned = privacy.align(&recorded, &mut live, headers_compared);
                if !headers_compared {
                    // Compared as recorded: the body is untouched until something is shown.
                    assert_eq!(live.body, recorded.response.body);
                    assert!(aligned.unsearched.is_some());
                }
                let mut findings = vec![
                    Finding::new(
                        crate::model::FindingKind::ValueChanged,
                        crate::model::Location::Response,
                        "/email",
                        "value anna@kunde.example changed",
                    )
                    .with_values(
                        Some(Value::String("anna@kunde.example".into())),
                        Some(Value::String("anna@kunde.example".into())),
                    ),
                ];
                aligned.mask(&privacy, &mut live, &mut findings);
                let shown = serde_json::to_string(&live).unwrap()
                    + &serde_json::to_string(&findings).unwrap();
                assert!(!shown.contains("anna@kunde"), "{shown}");
                assert!(!shown.contains("138 1234"), "{shown}");
                assert!(!shown.contains("abcdef123456"), "{shown}");
                assert_eq!(
                    findings[0].new,
                    Some(Value::String("[pseudonymised:email]".into()))
                );
                masked.push((live, findings));
            }
            assert_eq!(masked[0], masked[1], "keyed: {keyed}");
        }
    }
}
