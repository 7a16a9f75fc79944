//! Request chaining in a replay: before the first request, a streaming pre-pass places the
//! scenario's recorded peer calls among its exchanges ([`link::placement`]); as each exchange
//! is replayed, the [`Chain`] is told what it sends and which recorded peer calls belong to it;
//! each request is sent with the live values bound so far (and its `${name}` placeholders
//! filled in); each response binds what it reveals and what `capture:` takes from it.

use std::sync::Arc;

use crate::error::Error;
use crate::link::placement::Calls;
use crate::link::{self, Chain, StepCall};
use crate::recording::{Exchange, Request, Response};
use crate::scenario::Scenario;
use crate::scenario::capture::interpolate;

use super::input::Recorded;

/// The chain of a scenario and its recorded peer calls in replay order.
pub(super) fn chain_for(scenario: &Scenario) -> Result<(Arc<Chain>, Calls), Error> {
    let peers: Vec<(&str, &std::path::Path)> = scenario
        .peers
        .iter()
        .map(|p| (p.name.as_str(), p.recording_file.as_path()))
        .collect();
    let mut placement = link::placement::place(&scenario.replay_file, &peers)?;
    let calls = Calls::open(&mut placement, &peers)?;
    Ok((Arc::new(Chain::new(placement)), calls))
}

/// Tells the chain that exchange `index` begins: its request, and the recorded peer calls
/// placed at it.
pub(super) fn begin_step(
    chain: &Chain,
    calls: &mut Calls,
    index: usize,
    exchange: &Exchange,
) -> Result<(), Error> {
    let read = calls.up_to(index)?;
    let step_calls: Vec<StepCall<'_>> = read
        .iter()
        .map(|(peer, index, exchange)| StepCall {
            peer,
            index: *index,
            exchange,
        })
        .collect();
    chain.begin_step(index, &exchange.request, &step_calls);
    Ok(())
}

/// The request to send for exchange `index`: placeholders filled with captured values (the
/// recorded value where nothing was captured), bound values replaced by their live values.
pub(super) fn request_to_send(
    scenario: &Scenario,
    index: usize,
    exchange: &Exchange,
    chain: &Chain,
) -> Request {
    match scenario.templates.get(&index) {
        Some(template) => {
            let filled = interpolate(template, &|name| chain.captured(name));
            // What was not captured live keeps its recorded value.
            let filled = interpolate(&filled, &|name| scenario.capture_values.get(name).cloned());
            chain.request_to_live(&filled)
        }
        None => chain.request_to_live(&exchange.request),
    }
}

/// Binds what the live response to exchange `index` reveals, and takes its captures (`live` is
/// `None` when the exchange was skipped or no response came).
pub(super) fn bind_response(
    scenario: &Scenario,
    index: usize,
    recorded: &Recorded,
    live: Option<&Response>,
    chain: &Chain,
) {
    let exchange = &recorded.exchange;
    chain.bind_response(index, &recorded.revealed, live);
    let Some(live) = live else {
        return;
    };
    for capture in scenario.captures.iter().filter(|c| c.exchange == index + 1) {
        let Some(value) = live.body.json().and_then(|b| b.pointer(&capture.pointer)) else {
            continue;
        };
        let recorded = exchange
            .response
            .body
            .json()
            .and_then(|b| b.pointer(&capture.pointer));
        chain.capture(
            &capture.name,
            recorded,
            value.clone(),
            format!("exchange #{} {}", index + 1, capture.pointer),
        );
    }
}
