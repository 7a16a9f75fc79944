//! Bindings during a replay: each generated value bound to the value the target produced live,
//! and messages translated between the recorded and the live values.
//!
//! A [`Chain`] is shared by the run loop (which binds from target responses and `capture:`
//! entries) and the scenario's mocked peers (which bind from the requests the target sends
//! them, before any response reveals the value). A value binds only to a live value of the
//! same [shape](super::value::shape) at the same place, so a value whose format changed stays
//! a finding. Translation replaces whole tokens only: `C-10023` in `/customers/C-10023` or in
//! `"C-10023"`, never inside `C-100234`.
//!
//! The chain follows the replay as it streams, step by step ([`Chain::begin_step`],
//! [`Chain::bind_response`]), and finds the generated values of [`super::chain`] as it goes: a
//! value is generated when its first appearance is in a target response, or in a request to a
//! peer when it comes back to the target ([`Placement::returns`]). It keeps:
//!
//! - the bindings whose live value differs from the recorded one, and captured values;
//! - generated values not bound yet, with the places a peer request may reveal them (at most
//!   [`MAX_PENDING`]; the oldest is forgotten first, and then never bound);
//! - a Bloom filter of every other value seen (inputs, values bound unchanged): 10 bits a
//!   value, sized by the pre-pass. A false positive makes a value look seen, so it is not
//!   bound: the filter can lose a binding, never make a wrong one.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::Value;

use super::chain::{Message, Occurrence};
use super::placement::Placement;
use super::site::{Site, request_values, response_values};
use super::value::{linkable, shape};
use crate::model::Binding;
use crate::recording::{Body, Exchange, HeaderValue, Headers, Request, Response};

/// Translation pairs, shared by the calls that translate with them.
type Pairs = std::sync::Arc<Translation>;

/// Values to replace (from → to), looked up by token: translating a message costs the same
/// with ten bindings or a hundred thousand.
#[derive(Debug, Default)]
pub(crate) struct Translation {
    map: HashMap<String, String>,
    /// The byte lengths of the values to replace, longest first (so a value is never replaced
    /// inside a longer one that is replaced too).
    lengths: Vec<usize>,
}

