//! The route table: recorded exchanges compiled into stubs a peer answers from.
//!
//! Recorded requests that are identical (modulo ignore rules) form one [`Stub`] whose replies
//! play back in recorded order — the first identical live request gets the first recording,
//! the second the second — and once all are used the last one repeats (or playback cycles, or
//! answers 404, per [`Playback`]). For a recording held in memory, everything a reply needs
//! (status, headers, body bytes) is built once at start, so serving one clones only
//! reference-counted bytes and a small header map. A recording too large to hold is indexed
//! instead ([`super::index`]): requests are found by key and confirmed, and replies read from
//! the file by position as they are served.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, StatusCode};

use super::Playback;
use super::index::{self, Index, Lookup, Loose, Row};
use super::key::{self, Keys, Parts};
use super::matcher::{LiveRequest, Matcher, Mismatch, Part, RequestMatcher};
use super::recorded::{self, Recorded, Store};
use super::spots::Spots;
use crate::contract::{Contract, ContractSet};
use crate::error::{Error, InputError};
use crate::recording::{Body, Exchange, Request, Response};
use crate::scenario::IgnoreRules;

/// Headers a recording must not dictate: the connection's own, and lengths hyper computes.
const SKIPPED_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A response ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The answer when a recorded exchange cannot be read back (the file changed or went).
    fn unreadable(err: &InputError) -> Self {
        let body =
            serde_json::json!({"error": format!("cannot read the recorded exchange: {err}")});
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Reply {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            headers,
            body: Bytes::from(body.to_string()),
        }
    }

    fn recorded(response: &Response) -> Self {
        let status =
            StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut headers = HeaderMap::new();
        // Bodies stored as JSON or text were decoded at capture; only raw bytes keep an encoding.
        let keep_encoding = matches!(response.body, Body::Base64(_));
        for (name, values) in &response.headers {
            let lower = name.to_ascii_lowercase();
            if SKIPPED_HEADERS.contains(&lower.as_str())
                || (lower == "content-encoding" && !keep_encoding)
            {
                continue;
            }
            let Ok(name) = HeaderName::from_bytes(lower.as_bytes()) else {
                continue;
            };
            for value in values.values() {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.append(name.clone(), value);
                }
            }
        }
        if response.body.json().is_some() && !headers.contains_key(header::CONTENT_TYPE) {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        Reply {
            status,
            headers,
            body: Bytes::from(response.body.to_bytes()),
        }
    }
}

/// Identical recorded requests and the replies they play back in order (a recording held in
/// memory).
#[derive(Debug)]
pub(crate) struct Stub {
    matcher: RequestMatcher,
    /// `METHOD /path?query` of the first recording, for messages.
    pub label: String,
    /// Indexes of the recorded exchanges, in recorded order.
    pub members: Vec<usize>,
    cursor: AtomicUsize,
    /// Index into the contract set of the contract covering this route.
    pub contract: Option<usize>,
}

/// The closest recorded request to one that matched none, and how it differs.
#[derive(Debug)]
pub(crate) struct Closest {
    /// Index of the recorded exchange.
    pub index: usize,
    pub label: String,
    pub mismatches: Vec<Mismatch>,
}

/// How many recorded requests of a large recording are read to explain one unmatched request.
const CLOSEST_READS: usize = index::PATH_CANDIDATES;

/// Every stub of a peer, and where its recorded exchanges are.
#[derive(Debug)]
pub(crate) struct Routes {
    table: Table,
    store: Store,
    /// Per contract operation, the first recorded error response (4xx).
    recorded_errors: HashMap<usize, usize>,
    /// One bit per recorded exchange: served at least once.
    served: Vec<AtomicU64>,
    headers: Vec<String>,
    ignore: Arc<IgnoreRules>,
}

/// The stubs: compiled matchers and replies for a recording held in memory, or an index of
/// keys and places for one served from its file.
#[derive(Debug)]
enum Table {
    Cached(Cached),
    Indexed(Index),
}

