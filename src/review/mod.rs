//! Deciding about pending snapshots: `interlock review` (interactive), `interlock accept` and
//! `interlock reject` (for scripts).
//!
//! A pending snapshot is a `.snap.new` beside a scenario's accepted `.snap` (see
//! [`crate::snapshot`]). Accepting renames it over the `.snap`; rejecting deletes it. In review,
//! a change that is noise (a value that differs on every run) can instead be ignored for good:
//! the field's rule is added to the scenario's `ignore:` list ([`noise`]) and the snapshots are
//! normalized again, so the change disappears. Usage is documented in `docs/snapshots.md`.

pub(crate) mod diff;
pub(crate) mod interactive;
pub(crate) mod noise;

use crate::error::Error;
use crate::snapshot::pending::Pending;

/// What to do with a pending snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Accept,
    Reject,
}

impl Decision {
    pub(crate) fn past(self) -> &'static str {
        match self {
            Decision::Accept => "accepted",
            Decision::Reject => "rejected",
        }
    }

    pub(crate) fn apply(self, pending: &Pending) -> Result<(), Error> {
        match self {
            Decision::Accept => pending.accept(),
            Decision::Reject => pending.reject(),
        }
    }
}
