//! The command line: argument definitions and turning them into a validated run plan.
//!
//! Everything is loaded and checked here before any network traffic: configuration, contracts
//! (schemas compiled, references resolved), scenarios and recordings. Bad input stops the run
//! with exit 2 before a single request is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::contract::{self, ContractSet};
use crate::error::{Error, InputError, did_you_mean};
use crate::pipeline::{self, RunPlan};
use crate::report::Outputs;
use crate::scenario::{self, Scenario};

/// Interlock: catch the contract change that breaks a neighbour before it ships.
#[derive(Debug, Parser)]
#[command(name = "interlock", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay scenarios against their targets with mocked peers; check contracts and drift.
    Run(RunArgs),
    /// Classify contract changes between two versions: breaking or not, for whom.
    Diff(crate::diff::DiffArgs),
    /// Serve mocked peers on their ports until Ctrl-C, with request journal and fault injection.
    Mock(crate::mock::MockArgs),
    /// Work with reports: merge the JSON reports of a sharded run.
    Report(crate::report::merge::ReportArgs),
    /// Import a HAR capture as a recording, or an OpenAPI / Swagger document as contracts.
    Import(crate::import::ImportArgs),
    /// Draft contracts from recorded traffic, for review.
    Infer(crate::infer::InferArgs),
    /// Apply the project's redaction rules to an existing recording, in place.
    Redact(crate::redact::RedactArgs),
    /// Record real traffic: a reverse proxy appending every exchange, redacted, to a recording.
    Record(crate::record::RecordArgs),
    /// Validate every contract, scenario and recording, and recordings against contracts; no network.
    Check(crate::check::project::CheckArgs),
    /// Review pending snapshots interactively: diff, then accept, reject, skip or mark as noise.
    Review(crate::review::ReviewArgs),
    /// Accept pending snapshots (`.snap.new` becomes `.snap`), for scripts.
    Accept(crate::review::DecideArgs),
    /// Reject pending snapshots (`.snap.new` is deleted), for scripts.
    Reject(crate::review::DecideArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Scenarios to run (folder names under the scenarios directory); all when none given.
    pub scenarios: Vec<String>,

    /// Project file (default: ./interlock.toml, else the embedded default).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile of the project file whose target URLs to use.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Target URL override, `NAME=URL`; in ad-hoc mode (with --replay) a bare URL.
    #[arg(long, value_name = "NAME=URL")]
    pub target: Vec<String>,

    /// Ad-hoc mode: replay this recording into --target, without a scenario file.
    #[arg(long, value_name = "REC")]
    pub replay: Option<PathBuf>,

    /// Ad-hoc mode: serve a mocked peer `NAME` from recording REC on PORT.
    #[arg(long, value_name = "NAME=REC@PORT")]
    pub mock: Vec<String>,

    /// Inject a fault into mocked peer NAME (or `SCENARIO/NAME`), as `interlock mock --fault`:
    /// `NAME=KIND[:ARG][,route=METHOD /path][,calls=N|A..B|P%][,retry_after=S]`. Repeatable.
    #[arg(long, value_name = "NAME=FAULT")]
    pub fault: Vec<String>,

    /// Contract directory (repeatable); replaces the project file's list.
    #[arg(long, value_name = "DIR")]
    pub contracts: Vec<PathBuf>,

    /// Scenarios run in parallel.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Run only shard K of N (from 1): a stable share of the scenarios, by scenario id, for CI
    /// matrices; merge the shards' JSON reports with `interlock report merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Per-request timeout in seconds (default 10).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Write the JSON report here.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Write JUnit XML here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// When to write snapshot files: auto (no on CI, else new), new (`.snap.new` for review),
    /// unseen (new ones as `.snap`), always (accept everything), no. Default: the
    /// INTERLOCK_SNAPSHOTS or INSTA_UPDATE environment variable, else auto.
    #[arg(long, value_name = "MODE", value_enum)]
    pub snapshots: Option<crate::snapshot::Mode>,

    /// Write the self-contained HTML report here.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,

    /// Write the Markdown summary here (it is also appended to `$GITHUB_STEP_SUMMARY` when set).
    #[arg(long, value_name = "PATH")]
    pub summary_md: Option<PathBuf>,
}

