//! The journal: every request a peer received, kept until someone takes it.
//!
//! The journal is bounded: past [`Journal::CAPACITY`] untaken calls the oldest is dropped and
//! counted, so a peer hammered by a runaway target cannot grow without limit.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use super::PeerCall;

#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    calls: VecDeque<PeerCall>,
    dropped: u64,
}

impl Journal {
    /// Untaken calls kept at most.
    pub const CAPACITY: usize = 10_000;

    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the queue inconsistent; keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn push(&self, call: PeerCall) {
        let mut inner = self.lock();
        if inner.calls.len() >= self.capacity {
            inner.calls.pop_front();
            inner.dropped += 1;
        }
        inner.calls.push_back(call);
    }

    /// The calls since the last take, oldest first.
    pub fn take(&self) -> Vec<PeerCall> {
        self.lock().calls.drain(..).collect()
    }

    /// Calls dropped because the journal was full, since the peer started.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(n: u16) -> PeerCall {
        PeerCall {
            method: "GET".into(),
            url: format!("/{n}"),
            route: format!("/{n}"),
            matched: None,
            status: n,
            duration: Duration::ZERO,
            findings: Vec::new(),
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
        assert_eq!(journal.dropped(), 1);
        assert!(journal.take().is_empty());
    }
}
