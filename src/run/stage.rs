//! The running pieces of one scenario: its mocked peers, the recorded stand-in serving the
//! target when no URL is configured, and the replaying client; plus what the peers saw.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::contract::ContractSet;
use crate::error::Error;
use crate::link::Chain;
use crate::model::samples::Samples;
use crate::model::{Finding, FindingKind, Latency, Location};
use crate::peers::{PeerCall, PeerOptions, PeerServer, Recorded};
use crate::replay::Replayer;
use crate::scenario::{IgnoreRules, LatencyBudget, Scenario};
use std::sync::Arc;

use super::RunPlan;

pub(super) struct Stage {
    peers: Vec<PeerServer>,
    /// The recorded stand-in serving the target, when no URL was configured.
    stand_in: Option<PeerServer>,
    pub replayer: Replayer,
    /// The scenario's generated values and their live bindings, shared with the peers.
    pub chain: Arc<Chain>,
    /// The recorded peer calls, handed to the chain as the replay reaches them.
    pub recorded_calls: crate::link::placement::Calls,
    /// Peer calls that arrived but matched no recording, as (peer, method, path): a recorded
    /// call on the same operation was made, differently, and is reported as unmatched instead
    /// of missing.
    unmatched_calls: BTreeSet<(String, String, String)>,
    /// The calls the last [`Stage::collect_peer_calls`] took, with their peer's name.
    pub last_calls: Vec<(String, Arc<PeerCall>)>,
    /// How live responses are compared in the pseudonym domain and shown.
    pub privacy: crate::redact::LivePrivacy,
    /// Calls each peer received during the replay, by peer name.
    calls: BTreeMap<String, usize>,
}

impl Stage {
    /// Starts the scenario's peers and, without a target URL, the target's stand-in.
    pub(crate) async fn start(
        scenario: &Scenario,
        plan: &RunPlan,
        client: reqwest::Client,
    ) -> Result<Stage, Error> {
        let (chain, calls) = super::chaining::chain_for(scenario)?;
        let mut peers = Vec::new();
        for peer in &scenario.peers {
            let options = PeerOptions::for_peer(
                peer,
                &scenario.ignore,
                &plan.contracts,
                Ipv4Addr::LOCALHOST.into(),
            );
            match PeerServer::start_chained(options, Some(Arc::clone(&chain))).await {
                Ok(server) => peers.push(server),
                Err(err) => {
                    for started in peers {
                        started.shutdown().await;
                    }
                    return Err(err);
                }
            }
        }
        let (stand_in, base) = match plan.targets.get(&scenario.target) {
            Some(url) => (None, url.clone()),
            None => {
                let options = PeerOptions {
                    name: scenario.target.clone(),
                    recording: stand_in_recording(scenario)?,
                    contracts: Vec::new(),
                    ignore: IgnoreRules::default(),
                    bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                    validate_requests: false,
                    admin: crate::peers::AdminAccess::default(),
                    behaviour: Default::default(),
                    journal_bytes: PeerOptions::JOURNAL_BYTES,
                };
                let server = PeerServer::start(options).await?;
                let url = server.url();
                (Some(server), url)
            }
        };
        let credentials = match &stand_in {
            None => plan
                .credentials
                .get(&scenario.target)
                .cloned()
                .unwrap_or_default(),
            Some(_) => Default::default(),
        };
        let replayer =
            Replayer::new(client, &base, plan.timeout, plan.retries)?.with_credentials(credentials);
        Ok(Stage {
            peers,
            stand_in,
            replayer,
            chain,
            recorded_calls: calls,
            unmatched_calls: BTreeSet::new(),
            last_calls: Vec::new(),
            privacy: plan.privacy.clone(),
            calls: BTreeMap::new(),
        })
    }

    /// Takes every peer's journal since the last call: the calls' findings go to `findings`,
    /// their durations to `timings`, the calls to [`Stage::last_calls`]; returns the injected
    /// faults, described.
    pub(crate) fn collect_peer_calls(
        &mut self,
        findings: &mut Vec<Finding>,
        timings: &mut Timings,
    ) -> Vec<String> {
        let mut faults = Vec::new();
        self.last_calls.clear();
        for peer in &self.peers {
            let journal = peer.take_journal();
            *self.calls.entry(peer.name().to_string()).or_default() += journal.len();
            for call in journal {
                self.last_calls
                    .push((peer.name().to_string(), Arc::clone(&call)));
                if let Some(fault) = &call.fault {
                    faults.push(format!("{}: {fault}", peer.name()));
                }
                if !call.outcome.is_match() {
                    let path = call.url().split('?').next().unwrap_or("").to_string();
                    self.unmatched_calls.insert((
                        peer.name().to_string(),
                        call.method().to_string(),
                        path,
                    ));
                }
                let route = format!("{} {} {}", peer.name(), call.method(), call.route);
                timings.peer(route, call.duration);
                // What the target sent its peers is shown through the same redaction.
                findings.extend(
                    call.findings
                        .iter()
                        .map(|f| scrubbed(self.privacy.redact_finding(f))),
                );
            }
        }
        faults
    }

    /// Forgets the peer calls made so far (those a setup step caused), so the replay's first
    /// exchange is not charged with them.
    pub(crate) fn discard_peer_calls(&mut self) {
        for peer in &self.peers {
            let _ = peer.take_journal();
        }
    }

