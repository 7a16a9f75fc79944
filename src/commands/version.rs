//! `interlock version`: the `--version` line; with `-v` the build details too.

use crate::cli::{GlobalArgs, VERSION};
use crate::error::Error;

/// Prints the version; returns the exit code.
pub(crate) fn run(global: &GlobalArgs) -> Result<u8, Error> {
    crate::outln!("interlock {VERSION}");
    if global.verbosity().is_verbose() {
        crate::outln!("commit: {}", env!("INTERLOCK_GIT_COMMIT"));
        crate::outln!("build date: {}", env!("INTERLOCK_BUILD_DATE"));
        crate::outln!("target: {}", env!("INTERLOCK_TARGET"));
        crate::outln!("rustc: {}", env!("INTERLOCK_RUSTC"));
        crate::outln!("features: {}", env!("INTERLOCK_FEATURES"));
        crate::outln!("profile: {}", env!("INTERLOCK_PROFILE"));
    }
    Ok(crate::exit_code::OK)
}
