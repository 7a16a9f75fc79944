//! Scenarios: what to replay into which target, which peers to mock, what to ignore and expect.
//!
//! A scenario is a folder under `scenarios/` holding `scenario.yaml` and the recordings it
//! names. Loading reads the scenario file only: YAML → raw structs → a validated [`Scenario`]
//! whose recordings exist. A scenario that is going to run (or be checked) is then
//! [prepared](prepare::prepare): one streaming pass over each of its recordings finds every bad
//! line and checks what refers to exchanges (`expect:`, `capture:`), so a typo still fails
//! before the network without any recording being held in memory. The format is specified in
//! `docs/scenarios.md`.

pub mod behaviour;
pub mod capture;
pub mod fault;
pub(crate) mod ignore;
pub mod prepare;
pub(crate) mod shard;
pub mod steps;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

pub use capture::Capture;
pub use ignore::{IgnoreRule, IgnoreRules};

use crate::error::{Error, InputError, did_you_mean};
use crate::recording;
use behaviour::{Behaviour, BodyMatch, InvalidRequests, PathMatch, Playback};
use fault::{FaultSpec, RawFault};

/// The file name of a scenario inside its folder.
pub(crate) const SCENARIO_FILE: &str = "scenario.yaml";

/// A loaded scenario.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// Stable id (the folder name unless `name` is set).
    pub name: String,
    pub description: Option<String>,
    pub file: PathBuf,
    /// The target's name, looked up in the profile's targets.
    pub target: String,
    /// Recording replayed into the target, read one exchange at a time.
    pub replay_file: PathBuf,
    /// What the validation pass found in the replay recording (empty until [`prepare`]d).
    pub replay: prepare::Summary,
    pub peers: Vec<PeerConfig>,
    pub ignore: IgnoreRules,
    pub expectations: Vec<Expectation>,
    /// Latency budget of the target's interfaces against the recorded durations.
    pub latency: Option<LatencyBudget>,
    /// Steps run before the replay (`setup:`) and after it, whatever happened (`teardown:`).
    pub setup: Vec<steps::Step>,
    pub teardown: Vec<steps::Step>,
    /// `capture:` entries: live response values used as `${name}` in later requests.
    pub captures: Vec<Capture>,
    /// The replay requests holding `${name}` placeholders, as written, by 0-based exchange
    /// ([`Scenario::recorded`] fills them with the recorded values).
    pub templates: BTreeMap<usize, recording::Request>,
    /// Each capture's value in the recorded response it is taken from.
    pub capture_values: BTreeMap<String, Value>,
    /// `capture:` entries as written, checked against the recording when it is prepared.
    pub(crate) raw_captures: Vec<capture::RawCapture>,
}

/// `latency:` in a scenario: the live p95 of each target interface may be at most `ratio`
/// times the recorded p95; interfaces whose live p95 is below `ignore_below_ms` always pass.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyBudget {
    #[serde(rename = "max_p95_ratio")]
    pub ratio: f64,
    #[serde(default)]
    pub ignore_below_ms: f64,
}

/// A mocked peer of a scenario.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    pub name: String,
    /// The peer's recording, read when the peer starts.
    pub recording_file: PathBuf,
    /// The number of exchanges in the recording (0 until the scenario is [`prepare`]d).
    pub exchanges: usize,
    /// Fixed port, so the target can be pointed at it; `None` picks a free one.
    pub port: Option<u16>,
    pub ignore: IgnoreRules,
    /// Matching, playback and fault rules.
    pub behaviour: Behaviour,
}

/// Per-exchange expectations that override what the recording implies.
#[derive(Debug, Clone, Default)]
pub struct Expectation {
    /// 1-based exchange number in the replay recording, or all exchanges of an interface.
    pub selector: Selector,
    /// The live status that must come back (instead of the recorded one).
    pub status: Option<u16>,
    /// Extra ignore rules for these exchanges.
    pub ignore: IgnoreRules,
    /// Check only the contract, not the recorded body (for responses that differ by design).
    pub contract_only: bool,
    /// Do not replay these exchanges.
    pub skip: bool,
    /// Body fields (JSON pointer → value) the live response must have.
    pub fields: Vec<(String, Value)>,
    /// The live response must arrive within this many milliseconds.
    pub within_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Selector {
    #[default]
    All,
    Exchange(usize),
    Interface(String),
}

impl Expectation {
    pub(crate) fn applies_to(&self, index: usize, interface: Option<&str>) -> bool {
        match &self.selector {
            Selector::All => true,
            Selector::Exchange(n) => *n == index + 1,
            Selector::Interface(name) => interface == Some(name.as_str()),
        }
    }
}

impl Scenario {
    /// The merged expectation for one exchange (later entries win, ignore rules add up).
    pub(crate) fn expectation_for(&self, index: usize, interface: Option<&str>) -> Expectation {
        let mut merged = Expectation::default();
        for e in self
            .expectations
            .iter()
            .filter(|e| e.applies_to(index, interface))
        {
            merged.status = e.status.or(merged.status);
            merged.ignore = merged.ignore.with(&e.ignore);
            merged.contract_only |= e.contract_only;
            merged.skip |= e.skip;
            merged.fields.extend(e.fields.iter().cloned());
            merged.within_ms = e.within_ms.or(merged.within_ms);
        }
        merged
    }

