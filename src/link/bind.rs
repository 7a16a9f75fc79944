//! Bindings during a replay: each generated value bound to the value the target produced live,
//! and messages translated between the recorded and the live values.
//!
//! A [`Chain`] is shared by the run loop (which binds from target responses and `capture:`
//! entries) and the scenario's mocked peers (which bind from the requests the target sends
//! them, before any response reveals the value). A value binds only to a live value of the
//! same [shape](super::value::shape) at the same place, so a value whose format changed stays
//! a finding. Translation replaces whole tokens only: `C-10023` in `/customers/C-10023` or in
//! `"C-10023"`, never inside `C-100234`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use super::chain::{Link, Message, Occurrence, Step, generated};
use super::site::Site;
use super::value::{linkable, shape};
use crate::model::Binding;
use crate::recording::{Body, HeaderValue, Headers, Request, Response};

/// The generated values of one scenario and, as the replay goes, what they are bound to.
#[derive(Debug, Default)]
pub struct Chain {
    links: Vec<Link>,
    /// Per recorded peer request (peer, index): its method and path segment count, so a value
    /// binds only from a live request to the same operation.
    peer_requests: BTreeMap<(String, usize), (String, usize)>,
    bound: Mutex<Bound>,
}

#[derive(Debug, Default)]
struct Bound {
    bindings: Vec<Binding>,
    /// Capture name → live value.
    captured: BTreeMap<String, Value>,
}

impl Chain {
    /// The chain of a scenario's steps (see [`super::chain::steps`]).
    pub fn new(steps: &[Step<'_>]) -> Chain {
        let mut peer_requests = BTreeMap::new();
        for call in steps.iter().flat_map(|s| &s.peer_calls) {
            let request = &call.exchange.request;
            peer_requests.insert(
                (call.peer.to_string(), call.index),
                (
                    request.method.to_ascii_uppercase(),
                    segments(request.path()),
                ),
            );
        }
        Chain {
            links: generated(steps),
            peer_requests,
            bound: Mutex::default(),
        }
    }

    /// The generated values found in the recordings.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    fn bound(&self) -> std::sync::MutexGuard<'_, Bound> {
        self.bound.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bindings made so far, in the order they were made.
    pub fn bindings(&self) -> Vec<Binding> {
        self.bound().bindings.clone()
    }

    /// Whether nothing is bound yet and nothing can be (a quick test for the peers' hot path).
    pub fn is_idle(&self) -> bool {
        self.links.is_empty() && self.bound().bindings.is_empty()
    }

    /// Binds every unbound value the target revealed in its response to step `step`.
    pub fn bind_response(&self, step: usize, response: &Response) {
        let mut bound = self.bound();
        for link in &self.links {
            if bound.bindings.iter().any(|b| b.recorded == link.recorded) {
                continue;
            }
            let found = link.sightings.iter().find_map(|at| {
                (at.step == step && at.message == Message::TargetResponse)
                    .then(|| Some((at, at.site.in_response(response)?)))
                    .flatten()
            });
            if let Some((at, live)) = found {
                bind(&mut bound, link, at, &live);
            }
        }
    }

    /// Binds every unbound value the recordings show the target sending peer `peer` at a
    /// place this live request has, when the request is to the same operation.
    pub fn bind_peer_request(&self, peer: &str, request: &Request) {
        let method = request.method.to_ascii_uppercase();
        let depth = segments(request.path());
        let mut bound = self.bound();
        for link in &self.links {
            if bound.bindings.iter().any(|b| b.recorded == link.recorded) {
                continue;
            }
            let found = link.sightings.iter().find_map(|at| {
                let Message::PeerRequest { peer: p, index } = &at.message else {
                    return None;
                };
                let same_operation =
                    self.peer_requests.get(&(p.clone(), *index)) == Some(&(method.clone(), depth));
                (p == peer && same_operation)
                    .then(|| Some((at, at.site.in_request(request)?)))
                    .flatten()
            });
            if let Some((at, live)) = found {
                bind(&mut bound, link, at, &live);
            }
        }
    }

    /// Records a `capture:` entry's live value; a linkable recorded value is also bound, so
    /// responses and peers see it translated like a generated one.
    pub fn capture(&self, name: &str, recorded: Option<&Value>, live: Value, from: String) {
        let mut bound = self.bound();
        if let (Some(recorded), Some(live_text)) = (recorded, text(&live))
            && let Some(recorded_text) = linkable(recorded)
        {
            bound.bindings.push(Binding {
                recorded: recorded_text,
                live: live_text,
                from,
                capture: Some(name.to_string()),
            });
        }
        bound.captured.insert(name.to_string(), live);
    }

    /// The live value captured under `name`.
    pub fn captured(&self, name: &str) -> Option<Value> {
        self.bound().captured.get(name).cloned()
    }

    /// Pairs to translate with, longest first (so a value is never replaced inside a longer
    /// one that is bound too).
    fn pairs(&self, to_live: bool) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .bound()
            .bindings
            .iter()
            .filter(|b| b.changed())
            .map(|b| {
                if to_live {
                    (b.recorded.clone(), b.live.clone())
                } else {
                    (b.live.clone(), b.recorded.clone())
                }
            })
            .collect();
        pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        pairs
    }

