//! Planning a run: what the command line asks for, turned into a validated [`RunPlan`].
//!
//! Everything is loaded and checked here before any network traffic: configuration, contracts
//! (schemas compiled, references resolved), scenarios, and the selected scenarios' recordings
//! in one streaming pass each (not held: the run reads them again as it replays). Bad input
//! stops the run with exit 2 before a single request is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::contract::{self, ContractSet};
use crate::error::{Error, InputError, did_you_mean};
use crate::model::ShardOf;
use crate::scenario::{self, Scenario};
use crate::snapshot::Mode;

use super::staging;

/// Everything a run needs, loaded and validated.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub scenarios: Vec<Scenario>,
    pub contracts: ContractSet,
    /// Target name → base URL. A scenario whose target has no URL is served from its recording.
    pub targets: BTreeMap<String, String>,
    pub timeout: Duration,
    pub retries: u32,
    pub jobs: usize,
    /// When snapshot files are written.
    pub snapshots: Mode,
    /// The shard of a sharded run, recorded in its reports.
    pub shard: Option<ShardOf>,
    /// The CI run the result belongs to, recorded in its reports.
    pub run_id: Option<String>,
    /// How live responses are compared in the pseudonym domain and shown.
    pub privacy: crate::redact::LivePrivacy,
    /// Headers and query parameters sent to each live target, by target name.
    pub credentials: BTreeMap<String, crate::credentials::Credentials>,
    /// The profile whose targets are used (`INTERLOCK_PROFILE` of setup commands).
    pub profile: String,
    /// Setup and teardown commands may run.
    pub allow_commands: bool,
    /// Failing exchanges per cause whose recorded and live bodies are kept for the reports
    /// (`[report] max_bodies_per_cause`).
    pub max_bodies_per_cause: usize,
}

/// Said once per report when pseudonymised values could not be compared by value.
pub const SHAPE_ONLY_NOTE: &str = "pseudonymised values are compared by shape only (type, presence), not by value: INTERLOCK_REDACT_KEY is not set";

impl RunPlan {
    /// What every report of this run says about how it compared.
    pub fn notes(&self) -> Vec<String> {
        if !self.privacy.keyed() && self.has_pseudonyms() {
            vec![SHAPE_ONLY_NOTE.to_string()]
        } else {
            Vec::new()
        }
    }

    /// Whether any replayed recording lists pseudonymised places.
    pub fn has_pseudonyms(&self) -> bool {
        self.scenarios.iter().any(|s| s.replay.pseudonymised)
    }
}

/// What to run, as the command line asks for it (`interlock run`'s options).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Project file; `None` finds `interlock.toml` or uses the embedded default.
    pub config: Option<PathBuf>,
    /// Scenario names; all when empty.
    pub scenarios: Vec<String>,
    pub profile: Option<String>,
    /// `NAME=URL` overrides; in ad-hoc mode one bare URL.
    pub targets: Vec<String>,
    /// Ad-hoc mode: the recording to replay.
    pub replay: Option<PathBuf>,
    /// Ad-hoc mode: `NAME=REC@PORT` peers.
    pub mocks: Vec<String>,
    /// `NAME=FAULT` rules.
    pub faults: Vec<String>,
    /// Contract directories replacing the project file's list.
    pub contracts: Vec<PathBuf>,
    pub jobs: Option<usize>,
    /// `K/N`.
    pub shard: Option<String>,
    /// The CI run this belongs to (`--run-id`, or the CI's run id variable).
    pub run_id: Option<String>,
    /// Seconds.
    pub timeout: Option<f64>,
    /// When snapshot files are written; `None` reads `INTERLOCK_SNAPSHOTS` / `INSTA_UPDATE`.
    pub snapshots: Option<Mode>,
    /// `--header "NAME: VALUE"` flags.
    pub headers: Vec<String>,
    /// `--ignore POINTER` flags.
    pub ignore: Vec<String>,
    /// `--allow-commands`.
    pub allow_commands: bool,
}

