//! `interlock lineage`: learn which values of the target's traffic flow into the requests it
//! sends its peers, from a project's scenarios (see [`crate::contract::lineage`] for the file and
//! [`crate::check::lineage`] for how a run uses it).
//!
//! Each scenario's recordings are read as the steps request chaining reads them (a replayed
//! exchange with the peer calls it caused, [`crate::link::placement`]), one exchange at a time. Within a step,
//! every linkable JSON field of the target's request and response is compared with every JSON
//! field of each peer request; a pair whose values match (as they are, number ↔ string, or in
//! another letter case) is a candidate mapping. A mapping's `seen` counts the steps where both
//! fields were present, `held` those where the values matched. Fields inside arrays are left
//! out: which item corresponds to which is not known.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::check::lineage::transform_between;
use crate::contract::lineage::{
    Calls, Compared, Destination, LINEAGE_VERSION, Lineage, Mapping, Side, Source, Transform,
};
use crate::contract::{Contract, ContractSet};
use crate::error::Error;
use crate::link::site::{Site, request_values, response_values};
use crate::link::value::linkable;
use crate::recording::Exchange;

/// What was learned, and from how much.
#[derive(Debug)]
pub struct Learned {
    pub lineage: Lineage,
    /// Scenarios read.
    pub scenarios: usize,
    /// Peer calls compared with the exchange that caused them.
    pub peer_calls: u64,
}

type PairKey = (Source, Destination);

/// Learns the lineage of every scenario under `scenarios`.
pub fn learn(scenarios: &std::path::Path, contracts: &ContractSet) -> Result<Learned, Error> {
    let mut all = crate::scenario::load_all(scenarios)?;
    crate::scenario::prepare::prepare_all(&mut all)?;
    let input = |err| Error::Input(vec![err]);
    let mut held: BTreeMap<(PairKey, Transform), u64> = BTreeMap::new();
    let mut seen: BTreeMap<PairKey, u64> = BTreeMap::new();
    let mut call_counts: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut compared: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut peer_calls = 0;
    for scenario in &all {
        let peers: Vec<(&str, &std::path::Path)> = scenario
            .peers
            .iter()
            .map(|p| (p.name.as_str(), p.recording_file.as_path()))
            .collect();
        let mut placement = crate::link::placement::place(&scenario.replay_file, &peers)?;
        let mut calls = crate::link::placement::Calls::open(&mut placement, &peers)?;
        let replay = crate::recording::stream::open(&scenario.replay_file).map_err(input)?;
        for (step, entry) in replay.enumerate() {
            let step_calls = calls.up_to(step)?;
            let recorded = scenario.recorded(step, entry.map_err(input)?.exchange);
            let Some(target) = contract_of(contracts, Some(&scenario.target), &recorded) else {
                continue;
            };
            let mut sources = fields(request_values(&recorded.request), Side::Request);
            sources.extend(fields(response_values(&recorded.response), Side::Response));
            sources.retain(|(_, _, v)| linkable(v).is_some());
            let mut called = false;
            for (call_peer, _, call) in &step_calls {
                let Some(peer) = contract_of(contracts, Some(call_peer), call) else {
                    continue;
                };
                peer_calls += 1;
                called = true;
                *call_counts
                    .entry((
                        target.interface.clone(),
                        call_peer.to_string(),
                        peer.interface.clone(),
                    ))
                    .or_default() += 1;
                let sent = fields(request_values(&call.request), Side::Request);
                for (side, from_pointer, from) in &sources {
                    for (_, to_pointer, to) in &sent {
                        let key = (
                            Source {
                                interface: target.interface.clone(),
                                message: *side,
                                pointer: from_pointer.clone(),
                            },
                            Destination {
                                peer: call_peer.clone(),
                                interface: peer.interface.clone(),
                                pointer: to_pointer.clone(),
                            },
                        );
                        if let Some(transform) = transform_between(from, to) {
                            *held.entry((key.clone(), transform)).or_default() += 1;
                        }
                        *seen.entry(key).or_default() += 1;
                    }
                }
            }
            if called {
                let entry = compared.entry(target.interface.clone()).or_default();
                for (side, pointer, _) in &sources {
                    match side {
                        Side::Request => entry.0.insert(pointer.clone()),
                        Side::Response => entry.1.insert(pointer.clone()),
                    };
                }
            }
        }
    }
    // One mapping per pair of fields: the transform that held most often.
    let mut best: BTreeMap<PairKey, (Transform, u64)> = BTreeMap::new();
    for ((key, transform), count) in held {
        let entry = best.entry(key).or_insert((transform, 0));
        if count > entry.1 {
            *entry = (transform, count);
        }
    }
    let mappings = best
        .into_iter()
        .map(|((from, to), (transform, held))| {
            let seen = seen
                .get(&(from.clone(), to.clone()))
                .copied()
                .unwrap_or(held);
            Mapping {
                from,
                to,
                transform,
                held,
                seen,
            }
        })
        .collect();
    Ok(Learned {
        lineage: Lineage {
            interlock_lineage: LINEAGE_VERSION,
            calls: call_counts
                .into_iter()
                .map(|((from, peer, interface), count)| Calls {
                    from,
                    peer,
                    interface,
                    count,
                })
                .collect(),
            compared: compared
                .into_iter()
                .map(|(interface, (request, response))| Compared {
                    interface,
                    request: request.into_iter().collect(),
                    response: response.into_iter().collect(),
                })
                .collect(),
            mappings,
        },
        scenarios: all.len(),
        peer_calls,
    })
}

/// The contract of a recorded exchange: its `interface`, else its method and path among the
/// contracts of `provider`, else among all.
fn contract_of<'a>(
    contracts: &'a ContractSet,
    provider: Option<&str>,
    exchange: &Exchange,
) -> Option<&'a Contract> {
    let (method, path) = (&exchange.request.method, exchange.request.path());
    exchange
        .interface
        .as_deref()
        .and_then(|i| contracts.by_interface(i))
        .or_else(|| contracts.find(provider, method, path))
        .or_else(|| contracts.find(None, method, path))
}

/// The JSON body fields among `values`, outside arrays, with their side.
fn fields(values: Vec<(Site, Value)>, side: Side) -> Vec<(Side, String, Value)> {
    values
        .into_iter()
        .filter_map(|(site, value)| match site {
            Site::Body(pointer)
                if !pointer.is_empty() && crate::json::wildcard_indices(&pointer) == pointer =>
            {
                Some((side, pointer, value))
            }
            _ => None,
        })
        .collect()
}
