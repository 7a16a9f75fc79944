//! The streaming pre-pass of request chaining: where each recorded peer call sits among the
//! replayed exchanges, and which values the target sends its peers come back to it.
//!
//! [`super::chain::steps`] answers the same questions for recordings held in memory; here the
//! recordings are read one exchange at a time and only compact data is kept, so a replay of a
//! million exchanges needs no more than:
//!
//! - the 32-bit upper halves of the hashes of the values that appear both in a request to a
//!   peer and in the target's traffic ([`Placement::returns`], 4 bytes each; a value whose
//!   half matches by chance, as one the filter below lets in, is only watched for in vain);
//! - while placing (then dropped), per recorded peer call its start time, step and number
//!   (16 bytes), per replayed exchange its start time (8 bytes), the values coming back (kept
//!   sorted and deduplicated as they are collected) and, when some call has no timestamp, the
//!   first replayed request carrying each value the peers were sent (16 bytes each);
//! - while placing, a Bloom filter of the values sent to the peers (sized at 10 bits for every
//!   64 bytes of their recordings; a false positive only lets a value into `returns`).
//!
//! The placed calls themselves live in an unnamed temporary file (16 bytes of place per call,
//! 8 of replay order), which [`Calls`] reads forward a block at a time as the replay goes, and
//! which the system removes when the run ends however it ends.
//!
//! Peer calls are placed by the rules of [`super::chain`]: at the last replayed exchange that
//! started before them when every exchange has a timestamp, else at the first exchange whose
//! request shares a value with them, else at the first exchange; within an exchange, in order
//! of their timestamps.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::site::{request_values, response_values};
use super::value::linkable;
use crate::error::{Error, InputError};
use crate::recording::stream::{self, Place};
use crate::recording::{Exchange, Request};

/// One recorded peer call while placing: its start time, step and number (peer after peer,
/// in recording order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlacedCall {
    /// Its start time in nanoseconds since the epoch, `i64::MIN` without one (ordering only).
    at: i64,
    /// 0-based step.
    step: u32,
    /// 0-based number among every peer's calls.
    call: u32,
}

/// Bytes of a call's place in the temporary file: offset, length and line.
const PLACE_BYTES: u64 = 16;
/// Bytes of a call's entry in replay order: step and number.
const ORDER_BYTES: usize = 8;

/// The recorded peer calls in a temporary file: first each call's place (peer after peer, in
/// recording order), then the calls in replay order.
#[derive(Debug)]
struct Spill {
    file: File,
    /// How many calls each peer's recording holds.
    per_peer: Vec<u32>,
    count: u64,
}

/// What the pre-pass found.
#[derive(Debug, Default)]
pub struct Placement {
    /// Every recorded peer call, in replay order (by step, then by time).
    calls: Option<Spill>,
    /// Sorted upper halves of the hashes ([`value_hash`]) of the values that appear in a
    /// request to a peer and in the target's traffic (a value the target sends a peer is
    /// linked only when it comes back).
    pub returns: Vec<u32>,
    /// How many linkable values the recordings hold, a value counted once per exchange (and
    /// again in each exchange it recurs in): sizes the replay's filter of values already seen.
    pub values: usize,
}

impl Placement {
    /// Whether a value sent to a peer also appears in the target's traffic.
    pub fn returns(&self, text: &str) -> bool {
        self.returns.binary_search(&upper(value_hash(text))).is_ok()
    }
}

/// How many different hashes a list holds (sorting it).
fn distinct(hashes: &mut [u64]) -> usize {
    hashes.sort_unstable();
    hashes.len() - hashes.windows(2).filter(|w| w[0] == w[1]).count()
}

/// The upper half of a hash.
fn upper(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// Adds `item` to a list that is sorted and deduplicated whenever it fills up, so it holds
/// each distinct item once and at most twice as many as there are.
fn add_compacting<T: Ord>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    if list.len() == list.capacity() {
        list.sort();
        list.dedup_by(|a, b| same(a, b));
        if list.len() * 2 > list.capacity() {
            list.reserve(list.capacity().max(1024));
        }
    }
    list.push(item);
}