impl Translation {
    pub(crate) fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Translation {
        let map: HashMap<String, String> = pairs.into_iter().collect();
        let mut lengths: Vec<usize> = map.keys().map(String::len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        Translation { map, lengths }
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The most generated values waiting to be bound at once.
pub const MAX_PENDING: usize = 65_536;

/// The generated values of one scenario and, as the replay goes, what they are bound to.
pub struct Chain {
    placement: Placement,
    state: Mutex<State>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain").finish_non_exhaustive()
    }
}

impl Default for Chain {
    fn default() -> Chain {
        Chain::new(Placement::default())
    }
}

struct State {
    /// Every value seen that is not a pending link or a changed binding.
    seen: fastbloom::BloomFilter,
    /// Generated values not bound yet, oldest first.
    pending: BTreeMap<u64, Pending>,
    pending_by_value: HashMap<String, u64>,
    next_pending: u64,
    /// How many pending values a peer request may reveal.
    peer_pending: usize,
    /// Bindings whose live value differs, and captured values, in the order they were made.
    bindings: Vec<Binding>,
    by_recorded: HashMap<String, usize>,
    by_live: HashMap<String, usize>,
    /// Translation pairs to live and to recorded, longest first; rebuilt after a binding.
    pairs: (Option<Pairs>, Option<Pairs>),
    /// Capture name → live value.
    captured: BTreeMap<String, Value>,
}

/// A generated value waiting for a live value.
struct Pending {
    value: Value,
    /// Requests to peers that carry it in the recording, where a live request may reveal it.
    sightings: Vec<PeerSighting>,
}

/// A place of a recorded peer request, with its operation (method, path depth): a value binds
/// only from a live request to the same operation.
struct PeerSighting {
    occurrence: Occurrence,
    operation: (String, usize),
}

/// A recorded peer call of the current step, as the run loop hands it to the chain.
pub struct StepCall<'a> {
    pub peer: &'a str,
    /// 0-based index in the peer's recording.
    pub index: usize,
    pub exchange: &'a Exchange,
}

impl Chain {
    /// The chain of a scenario whose recordings the pre-pass ([`super::placement::place`])
    /// has read.
    pub fn new(placement: Placement) -> Chain {
        let seen = fastbloom::BloomFilter::with_false_pos(0.01)
            .seed(&0)
            .expected_items(placement.values.max(1024));
        Chain {
            placement,
            state: Mutex::new(State {
                seen,
                pending: BTreeMap::new(),
                pending_by_value: HashMap::new(),
                next_pending: 0,
                peer_pending: 0,
                bindings: Vec::new(),
                by_recorded: HashMap::new(),
                by_live: HashMap::new(),
                pairs: (None, None),
                captured: BTreeMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bindings made so far whose live value differs from the recorded one, and the
    /// captured values, in the order they were made.
    pub fn bindings(&self) -> Vec<Binding> {
        self.state().bindings.clone()
    }

    /// Whether nothing is bound yet and nothing can be by a peer (a quick test for the peers'
    /// hot path).
    pub fn is_idle(&self) -> bool {
        let state = self.state();
        state.bindings.is_empty() && state.peer_pending == 0
    }

    /// Step `step` begins: what its recorded request sends the target is an input (unless it
    /// is a generated value coming back), and its recorded peer calls are read: what the
    /// target sends a peer may be generated, what a peer answers is an input.
    pub fn begin_step(&self, step: usize, request: &Request, calls: &[StepCall<'_>]) {
        let mut state = self.state();
        for (_, value) in request_values(request) {
            if let Some(text) = linkable(&value) {
                state.input(text);
            }
        }
        for call in calls {
            let operation = (
                call.exchange.request.method.to_ascii_uppercase(),
                segments(call.exchange.request.path()),
            );
            for (site, value) in request_values(&call.exchange.request) {
                let Some(text) = linkable(&value) else {
                    continue;
                };
                let sighting = || PeerSighting {
                    occurrence: Occurrence {
                        step,
                        message: Message::PeerRequest {
                            peer: call.peer.to_string(),
                            index: call.index,
                        },
                        site: site.clone(),
                    },
                    operation: operation.clone(),
                };
                if let Some(pending) = state.pending_mut(&text) {
                    let first = pending.sightings.is_empty();
                    pending.sightings.push(sighting());
                    state.peer_pending += usize::from(first);
                } else if state.is_known(&text) {
                } else if self.placement.returns(&text) {
                    state.add_pending(text, value, vec![sighting()]);
                } else {
                    state.seen.insert(&text);
                }
            }
            for (_, value) in response_values(&call.exchange.response) {
                if let Some(text) = linkable(&value) {
                    state.input(text);
                }
            }
        }
    }

    /// Binds every unbound generated value the target revealed in its response to step
    /// `step`: `revealed` holds the recorded response's values with their places
    /// ([`response_values`]); `live` is `None` when no response came, and what the recorded
    /// one reveals is then only noted.
    pub fn bind_response(&self, step: usize, revealed: &[(Site, Value)], live: Option<&Response>) {
        let mut state = self.state();
        let mut tried: Vec<String> = Vec::new();
        for (site, value) in revealed {
            let Some(text) = linkable(value) else {
                continue;
            };
            if tried.contains(&text) || state.by_recorded.contains_key(&text) {
                continue;
            }
            if !state.pending_by_value.contains_key(&text) {
                if state.seen.contains(&text) {
                    continue;
                }
                state.add_pending(text.clone(), value.clone(), Vec::new());
            }
            let Some(live) = live.and_then(|live| site.in_response(live)) else {
                continue;
            };
            tried.push(text.clone());
            let at = Occurrence {
                step,
                message: Message::TargetResponse,
                site: site.clone(),
            };
            state.bind(&text, &at, &live);
        }
    }

    /// Binds every unbound value the recordings show the target sending peer `peer` at a
    /// place this live request has, when the request is to the same operation.
    pub fn bind_peer_request(&self, peer: &str, request: &Request) {
        let operation = (
            request.method.to_ascii_uppercase(),
            segments(request.path()),
        );
        let mut state = self.state();
        let mut found = Vec::new();
        for pending in state.pending.values() {
            let hit = pending.sightings.iter().find_map(|s| {
                let Message::PeerRequest { peer: p, .. } = &s.occurrence.message else {
                    return None;
                };
                (p == peer && s.operation == operation)
                    .then(|| Some((s.occurrence.clone(), s.occurrence.site.in_request(request)?)))
                    .flatten()
            });
            if let Some((at, live)) = hit {
                let text = linkable(&pending.value).unwrap_or_default();
                found.push((text, at, live));
            }
        }
        for (text, at, live) in found {
            state.bind(&text, &at, &live);
        }
    }

    /// Records a `capture:` entry's live value; a linkable recorded value is also bound, so
    /// responses and peers see it translated like a generated one.
    pub fn capture(&self, name: &str, recorded: Option<&Value>, live: Value, from: String) {
        let mut state = self.state();
        if let (Some(recorded), Some(live_text)) = (recorded, text(&live))
            && let Some(recorded_text) = linkable(recorded)
        {
            state.forget_pending(&recorded_text);
            state.push(Binding {
                recorded: recorded_text,
                live: live_text,
                from,
                capture: Some(name.to_string()),
            });
        }
        state.captured.insert(name.to_string(), live);
    }

    /// The live value captured under `name`.
    pub fn captured(&self, name: &str) -> Option<Value> {
        self.state().captured.get(name).cloned()
    }

    /// Pairs to translate with, longest first (so a value is never replaced inside a longer
    /// one that is bound too).
    fn pairs(&self, to_live: bool) -> Pairs {
        let mut state = self.state();
        if state.bindings.is_empty() {
            return Pairs::default();
        }
        state.pairs(to_live)
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

impl State {
    /// A value sent to the target or answered by a peer: an input, unless it is generated.
    fn input(&mut self, text: String) {
        if !self.is_known(&text) && !self.pending_by_value.contains_key(&text) {
            self.seen.insert(&text);
        }
    }

    /// Whether a value is bound (to a different live value) or was seen.
    fn is_known(&self, text: &str) -> bool {
        self.by_recorded.contains_key(text) || self.seen.contains(text)
    }

    fn pending_mut(&mut self, text: &str) -> Option<&mut Pending> {
        let key = self.pending_by_value.get(text)?;
        self.pending.get_mut(key)
    }

    fn add_pending(&mut self, text: String, value: Value, sightings: Vec<PeerSighting>) {
        if self.pending.len() >= MAX_PENDING
            && let Some((_, oldest)) = self.pending.pop_first()
        {
            self.peer_pending -= usize::from(!oldest.sightings.is_empty());
            if let Some(old) = linkable(&oldest.value) {
                self.pending_by_value.remove(&old);
                self.seen.insert(&old);
            }
        }
        self.peer_pending += usize::from(!sightings.is_empty());
        let key = self.next_pending;
        self.next_pending += 1;
        self.pending_by_value.insert(text, key);
        self.pending.insert(key, Pending { value, sightings });
    }

    fn forget_pending(&mut self, text: &str) -> Option<Pending> {
        let key = self.pending_by_value.remove(text)?;
        let pending = self.pending.remove(&key)?;
        self.peer_pending -= usize::from(!pending.sightings.is_empty());
        Some(pending)
    }

    /// Binds a pending value to the live value read at one of its places, when it has the
    /// same shape and no other value is bound to it.
    fn bind(&mut self, recorded: &str, at: &Occurrence, live: &Value) {
        let Some(key) = self.pending_by_value.get(recorded) else {
            return;
        };
        let Some(pending) = self.pending.get(key) else {
            return;
        };
        if shape(live) != shape(&pending.value) {
            return;
        }
        let Some(live_text) = text(live) else {
            return;
        };
        if live_text == recorded {
            // Bound to itself: nothing to translate, nothing to report.
            if self.by_live.contains_key(&live_text) {
                return;
            }
            self.forget_pending(recorded);
            self.seen.insert(recorded);
            return;
        }
        // A live value already bound to another recorded value is not bound twice (a value
        // bound to itself may be in the filter only: then it is not bound either).
        if self.by_live.contains_key(&live_text) || self.seen.contains(&live_text) {
            return;
        }
        self.forget_pending(recorded);
        self.push(Binding {
            recorded: recorded.to_string(),
            live: live_text,
            from: at.to_string(),
            capture: None,
        });
    }

    fn push(&mut self, binding: Binding) {
        let at = self.bindings.len();
        if binding.changed() {
            self.by_recorded.insert(binding.recorded.clone(), at);
            self.by_live.insert(binding.live.clone(), at);
        }
        self.bindings.push(binding);
        self.pairs = (None, None);
    }

    fn pairs(&mut self, to_live: bool) -> Pairs {
        let cached = if to_live {
            &mut self.pairs.0
        } else {
            &mut self.pairs.1
        };
        if let Some(pairs) = cached {
            return pairs.clone();
        }
        let pairs = self.bindings.iter().filter(|b| b.changed()).map(|b| {
            if to_live {
                (b.recorded.clone(), b.live.clone())
            } else {
                (b.live.clone(), b.recorded.clone())
            }
        });
        let pairs: Pairs = std::sync::Arc::new(Translation::new(pairs));
        *cached = Some(pairs.clone());
        pairs
    }
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

fn translate_request(request: &Request, pairs: &Translation) -> Request {
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

fn translate_response(response: &Response, pairs: &Translation) -> Response {
    if pairs.is_empty() {
        return response.clone();
    }
    Response {
        status: response.status,
        headers: translate_headers(&response.headers, pairs),
        body: translate_body(&response.body, pairs),
    }
}

fn translate_headers(headers: &Headers, pairs: &Translation) -> Headers {
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

fn translate_body(body: &Body, pairs: &Translation) -> Body {
    match body {
        Body::Json(value) => Body::from_json(translate_json(value, pairs)),
        Body::Text(text) => Body::Text(replace_tokens(text, pairs).into_owned()),
        other => other.clone(),
    }
}

/// A JSON value with bound values replaced in its strings and integers (keys stay).
pub(crate) fn translate_json(value: &Value, pairs: &Translation) -> Value {
    match value {
        Value::String(s) => Value::String(replace_tokens(s, pairs).into_owned()),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let digits = n.to_string();
            match pairs.map.get(&digits) {
                Some(to) => to
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
pub(crate) fn replace_tokens<'t>(text: &'t str, pairs: &Translation) -> Cow<'t, str> {
    if pairs.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    // Bytes of `text` copied to `out` so far.
    let mut copied = 0;
    let mut i = 0;
    let mut previous: Option<char> = None;
    while i < text.len() {
        let rest = &text[i..];
        let at_boundary = previous.is_none_or(|c| !is_word(c));
        let hit = at_boundary
            .then(|| {
                pairs.lengths.iter().find_map(|&len| {
                    let from = rest.get(..len)?;
                    let to = pairs.map.get(from)?;
                    rest[len..]
                        .chars()
                        .next()
                        .is_none_or(|c| !is_word(c))
                        .then_some((from, to))
                })
            })
            .flatten();
        match hit {
            Some((from, to)) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(&text[copied..i]);
                out.push_str(to);
                previous = from.chars().last();
                i += from.len();
                copied = i;
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                previous = Some(c);
                i += c.len_utf8().max(1);
            }
        }
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Translation {
        Translation::new(list.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    const CRM: [&str; 3] = [
        r#"{"request":{"method":"POST","url":"/api/v1/customers","body":{"tax_id":"91440300MA5G7W2K82"}},"response":{"status":201,"body":{"id":"C-10023","tax_id":"91440300MA5G7W2K82","trace":"T-55501"}},"recorded_at":"2026-03-02T09:15:00.127+08:00"}"#,
        r#"{"request":{"method":"GET","url":"/api/v1/customers/C-10023"},"response":{"status":200,"body":{"id":"C-10023","erp_customer_no":"E-300187"}},"recorded_at":"2026-03-02T09:15:02.553+08:00"}"#,
        r#"{"request":{"method":"GET","url":"/api/v1/customers/C-99999"},"response":{"status":404,"body":{"error":"customer_not_found"}},"recorded_at":"2026-03-02T09:15:05.240+08:00"}"#,
    ];
    const ERP: &str = r#"{"peer":"erp","request":{"method":"POST","url":"/erp/v2/customers","headers":{"x-trace":"9f8e7d6c5b4a39281706"},"body":{"crm_customer_id":"C-10023","tax_id":"91440300MA5G7W2K82"}},"response":{"status":201,"body":{"erp_customer_no":"E-300187","crm_customer_id":"C-10023"}},"recorded_at":"2026-03-02T09:15:00.163+08:00"}"#;

    fn exchange(line: &str) -> Exchange {
        serde_json::from_str(line).expect("exchange")
    }

    /// The onboarding chain, its peer calls read back, on recordings written to files.
    fn onboarding() -> (tempfile::TempDir, Chain, Vec<Vec<Exchange>>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (crm, erp) = (dir.path().join("crm.jsonl"), dir.path().join("erp.jsonl"));
        std::fs::write(&crm, CRM.join("\n")).expect("crm");
        std::fs::write(&erp, ERP).expect("erp");
        let peers = [("erp", erp.as_path())];
        let mut placement = super::super::placement::place(&crm, &peers).expect("placed");
        let mut calls =
            super::super::placement::Calls::open(&mut placement, &peers).expect("calls");
        let per_step = (0..CRM.len())
            .map(|step| {
                let read = calls.up_to(step).expect("read");
                read.into_iter().map(|(_, _, e)| e).collect()
            })
            .collect();
        (dir, Chain::new(placement), per_step)
    }

    fn begin(chain: &Chain, step: usize, calls: &[Exchange]) {
        let calls: Vec<StepCall<'_>> = calls
            .iter()
            .enumerate()
            .map(|(index, exchange)| StepCall {
                peer: "erp",
                index,
                exchange,
            })
            .collect();
        chain.begin_step(step, &exchange(CRM[step]).request, &calls);
    }

    #[test]
    fn an_id_the_target_sends_its_peer_first_is_bound_there_and_translated_later() {
        let (_dir, chain, calls) = onboarding();
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 0]);
        begin(&chain, 0, &calls[0]);
        let mut live = exchange(ERP).request;
        live.body = Body::from_json(serde_json::json!({
            "crm_customer_id": "C-20555", "tax_id": "91440300MA5G7W2K82"
        }));
        live.headers.insert(
            "x-trace".into(),
            HeaderValue::One("0000aaaa1111bbbb2222".into()),
        );
        chain.bind_peer_request("erp", &live);
        let bindings = chain.bindings();
        // The tax id was sent by Interlock; the trace id never comes back to the target.
        assert_eq!(bindings.len(), 1, "{bindings:?}");
        assert_eq!(
            (bindings[0].recorded.as_str(), bindings[0].live.as_str()),
            ("C-10023", "C-20555")
        );
        assert_eq!(
            bindings[0].from,
            "erp request #1 /crm_customer_id (exchange #1)"
        );
        let recorded = exchange(CRM[0]).response;
        let mut response = recorded.clone();
        response.body = Body::from_json(serde_json::json!({
            "id": "C-20555", "tax_id": "91440300MA5G7W2K82", "trace": "T-55501"
        }));
        chain.bind_response(0, &response_values(&recorded), Some(&response));
        assert_eq!(chain.bindings().len(), 1);
        begin(&chain, 1, &calls[1]);
        assert_eq!(
            chain.request_to_live(&exchange(CRM[1]).request).url,
            "/api/v1/customers/C-20555"
        );
        begin(&chain, 2, &calls[2]);
        assert_eq!(
            chain.request_to_live(&exchange(CRM[2]).request).url,
            "/api/v1/customers/C-99999"
        );
    }

    #[test]
    fn a_value_generated_in_a_response_binds_there_and_one_bound_to_itself_is_not_listed() {
        let (_dir, chain, calls) = onboarding();
        begin(&chain, 0, &calls[0]);
        let recorded = exchange(CRM[0]).response;
        let mut live = recorded.clone();
        live.body = Body::from_json(serde_json::json!({
            "id": "C-10023", "tax_id": "91440300MA5G7W2K82", "trace": "T-60000"
        }));
        chain.bind_response(0, &response_values(&recorded), Some(&live));
        let bindings = chain.bindings();
        assert_eq!(bindings.len(), 1, "{bindings:?}");
        assert_eq!(
            (
                bindings[0].recorded.as_str(),
                bindings[0].live.as_str(),
                bindings[0].from.as_str()
            ),
            ("T-55501", "T-60000", "exchange #1 /trace")
        );
        // C-10023 came back unchanged: bound to itself, nothing to translate or list.
        assert!(!chain.is_idle());
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
    fn the_longest_bound_value_wins_and_many_bindings_translate_alike() {
        let mut list: Vec<(String, String)> = (0..50_000)
            .map(|i| (format!("C-{i:05}"), format!("X-{i:05}")))
            .collect();
        list.push(("C-00042-A".into(), "long".into()));
        let p = Translation::new(list);
        assert_eq!(
            replace_tokens("/c/C-00042-A/C-00042/C-000420", &p),
            "/c/long/X-00042/C-000420"
        );
        assert!(matches!(
            replace_tokens("no ids here", &p),
            Cow::Borrowed(_)
        ));
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
