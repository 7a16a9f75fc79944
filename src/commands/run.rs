//! `interlock run`: plan from the flags, then replay with the console, the file reports and the
//! snapshot line listening.

use std::path::Path;
use std::sync::Arc;

use crate::cli::{GlobalArgs, RunArgs};
use crate::error::Error;
use crate::report::snapshot_summary::SnapshotSummary;
use crate::run::{self, Request};

/// How many replays `run --learn` learns from.
const LEARN_RUNS: u32 = 3;

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
        run_id: args
            .run_id
            .clone()
            .or_else(|| ci_run_id(&|name| std::env::var(name).ok())),
        timeout: args.timeout,
        snapshots: args.snapshots,
        headers: args.headers.clone(),
        ignore: args.ignore.clone(),
        allow_commands: args.allow_commands,
    };
    if args.learn {
        if request.replay.is_some() {
            return Err(crate::error::InputError::usage(
                "--learn writes ignore rules into scenario files; it does not go with --replay",
            )
            .into());
        }
        super::learn::pass(&request, LEARN_RUNS, false, global)?;
    }
    // The project is discovered from the current folder upwards; paths stay relative to the
    // current folder, so messages name `contracts/x.json` (or `../contracts/x.json` below it).
    let plan = run::plan(&request, Path::new(""))?;
    // Said once, on stderr (stdout may carry a report).
    if !global.verbosity().is_quiet() {
        for note in plan.notes() {
            eprintln!("note: {note}");
        }
    }
    let mut reporters = super::outputs(&args.output, global)?.with_console();
    if !global.verbosity().is_quiet() {
        reporters.push(Box::new(SnapshotSummary::new(Box::new(std::io::stderr()))));
    }
    let result = super::runtime()?.block_on(run::run(Arc::new(plan), reporters))?;
    Ok(result.exit_code())
}

/// The CI's id of this pipeline run, so `report merge` can tell shards of one run from another's:
/// `GITHUB_RUN_ID` (with `-GITHUB_RUN_ATTEMPT` when set), `CI_PIPELINE_ID` (GitLab), `BUILD_TAG`
/// (Jenkins); `None` outside CI.
pub(crate) fn ci_run_id(var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    if let Some(id) = set("GITHUB_RUN_ID") {
        return Some(match set("GITHUB_RUN_ATTEMPT") {
            Some(attempt) => format!("{id}-{attempt}"),
            None => id,
        });
    }
    set("CI_PIPELINE_ID").or_else(|| set("BUILD_TAG"))
}

#[cfg(test)]
mod tests {
    use super::ci_run_id;

    fn from(vars: &[(&str, &str)]) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ci_run_id(&|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn run_id_comes_from_the_ci_that_is_running() {
        assert_eq!(
            from(&[("GITHUB_RUN_ID", "9001"), ("GITHUB_RUN_ATTEMPT", "2")]),
            Some("9001-2".into())
        );
        assert_eq!(from(&[("GITHUB_RUN_ID", "9001")]), Some("9001".into()));
        assert_eq!(from(&[("CI_PIPELINE_ID", "77")]), Some("77".into()));
        assert_eq!(
            from(&[("BUILD_TAG", "jenkins-interlock-12")]),
            Some("jenkins-interlock-12".into())
        );
        assert_eq!(from(&[("CI_PIPELINE_ID", " ")]), None);
        assert_eq!(from(&[]), None);
    }
}
