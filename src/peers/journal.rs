//! The journal: every request a peer received, in order.
//!
//! Two readers share it. The run takes the calls made since its last take (one exchange's
//! worth) with [`Journal::take`]; the admin endpoint shows the whole history with
//! [`Journal::history`] and clears it with [`Journal::clear`]. The journal is bounded: past
//! [`Journal::CAPACITY`] calls per stripe, or past its share of the byte cap (by default
//! [`Journal::BYTES`] in all, counting each call's head and kept body), the oldest is dropped, and counted when it had not been
//! taken yet, so a peer hammered by a runaway target (or a ten-minute soak) cannot grow without
//! limit; the new call is written over the dropped one ([`Journal::push_with`]), so a full
//! journal neither allocates nor frees.
//!
//! Calls are numbered from one atomic counter and kept in stripes, one per serving thread, so
//! the runtime's threads never wait for each other to journal a call; readers merge the stripes
//! by number.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::PeerCall;

/// Stripes per journal; threads are spread over them round-robin.
const STRIPES: usize = 8;

#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    /// Bytes of calls kept at most per stripe.
    stripe_bytes: usize,
    next: AtomicU64,
    /// Number of the first call the history shows (calls before it were cleared).
    visible: AtomicU64,
    dropped: AtomicU64,
    stripes: Vec<Padded>,
}

/// A stripe on cache lines of its own: the threads locking neighbouring stripes would
/// otherwise keep stealing one line from each other.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(Mutex<Stripe>);

#[derive(Debug, Default)]
struct Stripe {
    /// Calls with their numbers, oldest first.
    calls: VecDeque<(u64, Arc<PeerCall>)>,
    /// Position of the first call not taken yet.
    untaken: usize,
    /// What the calls weigh together ([`weight`]).
    bytes: usize,
}

/// What a journalled call holds on to, roughly: its head and kept body plus a fixed part.
fn weight(call: &PeerCall) -> usize {
    256 + call.head.len() + call.body.len()
}

impl Stripe {
    /// Forgets calls that are both taken and cleared.
    fn trim(&mut self, visible: u64) {
        while self.untaken > 0 && self.calls.front().is_some_and(|(seq, _)| *seq < visible) {
            if let Some((_, call)) = self.calls.pop_front() {
                self.bytes = self.bytes.saturating_sub(weight(&call));
            }
            self.untaken -= 1;
        }
    }
}

/// The stripe of the current thread.
fn stripe_of_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

impl Journal {
    /// Calls kept at most per stripe.
    pub(crate) const CAPACITY: usize = 10_000;
    /// Bytes of calls kept at most in all, by default, so large bodies cannot make the
    /// journal grow to the count cap times the body cap.
    pub const BYTES: usize = 64 * 1024 * 1024;

    #[cfg(test)]
    pub(crate) fn new(capacity: usize) -> Self {
        Journal::with_bytes(capacity, Journal::BYTES)
    }

    /// A journal keeping at most `capacity` calls per stripe and `bytes` of calls in all
    /// (each stripe an equal share; the newest call of a stripe is always kept).
    pub(crate) fn with_bytes(capacity: usize, bytes: usize) -> Self {
        Journal {
            capacity: capacity.max(1),
            stripe_bytes: (bytes / STRIPES).max(1),
            next: AtomicU64::new(0),
            visible: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            stripes: (0..STRIPES).map(|_| Padded::default()).collect(),
        }
    }