    /// A recorded request with every bound value replaced by its live value.
    pub fn request_to_live(&self, request: &Request) -> Request {
        translate_request(request, &self.pairs(true))
    }

    /// A live request with every bound live value replaced by the recorded one.
    pub fn request_to_recorded(&self, request: &Request) -> Request {
        translate_request(request, &self.pairs(false))
    }

    /// A recorded response with every bound value replaced by its live value, when that
    /// changes it: `None` without a changed binding, without cloning the response.
    pub fn response_changed_to_live(&self, response: &Response) -> Option<Response> {
        let pairs = self.pairs(true);
        if pairs.is_empty() {
            return None;
        }
        let translated = translate_response(response, &pairs);
        (translated != *response).then_some(translated)
    }

    /// A live response with every bound live value replaced by the recorded one.
    pub fn response_to_recorded(&self, response: &Response) -> Response {
        translate_response(response, &self.pairs(false))
    }

    /// Recorded body bytes (JSON or text) with every bound value replaced by its live value;
    /// `None` when nothing changes.
    pub fn bytes_to_live(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let pairs = self.pairs(true);
        if pairs.is_empty() {
            return None;
        }
        let body = Body::from_bytes(None, bytes);
        let translated = translate_body(&body, &pairs);
        (translated != body).then(|| translated.to_bytes())
    }

    /// A header value with every bound value replaced by its live value.
    pub fn text_to_live<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let pairs = self.pairs(true);
        match replace_tokens(text, &pairs) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(s) => Cow::Owned(s),
        }
    }
}

/// Binds a link to the live value read at one of its sightings, when it has the same shape.
fn bind(bound: &mut Bound, link: &Link, at: &Occurrence, live: &Value) {
    if shape(live) != shape(&link.value) {
        return;
    }
    let Some(live_text) = text(live) else {
        return;
    };
    // A live value already bound to another recorded value is not bound twice.
    if bound
        .bindings
        .iter()
        .any(|b| b.live == live_text && b.recorded != link.recorded)
    {
        return;
    }
    bound.bindings.push(Binding {
        recorded: link.recorded.clone(),
        live: live_text,
        from: at.to_string(),
        capture: None,
    });
}

/// A string's text, an integer's digits.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn segments(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

fn translate_request(request: &Request, pairs: &[(String, String)]) -> Request {
    if pairs.is_empty() {
        return request.clone();
    }
    Request {
        method: request.method.clone(),
        url: replace_tokens(&request.url, pairs).into_owned(),
        headers: translate_headers(&request.headers, pairs),
        body: translate_body(&request.body, pairs),
    }
}