/// Runs the parsed command; returns the exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Mock(args) => crate::mock::run(&args),
        Command::Report(args) => crate::report::merge::run(&args),
        Command::Import(args) => crate::import::run(&args),
        Command::Infer(args) => crate::infer::run(&args),
        Command::Redact(args) => crate::redact::run(&args),
        Command::Record(args) => crate::record::run(&args),
        Command::Check(args) => crate::check::project::run(&args),
        Command::Review(args) => crate::review::review(&args),
        Command::Accept(args) => crate::review::decide(&args, crate::review::Decision::Accept),
        Command::Reject(args) => crate::review::decide(&args, crate::review::Decision::Reject),
        Command::Diff(args) => {
            let config = Config::discover(None, Path::new(""))?;
            crate::diff::run(&args, &config)
        }
    }
}

/// The multi-threaded runtime every async command runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::environment(format!("cannot start the async runtime: {err}")))
}

fn run_command(args: &RunArgs) -> Result<u8, Error> {
    // Paths stay relative to the working directory, so messages name `contracts/x.json`.
    let plan = plan(args, Path::new(""))?;
    let mut reporters = Outputs {
        report_json: args.report_json.clone(),
        junit: args.junit.clone(),
        html: args.html.clone(),
        summary_md: args.summary_md.clone(),
    }
    .with_console();
    let plan = std::sync::Arc::new(plan);
    let mode = crate::snapshot::Mode::resolve(args.snapshots, &|name| std::env::var(name).ok())?;
    reporters.push(Box::new(crate::snapshot::reporter::SnapshotReporter::new(
        std::sync::Arc::clone(&plan),
        mode,
        Box::new(std::io::stderr()),
    )));
    let result = runtime()?.block_on(pipeline::run(plan, reporters))?;
    Ok(result.exit_code())
}