    /// Exchange `index` (0-based) of the replay recording as the replay uses it: `${name}`
    /// placeholders hold their recorded values.
    pub fn recorded(&self, index: usize, mut exchange: recording::Exchange) -> recording::Exchange {
        if let Some(template) = self.templates.get(&index) {
            exchange.request =
                capture::interpolate(template, &|name| self.capture_values.get(name).cloned());
        }
        exchange
    }

    /// An ad-hoc scenario built from command-line flags (its recordings are read when it is
    /// [`prepare`]d).
    pub fn ad_hoc(
        replay_file: PathBuf,
        peers: Vec<(String, PathBuf, Option<u16>)>,
    ) -> Result<Scenario, Error> {
        let peers = peers
            .into_iter()
            .map(|(name, file, port)| PeerConfig {
                name,
                recording_file: file,
                exchanges: 0,
                port,
                ignore: IgnoreRules::default(),
                behaviour: Behaviour::default(),
            })
            .collect();
        let name = replay_file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("ad-hoc")
            .to_string();
        Ok(Scenario {
            name,
            description: None,
            file: replay_file.clone(),
            target: "target".to_string(),
            replay_file,
            peers,
            ..Scenario::default()
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    target: String,
    replay: String,
    #[serde(default)]
    peers: BTreeMap<String, RawPeer>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    expect: Vec<RawExpectation>,
    latency: Option<LatencyBudget>,
    #[serde(default)]
    setup: Vec<steps::Step>,
    #[serde(default)]
    teardown: Vec<steps::Step>,
    #[serde(default)]
    capture: Vec<capture::RawCapture>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeer {
    recording: String,
    port: Option<u16>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    playback: Playback,
    #[serde(default, rename = "match")]
    matching: RawMatch,
    #[serde(default)]
    invalid_requests: InvalidRequests,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    faults: Vec<RawFault>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    headers: Vec<String>,
    #[serde(default)]
    body: BodyMatch,
    #[serde(default)]
    path: PathMatch,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    exchange: Option<usize>,
    interface: Option<String>,
    status: Option<u16>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    contract_only: bool,
    #[serde(default)]
    skip: bool,
    #[serde(default)]
    fields: serde_json::Map<String, Value>,
    within_ms: Option<u64>,
}

/// The `scenario.yaml` of every folder under `dir` that has one, sorted.
pub(crate) fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path().join(SCENARIO_FILE)))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Loads every scenario folder under `dir` (each holding a `scenario.yaml`), sorted by name.
pub(crate) fn load_all(dir: &Path) -> Result<Vec<Scenario>, Error> {
    let files = scenario_files(dir).map_err(|err| {
        InputError::in_file(dir, format!("cannot read scenarios directory: {err}"))
    })?;
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load(&file) {
            Ok(s) => scenarios.push(s),
            Err(Error::Input(mut errs)) => errors.append(&mut errs),
            Err(other) => return Err(other),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(Error::Input(errors))
    }
}

/// Picks scenarios by name (or folder path), with a did-you-mean for unknown names.
pub(crate) fn select(all: Vec<Scenario>, wanted: &[String]) -> Result<Vec<Scenario>, Error> {
    if wanted.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    for name in wanted {
        let key = scenario_key(name);
        match all.iter().find(|s| {
            s.name == key
                || s.file
                    .parent()
                    .and_then(Path::file_name)
                    .and_then(|n| n.to_str())
                    == Some(key)
        }) {
            Some(s) => chosen.push(s.clone()),
            None => errors.push(
                InputError::usage(format!("no scenario named `{name}`"))
                    .with_hint_opt(did_you_mean(key, all.iter().map(|s| s.name.as_str())))
                    .with_hint_opt(if all.is_empty() {
                        Some("the project has no scenarios".into())
                    } else {
                        None
                    }),
            ),
        }
    }
    if errors.is_empty() {
        Ok(chosen)
    } else {
        Err(Error::Input(errors))
    }
}

/// The scenario a command-line name means: `lookup`, `scenarios/lookup`, `scenarios/lookup/`
/// and `scenarios/lookup/scenario.yaml` all name the folder `lookup`.
fn scenario_key(name: &str) -> &str {
    let path = Path::new(name);
    let path = if path.file_name().and_then(|n| n.to_str()) == Some(SCENARIO_FILE) {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    path.file_name().and_then(|n| n.to_str()).unwrap_or(name)
}

/// Loads one `scenario.yaml`; the recordings it names must exist and are read when the scenario
/// is [`prepare`]d.
pub(crate) fn load(file: &Path) -> Result<Scenario, Error> {
    let text = crate::fsutil::read_document(file, "scenario")?;
    let raw: RawScenario = {
        let de = serde_yaml_ng::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|err| {
            let location = err.inner().location();
            let pointer = path_to_pointer(err.path());
            let mut e = crate::json::yaml_error(file, err.inner());
            e.message = format!(
                "{} (at {})",
                e.message.trim_start_matches("invalid YAML: "),
                crate::json::display_pointer(&pointer)
            );
            if location.is_none() {
                e.position = crate::error::Position::Pointer(pointer);
            }
            // Nested values (a `setup` step) prefix the message with their path.
            let unknown = e
                .message
                .find("unknown field `")
                .map_or("", |at| &e.message[at..]);
            e.hint = crate::contract::unknown_field_hint(unknown);
            e
        })?
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut errors = Vec::new();

    let replay_file = dir.join(&raw.replay);
    if !replay_file.is_file() {
        errors.push(missing_file(file, "/replay", &raw.replay, dir));
    }

    let ignore = parse_rules(file, "/ignore", &raw.ignore, &mut errors);
    let peers = load_peers(file, dir, &raw.peers, &mut errors);
    let expectations = load_expectations(file, &raw.expect, &mut errors);
    if let Some(budget) = raw.latency
        && !(budget.ratio.is_finite() && budget.ratio > 0.0)
    {
        errors.push(InputError::at_pointer(
            file,
            "/latency/max_p95_ratio",
            format!(
                "{} is not a positive ratio (e.g. 3 for three times the recorded p95)",
                budget.ratio
            ),
        ));
    }

    if let Some(name) = &raw.name
        && let Err(message) = check_name(name)
    {
        errors.push(
            InputError::at_pointer(file, "/name", message)
                .with_hint(format!("e.g. `{}`", suggest_name(name))),
        );
    }

    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let name = raw.name.unwrap_or_else(|| {
        dir.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("scenario")
            .to_string()
    });
    Ok(Scenario {
        name,
        description: raw.description,
        file: file.to_path_buf(),
        target: raw.target,
        replay_file,
        replay: prepare::Summary::default(),
        peers,
        ignore,
        expectations,
        latency: raw.latency,
        setup: raw.setup,
        teardown: raw.teardown,
        captures: Vec::new(),
        templates: BTreeMap::new(),
        capture_values: BTreeMap::new(),
        raw_captures: raw.capture,
    })
}

/// The `peers:` of a scenario, each with its recording, port, ignore rules and behaviour.
fn load_peers(
    file: &Path,
    dir: &Path,
    raw: &BTreeMap<String, RawPeer>,
    errors: &mut Vec<InputError>,
) -> Vec<PeerConfig> {
    let mut peers = Vec::new();
    let mut ports = BTreeMap::new();
    for (name, peer) in raw {
        let base = format!("/peers/{name}");
        let recording_file = dir.join(&peer.recording);
        if !recording_file.is_file() {
            errors.push(missing_file(
                file,
                &format!("{base}/recording"),
                &peer.recording,
                dir,
            ));
        }
        if let Some(port) = peer.port
            && let Some(other) = ports.insert(port, name.clone())
        {
            errors.push(InputError::at_pointer(
                file,
                format!("{base}/port"),
                format!("port {port} is already used by peer `{other}`"),
            ));
        }
        let mut faults = Vec::new();
        for (i, raw) in peer.faults.iter().enumerate() {
            match FaultSpec::from_raw(raw) {
                Ok(fault) => faults.push(fault),
                Err(message) => errors.push(InputError::at_pointer(
                    file,
                    format!("{base}/faults/{i}"),
                    message,
                )),
            }
        }
        peers.push(PeerConfig {
            name: name.clone(),
            recording_file,
            exchanges: 0,
            port: peer.port,
            ignore: parse_rules(file, &format!("{base}/ignore"), &peer.ignore, errors),
            behaviour: Behaviour {
                playback: peer.playback,
                match_headers: peer.matching.headers.clone(),
                match_body: peer.matching.body,
                match_path: peer.matching.path,
                invalid_requests: peer.invalid_requests,
                faults,
                seed: peer.seed,
            },
        });
    }

    peers
}

/// The `expect:` entries of a scenario (an `exchange:` number is checked against the
/// recording when the scenario is prepared).
fn load_expectations(
    file: &Path,
    raw: &[RawExpectation],
    errors: &mut Vec<InputError>,
) -> Vec<Expectation> {
    let mut expectations = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        let base = format!("/expect/{i}");
        let selector = match (e.exchange, &e.interface) {
            (Some(_), Some(_)) => {
                errors.push(InputError::at_pointer(
                    file,
                    &base,
                    "give `exchange` or `interface`, not both",
                ));
                Selector::All
            }
            (Some(n), None) => Selector::Exchange(n),
            (None, Some(name)) => Selector::Interface(name.clone()),
            (None, None) => Selector::All,
        };
        if let Some(status) = e.status
            && !(100..=599).contains(&status)
        {
            errors.push(InputError::at_pointer(
                file,
                format!("{base}/status"),
                format!("{status} is not an HTTP status"),
            ));
        }
        for pointer in e.fields.keys() {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                errors.push(
                    InputError::at_pointer(
                        file,
                        format!("{base}/fields"),
                        format!("field `{pointer}` is not a JSON pointer"),
                    )
                    .with_hint(format!("write `/{pointer}`")),
                );
            }
        }
        expectations.push(Expectation {
            selector,
            status: e.status,
            ignore: parse_rules(file, &format!("{base}/ignore"), &e.ignore, errors),
            contract_only: e.contract_only,
            skip: e.skip,
            fields: e
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            within_ms: e.within_ms,
        });
    }
    expectations
}

/// A scenario name names files (snapshots) inside the scenario's folder, so it is
/// `[A-Za-z0-9._-]`, not empty and without a leading dot: it can never climb out of the folder.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the scenario name is empty".to_string());
    }
    if name.starts_with('.') {
        return Err(format!("scenario name `{name}` starts with a dot"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "scenario name `{name}` holds {bad:?}; a name is letters, digits, `.`, `_` and `-`"
        ));
    }
    Ok(())
}

