//! Interlock: integration-contract testing for the interfaces between a CRM and the ERP and
//! finance systems around it.
//!
//! The modules follow the pipeline:
//! [`contract`] → [`scenario`] (+ [`recording`]) → [`peers`] → [`replay`] → [`check`] → [`report`],
//! plus [`diff`] for comparing contract versions. [`pipeline`] strings them together.

pub mod check;
pub mod cli;
pub mod config;
pub mod contract;
pub mod diff;
pub mod error;
pub mod exit_code;
pub mod peers;
pub mod pipeline;
pub mod recording;
pub mod replay;
pub mod report;
pub mod scenario;
