//! Checks: what is wrong with a live exchange, as data.
//!
//! A check never fails with `Err`: a schema violation, a drifted field or an unmatched peer call
//! is a [`Finding`]. Only "could not check" (the target refused the connection, timed out) is an
//! error, carried as [`ExchangeResult::error`] and reported as `<error>` in JUnit and exit 3.

pub(crate) mod domain;
pub(crate) mod drift;
pub(crate) mod lineage;
pub(crate) mod project;
pub(crate) mod schema;
