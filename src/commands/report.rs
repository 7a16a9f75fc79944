//! `interlock report merge`: one result, and its reports, from the JSON reports of a sharded run.

use crate::cli::{GlobalArgs, MergeArgs, ReportArgs, ReportCommand};
use crate::error::Error;
use crate::report::{Event, merge};

/// Runs `interlock report …`; returns the exit code.
pub(crate) fn run(args: &ReportArgs, global: &GlobalArgs) -> Result<u8, Error> {
    match &args.command {
        ReportCommand::Merge(merge) => self::merge(merge, global),
    }
}

fn merge(args: &MergeArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for path in &args.reports {
        match merge::read(path) {
            Ok(result) => {
                if global.verbosity().is_verbose() {
                    eprintln!(
                        "read {}: {}, {}",
                        path.display(),
                        crate::report::console::plural(
                            result.scenarios.len(),
                            "scenario",
                            "scenarios"
                        ),
                        crate::report::console::plural(
                            result.counts().exchanges,
                            "exchange",
                            "exchanges"
                        )
                    );
                }
                results.push((path.clone(), result));
            }
            Err(err) => errors.push(err),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let merged = merge::merge(results)?;
    let mut reporters = super::outputs(&args.output, global)?.with_console();
    for reporter in &mut reporters {
        reporter.report(&Event::RunFinished { result: &merged })?;
    }
    Ok(merged.exit_code())
}
