//! Interlock's integration tests: one binary, real HTTP over loopback, real files, the real
//! `interlock` executable. Each module reads like a spec of one command or component.
mod check_cmd;
mod ci_templates;
mod container;
mod diff;
mod diff_cli;
mod faults;
mod harness;
mod html_report;
mod import_har;
mod import_openapi;
mod infer;
mod mock_cli;
mod packaging;
mod peers;
mod record;
mod redact;
mod review;
mod run_input;
mod run_story;
mod shard;
mod snapshots_cmd;
mod summary_md;
mod support;
mod workflow;