#[derive(Debug)]
struct Cached {
    stubs: Vec<Stub>,
    /// Stub indexes by literal path, for a quick first cut (looked up once per request, so
    /// with a fast hash).
    by_path: foldhash::HashMap<String, Vec<usize>>,
    /// Stub indexes by the contract operation covering them.
    by_contract: HashMap<usize, Vec<usize>>,
    /// Stub indexes by request key ([`super::key`]), in recorded order: recordings are grouped
    /// by key, and a request at a path with many recordings is looked up by its key.
    by_key: foldhash::HashMap<u64, Vec<usize>>,
    replies: Vec<Reply>,
}

/// Past this many recordings at one path, a request is looked up by its key rather than
/// compared with each.
const SCAN_LIMIT: usize = 16;

impl Routes {
    /// Reads the recorded exchanges: held in memory when given so or when the file is small
    /// (see [`super::recorded`]), else indexed in one streaming pass over the file. `loose`
    /// says which looser matching the peer allows.
    pub(crate) fn load(
        recorded: Recorded,
        ignore: IgnoreRules,
        headers: &[String],
        contracts: &ContractSet,
        loose: Loose,
    ) -> Result<Self, Error> {
        let ignore = Arc::new(ignore);
        let (table, store, recorded_errors) = match recorded {
            Recorded::Exchanges(exchanges) => {
                let (cached, errors) = Cached::new(&exchanges, &ignore, headers, contracts);
                let store = Store::Memory {
                    exchanges,
                    lines: None,
                };
                (Table::Cached(cached), store, errors)
            }
            Recorded::File(path) => {
                return Routes::load(
                    Recorded::Edited(path, BTreeMap::new()),
                    Arc::unwrap_or_clone(ignore),
                    headers,
                    contracts,
                    loose,
                );
            }
            Recorded::Edited(path, requests) if recorded::cached(&path)? => {
                let (mut exchanges, mut lines) = (Vec::new(), Vec::new());
                recorded::each(&path, &requests, |place, exchange| {
                    lines.push(place.line);
                    exchanges.push(exchange);
                })?;
                let (cached, errors) = Cached::new(&exchanges, &ignore, headers, contracts);
                let store = Store::Memory {
                    exchanges,
                    lines: Some(lines),
                };
                (Table::Cached(cached), store, errors)
            }
            Recorded::Edited(path, requests) => {
                // Sized once from the file's lines: the index never grows by copying.
                let rows = recorded::lines(&path)?;
                let mut builder = index::Builder::new(loose, rows);
                let mut spots = Spots::with_capacity(rows);
                let mut errors: HashMap<usize, usize> = HashMap::new();
                recorded::each(&path, &requests, |place, exchange| {
                    let request = &exchange.request;
                    let contract = contract_index(contracts, &request.method, request.path());
                    if let Some(c) = contract
                        && (400..500).contains(&exchange.response.status)
                    {
                        errors.entry(c).or_insert(spots.len());
                    }
                    builder.push(Row {
                        keys: Parts::recorded(request, headers, &ignore).keys(),
                        path: key::path_hash(request.path()),
                        contract,
                    });
                    spots.push(place);
                })?;
                spots.shrink_to_fit();
                let file = recorded::open(&path)?;
                let store = Store::File {
                    path,
                    file,
                    spots,
                    requests,
                };
                (Table::Indexed(builder.build()), store, errors)
            }
        };
        let words = store.len().div_ceil(64);
        Ok(Routes {
            table,
            store,
            recorded_errors,
            served: (0..words).map(|_| AtomicU64::new(0)).collect(),
            headers: headers.to_vec(),
            ignore,
        })
    }

    /// The recorded exchanges.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Per stub of a recording held in memory, its contract and first recorded request (none
    /// for an indexed recording, whose requests are not held).
    pub(crate) fn first_requests(&self) -> Vec<(Option<usize>, Option<&Request>)> {
        let (Table::Cached(cached), Store::Memory { exchanges, .. }) = (&self.table, &self.store)
        else {
            return Vec::new();
        };
        (cached.stubs.iter())
            .map(|stub| {
                let first = stub.members.first().and_then(|&m| exchanges.get(m));
                (stub.contract, first.map(|e| &e.request))
            })
            .collect()
    }

