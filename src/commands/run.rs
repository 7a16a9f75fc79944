//! `interlock run`: plan from the flags, then replay with the console, the file reports and the
//! snapshot line listening.

use std::path::Path;
use std::sync::Arc;

use crate::cli::{GlobalArgs, RunArgs};
use crate::error::Error;
use crate::report::snapshot_summary::SnapshotSummary;
use crate::run::{self, Request};

/// Runs `interlock run`; returns the exit code.
pub(crate) fn run(args: &RunArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let request = Request {
        config: global.config.clone(),
        scenarios: args.scenarios.clone(),
        profile: args.profile.clone(),
        targets: args.target.clone(),
        replay: args.replay.clone(),
        mocks: args.mock.clone(),
        faults: args.fault.clone(),
        contracts: args.contracts.clone(),
        jobs: args.jobs,
        shard: args.shard.clone(),
        timeout: args.timeout,
        snapshots: args.snapshots,
        headers: args.headers.clone(),
        ignore: args.ignore.clone(),
        allow_commands: args.allow_commands,
    };
    // The project is discovered from the current folder upwards; paths stay relative to the
    // current folder, so messages name `contracts/x.json` (or `../contracts/x.json` below it).
    let plan = run::plan(&request, Path::new(""))?;
    // Said once, on stderr (stdout may carry a report).
    if !plan.privacy.keyed() && plan.has_pseudonyms() && !global.verbosity().is_quiet() {
        eprintln!(
            "note: pseudonymised values are compared by shape only (type, presence), not by value: INTERLOCK_REDACT_KEY is not set"
        );
    }
    let mut reporters = super::outputs(&args.output, global)?.with_console();
    if !global.verbosity().is_quiet() {
        reporters.push(Box::new(SnapshotSummary::new(Box::new(std::io::stderr()))));
    }
    let result = super::runtime()?.block_on(run::run(Arc::new(plan), reporters))?;
    Ok(result.exit_code())
}
