//! `interlock domains`: learn the value domains of contracted fields from a project's
//! recordings (see [`crate::contract::domains`] for what is learned and
//! [`crate::check::domain`] for how a run uses it).
//!
//! Every response body of every exchange a contract covers is observed, under the contract's
//! interface and the response status: the replay recordings (the target's answers) and the
//! peer recordings (the peers' answers). The request bodies of the peer recordings (what the
//! target sent its peers) are observed too, under the peer operation's interface, so a run can
//! tell a live peer request outside them. Exchanges no contract covers are counted and left out.

use std::path::{Path, PathBuf};

use crate::check::project::contract_for;
use crate::contract::ContractSet;
use crate::contract::domains::{Domains, Learner};
use crate::error::{Error, InputError};
use crate::recording::stream;

/// What was learned, and from how much.
#[derive(Debug)]
pub struct Learned {
    pub domains: Domains,
    /// Recordings read.
    pub recordings: usize,
    /// Response bodies observed.
    pub bodies: u64,
    /// Peer request bodies observed (what the target sent its peers).
    pub requests: u64,
    /// Exchanges no contract covers (not learned from).
    pub uncovered: usize,
}

/// One recording to learn from, and the system that answered its exchanges when the
/// recording does not say (a scenario's target for its replay recording).
/// Its exchanges are read one at a time when learning.
pub struct Source {
    pub file: PathBuf,
    pub provider: Option<String>,
    /// A peer's recording: its requests are what the target sent, and are learned too.
    pub peer: bool,
}

/// The recordings of every scenario under `scenarios`: each replay recording (answered by the
/// scenario's target) and each peer recording.
pub fn scenario_sources(scenarios: &Path) -> Result<Vec<Source>, Error> {
    let mut sources: Vec<Source> = Vec::new();
    let mut all = crate::scenario::load_all(scenarios)?;
    crate::scenario::prepare::prepare_all(&mut all)?;
    for scenario in all {
        let mut push = |file: PathBuf, provider: Option<String>, peer: bool| {
            if !sources.iter().any(|s| s.file == file) {
                sources.push(Source {
                    file,
                    provider,
                    peer,
                });
            }
        };
        push(scenario.replay_file, Some(scenario.target.clone()), false);
        for peer in scenario.peers {
            push(peer.recording_file, Some(peer.name), true);
        }
    }
    Ok(sources)
}

/// The recordings named on the command line.
pub fn file_sources(files: &[PathBuf]) -> Result<Vec<Source>, Error> {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match stream::validate(file) {
            Ok(_) => sources.push(Source {
                file: file.clone(),
                provider: None,
                peer: false,
            }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(Error::Input(errors))
    }
}

/// Learns the domains of the response bodies in `sources`, keeping `previous`'s severity.
pub fn learn(
    sources: &[Source],
    contracts: &ContractSet,
    previous: &Domains,
) -> Result<Learned, Error> {
    let mut learner = Learner::default();
    let mut uncovered = 0;
    let mut requests = 0;
    let mut errors = Vec::new();
    for source in sources {
        let lines = match stream::open(&source.file) {
            Ok(lines) => lines,
            Err(err) => {
                errors.push(err);
                continue;
            }
        };
        for entry in lines {
            let (line, exchange) = match entry {
                Ok(entry) => (entry.place.line, entry.exchange),
                Err(err) => {
                    errors.push(err);
                    continue;
                }
            };
            let exchange = &exchange;
            let (method, path) = (&exchange.request.method, exchange.request.path());
            let provider = exchange.peer.as_deref().or(source.provider.as_deref());
            let found = match (&exchange.interface, provider) {
                (None, Some(p)) => Ok(contracts
                    .find(Some(p), method, path)
                    .or_else(|| contracts.find(None, method, path))),
                _ => contract_for(exchange, contracts),
            };
            let contract = match found {
                Ok(c) => c,
                Err(error) => {
                    errors.push(InputError {
                        file: source.file.clone(),
                        position: crate::error::Position::Line(line),
                        ..error
                    });
                    continue;
                }
            };
            let Some(contract) = contract else {
                uncovered += 1;
                continue;
            };
            let private = |prefix: &str| -> Vec<String> {
                exchange
                    .pseudonymised
                    .iter()
                    .filter_map(|p| p.at.strip_prefix(prefix))
                    .map(crate::json::wildcard_indices)
                    .collect()
            };
            if let Some(body) = exchange.response.body.json() {
                learner.observe_except(
                    &contract.interface,
                    Some(exchange.response.status),
                    body,
                    &private("/response/body"),
                );
            }
            // What the target sent a peer (a line of a peer's recording).
            if (source.peer || exchange.peer.is_some())
                && let Some(body) = exchange.request.body.json()
            {
                learner.observe_except(&contract.interface, None, body, &private("/request/body"));
                requests += 1;
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let bodies = learner.bodies - requests;
    let mut domains = learner.finish();
    domains.severity = previous.severity;
    Ok(Learned {
        domains,
        recordings: sources.len(),
        bodies,
        requests,
        uncovered,
    })
}