    /// The contract operation covering a stub.
    pub(crate) fn contract(&self, stub: usize) -> Option<usize> {
        match &self.table {
            Table::Cached(cached) => cached.stubs[stub].contract,
            Table::Indexed(index) => index.contract(stub),
        }
    }

    /// `METHOD /path?query` of a stub's first recording.
    pub(crate) fn label(&self, stub: usize) -> String {
        match &self.table {
            Table::Cached(cached) => cached.stubs[stub].label.clone(),
            Table::Indexed(index) => match self.store.read(index.first(stub)) {
                Ok(exchange) => label(&exchange.request),
                Err(err) => err.to_string(),
            },
        }
    }

    /// How many recorded exchanges a stub plays back.
    pub(crate) fn members(&self, stub: usize) -> usize {
        match &self.table {
            Table::Cached(cached) => cached.stubs[stub].members.len(),
            Table::Indexed(index) => index.members(stub),
        }
    }

    /// The stub whose recorded request the live one matches.
    pub(crate) fn find(&self, request: &LiveRequest) -> Option<usize> {
        match &self.table {
            Table::Cached(cached) => {
                let at_path = cached.by_path.get(request.path())?;
                let matches = |&s: &usize| cached.stubs[s].matcher.matches(request);
                if at_path.len() <= SCAN_LIMIT {
                    return at_path.iter().copied().find(matches);
                }
                let mut candidates = keyed(&cached.by_key, request, &self.headers, &self.ignore);
                candidates.sort_unstable();
                candidates.into_iter().find(matches)
            }
            Table::Indexed(index) => self.find_indexed(index, request, None, &[]),
        }
    }

    /// A stub matching the request in every part but `skip`, among stubs at the same literal
    /// path (`contract: None`) or covered by the same contract operation.
    pub(crate) fn find_loosely(
        &self,
        request: &LiveRequest,
        contract: Option<usize>,
        skip: &[Part],
    ) -> Option<usize> {
        match &self.table {
            Table::Cached(cached) => {
                let candidates = match contract {
                    None => cached.by_path.get(request.path())?,
                    Some(c) => cached.by_contract.get(&c)?,
                };
                candidates
                    .iter()
                    .copied()
                    .find(|&s| cached.stubs[s].matcher.matches_except(request, skip))
            }
            Table::Indexed(index) => self.find_indexed(index, request, contract, skip),
        }
    }

    /// Looks a request up by its key (leaving out the parts in `skip`), and confirms each
    /// candidate against its recorded request read from the file.
    fn find_indexed(
        &self,
        index: &Index,
        request: &LiveRequest,
        contract: Option<usize>,
        skip: &[Part],
    ) -> Option<usize> {
        let lookup = match (skip.contains(&Part::Path), skip.contains(&Part::Body)) {
            (false, false) => Lookup::Exact,
            (false, true) => Lookup::NoBody,
            (true, false) => Lookup::NoPath,
            (true, true) => Lookup::NoPathBody,
        };
        let pick = |keys: Keys| match lookup {
            Lookup::Exact => keys.exact,
            Lookup::NoBody => keys.no_body,
            Lookup::NoPath => keys.no_path,
            Lookup::NoPathBody => keys.no_path_body,
        };
        let (parts, json) = Parts::live(request, &self.headers, &self.ignore);
        let mut candidates = index.with_key(lookup, pick(parts.keys()));
        if let Some(json) = json {
            let as_json = pick(parts.with_body(json).keys());
            if as_json != pick(parts.keys()) {
                candidates.extend(index.with_key(lookup, as_json));
                candidates.sort_unstable_by_key(|&s| index.first(s));
            }
        }
        candidates
            .into_iter()
            .filter(|&s| contract.is_none() || index.contract(s) == contract)
            .find(|&s| {
                self.store.read(index.first(s)).is_ok_and(|exchange| {
                    RequestMatcher::recorded(&exchange.request, &self.headers, &self.ignore)
                        .matches_except(request, skip)
                })
            })
    }

