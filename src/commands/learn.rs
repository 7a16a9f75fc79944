//! `interlock learn` (and `run --learn`): replay the scenarios several times against the same
//! target, then write the fields that differ between runs into their `ignore:` lists
//! ([`crate::learn`]).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::cli::{GlobalArgs, LearnArgs};
use crate::error::{Error, InputError};
use crate::learn::{self, Learning};
use crate::run::{self, Request};
use crate::snapshot::Mode;

/// Runs `interlock learn`; returns the exit code.
pub(crate) fn run(args: &LearnArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let request = Request {
        config: global.config.clone(),
        scenarios: args.scenarios.clone(),
        profile: args.profile.clone(),
        targets: args.target.clone(),
        headers: args.headers.clone(),
        ..Request::default()
    };
    pass(&request, args.runs, args.dry_run, global)?;
    Ok(0)
}

/// One learning pass over the scenarios of `request`: `runs` replays, then the rules written
/// (or, with `dry_run`, printed).
pub(crate) fn pass(
    request: &Request,
    runs: u32,
    dry_run: bool,
    global: &GlobalArgs,
) -> Result<(), Error> {
    if runs < 2 {
        return Err(InputError::usage(format!(
            "--runs {runs} cannot tell runs apart: give at least 2 (default 3)"
        ))
        .into());
    }
    let request = Request {
        snapshots: Some(Mode::No),
        ..request.clone()
    };
    let plan = Arc::new(run::plan(&request, Path::new(""))?);
    let recorded: Vec<String> = plan
        .scenarios
        .iter()
        .filter(|s| !plan.targets.contains_key(&s.target))
        .map(|s| format!("`{}` (target `{}`)", s.name, s.target))
        .collect();
    if !recorded.is_empty() {
        return Err(InputError::usage(format!(
            "nothing to learn from a target served from its recording: {} has no URL in this \
             profile; give --profile NAME or --target NAME=URL",
            recorded.join(", ")
        ))
        .into());
    }
    let runtime = super::runtime()?;
    let mut results = Vec::new();
    for n in 1..=runs {
        super::inform(global, format_args!("learn: run {n} of {runs}"));
        let result = runtime.block_on(run::run(Arc::clone(&plan), Vec::new()))?;
        if let Some(why) = first_error(&result) {
            return Err(Error::environment(format!(
                "learn: run {n} of {runs} could not check every exchange ({why}); noise is \
                 learned only from runs that reach the target every time"
            )));
        }
        results.push(result);
    }
    let date = time::OffsetDateTime::now_utc().date().to_string();
    for learning in learn::learn(&plan.scenarios, &results) {
        print(&learning, dry_run, global);
        if !dry_run && !learning.noise.is_empty() {
            learn::rules::write(&learning.file, &learning.noise, &date)?;
        }
    }
    Ok(())
}

/// Why a run could not check everything: its first transport or scenario error.
fn first_error(result: &crate::model::RunResult) -> Option<String> {
    result.scenarios.iter().find_map(|s| {
        s.error
            .clone()
            .or_else(|| s.exchanges.iter().find_map(|e| e.error.clone()))
    })
}

fn print(learning: &Learning, dry_run: bool, global: &GlobalArgs) {
    let file = learning.file.display();
    if learning.noise.is_empty() {
        super::inform(
            global,
            format_args!("{}: no field differs between runs", learning.scenario),
        );
    } else {
        let verb = if dry_run {
            "would be added to"
        } else {
            "added to"
        };
        crate::fsutil::print_out(format_args!(
            "{}: {} ignore {} {verb} {file}:\n",
            learning.scenario,
            learning.noise.len(),
            if learning.noise.len() == 1 {
                "rule"
            } else {
                "rules"
            },
        ));
        for rule in &learning.noise {
            crate::fsutil::print_out(format_args!("  - {rule}   # differs between runs\n"));
        }
    }
    for unstable in &learning.unstable {
        let values: Vec<String> = unstable
            .values
            .iter()
            .map(|v| {
                v.as_ref()
                    .map_or("(as recorded)".to_owned(), Value::to_string)
            })
            .collect();
        crate::fsutil::print_out(format_args!(
            "{}: {} {}: unstable between runs — shared state? use setup/teardown ({}); not learned\n",
            learning.scenario,
            unstable.exchange,
            unstable.path,
            values.join(" → ")
        ));
    }
    for path in &learning.format_drift {
        crate::fsutil::print_out(format_args!(
            "{}: {path}: its format differs from the recording (format drift); not learned\n",
            learning.scenario
        ));
    }
}