fn translate_response(response: &Response, pairs: &[(String, String)]) -> Response {
    if pairs.is_empty() {
        return response.clone();
    }
    Response {
        status: response.status,
        headers: translate_headers(&response.headers, pairs),
        body: translate_body(&response.body, pairs),
    }
}

fn translate_headers(headers: &Headers, pairs: &[(String, String)]) -> Headers {
    headers
        .iter()
        .map(|(name, value)| {
            let value = match value {
                HeaderValue::One(v) => HeaderValue::One(replace_tokens(v, pairs).into_owned()),
                HeaderValue::Many(vs) => HeaderValue::Many(
                    vs.iter()
                        .map(|v| replace_tokens(v, pairs).into_owned())
                        .collect(),
                ),
            };
            (name.clone(), value)
        })
        .collect()
}

fn translate_body(body: &Body, pairs: &[(String, String)]) -> Body {
    match body {
        Body::Json(value) => Body::Json(translate_json(value, pairs)),
        Body::Text(text) => Body::Text(replace_tokens(text, pairs).into_owned()),
        other => other.clone(),
    }
}

/// A JSON value with bound values replaced in its strings and integers (keys stay).
pub(crate) fn translate_json(value: &Value, pairs: &[(String, String)]) -> Value {
    match value {
        Value::String(s) => Value::String(replace_tokens(s, pairs).into_owned()),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let digits = n.to_string();
            match pairs.iter().find(|(from, _)| *from == digits) {
                Some((_, to)) => to
                    .parse::<serde_json::Number>()
                    .map_or_else(|_| value.clone(), Value::Number),
                None => value.clone(),
            }
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| translate_json(v, pairs)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), translate_json(v, pairs)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether a character continues a token (so a value next to it is part of a longer one).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` with each whole-token occurrence of a pair's first value replaced by its second.
pub(crate) fn replace_tokens<'t>(text: &'t str, pairs: &[(String, String)]) -> Cow<'t, str> {
    if pairs.is_empty() || !pairs.iter().any(|(from, _)| text.contains(from.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut previous: Option<char> = None;
    while i < text.len() {
        let rest = &text[i..];
        let at_boundary = previous.is_none_or(|c| !is_word(c));
        let hit = at_boundary
            .then(|| {
                pairs.iter().find(|(from, _)| {
                    rest.starts_with(from.as_str())
                        && rest[from.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !is_word(c))
                })
            })
            .flatten();
        match hit {
            Some((from, to)) => {
                out.push_str(to);
                previous = from.chars().last();
                i += from.len();
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                previous = Some(c);
                i += c.len_utf8().max(1);
            }
        }
    }
    Cow::Owned(out)
}

/// Where a link's live value may be read in a step's target response, for messages.
pub fn response_site(link: &Link, step: usize) -> Option<&Site> {
    link.sightings
        .iter()
        .find(|s| s.step == step && s.message == Message::TargetResponse)
        .map(|s| &s.site)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn only_whole_tokens_are_replaced() {
        let p = pairs(&[("C-10023", "C-20555")]);
        assert_eq!(
            replace_tokens("/api/v1/customers/C-10023?x=C-10023", &p),
            "/api/v1/customers/C-20555?x=C-20555"
        );
        assert_eq!(replace_tokens("C-100234 xC-10023", &p), "C-100234 xC-10023");
        assert_eq!(
            replace_tokens("客户 C-10023 不存在", &p),
            "客户 C-20555 不存在"
        );
    }

    #[test]
    fn integers_translate_to_integers() {
        let p = pairs(&[("48213", "50007")]);
        assert_eq!(
            translate_json(
                &serde_json::json!({"order": 48213, "amount": 482.13, "ref": "48213"}),
                &p
            ),
            serde_json::json!({"order": 50007, "amount": 482.13, "ref": "50007"})
        );
    }
}