    fn lock(&self, stripe: usize) -> MutexGuard<'_, Stripe> {
        // A panic while holding the lock cannot leave a stripe inconsistent; keep going.
        self.stripes[stripe]
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, call: PeerCall) {
        self.push_with(|slot| *slot = call);
    }

    /// Journals a call that `fill` writes. Once the stripe is full, `fill` gets the oldest
    /// call to overwrite in place (unless a reader still holds it), so a busy peer journals
    /// without allocating or freeing: `fill` must set every field, as
    /// [`PeerCall::set_request`] does for all but the outcome.
    pub(crate) fn push_with(&self, fill: impl FnOnce(&mut PeerCall)) {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut stripe = self.lock(stripe_of_this_thread());
        let mut oldest = None;
        if stripe.calls.len() >= self.capacity {
            oldest = stripe.calls.pop_front().map(|(_, call)| call);
            if let Some(call) = &oldest {
                stripe.bytes = stripe.bytes.saturating_sub(weight(call));
            }
            if stripe.untaken > 0 {
                stripe.untaken -= 1;
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        let (mut call, held) = match oldest {
            Some(call) if Arc::strong_count(&call) == 1 => (call, None),
            held => (Arc::new(PeerCall::default()), held),
        };
        if let Some(slot) = Arc::get_mut(&mut call) {
            fill(slot);
        }
        stripe.bytes += weight(&call);
        stripe.calls.push_back((seq, call));
        // Past the byte cap the oldest calls go too, as past the count cap (the newest stays).
        let mut released = Vec::new();
        while stripe.bytes > self.stripe_bytes && stripe.calls.len() > 1 {
            let Some((_, old)) = stripe.calls.pop_front() else {
                break;
            };
            stripe.bytes = stripe.bytes.saturating_sub(weight(&old));
            if stripe.untaken > 0 {
                stripe.untaken -= 1;
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            released.push(old);
        }
        drop(stripe);
        drop(released);
        // A call a reader still holds is released outside the lock.
        drop(held);
    }

    /// The calls since the last take, oldest first.
    pub(crate) fn take(&self) -> Vec<Arc<PeerCall>> {
        self.take_where(|_| true)
    }

    /// Takes the calls since the last take, showing each to `keep`, and hands back those it
    /// keeps, oldest first. The others are only looked at, not shared, so a reader that just
    /// counts calls never writes to memory the serving threads use.
    pub(crate) fn take_where(&self, mut keep: impl FnMut(&PeerCall) -> bool) -> Vec<Arc<PeerCall>> {
        let visible = self.visible.load(Ordering::Relaxed);
        let mut calls = Vec::new();
        for index in 0..STRIPES {
            let mut stripe = self.lock(index);
            let from = stripe.untaken;
            calls.extend(
                stripe
                    .calls
                    .range(from..)
                    .filter(|(_, call)| keep(call))
                    .cloned(),
            );
            stripe.untaken = stripe.calls.len();
            stripe.trim(visible);
        }
        calls.sort_unstable_by_key(|(seq, _)| *seq);
        calls.into_iter().map(|(_, call)| call).collect()
    }

    /// The newest calls since the last clear (at most [`Journal::CAPACITY`]), with their
    /// numbers (from 1), oldest first.
    pub(crate) fn history(&self) -> Vec<(u64, Arc<PeerCall>)> {
        let visible = self.visible.load(Ordering::Relaxed);
        let mut calls = Vec::new();
        for index in 0..STRIPES {
            let stripe = self.lock(index);
            calls.extend(
                stripe
                    .calls
                    .iter()
                    .filter(|(seq, _)| *seq >= visible)
                    .cloned(),
            );
        }
        calls.sort_unstable_by_key(|(seq, _)| *seq);
        let skip = calls.len().saturating_sub(self.capacity);
        calls
            .into_iter()
            .skip(skip)
            .map(|(seq, call)| (seq + 1, call))
            .collect()
    }

    /// Empties the history. Calls not taken yet stay for [`Journal::take`], so clearing the
    /// admin view never hides a call from a run.
    pub(crate) fn clear(&self) {
        let visible = self.next.load(Ordering::Relaxed);
        self.visible.store(visible, Ordering::Relaxed);
        for index in 0..STRIPES {
            self.lock(index).trim(visible);
        }
    }

    /// Untaken calls dropped because the journal was full, since the peer started.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::Outcome;

    fn call(n: u16) -> PeerCall {
        PeerCall {
            status: n,
            ..PeerCall::new("GET", &format!("/{n}"))
        }
    }

    #[test]
    fn journal_memory_is_capped_by_bytes_as_well_as_count() {
        let journal = Journal::new(Journal::CAPACITY);
        let body = bytes::Bytes::from(vec![b'x'; PeerCall::MAX_KEPT_BODY]);
        for n in 0..1000 {
            journal.push(PeerCall {
                body: body.clone(),
                body_size: body.len(),
                ..call(n)
            });
        }
        let kept = journal.take();
        let bytes: usize = kept.iter().map(|c| weight(c)).sum();
        assert!(bytes <= Journal::BYTES / STRIPES, "{bytes} bytes kept");
        assert!(kept.len() < 1000 && !kept.is_empty(), "{}", kept.len());
        assert_eq!(journal.dropped() as usize, 1000 - kept.len());
    }

    #[test]
    fn drops_the_oldest_past_capacity_and_counts_them() {
        let journal = Journal::new(2);
        for n in 1..=3 {
            journal.push(call(n));
        }
        let taken: Vec<u16> = journal.take().iter().map(|c| c.status).collect();
        assert_eq!(taken, [2, 3]);
        journal.push(call(4));
        journal.push(call(5));
        let mut seen = Vec::new();
        let kept = journal.take_where(|c| {
            seen.push(c.status);
            c.status == 5
        });
        assert_eq!(seen, [4, 5], "every untaken call is shown");
        assert_eq!(kept.iter().map(|c| c.status).collect::<Vec<_>>(), [5]);
        assert_eq!(journal.dropped(), 1);
        assert!(journal.take().is_empty());
    }

    #[test]
    fn history_outlives_takes_and_clear_resets_both() {
        let journal = Journal::new(10);
        journal.push(call(1));
        assert_eq!(journal.take().len(), 1);
        journal.push(call(2));
        let seqs: Vec<(u64, u16)> = journal
            .history()
            .iter()
            .map(|(seq, c)| (*seq, c.status))
            .collect();
        assert_eq!(seqs, [(1, 1), (2, 2)]);
        journal.clear();
        assert!(journal.history().is_empty());
        let untaken: Vec<u16> = journal.take().iter().map(|c| c.status).collect();
        assert_eq!(untaken, [2], "clearing the history keeps untaken calls");
        journal.push(call(3));
        assert_eq!(journal.history()[0].0, 3);
        assert_eq!(journal.take().len(), 1);
    }

    /// A call carrying everything an unusual call has: a fault, a body, a closest recording.
    fn busy_call(call: &mut PeerCall) {
        let mut headers = hyper::HeaderMap::new();
        headers.insert(
            "x-tenant-id",
            hyper::header::HeaderValue::from_static("cn-east"),
        );
        call.set_request(
            "POST",
            "/erp/v2/customers",
            &headers,
            Arc::from("/erp/v2/customers"),
        );
        call.keep_body(&bytes::Bytes::from_static(b"{\"tax_id\": 1}"));
        call.matched = Some(3);
        call.outcome = Outcome::Faulted;
        call.status = 503;
        call.duration = std::time::Duration::from_millis(7);
        call.fault = Some("status 503".to_string());
        call.closest = Some("POST /erp/v2/customers".to_string());
        call.differences = vec!["body field `/tax_id` missing".to_string()];
    }

    fn plain_call(call: &mut PeerCall) {
        call.set_request("GET", "/ping", &hyper::HeaderMap::new(), Arc::from("/ping"));
        call.status = 200;
    }

    #[test]
    fn a_full_journal_overwrites_its_oldest_call_leaving_nothing_of_it() {
        let journal = Journal::new(1);
        journal.push_with(busy_call);
        journal.push_with(plain_call);
        let calls = journal.history();
        assert_eq!(calls.len(), 1);
        let (seq, call) = &calls[0];
        assert_eq!(*seq, 2);
        assert_eq!(
            (call.method(), call.url(), &*call.route),
            ("GET", "/ping", "/ping")
        );
        assert_eq!(call.headers().count(), 0);
        assert_eq!((call.body.len(), call.body_size), (0, 0));
        assert_eq!(
            (call.matched, call.outcome, call.status),
            (None, Outcome::Unmatched, 200)
        );
        assert_eq!(call.duration, std::time::Duration::ZERO);
        assert_eq!((&call.fault, &call.closest), (&None, &None));
        assert!(call.differences.is_empty() && call.findings.is_empty());
    }

    #[test]
    fn a_call_a_reader_still_holds_is_not_overwritten() {
        let journal = Journal::new(1);
        journal.push_with(busy_call);
        let held = journal.take();
        journal.push_with(plain_call);
        assert_eq!(held[0].url(), "/erp/v2/customers");
        assert_eq!(held[0].header("x-tenant-id"), Some("cn-east"));
        assert_eq!(held[0].fault.as_deref(), Some("status 503"));
        assert_eq!(&held[0].body[..], b"{\"tax_id\": 1}");
        assert_eq!(journal.take()[0].url(), "/ping");
    }
}
