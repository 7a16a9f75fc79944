//! The streaming pre-pass of request chaining: where each recorded peer call sits among the
//! replayed exchanges, and which values the target sends its peers come back to it.
//!
//! [`super::chain::steps`] answers the same questions for recordings held in memory; here the
//! recordings are read one exchange at a time and only compact data is kept, so a replay of a
//! million exchanges needs no more than:
//!
//! - per recorded peer call, a [`PlacedCall`] (where its line is, its step, its peer and index:
//!   40 bytes);
//! - while placing (then dropped), each replayed exchange's start time (16 bytes), and the
//!   first replayed request carrying each value the peers were sent (only without timestamps);
//! - the 64-bit hashes of the values that appear both in a request to a peer and in the
//!   target's traffic ([`Placement::returns`], 8 bytes each);
//! - while placing, a Bloom filter of the values sent to the peers (sized at 10 bits for every
//!   64 bytes of their recordings; a false positive only lets a value into `returns`).
//!
//! Peer calls are placed by the rules of [`super::chain`]: at the last replayed exchange that
//! started before them when every exchange has a timestamp, else at the first exchange whose
//! request shares a value with them, else at the first exchange; within an exchange, in order
//! of their timestamps.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::site::{request_values, response_values};
use super::value::linkable;
use crate::error::InputError;
use crate::recording::stream::{self, Place};
use crate::recording::{Exchange, Request};

/// One recorded peer call and the replayed exchange (step) it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedCall {
    /// Byte offset of its recording line.
    pub offset: u64,
    /// Its start time in nanoseconds since the epoch, `i64::MIN` without one (ordering only).
    pub at: i64,
    /// 0-based step.
    pub step: u32,
    /// 0-based index in its peer's recording.
    pub index: u32,
    /// 1-based line and length of its recording line.
    pub line: u32,
    pub len: u32,
    /// Which peer, as its position in the list given to [`place`].
    pub peer: u16,
}

impl PlacedCall {
    /// Where the call's exchange sits in its recording, to read it again.
    pub fn place(&self) -> Place {
        Place {
            line: self.line as usize,
            offset: self.offset,
            len: self.len,
        }
    }
}

/// What the pre-pass found.
#[derive(Debug, Default)]
pub struct Placement {
    /// Every recorded peer call, in replay order (by step, then by time).
    pub calls: Vec<PlacedCall>,
    /// Sorted hashes of the values that appear in a request to a peer and in the target's
    /// traffic (a value the target sends a peer is linked only when it comes back).
    pub returns: Vec<u64>,
    /// How many linkable values the recordings hold (with repeats): sizes the replay's filter
    /// of values already seen.
    pub values: usize,
}

impl Placement {
    /// Whether a value sent to a peer also appears in the target's traffic.
    pub fn returns(&self, text: &str) -> bool {
        self.returns.binary_search(&value_hash(text)).is_ok()
    }
}

/// The recorded peer calls of a scenario in replay order, read again by position as a
/// streaming reader of the replay recording reaches their step.
pub struct Calls {
    peers: Vec<(String, PathBuf, File)>,
    calls: Vec<PlacedCall>,
    next: usize,
}

/// A recorded peer call read back: its peer, its 0-based index in the peer's recording, and
/// the exchange.
pub type ReadCall = (String, usize, Exchange);

impl Calls {
    /// Takes the placed calls out of `placement`; `peers` are the names and files given to
    /// [`place`].
    pub fn open(placement: &mut Placement, peers: &[(&str, &Path)]) -> Result<Calls, InputError> {
        let mut files = Vec::new();
        for (name, path) in peers {
            let file = File::open(path).map_err(|err| {
                InputError::in_file(path, format!("cannot read recording: {err}"))
            })?;
            files.push((name.to_string(), path.to_path_buf(), file));
        }
        Ok(Calls {
            peers: files,
            calls: std::mem::take(&mut placement.calls),
            next: 0,
        })
    }

    /// The calls placed at steps up to `step` not read yet, in order.
    pub fn up_to(&mut self, step: usize) -> Result<Vec<ReadCall>, InputError> {
        let mut read = Vec::new();
        while let Some(call) = self.calls.get(self.next) {
            if call.step as usize > step {
                break;
            }
            self.next += 1;
            if let Some((name, path, file)) = self.peers.get(call.peer as usize) {
                let exchange = stream::read_at(path, file, call.place())?;
                read.push((name.clone(), call.index as usize, exchange));
            }
        }
        Ok(read)
    }
}