/// The closest valid name: other characters become `-`, leading dots and dashes go.
fn suggest_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches(['.', '-']).trim_end_matches('-');
    if trimmed.is_empty() {
        "scenario".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A scenario `interlock run` and `interlock check` accept must have something to replay.
pub(crate) fn check_replayable(scenario: &Scenario) -> Result<(), InputError> {
    if scenario.replay.exchanges > 0 {
        return Ok(());
    }
    let named = scenario.replay_file.display();
    Err(if scenario.file == scenario.replay_file {
        InputError::in_file(
            &scenario.replay_file,
            "the recording has no exchanges: there is nothing to replay",
        )
    } else {
        InputError::at_pointer(
            &scenario.file,
            "/replay",
            format!("replay recording {named} has no exchanges: there is nothing to replay"),
        )
    })
}

fn parse_rules(
    file: &Path,
    base: &str,
    raw: &[String],
    errors: &mut Vec<InputError>,
) -> IgnoreRules {
    let mut rules = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        match IgnoreRule::parse(r) {
            Ok(rule) => rules.push(rule),
            Err(message) => {
                errors.push(InputError::at_pointer(file, format!("{base}/{i}"), message))
            }
        }
    }
    IgnoreRules::new(rules)
}

fn missing_file(file: &Path, pointer: &str, named: &str, dir: &Path) -> InputError {
    let names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    InputError::at_pointer(
        file,
        pointer,
        format!("recording `{named}` does not exist in {}", dir.display()),
    )
    .with_hint_opt(did_you_mean(named, names.iter().map(String::as_str)))
}

/// The JSON pointer of a serde path (for errors of YAML files read with `serde_path_to_error`).
pub(crate) fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{key}")),
            Segment::Enum { variant } => Some(format!("/{variant}")),
            Segment::Unknown => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::scenario_key;

    #[test]
    fn scenario_file_path_names_its_folder() {
        for name in [
            "lookup",
            "scenarios/lookup",
            "scenarios/lookup/",
            "scenarios/lookup/scenario.yaml",
        ] {
            assert_eq!(scenario_key(name), "lookup", "{name}");
        }
    }
}