    /// Takes the stub's next reply: recorded order, then per `playback`; `None` when the
    /// replies are used up and playback is [`Playback::NotFound`].
    pub(crate) fn take(&self, stub: usize, playback: Playback) -> Option<(usize, Cow<'_, Reply>)> {
        let count = self.members(stub);
        let turn = match &self.table {
            Table::Cached(cached) => {
                let stub = &cached.stubs[stub];
                // Past the last reply only `cycle` needs the count to go on, so the other
                // playbacks stop writing the shared cursor (which every thread serving the stub
                // would contend on).
                let seen = stub.cursor.load(Ordering::Relaxed);
                if seen >= count && playback != Playback::Cycle {
                    seen
                } else {
                    stub.cursor.fetch_add(1, Ordering::Relaxed)
                }
            }
            Table::Indexed(index) => index.turn(stub, playback == Playback::Cycle),
        };
        let position = match playback {
            Playback::Repeat => turn.min(count.saturating_sub(1)),
            Playback::Cycle => turn % count.max(1),
            Playback::NotFound if turn < count => turn,
            Playback::NotFound => return None,
        };
        let index = match &self.table {
            Table::Cached(cached) => cached.stubs[stub].members[position],
            Table::Indexed(index) => index.member(stub, position),
        };
        self.mark_served(index);
        Some((index, self.reply(index)))
    }

    /// The recorded error response (4xx) of a contract operation, if the recording has one.
    pub(crate) fn recorded_error(&self, contract: usize) -> Option<(usize, Cow<'_, Reply>)> {
        let index = *self.recorded_errors.get(&contract)?;
        self.mark_served(index);
        Some((index, self.reply(index)))
    }

    /// The reply of a recorded exchange; a 500 naming the problem when it cannot be read back.
    fn reply(&self, index: usize) -> Cow<'_, Reply> {
        match &self.table {
            Table::Cached(cached) => Cow::Borrowed(&cached.replies[index]),
            Table::Indexed(_) => Cow::Owned(match self.store.read(index) {
                Ok(exchange) => Reply::recorded(&exchange.response),
                Err(err) => Reply::unreadable(&err),
            }),
        }
    }

    /// Notes that a recorded exchange was served, writing the bit only the first time.
    fn mark_served(&self, index: usize) {
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if let Some(word) = self.served.get(word)
            && word.load(Ordering::Relaxed) & bit == 0
        {
            word.fetch_or(bit, Ordering::Relaxed);
        }
    }

    /// The recorded request nearest to one that matched none: same method and path first,
    /// then the fewest differences, then the earliest recorded. For an indexed recording the
    /// candidates are the recordings at the same path, else those of the same contract
    /// operation (`contract`), else the earliest; at most [`CLOSEST_READS`] are read.
    pub(crate) fn closest(
        &self,
        request: &LiveRequest,
        contract: Option<usize>,
    ) -> Option<Closest> {
        let index = match &self.table {
            Table::Cached(cached) => {
                return cached
                    .stubs
                    .iter()
                    .map(|stub| {
                        let mut mismatches = Vec::new();
                        stub.matcher.explain(request, &mut mismatches);
                        (score(&mismatches), stub, mismatches)
                    })
                    .min_by_key(|(score, stub, _)| (*score, stub.members[0]))
                    .map(|(_, stub, mismatches)| Closest {
                        index: stub.members[0],
                        label: stub.label.clone(),
                        mismatches,
                    });
            }
            Table::Indexed(index) => index,
        };
        let mut candidates: Vec<usize> = index
            .at_path(key::path_hash(request.path()))
            .take(CLOSEST_READS)
            .collect();
        if candidates.is_empty() && contract.is_some() {
            candidates = index.earliest(contract, CLOSEST_READS);
        }
        if candidates.is_empty() {
            candidates = index.earliest(None, CLOSEST_READS);
        }
        candidates
            .into_iter()
            .filter_map(|stub| {
                let first = index.first(stub);
                let exchange = self.store.read(first).ok()?;
                let matcher =
                    RequestMatcher::recorded(&exchange.request, &self.headers, &self.ignore);
                let mut mismatches = Vec::new();
                matcher.explain(request, &mut mismatches);
                Some((
                    (score(&mismatches), first),
                    label(&exchange.request),
                    mismatches,
                ))
            })
            .min_by_key(|(score, _, _)| *score)
            .map(|((_, index), label, mismatches)| Closest {
                index,
                label,
                mismatches,
            })
    }

    /// Recorded exchanges never served, in recorded order.
    pub(crate) fn unused(&self) -> Vec<usize> {
        (0..self.store.len())
            .filter(|&i| {
                self.served
                    .get(i / 64)
                    .is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (i % 64)) == 0)
            })
            .collect()
    }
}