/// The recorded peer calls of a scenario in replay order, read again by position as a
/// streaming reader of the replay recording reaches their step.
pub struct Calls {
    peers: Vec<(String, PathBuf, File)>,
    spill: Option<Spill>,
    /// Calls taken so far.
    taken: u64,
    /// The next calls in replay order, as (step, number), read ahead in blocks.
    ahead: std::collections::VecDeque<(u32, u32)>,
}

/// A recorded peer call read back: its peer, its 0-based index in the peer's recording, and
/// the exchange.
pub type ReadCall = (String, usize, Exchange);

/// Calls read ahead at once.
const READ_AHEAD: u64 = 4096;

impl Calls {
    /// Takes the placed calls out of `placement`; `peers` are the names and files given to
    /// [`place`].
    pub fn open(placement: &mut Placement, peers: &[(&str, &Path)]) -> Result<Calls, Error> {
        let mut files = Vec::new();
        for (name, path) in peers {
            let file = File::open(path).map_err(|err| {
                InputError::in_file(path, format!("cannot read recording: {err}"))
            })?;
            files.push((name.to_string(), path.to_path_buf(), file));
        }
        Ok(Calls {
            peers: files,
            spill: placement.calls.take(),
            taken: 0,
            ahead: std::collections::VecDeque::new(),
        })
    }

    /// The calls placed at steps up to `step` not read yet, in order.
    pub fn up_to(&mut self, step: usize) -> Result<Vec<ReadCall>, Error> {
        let mut read = Vec::new();
        let Some(spill) = &self.spill else {
            return Ok(read);
        };
        loop {
            if self.ahead.is_empty() && self.taken < spill.count {
                let count = (spill.count - self.taken).min(READ_AHEAD);
                let mut bytes = vec![0u8; count as usize * ORDER_BYTES];
                let at = spill.count * PLACE_BYTES + self.taken * ORDER_BYTES as u64;
                stream::positioned_read(&spill.file, &mut bytes, at).map_err(spill_error)?;
                self.ahead
                    .extend(bytes.chunks_exact(ORDER_BYTES).map(|entry| {
                        let (step, call) = entry.split_at(4);
                        (u32_at(step), u32_at(call))
                    }));
            }
            let Some(&(at_step, call)) = self.ahead.front() else {
                break;
            };
            if at_step as usize > step {
                break;
            }
            self.ahead.pop_front();
            self.taken += 1;
            let mut place = [0u8; PLACE_BYTES as usize];
            stream::positioned_read(&spill.file, &mut place, u64::from(call) * PLACE_BYTES)
                .map_err(spill_error)?;
            let (offset, rest) = place.split_at(8);
            let (len, line) = rest.split_at(4);
            let place = Place {
                offset: u64::from_le_bytes(offset.try_into().unwrap_or_default()),
                len: u32_at(len),
                line: u32_at(line) as usize,
            };
            let (peer, index) = spill.peer_of(call);
            if let Some((name, path, file)) = self.peers.get(peer) {
                let exchange = stream::read_at(path, file, place)?;
                read.push((name.clone(), index, exchange));
            }
        }
        Ok(read)
    }
}

impl Spill {
    /// Creates the temporary file.
    fn create() -> Result<Spill, Error> {
        Ok(Spill {
            file: tempfile::tempfile().map_err(spill_error)?,
            per_peer: Vec::new(),
            count: 0,
        })
    }

    /// The peer (position in the list given to [`place`]) and index of call number `call`.
    fn peer_of(&self, call: u32) -> (usize, usize) {
        let mut first = 0;
        for (peer, &count) in self.per_peer.iter().enumerate() {
            if call < first + count {
                return (peer, (call - first) as usize);
            }
            first += count;
        }
        (self.per_peer.len(), 0)
    }
}

fn u32_at(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().unwrap_or_default())
}

/// The temporary folder is full or not writable: a problem of the machine, not of the input.
fn spill_error(err: std::io::Error) -> Error {
    Error::environment(format!(
        "cannot keep the recorded peer calls in a temporary file in {}: {err}; set TMPDIR to a \
         writable folder with room",
        std::env::temp_dir().display()
    ))
}

