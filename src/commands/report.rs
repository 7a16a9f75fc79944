//! `interlock report merge`: one result, and its reports, from the JSON reports of a sharded run.

use crate::cli::{MergeArgs, ReportArgs, ReportCommand};
use crate::error::Error;
use crate::report::{Event, merge};

/// Runs `interlock report …`; returns the exit code.
pub(crate) fn run(args: &ReportArgs) -> Result<u8, Error> {
    match &args.command {
        ReportCommand::Merge(merge) => self::merge(merge),
    }
}

fn merge(args: &MergeArgs) -> Result<u8, Error> {
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for path in &args.reports {
        match merge::read(path) {
            Ok(result) => results.push((path.clone(), result)),
            Err(err) => errors.push(err),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let merged = merge::merge(results)?;
    let mut reporters = super::outputs(&args.output)?.with_console();
    for reporter in &mut reporters {
        reporter.report(&Event::RunFinished { result: &merged })?;
    }
    Ok(merged.exit_code())
}
