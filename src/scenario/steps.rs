//! `setup:` and `teardown:` of a scenario: what puts a shared staging into the state the
//! recording assumes before the replay, and cleans up after it (Pact's provider states, for a
//! live target).
//!
//! A step is an HTTP call to the scenario's target or, when the project opts in, a command:
//!
//! ```yaml
//! setup:
//!   - name: seed the customer the recording reads
//!     http: PUT /api/v1/customers/C-10001
//!     body: {"name": "上海华东精密机械有限公司", "status": "active"}
//!     status: [200, 201]
//!   - run: ./scripts/reset-opportunities.sh
//!     timeout_secs: 120
//! teardown:
//!   - http: DELETE /api/v1/customers/C-10023
//!     status: [204, 404]
//! ```
//!
//! HTTP steps carry the profile's and the command line's credentials like every replayed
//! request; their headers add to those. Steps are validated when the scenario loads: an unknown
//! key, a missing `http`/`run` or both, a method that is not one, a path without a leading `/`
//! stop the run with exit 2 at the step's line.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// The longest a command step may run unless it says otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest any step may be given.
const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// One validated step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What the report calls it: its `name`, else `POST /path` or the command line.
    pub name: String,
    pub action: Action,
    /// The step's own timeout; `None` is the run's request timeout (HTTP) or
    /// [`DEFAULT_COMMAND_TIMEOUT`] (commands).
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// An HTTP call to the scenario's target.
    Http {
        method: String,
        /// Path and query, from `/`.
        path: String,
        headers: BTreeMap<String, String>,
        body: Option<Value>,
        /// Statuses that count as success; empty means any 2xx.
        status: Vec<u16>,
    },
    /// A shell command (`sh -c`), run in the scenario's folder.
    Command { line: String },
}

impl Step {
    pub fn is_command(&self) -> bool {
        matches!(self.action, Action::Command { .. })
    }
}

/// A step as written; validated into a [`Step`] while it is read, so an error carries the
/// step's line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    http: Option<String>,
    run: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    status: Option<OneOrMany>,
    timeout_secs: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(u16),
    Many(Vec<u16>),
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawStep::deserialize(deserializer)?;
        Step::try_from(raw).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Step, String> {
        let timeout = match raw.timeout_secs {
            Some(secs) if secs > 0.0 && secs <= MAX_TIMEOUT_SECS => {
                Some(Duration::from_secs_f64(secs))
            }
            Some(secs) => {
                return Err(format!(
                    "timeout_secs {secs} is out of range (0 < t ≤ {MAX_TIMEOUT_SECS})"
                ));
            }
            None => None,
        };
        let action = match (raw.http, raw.run) {
            (Some(_), Some(_)) => {
                return Err(
                    "a step is either `http: METHOD /path` or `run: COMMAND`, not both \
                     (split it into two steps)"
                        .to_string(),
                );
            }
            (None, None) => {
                return Err(
                    "a step needs `http: METHOD /path` (a call to the target) or `run: COMMAND`, \
                     e.g. `http: POST /api/v1/customers`"
                        .to_string(),
                );
            }
            (None, Some(line)) => {
                if line.trim().is_empty() {
                    return Err("`run` is empty: give the command to run".to_string());
                }
                if !raw.headers.is_empty() || raw.body.is_some() || raw.status.is_some() {
                    return Err(
                        "`headers`, `body` and `status` belong to `http` steps, not `run`"
                            .to_string(),
                    );
                }
                Action::Command { line }
            }
            (Some(http), None) => http_action(&http, raw.headers, raw.body, raw.status)?,
        };
        let name = raw.name.unwrap_or_else(|| match &action {
            Action::Http { method, path, .. } => format!("{method} {path}"),
            Action::Command { line } => line.clone(),
        });
        Ok(Step {
            name,
            action,
            timeout,
        })
    }
}

fn http_action(
    http: &str,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    status: Option<OneOrMany>,
) -> Result<Action, String> {
    let mut parts = http.split_whitespace();
    let (Some(method), Some(path), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`http: {http}` is not `METHOD /path`, e.g. `http: POST /api/v1/customers`"
        ));
    };
    let method = method.to_ascii_uppercase();
    if !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "`{method}` is not an HTTP method (GET, POST, PUT, DELETE, …)"
        ));
    }
    if !path.starts_with('/') {
        return Err(format!(
            "the path `{path}` must start with `/`: it is appended to the target's URL"
        ));
    }
    if let Some(name) = headers
        .keys()
        .find(|name| !crate::credentials::is_header_name(name))
    {
        return Err(format!("`{name}` is not a header name"));
    }
    let status = match status {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(list)) => list,
    };
    if let Some(bad) = status.iter().find(|s| !(100..=599).contains(*s)) {
        return Err(format!("{bad} is not an HTTP status"));
    }
    Ok(Action::Http {
        method,
        path: path.to_string(),
        headers,
        body,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Vec<Step>, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn http_and_command_steps() {
        let steps = parse(
            "- http: post /api/v1/customers\n  body: {a: 1}\n  status: 201\n- run: ./reset.sh\n  timeout_secs: 5\n",
        )
        .unwrap();
        assert_eq!(steps[0].name, "POST /api/v1/customers");
        assert!(matches!(&steps[0].action, Action::Http { status, .. } if status == &[201]));
        assert!(steps[1].is_command());
        assert_eq!(steps[1].timeout, Some(Duration::from_secs(5)));
    }

    #[test]
    fn malformed_steps_say_what_is_right() {
        let both = parse("- http: GET /a\n  run: x\n").unwrap_err();
        assert!(both.contains("not both"), "{both}");
        let neither = parse("- name: x\n").unwrap_err();
        assert!(neither.contains("needs `http: METHOD /path`"), "{neither}");
        let path = parse("- http: GET customers\n").unwrap_err();
        assert!(path.contains("must start with `/`"), "{path}");
        let unknown = parse("- http: GET /a\n  stauts: 200\n").unwrap_err();
        assert!(unknown.contains("unknown field `stauts`"), "{unknown}");
    }
}
