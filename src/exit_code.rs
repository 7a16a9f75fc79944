//! The process exit codes, named in one place.
//!
//! A release gate must tell "your change broke the contract" from "staging is down", so the
//! codes are fixed and documented in the README.

/// Every check passed (or every change is below the `--fail-on` level).
pub const OK: u8 = 0;
/// Contract failures, drift or breaking changes were found.
pub(crate) const FINDINGS: u8 = 1;
/// Invalid input: configuration, contract, scenario, recording or command line.
pub const INVALID_INPUT: u8 = 2;
/// Environment problem: target unreachable, port taken, a file that cannot be written.
pub(crate) const ENVIRONMENT: u8 = 3;
