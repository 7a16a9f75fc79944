//! `interlock completions SHELL`: a completion script for the shell, on standard output.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;

/// Prints the completion script of `args.shell`; returns the exit code.
pub(crate) fn run(args: &CompletionsArgs) -> Result<u8, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "interlock", &mut script);
    let mut stdout = crate::fsutil::stdout();
    stdout
        .write_all(&script)
        .and_then(|()| stdout.flush())
        .map_err(|err| Error::environment(format!("cannot write to standard output: {err}")))?;
    Ok(crate::exit_code::OK)
}