/// Loads and validates everything a run needs.
pub fn plan(args: &RunArgs, root: &Path) -> Result<RunPlan, Error> {
    let config = Config::discover(args.config.as_deref(), root)?;
    let timeout = match args.timeout {
        Some(secs) if secs > 0.0 && secs <= 3600.0 => Duration::from_secs_f64(secs),
        Some(secs) => {
            return Err(InputError::usage(format!(
                "--timeout {secs} is out of range (0 < t ≤ 3600 seconds)"
            ))
            .into());
        }
        None => config.timeout,
    };
    let jobs = match args.jobs {
        Some(0) => return Err(InputError::usage("--jobs must be at least 1").into()),
        Some(n) => n,
        None => config.jobs,
    };
    let shard = args
        .shard
        .as_deref()
        .map(crate::scenario::shard::Shard::parse)
        .transpose()
        .map_err(InputError::usage)?;
    if shard.is_some() && args.replay.is_some() {
        return Err(InputError::usage(
            "--shard splits the project's scenarios; it does not go with --replay",
        )
        .into());
    }
    let (mut scenarios, contracts, targets) = match &args.replay {
        Some(replay) => ad_hoc(args, replay)?,
        None => project(args, &config)?,
    };
    if let Some(shard) = shard {
        scenarios.retain(|s| shard.owns(&s.name));
    }
    let mut errors = Vec::new();
    for spec in &args.fault {
        let peers = scenarios.iter_mut().flat_map(|s| {
            let scenario = s.name.clone();
            s.peers.iter_mut().map(move |p| {
                let label = format!("{scenario}/{}", p.name);
                (p.name.as_str(), label, &mut p.behaviour)
            })
        });
        if let Err(err) = crate::mock::add_fault(spec, peers) {
            errors.push(err);
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    Ok(RunPlan {
        scenarios,
        contracts,
        targets,
        timeout,
        retries: config.retries,
        jobs,
    })
}

type Loaded = (Vec<Scenario>, ContractSet, BTreeMap<String, String>);

fn ad_hoc(args: &RunArgs, replay: &Path) -> Result<Loaded, Error> {
    if !args.scenarios.is_empty() {
        return Err(InputError::usage("give either scenario names or --replay, not both").into());
    }
    let url = match args.target.as_slice() {
        [url] => url
            .split_once('=')
            .map_or(url.as_str(), |(_, u)| u)
            .to_string(),
        [] => {
            return Err(InputError::usage(
                "--replay needs --target URL: the system the recording is replayed into",
            )
            .with_hint("e.g. --target http://localhost:8080")
            .into());
        }
        _ => return Err(InputError::usage("--replay takes exactly one --target URL").into()),
    };
    let mut peers = Vec::new();
    let mut errors = Vec::new();
    for spec in &args.mock {
        match parse_mock(spec) {
            Ok(peer) => peers.push(peer),
            Err(err) => errors.push(err),
        }
    }
    if !replay.is_file() {
        errors.push(InputError::usage(format!(
            "--replay {}: no such file",
            replay.display()
        )));
    }
    let contracts = load_contracts(&args.contracts, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let scenario = Scenario::ad_hoc(replay.to_path_buf(), peers)?;
    let targets = BTreeMap::from([(scenario.target.clone(), url)]);
    Ok((vec![scenario], contracts, targets))
}

/// `NAME=REC@PORT` (or `NAME=REC` for a free port).
pub(crate) fn parse_mock(spec: &str) -> Result<(String, PathBuf, Option<u16>), InputError> {
    let bad = || {
        InputError::usage(format!("--mock `{spec}` is not NAME=REC@PORT"))
            .with_hint("e.g. --mock erp=recordings/erp.jsonl@18081")
    };
    let (name, rest) = spec.split_once('=').ok_or_else(bad)?;
    let (file, port) = match rest.rsplit_once('@') {
        Some((file, port)) => (file, Some(port.parse::<u16>().map_err(|_| bad())?)),
        None => (rest, None),
    };
    if name.is_empty() || file.is_empty() {
        return Err(bad());
    }
    let file = PathBuf::from(file);
    if !file.is_file() {
        return Err(InputError::usage(format!(
            "--mock {name}: recording {} does not exist",
            file.display()
        )));
    }
    Ok((name.to_string(), file, port))
}

pub(crate) fn load_contracts(dirs: &[PathBuf], errors: &mut Vec<InputError>) -> ContractSet {
    if dirs.is_empty() {
        return ContractSet::default();
    }
    match contract::load_contracts(dirs) {
        Ok(set) => set,
        Err(Error::Input(mut errs)) => {
            errors.append(&mut errs);
            ContractSet::default()
        }
        Err(Error::Environment(message)) => {
            errors.push(InputError::usage(message));
            ContractSet::default()
        }
    }
}

fn project(args: &RunArgs, config: &Config) -> Result<Loaded, Error> {
    if !args.mock.is_empty() {
        return Err(
            InputError::usage("--mock belongs to ad-hoc mode: use it with --replay")
                .with_hint("peers of a scenario are declared in its scenario.yaml")
                .into(),
        );
    }
    let mut errors = Vec::new();
    let dirs = if args.contracts.is_empty() {
        config.contracts.clone()
    } else {
        args.contracts.clone()
    };
    let contracts = load_contracts(&dirs, &mut errors);
    if !config.scenarios.is_dir() {
        errors.push(
            InputError::in_file(&config.scenarios, "scenarios directory does not exist").with_hint(
                "run from the project root, pass --config, or use ad-hoc mode with --replay",
            ),
        );
        return Err(Error::Input(errors));
    }
    let scenarios = match scenario::load_all(&config.scenarios)
        .and_then(|all| scenario::select(all, &args.scenarios))
    {
        Ok(s) => s,
        Err(Error::Input(mut errs)) => {
            errors.append(&mut errs);
            Vec::new()
        }
        Err(other) => return Err(other),
    };
    let profile_name = args
        .profile
        .clone()
        .unwrap_or_else(|| config.default_profile.clone());
    let mut targets = match config.profile(&profile_name) {
        Ok(p) => p.targets,
        Err(Error::Input(mut errs)) => {
            errors.append(&mut errs);
            BTreeMap::new()
        }
        Err(other) => return Err(other),
    };
    let known: Vec<&str> = scenarios.iter().map(|s| s.target.as_str()).collect();
    for spec in &args.target {
        match spec.split_once('=') {
            Some((name, url)) if !name.is_empty() && !url.is_empty() => {
                if !known.contains(&name) && !scenarios.is_empty() {
                    errors.push(
                        InputError::usage(format!(
                            "--target {spec}: no selected scenario has target `{name}`"
                        ))
                        .with_hint_opt(did_you_mean(name, known.iter().copied())),
                    );
                }
                targets.insert(name.to_string(), url.to_string());
            }
            _ => errors.push(
                InputError::usage(format!("--target `{spec}` is not NAME=URL")).with_hint(
                    "e.g. --target crm=https://crm.staging.example.com; a bare URL is for --replay",
                ),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    if scenarios.is_empty() {
        return Err(InputError::in_file(
            &config.scenarios,
            "no scenarios found (each scenario is a folder with a scenario.yaml)",
        )
        .into());
    }
    Ok((scenarios, contracts, targets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_spec_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("erp.jsonl");
        std::fs::write(&rec, "").unwrap();
        let (name, file, port) = parse_mock(&format!("erp={}@18081", rec.display())).unwrap();
        assert_eq!(
            (name.as_str(), file, port),
            ("erp", rec.clone(), Some(18081))
        );
        assert!(
            parse_mock("erp")
                .unwrap_err()
                .message
                .contains("NAME=REC@PORT")
        );
        assert!(parse_mock(&format!("erp={}@x", rec.display())).is_err());
    }
}
