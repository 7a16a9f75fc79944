//! Value linking: which values of a scenario's recorded traffic the target generated, where
//! they come back, and — during a replay — what they are bound to live.
//!
//! Four layers, each usable alone: [`value`] says which values may be linked at all (the
//! heuristics and their limits, one set of rules for every user of this module), [`site`]
//! reads a message's values with their places, [`chain`] reads a scenario as ordered steps and
//! finds the generated values with their uses in recordings held in memory, [`placement`] reads
//! a scenario's recordings one exchange at a time for what a streaming replay needs to know
//! ahead, and [`bind`] finds and binds the generated values as a replay streams, and translates
//! messages between recorded and live values. Request chaining in `run` and the
//! mocked peers use all of it; other readers of recordings use [`chain::occurrences`] and
//! [`value::linkable`] to follow values between systems.

pub mod bind;
pub mod chain;
pub mod placement;
pub mod site;
pub mod value;

pub use bind::{Chain, StepCall};
pub use chain::{Link, Message, Occurrence, PeerCall, Step, generated, occurrences, steps};
pub use site::Site;
