//! One file per subcommand: the glue between the command line ([`crate::cli`]) and the
//! engines. Each command checks its flags, loads what it needs, calls the engines and returns
//! the exit code; the engines below know nothing of clap.

pub(crate) mod check;
pub(crate) mod db;
pub mod diff;
pub(crate) mod import;
pub(crate) mod infer;
pub(crate) mod mock;
pub(crate) mod record;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod review;
pub(crate) mod run;

use std::path::Path;

use crate::cli::{Cli, Command, GlobalArgs, OutputArgs};
use crate::config::Config;
use crate::error::Error;
use crate::report::Outputs;
use crate::review::Decision;

/// Runs the parsed command; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<u8, Error> {
    let global = &cli.global;
    match &cli.command {
        Command::Run(args) => run::run(args, global),
        Command::Mock(args) => mock::run(args, global),
        Command::Report(args) => report::run(args),
        Command::Import(args) => import::run(args, global),
        Command::Infer(args) => infer::run(args),
        Command::Redact(args) => redact::run(args, global),
        Command::Record(args) => record::run(args, global),
        Command::Check(args) => check::run(args, global),
        Command::Review(args) => review::review(args, global),
        Command::Accept(args) => review::decide(args, global, Decision::Accept),
        Command::Reject(args) => review::decide(args, global, Decision::Reject),
        Command::Diff(args) => diff::run(args, &config(global)?),
        Command::Db(args) => db::run(args, &config(global)?),
    }
}

/// The multi-threaded runtime every async command runs on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::environment(format!("cannot start the async runtime: {err}")))
}

/// The project file: `--config`, else `./interlock.toml`, else the embedded default. Paths
/// stay relative to the working directory, so messages name `contracts/x.json`.
fn config(global: &GlobalArgs) -> Result<Config, Error> {
    Config::discover(global.config.as_deref(), Path::new(""))
}

/// Where the report flags say to write.
fn outputs(args: &OutputArgs) -> Outputs {
    Outputs {
        report_json: args.report_json.clone(),
        junit: args.junit.clone(),
        html: args.html.clone(),
        summary_md: args.summary_md.clone(),
    }
}
