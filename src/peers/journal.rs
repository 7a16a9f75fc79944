//! The journal: every request a peer received, in order.
//!
//! Two readers share it. The run takes the calls made since its last take (one exchange's
//! worth) with [`Journal::take`]; the admin endpoint shows the whole history with
//! [`Journal::history`] and clears it with [`Journal::clear`]. The journal is bounded: past
//! [`Journal::CAPACITY`] calls per stripe the oldest is dropped, and counted when it had not been
//! taken yet, so a peer hammered by a runaway target (or a ten-minute soak) cannot grow without
//! limit.
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
pub struct Journal {
    capacity: usize,
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
}

impl Stripe {
    /// Forgets calls that are both taken and cleared.
    fn trim(&mut self, visible: u64) {
        while self.untaken > 0 && self.calls.front().is_some_and(|(seq, _)| *seq < visible) {
            self.calls.pop_front();
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
    pub const CAPACITY: usize = 10_000;

    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity: capacity.max(1),
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

    pub fn push(&self, call: PeerCall) {
        let call = Arc::new(call);
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut stripe = self.lock(stripe_of_this_thread());
        let mut evicted = None;
        if stripe.calls.len() >= self.capacity {
            evicted = stripe.calls.pop_front();
            if stripe.untaken > 0 {
                stripe.untaken -= 1;
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        stripe.calls.push_back((seq, call));
        drop(stripe);
        // Freed outside the lock, so the other threads never wait on the allocator.
        drop(evicted);
    }

    /// The calls since the last take, oldest first.
    pub fn take(&self) -> Vec<Arc<PeerCall>> {
        self.take_where(|_| true)
    }

    /// Takes the calls since the last take, showing each to `keep`, and hands back those it
    /// keeps, oldest first. The others are only looked at, not shared, so a reader that just
    /// counts calls never writes to memory the serving threads use.
    pub fn take_where(&self, mut keep: impl FnMut(&PeerCall) -> bool) -> Vec<Arc<PeerCall>> {
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
    pub fn history(&self) -> Vec<(u64, Arc<PeerCall>)> {
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
    pub fn clear(&self) {
        let visible = self.next.load(Ordering::Relaxed);
        self.visible.store(visible, Ordering::Relaxed);
        for index in 0..STRIPES {
            self.lock(index).trim(visible);
        }
    }

    /// Untaken calls dropped because the journal was full, since the peer started.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: u16) -> PeerCall {
        PeerCall {
            status: n,
            ..PeerCall::new("GET", &format!("/{n}"))
        }
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
}
