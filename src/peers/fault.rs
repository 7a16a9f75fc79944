//! Fault injection: rules that make a peer slow, wrong or gone for chosen calls.
//!
//! A [`Fault`] selects calls by route (`POST /erp/v2/customers`, a contract template such as
//! `/erp/v2/receivables/{invoice_no}`, or every route) and by call number on that route
//! (every call, the N-th, a range, or a seeded percentage), and says what happens instead of the
//! normal answer: a fixed or random delay (which can precede any other fault), a status
//! override (with `Retry-After`), a connection reset, a close without a response, a hang, a
//! truncated body or a malformed one. The same rules come from `scenario.yaml` and from
//! `interlock mock --fault`; both go through [`RawFault`] and [`Fault::from_raw`].
//!
//! Percentages are reproducible: whether call N of a rule is hit depends only on the seed, the
//! rule's position and N, never on timing or on other routes.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;

use crate::contract::PathTemplate;

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

#[derive(Debug)]
struct Route {
    method: Option<String>,
    path: PathTemplate,
}

/// One fault rule, ready to apply.
#[derive(Debug)]
pub struct Fault {
    route: Option<Route>,
    calls: Calls,
    delay: Option<(Duration, Duration)>,
    pub action: Option<Action>,
    /// Calls seen on the rule's route so far.
    seen: AtomicU64,
}

/// The fault chosen for one call.
#[derive(Debug, Clone)]
pub struct Hit {
    pub delay: Option<Duration>,
    pub action: Option<Action>,
    /// E.g. ``status 503 (Retry-After: 1) on call 1 of `POST /erp/v2/customers` ``.
    pub label: String,
}

impl Fault {
    /// Validates a raw rule; the error says what is wrong in one sentence.
    pub fn from_raw(raw: &RawFault) -> Result<Fault, String> {
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
        for (set, action) in [
            (raw.reset, Action::Reset),
            (raw.close, Action::Close),
            (raw.hang, Action::Hang),
            (raw.truncate, Action::Truncate),
            (raw.malformed, Action::Malformed),
        ] {
            if set {
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
        Ok(Fault {
            route,
            calls,
            delay,
            action,
            seen: AtomicU64::new(0),
        })
    }

    fn route_matches(&self, method: &str, path: &str, template: Option<&str>) -> bool {
        let Some(route) = &self.route else {
            return true;
        };
        route
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && (route.path.matches(path) || template == Some(route.path.as_str()))
    }

    fn selects(&self, call: u64, seed: u64, rule: usize) -> bool {
        match self.calls {
            Calls::Every => true,
            Calls::Range(from, to) => (from..=to).contains(&call),
            Calls::Percent(p) => {
                let mix = seed ^ ((rule as u64) << 48) ^ call.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                fastrand::Rng::with_seed(mix).f64() * 100.0 < p
            }
        }
    }

    fn describe(&self, call: u64) -> String {
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

/// The fault rules of one peer.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Fault>,
    seed: u64,
}

impl Faults {
    pub fn new(rules: Vec<Fault>, seed: u64) -> Self {
        Faults { rules, seed }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Counts the call on every rule whose route it is on and returns the first rule that
    /// fires. `template` is the path template of the contract covering the call, if any.
    pub fn pick(&self, method: &str, path: &str, template: Option<&str>) -> Option<Hit> {
        let mut hit = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.route_matches(method, path, template) {
                continue;
            }
            let call = rule.seen.fetch_add(1, Ordering::Relaxed) + 1;
            if hit.is_none() && rule.selects(call, self.seed, index) {
                let delay = rule.delay.map(|(min, max)| {
                    if min == max {
                        min
                    } else {
                        let mix = self.seed ^ call ^ ((index as u64) << 40) ^ 0x5bd1_e995;
                        let span = (max - min).as_millis() as u64;
                        min + ms_duration(fastrand::Rng::with_seed(mix).u64(0..=span))
                    }
                });
                hit = Some(Hit {
                    delay,
                    action: rule.action.clone(),
                    label: rule.describe(call),
                });
            }
        }
        hit
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
    if let Some(m) = &method {
        if !m.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!(
                "route `{text}` is not `METHOD /path` (e.g. `POST /erp/v2/customers`)"
            ));
        }
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
            ("reset", None) => raw.reset = true,
            ("close", None) => raw.close = true,
            ("hang", None) => raw.hang = true,
            ("truncate", None) => raw.truncate = true,
            ("malformed", None) => raw.malformed = true,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(spec: &str) -> Fault {
        Fault::from_raw(&parse_spec(spec).expect("a spec")).expect("a fault")
    }

    fn hits(faults: &Faults, method: &str, path: &str, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| faults.pick(method, path, None).is_some())
            .collect()
    }

    #[test]
    fn nth_call_and_ranges_count_per_route() {
        let faults = Faults::new(
            vec![fault("status:503,calls=2,route=POST /erp/v2/customers")],
            0,
        );
        assert!(faults.pick("GET", "/erp/v2/customers", None).is_none());
        assert_eq!(
            hits(&faults, "POST", "/erp/v2/customers", 3),
            [false, true, false]
        );
        let faults = Faults::new(vec![fault("close,calls=1..2")], 0);
        assert_eq!(hits(&faults, "GET", "/x", 3), [true, true, false]);
    }

    #[test]
    fn percentages_are_reproducible_and_roughly_right() {
        let run = || {
            let faults = Faults::new(vec![fault("reset,calls=25%")], 7);
            hits(&faults, "GET", "/x", 400)
        };
        let first = run();
        assert_eq!(first, run());
        let hit = first.iter().filter(|h| **h).count();
        assert!((60..140).contains(&hit), "{hit} of 400");
    }

    #[test]
    fn templates_match_concrete_paths_and_labels_name_the_call() {
        let faults = Faults::new(vec![fault("status:429,retry_after=2,route=GET /r/{id}")], 0);
        let hit = faults.pick("get", "/r/INV-1", None).expect("a hit");
        assert_eq!(
            hit.label,
            "status 429 (Retry-After: 2) on call 1 of `GET /r/{id}`"
        );
        assert_eq!(
            hit.action,
            Some(Action::Status {
                status: 429,
                retry_after: Some(2)
            })
        );
    }

    #[test]
    fn random_delays_stay_in_range() {
        let faults = Faults::new(vec![fault("delay:200-800")], 3);
        for _ in 0..50 {
            let delay = faults
                .pick("GET", "/", None)
                .and_then(|h| h.delay)
                .expect("a delay");
            assert!((200..=800).contains(&delay.as_millis()), "{delay:?}");
        }
    }

    #[test]
    fn bad_rules_say_what_would_be_right() {
        let err = |spec: &str| {
            parse_spec(spec)
                .and_then(|raw| Fault::from_raw(&raw).map(|_| ()))
                .expect_err("an error")
        };
        assert!(err("explode").contains("is not a fault"));
        assert!(err("reset,close").contains("one rule per fault"));
        assert!(err("reset,calls=0").contains("counts from 1"));
        assert!(err("reset,calls=often").contains("percentage"));
        assert!(err("status:503,route=erp/customers").contains("must start with `/`"));
        assert!(err("retry_after=3").contains("goes with `status`"));
    }
}
