//! Fault rules as configured: what makes a mocked peer slow, wrong or gone for chosen calls.
//!
//! A rule selects calls by route (`POST /erp/v2/customers`, a contract template such as
//! `/erp/v2/receivables/{invoice_no}`, or every route) and by call number on that route
//! (every call, the N-th, a range, or a seeded percentage), and says what happens instead of the
//! normal answer: a fixed or random delay (which can precede any other fault), a status
//! override (with `Retry-After`), a connection reset, a close without a response, a hang, a
//! truncated body or a malformed one. The same rules come from `scenario.yaml` ([`RawFault`])
//! and from `interlock mock --fault` ([`parse_spec`]); both become a [`FaultSpec`] through
//! [`FaultSpec::from_raw`], at load. Applying them is `peers::fault`'s work.
//!
//! Adding a kind of fault: a variant of [`Action`] with its `Display`, its entry in
//! `RawFault::flags` (or its own argument in [`RawFault`] and [`parse_spec`]), all in this
//! file, and its handling in `peers::handler`.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::behaviour::Behaviour;
use crate::contract::PathTemplate;
use crate::error::{InputError, did_you_mean};

/// A fault rule as written in `scenario.yaml` (or parsed from `--fault`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    /// `METHOD /path`, or a path alone (any method); a path may be a `{param}` template.
    pub route: Option<String>,
    /// `every` (default), `N` (the N-th call), `A..B` (calls A to B), or `P%`.
    pub calls: Option<CallsSpec>,
    /// Milliseconds, or `[min, max]` for a random delay.
    pub delay_ms: Option<DelaySpec>,
    pub status: Option<u16>,
    /// Seconds, sent as `Retry-After` with `status`.
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub reset: bool,
    #[serde(default)]
    pub close: bool,
    #[serde(default)]
    pub hang: bool,
    #[serde(default)]
    pub truncate: bool,
    #[serde(default)]
    pub malformed: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CallsSpec {
    Number(u64),
    Text(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DelaySpec {
    Fixed(u64),
    Range(Vec<u64>),
}

impl RawFault {
    /// The kinds that take no argument, by name, with the flag that asks for them and the
    /// action they are. `scenario.yaml` writes them as `reset: true`, `--fault` as `reset`.
    fn flags(&mut self) -> [(&'static str, &mut bool, Action); 5] {
        [
            ("reset", &mut self.reset, Action::Reset),
            ("close", &mut self.close, Action::Close),
            ("hang", &mut self.hang, Action::Hang),
            ("truncate", &mut self.truncate, Action::Truncate),
            ("malformed", &mut self.malformed, Action::Malformed),
        ]
    }

    /// Sets the argument-less kind `name`; false when there is no such kind.
    fn set_flag(&mut self, name: &str) -> bool {
        match self.flags().into_iter().find(|(kind, _, _)| *kind == name) {
            Some((_, set, _)) => {
                *set = true;
                true
            }
            None => false,
        }
    }
}

/// Which calls of a route a fault applies to (1-based call numbers).
#[derive(Debug, Clone, PartialEq)]
pub enum Calls {
    Every,
    Range(u64, u64),
    Percent(f64),
}

/// What happens instead of (or before) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer with this status and a JSON error body; the recording is not used.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Reset the connection (RST) without answering.
    Reset,
    /// Close the connection (FIN) without answering.
    Close,
    /// Never answer; the connection stays open until the client gives up.
    Hang,
    /// Send the headers and part of the recorded body, then drop the connection.
    Truncate,
    /// Send a complete response whose body is not valid JSON.
    Malformed,
}

/// The calls a rule is about: `METHOD /path`, or a path on any method.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    method: Option<String>,
    path: PathTemplate,
}

/// One fault rule, validated: which calls it selects and what happens to them.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub route: Option<Route>,
    pub calls: Calls,
    /// A fixed (`min == max`) or random delay before the answer (or before the action).
    pub delay: Option<(Duration, Duration)>,
    pub action: Option<Action>,
}

