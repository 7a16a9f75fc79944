//! How a mocked peer behaves, as a scenario configures it: request matching, playback of
//! identical requests, answers to invalid requests, and fault rules.

use super::fault::FaultSpec;

/// How a peer matches requests, plays recordings back and misbehaves on purpose.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    pub playback: Playback,
    /// Request headers compared with the recording (by name, case-insensitive).
    pub match_headers: Vec<String>,
    /// How request bodies must match.
    pub match_body: BodyMatch,
    /// How request paths must match.
    pub match_path: PathMatch,
    /// What a request that breaks its contract and matches no recording gets.
    pub invalid_requests: InvalidRequests,
    /// Fault rules, first firing rule wins.
    pub faults: Vec<FaultSpec>,
    /// Seed for percentage faults and random delays.
    pub seed: u64,
}

/// What identical requests get once every recorded reply has been played (`playback:` in a
/// scenario, `--playback` of `interlock mock`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Playback {
    /// The last recorded reply again.
    #[default]
    Repeat,
    /// From the first recorded reply again.
    Cycle,
    /// 404: the recording has no more answers.
    NotFound,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyMatch {
    /// Equal to the recorded body, modulo ignore rules.
    #[default]
    Exact,
    /// Equal, or else any body valid against the peer's contract for the operation.
    Contract,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathMatch {
    /// The recorded path exactly.
    #[default]
    Exact,
    /// The recorded path, or else any path of the same contract operation (`/customers/{id}`).
    Template,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidRequests {
    /// The operation's recorded error response (4xx) if the recording has one, else 422.
    #[default]
    RecordedError,
    /// Always 422 with the violations.
    Reject,
}