/// Loads and validates everything a run needs. The project file is discovered from `root`
/// upwards ([`Config::discover`]) unless the request names one.
pub fn plan(args: &Request, root: &Path) -> Result<RunPlan, Error> {
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
    let snapshots = Mode::resolve(args.snapshots, &|name| std::env::var(name).ok())?;
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
    let flags = staging::Flags::parse(&args.headers, &args.ignore)?;
    let (mut scenarios, contracts, targets, profile) = match &args.replay {
        Some(replay) => ad_hoc(args, replay)?,
        None => project(args, &config, shard)?,
    };
    let credentials = flags.credentials_for(&targets, &profile.credentials);
    flags.add_ignore_rules(&mut scenarios);
    let allow_commands = args.allow_commands || config.allow_commands;
    staging::check_commands_allowed(&scenarios, allow_commands)?;
    if let Some(shard) = shard {
        scenarios.retain(|s| shard.owns(&s.name));
    }
    let mut errors = Vec::new();
    for spec in &args.faults {
        let peers = scenarios.iter_mut().flat_map(|s| {
            let scenario = s.name.clone();
            s.peers.iter_mut().map(move |p| {
                let label = format!("{scenario}/{}", p.name);
                (p.name.as_str(), label, &mut p.behaviour)
            })
        });
        if let Err(err) = scenario::fault::add_fault(spec, peers) {
            errors.push(err);
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    // `[diff] unused` below breaking: a drift on a field with no recorded use does not fail.
    let soften = config
        .diff
        .unused
        .is_some_and(|s| s < crate::diff::Severity::Breaking);
    Ok(RunPlan {
        scenarios,
        contracts: contracts.with_soften_unused(soften),
        targets,
        timeout,
        retries: config.retries,
        jobs,
        snapshots,
        shard: shard.map(|s| ShardOf {
            index: s.index,
            total: s.count,
        }),
        run_id: args.run_id.clone(),
        privacy: crate::redact::LivePrivacy::from_config(&config.redact, &config.file)?,
        credentials,
        profile: profile.name,
        allow_commands,
        max_bodies_per_cause: config.max_bodies_per_cause,
    })
}

type Loaded = (
    Vec<Scenario>,
    ContractSet,
    BTreeMap<String, String>,
    staging::ChosenProfile,
);

fn ad_hoc(args: &Request, replay: &Path) -> Result<Loaded, Error> {
    if !args.scenarios.is_empty() {
        return Err(InputError::usage("give either scenario names or --replay, not both").into());
    }
    let url = match args.targets.as_slice() {
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
    for spec in &args.mocks {
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
    // Without a project, `$ref`s stay inside the contract folders given.
    crate::json::set_ref_roots(args.contracts.clone());
    let contracts = load_contracts(&args.contracts, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let mut scenario = Scenario::ad_hoc(replay.to_path_buf(), peers)?;
    scenario::prepare::prepare(&mut scenario).map_err(Error::Input)?;
    scenario::check_replayable(&scenario)?;
    let targets = BTreeMap::from([(scenario.target.clone(), url)]);
    Ok((
        vec![scenario],
        contracts,
        targets,
        staging::ChosenProfile::ad_hoc(),
    ))
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

/// The project's selected scenarios (those of `shard` validated: only their recordings are
/// read, one streaming pass each), contracts, targets and profile; every problem at once.
fn project(
    args: &Request,
    config: &Config,
    shard: Option<crate::scenario::shard::Shard>,
) -> Result<Loaded, Error> {
    if !args.mocks.is_empty() {
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
                "run inside the project (the folder holding interlock.toml, or one below it), pass --config, or use ad-hoc mode with --replay",
            ),
        );
        return Err(Error::Input(errors));
    }
    let mut scenarios = match scenario::load_all(&config.scenarios)
        .and_then(|all| scenario::select(all, &args.scenarios))
    {
        Ok(s) => s,
        Err(Error::Input(mut errs)) => {
            errors.append(&mut errs);
            Vec::new()
        }
        Err(other) => return Err(other),
    };
    let owned = |s: &Scenario| shard.is_none_or(|shard| shard.owns(&s.name));
    for s in scenarios.iter_mut().filter(|s| owned(s)) {
        match scenario::prepare::prepare(s) {
            Ok(()) => errors.extend(scenario::check_replayable(s).err()),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
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
    let credentials = match config.credentials(&profile_name) {
        Ok(credentials) => credentials,
        Err(Error::Input(mut errs)) => {
            errors.append(&mut errs);
            BTreeMap::new()
        }
        Err(other) => return Err(other),
    };
    let known: Vec<&str> = scenarios.iter().map(|s| s.target.as_str()).collect();
    for spec in &args.targets {
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
    let profile = staging::ChosenProfile {
        name: profile_name,
        credentials,
    };
    Ok((scenarios, contracts, targets, profile))
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
