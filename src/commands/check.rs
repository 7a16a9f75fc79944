//! `interlock check`: validate the whole project without the network.

use crate::check::project::check_project;
use crate::cli::{CheckArgs, GlobalArgs};
use crate::error::Error;

/// Runs `interlock check`; returns the exit code.
pub(crate) fn run(args: &CheckArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    let audit = crate::redact::Audit::new(&config.redact, &config.file)?;
    let mut report = check_project(
        &config.contracts,
        &config.scenarios,
        &args.recordings,
        &audit,
    )?;
    // Table contracts, loaded as `interlock db check` and `interlock diff` load them.
    for dir in &config.contracts {
        match crate::db::table::load_dir(dir) {
            Ok(tables) => {
                report.tables += tables.len();
                report.read.extend(tables.into_iter().map(|t| t.file));
            }
            Err(Error::Input(mut errors)) => report.invalid.append(&mut errors),
            Err(other) => return Err(other),
        }
    }
    // The profile `interlock run` would use, checked as `run` checks it.
    if let Err(Error::Input(mut errors)) = config.profile(&config.default_profile) {
        report.invalid.append(&mut errors);
    }
    if global.verbosity().is_verbose() {
        for file in &report.read {
            eprintln!("read {}", file.display());
        }
    }
    crate::out!("{}", report.render());
    Ok(report.exit_code())
}