/// The 64-bit hash values are compared by (the same in every run).
pub fn value_hash(text: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Reads the replay recording and each peer's recording once or twice, one exchange at a time
/// (without peers, nothing is read).
pub fn place(target: &Path, peers: &[(&str, &Path)]) -> Result<Placement, Error> {
    let mut placement = Placement::default();
    if peers.is_empty() {
        // Nothing to place and nothing sent to a peer: the target's recording is not read
        // ahead; its values are estimated from its size (one for every 128 bytes).
        let bytes = std::fs::metadata(target).map_or(0, |m| m.len());
        placement.values = usize::try_from(bytes / 128).unwrap_or(usize::MAX);
        return Ok(placement);
    }
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
    // Pass 1 over the peers: their calls (their places go to the temporary file), and the
    // values they were sent.
    let mut spill = Spill::create()?;
    let mut calls: Vec<PlacedCall> = Vec::new();
    // The value hashes of one exchange.
    let mut seen: Vec<u64> = Vec::new();
    let mut places = BufWriter::new(&spill.file);
    for (_, path) in peers {
        let mut count = 0u32;
        for entry in stream::open(path)? {
            let entry = entry?;
            calls.push(PlacedCall {
                at: timestamp(&entry.exchange).unwrap_or(i64::MIN),
                step: 0,
                call: calls.len() as u32,
            });
            let line = u32::try_from(entry.place.line).unwrap_or(u32::MAX);
            (places.write_all(&entry.place.offset.to_le_bytes()))
                .and_then(|()| places.write_all(&entry.place.len.to_le_bytes()))
                .and_then(|()| places.write_all(&line.to_le_bytes()))
                .map_err(spill_error)?;
            count += 1;
            seen.clear();
            for text in request_texts(&entry.exchange.request) {
                let hash = value_hash(&text);
                sent.insert_hash(hash);
                seen.push(hash);
            }
            seen.extend(response_texts(&entry.exchange).map(|text| value_hash(&text)));
            placement.values += distinct(&mut seen);
        }
        spill.per_peer.push(count);
    }
    places.flush().map_err(spill_error)?;
    drop(places);
    // A call without a time is placed by the values it shares with the target's requests.
    let any_untimed = calls.iter().any(|c| c.at == i64::MIN);
    // Pass over the target: start times, values coming back, first request carrying each
    // (when some call may be placed by them; `missed` steps were passed before that was known).
    let mut started: Vec<i64> = Vec::new();
    let mut all_timed = true;
    let mut first_request: Vec<(u64, u32)> = Vec::new();
    let mut missed = 0;
    let mut steps = 0u32;
    for entry in stream::open(target)? {
        let entry = entry?;
        match timestamp(&entry.exchange) {
            Some(at) if all_timed => started.push(at),
            _ => {
                if all_timed && !any_untimed {
                    missed = steps;
                }
                all_timed = false;
                started = Vec::new();
            }
        }
        let wanted = any_untimed || !all_timed;
        seen.clear();
        for text in request_texts(&entry.exchange.request) {
            let hash = value_hash(&text);
            seen.push(hash);
            if sent.contains_hash(hash) {
                add_compacting(&mut placement.returns, upper(hash), u32::eq);
                if wanted {
                    add_compacting(&mut first_request, (hash, steps), |a, b| a.0 == b.0);
                }
            }
        }
        for text in response_texts(&entry.exchange) {
            let hash = value_hash(&text);
            seen.push(hash);
            if sent.contains_hash(hash) {
                add_compacting(&mut placement.returns, upper(hash), u32::eq);
            }
        }
        placement.values += distinct(&mut seen);
        steps += 1;
    }
    if missed > 0 {
        for entry in stream::open(target)?.take(missed as usize).enumerate() {
            let (step, entry) = (entry.0 as u32, entry.1?);
            for text in request_texts(&entry.exchange.request) {
                let hash = value_hash(&text);
                if sent.contains_hash(hash) {
                    add_compacting(&mut first_request, (hash, step), |a, b| a.0 == b.0);
                }
            }
        }
    }
    drop(sent);
    placement.returns.sort_unstable();
    placement.returns.dedup();
    placement.returns.shrink_to_fit();
    // Each value with its first step: the smallest, which sorts first.
    first_request.sort_unstable();
    first_request.dedup_by(|a, b| a.0 == b.0);
    first_request.shrink_to_fit();
    if steps == 0 {
        return Ok(placement);
    }

    if all_timed {
        // The last exchange that started at or before a call is found by binary search over
        // the suffix minima of the start times (which never decrease).
        let mut minima = started;
        for i in (0..minima.len().saturating_sub(1)).rev() {
            minima[i] = minima[i].min(minima[i + 1]);
        }
        for call in calls.iter_mut().filter(|c| c.at != i64::MIN) {
            let after = minima.partition_point(|&s| s <= call.at);
            call.step = after.saturating_sub(1) as u32;
        }
    }
    let untimed = |c: &PlacedCall| !all_timed || c.at == i64::MIN;
    if !first_request.is_empty() && calls.iter().any(untimed) {
        // Pass 2 over the peers: each call without a time goes to the first exchange sharing
        // a value with it.
        let first = |hash: u64| {
            let at = first_request.partition_point(|&(h, _)| h < hash);
            first_request
                .get(at)
                .filter(|&&(h, _)| h == hash)
                .map(|&(_, step)| step)
        };
        let mut calls = calls.iter_mut();
        for (_, path) in peers {
            for entry in stream::open(path)? {
                let entry = entry?;
                let Some(call) = calls.next() else { break };
                if untimed(call) {
                    call.step = request_texts(&entry.exchange.request)
                        .filter_map(|text| first(value_hash(&text)))
                        .min()
                        .unwrap_or(0);
                }
            }
        }
    }
    drop(first_request);
    // Calls at the same step and time stay in peer order, then recording order (their number).
    calls.sort_unstable_by_key(|c| (c.step, c.at, c.call));
    let mut order = BufWriter::new(&spill.file);
    for call in &calls {
        (order.write_all(&call.step.to_le_bytes()))
            .and_then(|()| order.write_all(&call.call.to_le_bytes()))
            .map_err(spill_error)?;
    }
    order.flush().map_err(spill_error)?;
    drop(order);
    spill.count = calls.len() as u64;
    placement.calls = Some(spill);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(url: &str, body: &str, at: Option<&str>) -> String {
        let at = at.map_or(String::new(), |at| format!(r#","recorded_at":"{at}""#));
        format!(
            r#"{{"request":{{"method":"POST","url":"{url}","body":{body}}},"response":{{"status":200,"body":{{}}}}{at}}}"#
        )
    }

    /// Reads every step's calls as (peer, index, url).
    fn read(calls: &mut Calls, steps: usize) -> Vec<Vec<(String, usize, String)>> {
        (0..steps)
            .map(|step| {
                (calls.up_to(step).expect("read").into_iter())
                    .map(|(peer, index, e)| (peer, index, e.request.url))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn calls_come_back_in_replay_order_across_peers_and_blocks_read_ahead() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("crm.jsonl");
        let t = |s: u32| format!("2026-03-02T09:{:02}:{:02}Z", s / 60, s % 60);
        let target_lines = [
            line("/c/1", r#"{"ref":"R-1001"}"#, Some(&t(0))),
            line("/c/2", r#"{"ref":"R-1002"}"#, Some(&t(100))),
            line("/c/3", r#"{"ref":"R-1003"}"#, Some(&t(200))),
        ];
        std::fs::write(&target, target_lines.join("\n")).expect("crm");
        // More calls than one block read ahead, all during the second exchange, the later
        // ones recorded first so that placing must sort them.
        let many = READ_AHEAD as usize + 5;
        let a = dir.path().join("a.jsonl");
        let a_lines: Vec<String> = (0..many)
            .map(|i| {
                let at = format!("2026-03-02T09:01:50.{:06}Z", many - i);
                line(&format!("/a/{i}"), "{}", Some(&at))
            })
            .collect();
        std::fs::write(&a, a_lines.join("\n") + "\n").expect("a");
        // One call during the first exchange; one without a time, placed by the value it
        // shares with the third exchange's request; a blank line between them.
        let b = dir.path().join("b.jsonl");
        let b_lines = [
            line("/b/0", "{}", Some(&t(50))),
            String::new(),
            line("/b/1", r#"{"ref":"R-1003"}"#, None),
        ];
        std::fs::write(&b, b_lines.join("\n")).expect("b");
        let peers = [("a", a.as_path()), ("b", b.as_path())];
        let mut placement = place(&target, &peers).expect("placed");
        let mut calls = Calls::open(&mut placement, &peers).expect("calls");
        let steps = read(&mut calls, 4);
        assert_eq!(steps[0], [("b".to_string(), 0, "/b/0".to_string())]);
        let expected: Vec<(String, usize, String)> = (0..many)
            .rev()
            .map(|i| ("a".to_string(), i, format!("/a/{i}")))
            .collect();
        assert_eq!(steps[1], expected);
        assert_eq!(steps[2], [("b".to_string(), 1, "/b/1".to_string())]);
        assert!(steps[3].is_empty());
        assert!(placement.returns("R-1003"));
        assert!(!placement.returns("R-1001"));
    }

    #[test]
    fn without_timestamps_in_the_replay_calls_go_where_their_values_were_first_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("crm.jsonl");
        // Timed at first, then not: the values of the timed steps still place calls.
        let target_lines = [
            line("/c/1", r#"{"ref":"R-2001"}"#, Some("2026-03-02T09:00:00Z")),
            line("/c/2", r#"{"ref":"R-2002"}"#, None),
            line("/c/3", r#"{"ref":"R-2001"}"#, None),
        ];
        std::fs::write(&target, target_lines.join("\n")).expect("crm");
        let erp = dir.path().join("erp.jsonl");
        let erp_lines = [
            line("/e/0", r#"{"ref":"R-2002"}"#, Some("2026-03-02T09:00:01Z")),
            line("/e/1", r#"{"ref":"R-2001"}"#, Some("2026-03-02T09:00:02Z")),
            line("/e/2", r#"{"other":"X-9999"}"#, None),
        ];
        std::fs::write(&erp, erp_lines.join("\n")).expect("erp");
        let peers = [("erp", erp.as_path())];
        let mut placement = place(&target, &peers).expect("placed");
        let mut calls = Calls::open(&mut placement, &peers).expect("calls");
        let urls: Vec<Vec<String>> = (read(&mut calls, 3).into_iter())
            .map(|step| step.into_iter().map(|(_, _, url)| url).collect())
            .collect();
        // Within a step, a call without a time comes first.
        assert_eq!(urls, [vec!["/e/2", "/e/1"], vec!["/e/0"], vec![]]);
    }

    #[test]
    fn values_are_counted_once_per_exchange_they_appear_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("crm.jsonl");
        let exchange = r#"{"request":{"method":"POST","url":"/c","body":{"a":"R-3001","b":"R-3001"}},"response":{"status":201,"body":{"id":"R-3001","other":"R-3002"}}}"#;
        std::fs::write(&target, exchange).expect("crm");
        let erp = dir.path().join("erp.jsonl");
        std::fs::write(
            &erp,
            line("/e", r#"{"ref":"R-3001","again":"R-3001"}"#, None),
        )
        .expect("erp");
        let placement = place(&target, &[("erp", erp.as_path())]).expect("placed");
        assert_eq!(placement.values, 3);
        assert!(placement.returns("R-3001"));
        assert!(!placement.returns("R-3002"));
    }

    #[test]
    fn a_compacting_list_keeps_each_item_once_and_the_first_of_equal_keys() {
        let mut list: Vec<(u64, u32)> = Vec::with_capacity(4);
        for (i, key) in [5u64, 3, 5, 5, 3, 9, 5, 3, 1, 5].into_iter().enumerate() {
            add_compacting(&mut list, (key, i as u32), |a, b| a.0 == b.0);
        }
        assert!(list.len() <= 2 * 4, "{list:?}");
        list.sort_unstable();
        list.dedup_by(|a, b| a.0 == b.0);
        assert_eq!(list, [(1, 8), (3, 1), (5, 0), (9, 5)]);
    }
}
