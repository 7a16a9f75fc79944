//! One file per subcommand: the glue between the command line ([`crate::cli`]) and the
//! engines. Each command checks its flags, loads what it needs, calls the engines and returns
//! the exit code; the engines below know nothing of clap.

pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod db;
pub mod diff;
pub(crate) mod domains;
pub(crate) mod import;
pub(crate) mod infer;
pub(crate) mod learn;
pub(crate) mod lineage;
pub(crate) mod man;
pub(crate) mod mock;
pub(crate) mod reconcile;
pub(crate) mod record;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod review;
pub(crate) mod run;
pub(crate) mod version;

use std::path::Path;

use crate::cli::{Cli, Command, GlobalArgs, OutputArgs};
use crate::config::Config;
use crate::error::Error;
use crate::report::Outputs;
use crate::review::Decision;

/// Runs the parsed command; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<u8, Error> {
    let global = &cli.global;
    crate::json::allow_outside_refs(global.allow_outside_refs);
    match &cli.command {
        Command::Run(args) => run::run(args, global),
        Command::Mock(args) => mock::run(args, global),
        Command::Report(args) => report::run(args, global),
        Command::Learn(args) => learn::run(args, global),
        Command::Import(args) => import::run(args, global),
        Command::Infer(args) => infer::run(args, global),
        Command::Domains(args) => domains::run(args, global),
        Command::Lineage(args) => lineage::run(args, global),
        Command::Redact(args) => redact::run(args, global),
        Command::Record(args) => record::run(args, global),
        Command::Check(args) => check::run(args, global),
        Command::Review(args) => review::review(args, global),
        Command::Accept(args) => review::decide(args, global, Decision::Accept),
        Command::Reject(args) => review::decide(args, global, Decision::Reject),
        Command::Diff(args) => diff::run(args, &config(global)?),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args, global),
        Command::Version => version::run(global),
        Command::Db(args) => db::run(args, global),
        Command::Reconcile(args) => reconcile::run(args, global),
    }
}

/// The multi-threaded runtime every async command runs on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::environment(format!("cannot start the async runtime: {err}")))
}

/// The project file: `--config`, else `interlock.toml` in the current folder or the nearest
/// folder above it holding one, else the embedded default. Paths stay relative to the current
/// folder, so messages name `contracts/x.json` at the project root and
/// `../../contracts/x.json` two folders down.
fn config(global: &GlobalArgs) -> Result<Config, Error> {
    Config::discover(global.config.as_deref(), Path::new(""))
}

/// The project's first contracts folder, where learned files (`domains.yaml`, `lineage.yaml`)
/// are written by default.
fn first_contracts_dir(config: &Config) -> std::path::PathBuf {
    config
        .contracts
        .first()
        .cloned()
        .unwrap_or_else(|| std::path::PathBuf::from("contracts"))
}

/// Where the report flags say to write (at most one of them may be `-`), and how the console
/// report looks (`--color`, `-q`, `-v`).
fn outputs(args: &OutputArgs, global: &GlobalArgs) -> Result<Outputs, Error> {
    let outputs = Outputs {
        report_json: args.report_json.clone(),
        junit: args.junit.clone(),
        html: args.html.clone(),
        summary_md: args.summary_md.clone(),
        color: global.color,
        verbosity: global.verbosity(),
    };
    outputs.validate()?;
    Ok(outputs)
}

/// Prints an informational line on standard output unless `-q` was given; results and errors
/// never go through here. A closed standard output ends the process quietly.
fn inform(global: &GlobalArgs, line: std::fmt::Arguments<'_>) {
    if !global.verbosity().is_quiet() {
        crate::fsutil::print_out(format_args!("{line}\n"));
    }
}

/// As [`inform`], after writing the output `out`: when that is `-`, the line goes to standard
/// error, so that standard output holds the document alone.
fn inform_after(global: &GlobalArgs, out: &std::path::Path, line: std::fmt::Arguments<'_>) {
    if crate::fsutil::is_stdio(out) {
        if !global.verbosity().is_quiet() {
            eprintln!("{line}");
        }
    } else {
        inform(global, line);
    }
}
