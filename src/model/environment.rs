//! What a run against a live staging says about the environment rather than the contract: the
//! setup and teardown steps that ran, an environment diagnosis (credentials, gateway, setup)
//! that turns a scenario's failures into an environment error, and hints that point at a
//! likely misconfiguration without excusing a failure.

use serde::{Deserialize, Serialize};

/// The environment part of a scenario's result; flattened into the scenario in the JSON report
/// (`diagnosis`, `hints`, `steps`), each left out when empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Set when nothing in the scenario points at a contract break and the environment
    /// explains every failure: the scenario is an error (exit 3), not a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// Prominent hints that do not change the outcome, e.g. a mocked peer that was never called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// The setup and teardown steps, in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepResult>,
}

/// Why a scenario's failures are the environment's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub kind: DiagnosisKind,
    /// What was seen, in one line.
    pub message: String,
    /// What to check.
    pub hint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosisKind {
    /// Every exchange answered 401/403 where the recording had a success.
    Credentials,
    /// Every exchange answered 502/503/504 or a proxy error page where the recording had a
    /// success.
    Gateway,
    /// A setup step failed; the scenario was not replayed.
    Setup,
}

impl DiagnosisKind {
    pub fn id(self) -> &'static str {
        match self {
            DiagnosisKind::Credentials => "credentials",
            DiagnosisKind::Gateway => "gateway",
            DiagnosisKind::Setup => "setup",
        }
    }
}

/// One setup or teardown step that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    /// `setup` or `teardown`.
    pub phase: String,
    pub name: String,
    /// `http` or `command`.
    pub kind: String,
    pub ok: bool,
    pub duration_ms: u64,
    /// The HTTP status, for an HTTP step that got an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The command's exit code, for a command that ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// What the command printed, or the HTTP response body (capped; credentials redacted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Why it failed, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Environment {
    pub fn is_empty(&self) -> bool {
        self.diagnosis.is_none() && self.hints.is_empty() && self.steps.is_empty()
    }
}