    /// Each peer's name, URL and the number of calls it received during the replay.
    pub(crate) fn peer_calls(&self) -> Vec<(String, String, usize)> {
        self.peers
            .iter()
            .map(|p| {
                let name = p.name().to_string();
                let count = self.calls.get(&name).copied().unwrap_or(0);
                (name, p.url(), count)
            })
            .collect()
    }

    /// A finding for every recorded peer call the target never made (only against a live
    /// target: a recorded stand-in makes no peer calls).
    pub(crate) fn missing_peer_calls(
        &self,
        scenario: &Scenario,
        contracts: &ContractSet,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (peer, config) in self.peers.iter().zip(&scenario.peers) {
            for index in peer.unused() {
                let Ok(exchange) = peer.recorded(index) else {
                    continue;
                };
                let key = (
                    config.name.clone(),
                    exchange.request.method.clone(),
                    exchange.request.path().to_string(),
                );
                if self.unmatched_calls.contains(&key) {
                    continue;
                }
                let contract = contracts.find(
                    Some(&config.name),
                    &exchange.request.method,
                    exchange.request.path(),
                );
                findings.push(
                    Finding::new(
                        FindingKind::PeerCallMissing,
                        Location::PeerRequest { peer: config.name.clone() },
                        "",
                        format!(
                            "the recording has the target call `{}` with {} {} (line {}), but the target never made it",
                            config.name,
                            exchange.request.method,
                            exchange.request.url,
                            peer.recorded_line(index)
                        ),
                    )
                    .for_contract(contract),
                );
            }
        }
        findings
    }

    pub(crate) async fn shutdown(self) {
        for peer in self.peers {
            peer.shutdown().await;
        }
        if let Some(stand_in) = self.stand_in {
            stand_in.shutdown().await;
        }
    }
}

/// What the recorded stand-in serves: the replay recording, with the requests holding
/// `${name}` placeholders as the scenario resolved them (recorded values filled in).
fn stand_in_recording(scenario: &Scenario) -> Result<Recorded, Error> {
    if scenario.templates.is_empty() {
        return Ok(Recorded::File(scenario.replay_file.clone()));
    }
    let input = |err| Error::Input(vec![err]);
    let lines = crate::recording::stream::open(&scenario.replay_file).map_err(input)?;
    let mut resolved = Vec::new();
    for (index, entry) in lines.enumerate() {
        if scenario.templates.contains_key(&index) {
            let exchange = scenario.recorded(index, entry.map_err(input)?.exchange);
            resolved.push((index, exchange.request));
        }
    }
    Ok(Recorded::Edited(
        scenario.replay_file.clone(),
        resolved.into_iter().collect(),
    ))
}

/// A finding about what the target sent a peer, without any credential it forwarded.
pub(super) fn scrubbed(mut finding: Finding) -> Finding {
    use crate::redact::secrets;
    if secrets::any() {
        secrets::scrub_in_place(&mut finding.message);
        for value in [&mut finding.old, &mut finding.new].into_iter().flatten() {
            secrets::scrub_json(value);
        }
    }
    finding
}

/// Durations per target interface (live and recorded) and per peer route, in milliseconds, in
/// bounded memory ([`Samples`]).
#[derive(Debug, Default)]
pub(super) struct Timings {
    target: BTreeMap<String, Samples>,
    recorded: BTreeMap<String, Samples>,
    peers: BTreeMap<String, Samples>,
}

impl Timings {
    pub(crate) fn target(&mut self, interface: String, recorded_ms: Option<f64>, live: Duration) {
        if let Some(ms) = recorded_ms {
            self.recorded
                .entry(interface.clone())
                .or_default()
                .record(ms);
        }
        self.target
            .entry(interface)
            .or_default()
            .record(live.as_secs_f64() * 1000.0);
    }

    fn peer(&mut self, route: String, took: Duration) {
        self.peers
            .entry(route)
            .or_default()
            .record(took.as_secs_f64() * 1000.0);
    }

    /// Latency per target interface, then per peer route; a finding for each target interface
    /// over the scenario's budget.
    pub(crate) fn latency(mut self, budget: Option<LatencyBudget>) -> (Vec<Latency>, Vec<Finding>) {
        let mut latency: Vec<Latency> = std::mem::take(&mut self.target)
            .into_iter()
            .map(|(name, ms)| {
                let recorded = self.recorded.remove(&name);
                Latency::of(name, ms).with_recorded(recorded)
            })
            .collect();
        let findings = budget.map_or_else(Vec::new, |budget| {
            latency
                .iter()
                .filter_map(|l| over_budget(l, budget))
                .collect()
        });
        latency.extend(
            self.peers
                .into_iter()
                .map(|(name, ms)| Latency::of(name, ms)),
        );
        (latency, findings)
    }
}

/// The finding for an interface whose live p95 exceeds the scenario's budget.
fn over_budget(latency: &Latency, budget: LatencyBudget) -> Option<Finding> {
    let recorded = latency.recorded_p95_ms?;
    let limit = recorded * budget.ratio;
    if latency.p95_ms <= limit || latency.p95_ms < budget.ignore_below_ms {
        return None;
    }
    Some(
        Finding::new(
            FindingKind::LatencyExceeded,
            Location::Scenario,
            "",
            format!(
                "`{}`: live p95 {:.1} ms exceeds {} × the recorded p95 {:.1} ms (limit {:.1} ms)",
                latency.name, latency.p95_ms, budget.ratio, recorded, limit
            ),
        )
        .with_values(Some(limit.into()), Some(latency.p95_ms.into())),
    )
}
