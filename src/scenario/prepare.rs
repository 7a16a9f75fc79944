//! The validation pass of a scenario that is going to run or be checked: one streaming pass over
//! each recording it names, holding one exchange at a time.
//!
//! Every bad line of every recording is reported as `file:line` (exit 2) before any traffic;
//! `expect:` exchange numbers and `capture:` entries are checked against the replay recording;
//! what the replay needs of the recording as a whole is kept as a small [`Summary`]. Listing,
//! sharding and selecting scenarios never come here: they read scenario files only.

use std::path::Path;

use super::capture::{self, Seen};
use super::{Scenario, Selector};
use crate::error::{Error, InputError};
use crate::recording::stream;

/// What the validation pass found in a replay recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// The number of exchanges.
    pub exchanges: usize,
    /// Whether any exchange lists pseudonymised places.
    pub pseudonymised: bool,
}

/// Prepares each scenario ([`prepare`]); every problem of every scenario is reported at once.
pub fn prepare_all(scenarios: &mut [Scenario]) -> Result<(), Error> {
    let mut errors = Vec::new();
    for scenario in scenarios.iter_mut() {
        if let Err(mut errs) = prepare(scenario) {
            errors.append(&mut errs);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(errors))
    }
}

/// Reads a scenario's recordings in one streaming pass each: counts their exchanges, reports
/// every bad line, checks `expect:` and `capture:` against the replay recording and fills in
/// [`Scenario::replay`], the captures and the templates.
pub fn prepare(scenario: &mut Scenario) -> Result<(), Vec<InputError>> {
    let mut errors = Vec::new();
    let mut seen = Seen::default();
    let mut summary = Summary::default();
    match stream::open(&scenario.replay_file) {
        Ok(lines) => {
            for entry in lines {
                match entry {
                    Ok(entry) => {
                        summary.pseudonymised |= !entry.exchange.pseudonymised.is_empty();
                        seen.keep(&scenario.raw_captures, entry.place.line, entry.exchange);
                    }
                    Err(err) => errors.push(err),
                }
            }
        }
        Err(err) => errors.push(err),
    }
    summary.exchanges = seen.exchanges;
    for peer in &mut scenario.peers {
        match stream::validate(&peer.recording_file) {
            Ok(count) => peer.exchanges = count,
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (i, e) in scenario.expectations.iter().enumerate() {
        if let Selector::Exchange(n) = e.selector
            && (n == 0 || n > summary.exchanges.max(1))
        {
            errors.push(InputError::at_pointer(
                &scenario.file,
                format!("/expect/{i}/exchange"),
                format!(
                    "exchange {n} does not exist: the replay recording has {} exchange(s), numbered from 1",
                    summary.exchanges
                ),
            ));
        }
    }
    if errors.is_empty() && !scenario.raw_captures.is_empty() {
        let text = crate::fsutil::read_document(&scenario.file, "scenario").unwrap_or_default();
        let replay_file = scenario.replay_file.clone();
        let having = |pointer: &str| first_having(&replay_file, pointer);
        let (captures, templates, values) = capture::load(
            &scenario.file,
            &text,
            &scenario.raw_captures,
            &scenario.replay_file,
            &seen,
            &having,
            &mut errors,
        );
        scenario.captures = captures;
        scenario.templates = templates;
        scenario.capture_values = values;
    }
    scenario.replay = summary;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The first exchange (0-based) whose recorded response body has `pointer`.
fn first_having(file: &Path, pointer: &str) -> Option<usize> {
    stream::open(file).ok()?.flatten().position(|entry| {
        entry
            .exchange
            .response
            .body
            .json()
            .and_then(|b| b.pointer(pointer))
            .is_some()
    })
}
