//! Interlock's integration tests: one binary, real HTTP over loopback, real files, the real
//! `interlock` executable. Each module reads like a spec of one command or component.
mod diff;
mod diff_cli;
mod harness;
mod peers;
mod run_input;
mod run_story;
mod support;
