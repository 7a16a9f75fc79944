//! The route table: recorded exchanges compiled into stubs a peer answers from.
//!
//! Recorded requests that are identical (modulo ignore rules) form one [`Stub`] whose replies
//! play back in recorded order — the first identical live request gets the first recording,
//! the second the second — and once all are used the last one repeats (or playback cycles, or
//! answers 404, per [`Playback`]). Everything a reply
//! needs (status, headers, body bytes) is built once at start, so serving one clones only
//! reference-counted bytes and a small header map.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, StatusCode};

use super::Playback;
use super::matcher::{LiveRequest, Matcher, Mismatch, Part, RequestMatcher};
use crate::contract::{Contract, ContractSet};
use crate::recording::{Body, Exchange, Response};
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

/// Identical recorded requests and the replies they play back in order.
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

/// Every stub of a peer.
#[derive(Debug)]
pub(crate) struct Routes {
    stubs: Vec<Stub>,
    /// Stub indexes by literal path, for a quick first cut (looked up once per request, so
    /// with a fast hash).
    by_path: foldhash::HashMap<String, Vec<usize>>,
    /// Stub indexes by the contract operation covering them.
    by_contract: HashMap<usize, Vec<usize>>,
    /// Per contract operation, the first recorded error response (4xx).
    recorded_errors: HashMap<usize, usize>,
    replies: Vec<Reply>,
    served: Vec<AtomicBool>,
}

impl Routes {
    pub(crate) fn new(
        exchanges: &[Exchange],
        ignore: IgnoreRules,
        headers: &[String],
        contracts: &ContractSet,
    ) -> Self {
        let ignore = Arc::new(ignore);
        let mut stubs: Vec<Stub> = Vec::new();
        let mut by_path: foldhash::HashMap<String, Vec<usize>> = foldhash::HashMap::default();
        for (index, exchange) in exchanges.iter().enumerate() {
            let request = &exchange.request;
            let candidates = by_path.entry(request.path().to_string()).or_default();
            let same = LiveRequest::from_recorded(request).and_then(|as_live| {
                candidates
                    .iter()
                    .copied()
                    .find(|&s| stubs[s].matcher.matches(&as_live))
            });
            match same {
                Some(s) => stubs[s].members.push(index),
                None => {
                    candidates.push(stubs.len());
                    stubs.push(Stub {
                        matcher: RequestMatcher::recorded(request, headers, &ignore),
                        label: format!("{} {}", request.method.to_ascii_uppercase(), request.url),
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
        Routes {
            stubs,
            by_path,
            by_contract,
            recorded_errors,
            replies: exchanges
                .iter()
                .map(|e| Reply::recorded(&e.response))
                .collect(),
            served: exchanges.iter().map(|_| AtomicBool::new(false)).collect(),
        }
    }

    pub(crate) fn stub(&self, index: usize) -> &Stub {
        &self.stubs[index]
    }

    pub(crate) fn stubs(&self) -> &[Stub] {
        &self.stubs
    }

    /// The stub whose recorded request the live one matches.
    pub(crate) fn find(&self, request: &LiveRequest) -> Option<usize> {
        self.by_path
            .get(request.path())?
            .iter()
            .copied()
            .find(|&s| self.stubs[s].matcher.matches(request))
    }

    /// A stub matching the request in every part but `skip`, among stubs at the same literal
    /// path (`contract: None`) or covered by the same contract operation.
    pub(crate) fn find_loosely(
        &self,
        request: &LiveRequest,
        contract: Option<usize>,
        skip: &[Part],
    ) -> Option<usize> {
        let candidates = match contract {
            None => self.by_path.get(request.path())?,
            Some(c) => self.by_contract.get(&c)?,
        };
        candidates
            .iter()
            .copied()
            .find(|&s| self.stubs[s].matcher.matches_except(request, skip))
    }

    /// Takes the stub's next reply: recorded order, then per `playback`; `None` when the
    /// replies are used up and playback is [`Playback::NotFound`].
    pub(crate) fn take(&self, stub: usize, playback: Playback) -> Option<(usize, &Reply)> {
        let stub = &self.stubs[stub];
        let count = stub.members.len();
        // Past the last reply only `cycle` needs the count to go on, so the other playbacks
        // stop writing the shared cursor (which every thread serving the stub would contend on).
        let seen = stub.cursor.load(Ordering::Relaxed);
        let turn = if seen >= count && playback != Playback::Cycle {
            seen
        } else {
            stub.cursor.fetch_add(1, Ordering::Relaxed)
        };
        let position = match playback {
            Playback::Repeat => turn.min(count.saturating_sub(1)),
            Playback::Cycle => turn % count.max(1),
            Playback::NotFound if turn < count => turn,
            Playback::NotFound => return None,
        };
        let index = stub.members[position];
        self.mark_served(index);
        Some((index, &self.replies[index]))
    }

    /// The recorded error response (4xx) of a contract operation, if the recording has one.
    pub(crate) fn recorded_error(&self, contract: usize) -> Option<(usize, &Reply)> {
        let index = *self.recorded_errors.get(&contract)?;
        self.mark_served(index);
        Some((index, &self.replies[index]))
    }

    /// Notes that a recorded exchange was served, writing the flag only the first time.
    fn mark_served(&self, index: usize) {
        if !self.served[index].load(Ordering::Relaxed) {
            self.served[index].store(true, Ordering::Relaxed);
        }
    }

    /// The recorded request nearest to one that matched none: same method and path first,
    /// then the fewest differences, then the earliest recorded.
    pub(crate) fn closest(&self, request: &LiveRequest) -> Option<Closest> {
        self.stubs
            .iter()
            .map(|stub| {
                let mut mismatches = Vec::new();
                stub.matcher.explain(request, &mut mismatches);
                let elsewhere = mismatches
                    .iter()
                    .any(|m| matches!(m.part, Part::Method | Part::Path));
                ((elsewhere, mismatches.len()), stub, mismatches)
            })
            .min_by_key(|(score, stub, _)| (*score, stub.members[0]))
            .map(|(_, stub, mismatches)| Closest {
                index: stub.members[0],
                label: stub.label.clone(),
                mismatches,
            })
    }

    /// Recorded exchanges never served, in recorded order.
    pub(crate) fn unused(&self) -> Vec<usize> {
        self.served
            .iter()
            .enumerate()
            .filter(|(_, served)| !served.load(Ordering::Relaxed))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Position in the set of the contract `ContractSet::find` picks for a request.
pub(crate) fn contract_index(contracts: &ContractSet, method: &str, path: &str) -> Option<usize> {
    let found: &Contract = contracts.find(None, method, path)?;
    contracts.iter().position(|c| std::ptr::eq(c, found))
}