/// The stubs filed under a live request's keys: its body as bytes, and as JSON when it is.
fn keyed(
    by_key: &foldhash::HashMap<u64, Vec<usize>>,
    request: &LiveRequest,
    headers: &[String],
    ignore: &IgnoreRules,
) -> Vec<usize> {
    let (parts, json) = Parts::live(request, headers, ignore);
    let mut found = Vec::new();
    for body in std::iter::once(None).chain(json.map(Some)) {
        let keys = body.map_or(parts, |b| parts.with_body(b)).keys();
        found.extend(by_key.get(&keys.exact).into_iter().flatten());
    }
    found
}

/// Whether the request is elsewhere (another method or path), and how many differences.
fn score(mismatches: &[Mismatch]) -> (bool, usize) {
    let elsewhere = mismatches
        .iter()
        .any(|m| matches!(m.part, Part::Method | Part::Path));
    (elsewhere, mismatches.len())
}

fn label(request: &Request) -> String {
    format!("{} {}", request.method.to_ascii_uppercase(), request.url)
}

impl Cached {
    /// Compiles recorded exchanges held in memory; also the first recorded error per contract.
    fn new(
        exchanges: &[Exchange],
        ignore: &Arc<IgnoreRules>,
        headers: &[String],
        contracts: &ContractSet,
    ) -> (Self, HashMap<usize, usize>) {
        let mut stubs: Vec<Stub> = Vec::new();
        let mut by_path: foldhash::HashMap<String, Vec<usize>> = foldhash::HashMap::default();
        let mut by_key: foldhash::HashMap<u64, Vec<usize>> = foldhash::HashMap::default();
        for (index, exchange) in exchanges.iter().enumerate() {
            let request = &exchange.request;
            // The recording is looked up as a live request would be.
            let same = LiveRequest::from_recorded(request).and_then(|as_live| {
                let mut candidates = keyed(&by_key, &as_live, headers, ignore);
                candidates.sort_unstable();
                candidates
                    .into_iter()
                    .find(|&s| stubs[s].matcher.matches(&as_live))
            });
            match same {
                Some(s) => stubs[s].members.push(index),
                None => {
                    let key = Parts::recorded(request, headers, ignore).keys().exact;
                    by_key.entry(key).or_default().push(stubs.len());
                    let at_path = by_path.entry(request.path().to_string()).or_default();
                    at_path.push(stubs.len());
                    stubs.push(Stub {
                        matcher: RequestMatcher::recorded(request, headers, ignore),
                        label: label(request),
                        members: vec![index],
                        cursor: AtomicUsize::new(0),
                        contract: contract_index(contracts, &request.method, request.path()),
                    });
                }
            }
        }
        let mut by_contract: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut recorded_errors = HashMap::new();
        for (index, stub) in stubs.iter().enumerate() {
            let Some(contract) = stub.contract else {
                continue;
            };
            by_contract.entry(contract).or_default().push(index);
            let error = stub
                .members
                .iter()
                .find(|&&m| (400..500).contains(&exchanges[m].response.status));
            if let Some(&error) = error {
                let first = recorded_errors.entry(contract).or_insert(error);
                *first = (*first).min(error);
            }
        }
        let cached = Cached {
            stubs,
            by_path,
            by_contract,
            by_key,
            replies: exchanges
                .iter()
                .map(|e| Reply::recorded(&e.response))
                .collect(),
        };
        (cached, recorded_errors)
    }
}

/// Position in the set of the contract `ContractSet::find` picks for a request.
pub(crate) fn contract_index(contracts: &ContractSet, method: &str, path: &str) -> Option<usize> {
    let found: &Contract = contracts.find(None, method, path)?;
    contracts.iter().position(|c| std::ptr::eq(c, found))
}
