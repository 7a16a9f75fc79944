//! Request chaining in a replay: the scenario's [`Chain`] is built before the first request;
//! each request is sent with the live values bound so far (and its `${name}` placeholders
//! filled in); each response binds what it reveals and what `capture:` takes from it.

use std::sync::Arc;

use crate::link::{self, Chain};
use crate::recording::{Exchange, Request, Response};
use crate::scenario::Scenario;
use crate::scenario::capture::interpolate;

/// The chain of a scenario: its replay recording with the peer calls each exchange caused.
pub(super) fn chain_for(scenario: &Scenario) -> Arc<Chain> {
    let peers: Vec<(&str, &crate::recording::Recording)> = scenario
        .peers
        .iter()
        .map(|p| (p.name.as_str(), &p.recording))
        .collect();
    Arc::new(Chain::new(&link::steps(&scenario.replay, &peers)))
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
            let filled = interpolate(&filled, &|name| {
                let capture = scenario.captures.iter().find(|c| c.name == name)?;
                let (_, from) = scenario.replay.exchanges.get(capture.exchange - 1)?;
                from.response
                    .body
                    .json()?
                    .pointer(&capture.pointer)
                    .cloned()
            });
            chain.request_to_live(&filled)
        }
        None => chain.request_to_live(&exchange.request),
    }
}

/// Binds what the live response to exchange `index` reveals, and takes its captures.
pub(super) fn bind_response(
    scenario: &Scenario,
    index: usize,
    exchange: &Exchange,
    live: &Response,
    chain: &Chain,
) {
    chain.bind_response(index, live);
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
