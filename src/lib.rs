//! Interlock: integration-contract testing for the interfaces between a CRM and the ERP and
//! finance systems around it.
//!
//! The modules follow the pipeline:
//! [`contract`] → [`scenario`] (+ [`recording`]) → [`peers`] → [`replay`] → [`check`] → [`report`]
//! (+ [`snapshot`]), and [`pipeline`] strings them together. Around it: [`record`], [`redact`],
//! [`import`] and [`infer`] produce recordings and contracts; [`diff`] compares contract
//! versions; [`mock`] serves peers on their own; [`review`] settles snapshot changes; [`server`]
//! is what the HTTP servers share.

pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod contract;
pub mod credentials;
pub mod db;
pub mod diff;
pub mod domains;
pub mod error;
pub mod exit_code;
pub mod fsutil;
pub mod import;
pub mod infer;
pub mod json;
pub mod learn;
pub mod lineage;
pub mod link;
pub mod model;
pub mod openapi;
pub mod peers;
pub mod reconcile;
pub mod record;
pub mod recording;
pub mod redact;
pub mod replay;
pub mod report;
pub mod review;
pub mod run;
pub mod scenario;
pub mod server;
pub mod snapshot;
pub mod terminal;

#[cfg(test)]
mod proptests;
