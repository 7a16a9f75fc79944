//! `interlock version`: the `--version` line; with `-v` the build details too.

use crate::cli::{GlobalArgs, VERSION};
use crate::error::Error;

/// Prints the version; returns the exit code.
pub(crate) fn run(global: &GlobalArgs) -> Result<u8, Error> {
    println!("interlock {VERSION}");
    if global.verbosity().is_verbose() {
        println!("commit: {}", env!("INTERLOCK_GIT_COMMIT"));
        println!("build date: {}", env!("INTERLOCK_BUILD_DATE"));
        println!("target: {}", env!("INTERLOCK_TARGET"));
        println!("rustc: {}", env!("INTERLOCK_RUSTC"));
        println!("features: {}", env!("INTERLOCK_FEATURES"));
        println!("profile: {}", env!("INTERLOCK_PROFILE"));
    }
    Ok(crate::exit_code::OK)
}