/// The 64-bit hash values are compared by (the same in every run).
pub fn value_hash(text: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Reads the replay recording and each peer's recording once or twice, one exchange at a time
/// (without peers, nothing is read).
pub fn place(target: &Path, peers: &[(&str, &Path)]) -> Result<Placement, InputError> {
    let mut placement = Placement::default();
    // Sized from the files (a value takes more than 64 bytes of a recording line); a filter
    // that turns out too small only lets more of the target's values into `returns`.
    let bytes: u64 = peers
        .iter()
        .filter_map(|(_, path)| std::fs::metadata(path).ok())
        .map(|m| m.len())
        .sum();
    let mut sent = fastbloom::BloomFilter::with_false_pos(0.01)
        .seed(&0)
        .expected_items(usize::try_from(bytes / 64).unwrap_or(usize::MAX).max(1024));
    // Pass 1 over the peers: their calls, and the values they were sent.
    for (peer, (_, path)) in peers.iter().enumerate() {
        for (index, entry) in stream::open(path)?.enumerate() {
            let entry = entry?;
            placement.calls.push(PlacedCall {
                offset: entry.place.offset,
                at: timestamp(&entry.exchange).unwrap_or(i64::MIN),
                step: 0,
                index: index as u32,
                line: entry.place.line as u32,
                len: entry.place.len,
                peer: peer as u16,
            });
            for text in request_texts(&entry.exchange.request) {
                sent.insert_hash(value_hash(&text));
                placement.values += 1;
            }
            placement.values += response_texts(&entry.exchange).count();
        }
    }
    if peers.is_empty() {
        // Nothing to place and nothing sent to a peer: the target's recording is not read
        // ahead; its values are estimated from its size (one for every 128 bytes).
        let bytes = std::fs::metadata(target).map_or(0, |m| m.len());
        placement.values = usize::try_from(bytes / 128).unwrap_or(usize::MAX);
        return Ok(placement);
    }
    // Pass over the target: start times, values coming back, first request carrying each.
    let mut started: Vec<i64> = Vec::new();
    let mut all_timed = true;
    let mut first_request: HashMap<u64, u32> = HashMap::new();
    let mut steps = 0u32;
    for entry in stream::open(target)? {
        let entry = entry?;
        match timestamp(&entry.exchange) {
            Some(at) if all_timed => started.push(at),
            _ => {
                all_timed = false;
                started = Vec::new();
            }
        }
        for text in request_texts(&entry.exchange.request) {
            placement.values += 1;
            let hash = value_hash(&text);
            if sent.contains_hash(hash) {
                placement.returns.push(hash);
                first_request.entry(hash).or_insert(steps);
            }
        }
        for text in response_texts(&entry.exchange) {
            placement.values += 1;
            let hash = value_hash(&text);
            if sent.contains_hash(hash) {
                placement.returns.push(hash);
            }
        }
        steps += 1;
    }
    drop(sent);
    placement.returns.sort_unstable();
    placement.returns.dedup();
    placement.returns.shrink_to_fit();
    if steps == 0 {
        placement.calls = Vec::new();
        return Ok(placement);
    }

    if all_timed {
        // The last exchange that started at or before a call is found by binary search over
        // the suffix minima of the start times (which never decrease).
        let mut minima = started;
        for i in (0..minima.len().saturating_sub(1)).rev() {
            minima[i] = minima[i].min(minima[i + 1]);
        }
        for call in placement.calls.iter_mut().filter(|c| c.at != i64::MIN) {
            let after = minima.partition_point(|&s| s <= call.at);
            call.step = after.saturating_sub(1) as u32;
        }
    }
    let untimed = |c: &PlacedCall| !all_timed || c.at == i64::MIN;
    if !first_request.is_empty() && placement.calls.iter().any(untimed) {
        // Pass 2 over the peers: each call without a time goes to the first exchange sharing
        // a value with it.
        let mut calls = placement.calls.iter_mut();
        for (_, path) in peers {
            for entry in stream::open(path)? {
                let entry = entry?;
                let Some(call) = calls.next() else { break };
                if untimed(call) {
                    call.step = request_texts(&entry.exchange.request)
                        .filter_map(|text| first_request.get(&value_hash(&text)).copied())
                        .min()
                        .unwrap_or(0);
                }
            }
        }
    }
    // Stable: calls at the same step and time stay in peer order, then recording order.
    placement.calls.sort_by_key(|c| (c.step, c.at));
    placement.calls.shrink_to_fit();
    Ok(placement)
}

/// The linkable values of a request, as text.
pub fn request_texts(request: &Request) -> impl Iterator<Item = String> {
    request_values(request)
        .into_iter()
        .filter_map(|(_, v)| linkable(&v))
}

/// The linkable values of an exchange's response, as text.
fn response_texts(exchange: &Exchange) -> impl Iterator<Item = String> {
    response_values(&exchange.response)
        .into_iter()
        .filter_map(|(_, v)| linkable(&v))
}

/// An exchange's `recorded_at` in nanoseconds since the epoch.
fn timestamp(exchange: &Exchange) -> Option<i64> {
    let text = exchange.recorded_at.as_deref()?;
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos()).ok()
}