impl FaultSpec {
    /// Validates a raw rule; the error says what is wrong in one sentence.
    pub fn from_raw(raw: &RawFault) -> Result<FaultSpec, String> {
        let route = raw.route.as_deref().map(parse_route).transpose()?;
        let calls = match &raw.calls {
            None => Calls::Every,
            Some(CallsSpec::Number(0)) => {
                return Err("`calls` counts from 1: the first call is 1".into());
            }
            Some(CallsSpec::Number(n)) => Calls::Range(*n, *n),
            Some(CallsSpec::Text(text)) => parse_calls(text)?,
        };
        let delay = match &raw.delay_ms {
            None => None,
            Some(DelaySpec::Fixed(ms)) => Some((ms_duration(*ms), ms_duration(*ms))),
            Some(DelaySpec::Range(range)) => match range.as_slice() {
                [min, max] if min <= max => Some((ms_duration(*min), ms_duration(*max))),
                _ => {
                    return Err(
                        "`delay_ms` is milliseconds or `[min, max]` with min ≤ max".to_string()
                    );
                }
            },
        };
        let mut actions = Vec::new();
        if let Some(status) = raw.status {
            if !(100..=599).contains(&status) {
                return Err(format!("status {status} is not an HTTP status (100–599)"));
            }
            actions.push(Action::Status {
                status,
                retry_after: raw.retry_after,
            });
        } else if raw.retry_after.is_some() {
            return Err("`retry_after` goes with `status` (e.g. status: 429)".into());
        }
        let mut flags = raw.clone();
        for (_, set, action) in flags.flags() {
            if *set {
                actions.push(action);
            }
        }
        if actions.len() > 1 {
            return Err(
                "a fault does one of status, reset, close, hang, truncate, malformed; \
                 write one rule per fault"
                    .into(),
            );
        }
        let action = actions.pop();
        if action.is_none() && delay.is_none() {
            return Err(
                "a fault needs one of delay_ms, status, reset, close, hang, \
                 truncate, malformed"
                    .into(),
            );
        }
        Ok(FaultSpec {
            route,
            calls,
            delay,
            action,
        })
    }

    /// Whether a call is on this rule's route; `template` is the path template of the
    /// contract covering the call, if any.
    pub(crate) fn route_matches(&self, method: &str, path: &str, template: Option<&str>) -> bool {
        let Some(route) = &self.route else {
            return true;
        };
        route
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && (route.path.matches(path) || template == Some(route.path.as_str()))
    }

    /// The rule as people read it, for call number `call`.
    pub(crate) fn describe(&self, call: u64) -> String {
        let what = match (&self.action, self.delay) {
            (Some(action), None) => action.to_string(),
            (Some(action), Some(delay)) => format!("{} then {action}", show_delay(delay)),
            (None, Some(delay)) => show_delay(delay),
            (None, None) => "nothing".into(),
        };
        let route = self.route.as_ref().map_or_else(
            || "any route".to_string(),
            |r| match &r.method {
                Some(m) => format!("`{} {}`", m.to_ascii_uppercase(), r.path),
                None => format!("`{}`", r.path),
            },
        );
        format!("{what} on call {call} of {route}")
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Status {
                status,
                retry_after: Some(secs),
            } => write!(f, "status {status} (Retry-After: {secs})"),
            Action::Status { status, .. } => write!(f, "status {status}"),
            Action::Reset => f.write_str("connection reset"),
            Action::Close => f.write_str("close without a response"),
            Action::Hang => f.write_str("hang"),
            Action::Truncate => f.write_str("truncated body"),
            Action::Malformed => f.write_str("malformed body"),
        }
    }
}

fn show_delay((min, max): (Duration, Duration)) -> String {
    if min == max {
        format!("delay {} ms", min.as_millis())
    } else {
        format!("delay {}–{} ms", min.as_millis(), max.as_millis())
    }
}

fn ms_duration(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn parse_route(text: &str) -> Result<Route, String> {
    let text = text.trim();
    let (method, path) = match text.split_once(char::is_whitespace) {
        Some((method, path)) => (Some(method.to_ascii_uppercase()), path.trim()),
        None => (None, text),
    };
    if let Some(m) = &method
        && !m.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return Err(format!(
            "route `{text}` is not `METHOD /path` (e.g. `POST /erp/v2/customers`)"
        ));
    }
    let path = PathTemplate::parse(path).map_err(|err| format!("route `{text}`: {err}"))?;
    Ok(Route { method, path })
}

