//! The `interlock` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use interlock::cli::Cli;
use interlock::commands;
use interlock::error::Error;
use interlock::exit_code;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit_code::INVALID_INPUT
            } else {
                exit_code::OK
            });
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            match &err {
                Error::Input(errors) => {
                    for e in errors {
                        eprintln!("error: {e}");
                    }
                }
                Error::Environment(message) => eprintln!("error: {message}"),
            }
            ExitCode::from(err.exit_code())
        }
    }
}