fn parse_calls(text: &str) -> Result<Calls, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "calls `{text}` is not `every`, a call number (`3`), a range (`1..3`) or a \
             percentage (`25%`)"
        )
    };
    if text.eq_ignore_ascii_case("every") || text.eq_ignore_ascii_case("all") {
        return Ok(Calls::Every);
    }
    if let Some(p) = text.strip_suffix('%') {
        let p: f64 = p.trim().parse().map_err(|_| bad())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(format!(
                "calls `{text}`: a percentage is between 0% and 100%"
            ));
        }
        return Ok(Calls::Percent(p));
    }
    if let Some((from, to)) = text.split_once("..") {
        let from: u64 = from.trim().parse().map_err(|_| bad())?;
        let to: u64 = to
            .trim_start_matches('=')
            .trim()
            .parse()
            .map_err(|_| bad())?;
        if from == 0 || to < from {
            return Err(format!(
                "calls `{text}`: a range counts from 1 and ends at or after its start"
            ));
        }
        return Ok(Calls::Range(from, to));
    }
    match text.parse::<u64>() {
        Ok(0) => Err("`calls` counts from 1: the first call is 1".into()),
        Ok(n) => Ok(Calls::Range(n, n)),
        Err(_) => Err(bad()),
    }
}

/// Parses the `--fault` form `KIND[:ARG][,KEY=VALUE]…`, e.g.
/// `status:503,retry_after=2,calls=1..2,route=POST /erp/v2/customers` or `delay:200-800`.
pub fn parse_spec(spec: &str) -> Result<RawFault, String> {
    let mut raw = RawFault::default();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some((key, value)) = item.split_once('=') {
            let value = value.trim();
            match key.trim() {
                "route" => raw.route = Some(value.to_string()),
                "calls" => raw.calls = Some(CallsSpec::Text(value.to_string())),
                "retry_after" | "retry-after" => {
                    raw.retry_after = Some(value.parse().map_err(|_| {
                        format!("retry_after `{value}` is not a number of seconds")
                    })?);
                }
                other => {
                    return Err(format!(
                        "unknown fault option `{other}` (options: route, calls, retry_after)"
                    ));
                }
            }
            continue;
        }
        let (kind, arg) = match item.split_once(':') {
            Some((kind, arg)) => (kind.trim(), Some(arg.trim())),
            None => (item, None),
        };
        match (kind, arg) {
            ("delay", Some(arg)) => {
                let arg = arg.trim_end_matches("ms");
                let number = |s: &str| {
                    s.trim().parse::<u64>().map_err(|_| {
                        format!("delay `{arg}` is not milliseconds (`500` or `200-800`)")
                    })
                };
                raw.delay_ms = Some(match arg.split_once('-') {
                    Some((min, max)) => DelaySpec::Range(vec![number(min)?, number(max)?]),
                    None => DelaySpec::Fixed(number(arg)?),
                });
            }
            ("status", Some(arg)) => {
                raw.status = Some(
                    arg.parse()
                        .map_err(|_| format!("status `{arg}` is not an HTTP status"))?,
                );
            }
            (kind, None) if raw.set_flag(kind) => {}
            _ => {
                return Err(format!(
                    "`{item}` is not a fault: use delay:MS, delay:MIN-MAX, status:CODE, reset, \
                     close, hang, truncate or malformed"
                ));
            }
        }
    }
    Ok(raw)
}

/// `NAME=SPEC` from `--fault`: the peer name and the validated rule.
pub(crate) fn parse_fault_arg(spec: &str) -> Result<(String, FaultSpec), InputError> {
    let bad = |message: String| {
        InputError::usage(format!("--fault `{spec}`: {message}")).with_hint(
            "e.g. --fault 'erp=status:503,retry_after=2,calls=1' or --fault 'erp=delay:200-800'",
        )
    };
    let (name, fault_spec) = spec
        .split_once('=')
        .ok_or_else(|| bad("not NAME=FAULT".to_string()))?;
    let raw = parse_spec(fault_spec).map_err(bad)?;
    let fault = FaultSpec::from_raw(&raw).map_err(bad)?;
    Ok((name.to_string(), fault))
}

/// Adds a `--fault` rule to every peer called NAME, or labelled `SCENARIO/NAME`; `peers` yields
/// (name, label, behaviour).
pub(crate) fn add_fault<'a>(
    spec: &str,
    peers: impl Iterator<Item = (&'a str, String, &'a mut Behaviour)>,
) -> Result<(), InputError> {
    let (name, raw) = parse_fault_arg(spec)?;
    let mut known = Vec::new();
    let mut found = false;
    for (peer, label, behaviour) in peers {
        if peer == name || label == name {
            behaviour.faults.push(raw.clone());
            found = true;
        }
        known.push(peer.to_string());
        known.push(label);
    }
    if found {
        Ok(())
    } else {
        Err(InputError::usage(format!(
            "--fault `{spec}`: no peer named `{name}` is served"
        ))
        .with_hint_opt(did_you_mean(&name, known.iter().map(String::as_str))))
    }
}
