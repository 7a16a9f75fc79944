//! Causes: the findings of a run grouped by what broke, so a report can lead with one line per
//! root cause instead of one per symptom.
//!
//! Findings fold into one cause when they are the same change: the same kind, the same system
//! or peer operation, the same field (array positions folded, `/items/*/tax_id`) and the same
//! old → new shape. Beyond that:
//!
//! - a rename (a field removed and one of the same type added beside it) folds its
//!   `field-removed`, `field-added` and the schema violation for the now missing required field
//!   into one cause, `tax_id renamed to taxNumber`, across every interface of the system;
//! - a type change folds the schema violation at the same field;
//! - a date-time offset move is one cause whatever the field: the clock moved, not a field;
//! - every contract problem of the requests the target sent one peer operation is one cause;
//! - a success that became an error status is one cause with everything else wrong with that
//!   response;
//! - transport errors with one underlying error (a DNS failure, a refused connection, a TLS
//!   handshake) on one host are one cause, and the peer calls the target never made in a
//!   scenario where exchanges failed that way are attached to it.
//!
//! A cause's id is a hash of its kind, scope, pattern and shape, so it is the same in every run
//! that sees the same break. Causes are ranked: what breaks another system first, then errors
//! that stopped a check, then contract violations of the target's own responses, then drift
//! without a contract violation, then information; within a rank, by the number of consumers
//! and occurrences. Every list a cause keeps is bounded ([`LISTED`]), with counts for all.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ExchangeResult, Finding, FindingKind, Location, RunResult, ScenarioResult};
use crate::json::wildcard_indices;

/// How many exchanges, findings, paths and messages a cause lists; counts cover all.
pub const LISTED: usize = 20;

/// How much a cause hurts, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rank {
    /// A request the target sent another system breaks that system's contract.
    BreaksPeer,
    /// An exchange or scenario could not be checked (transport, start-up).
    Error,
    /// The target's own response breaks its contract.
    ContractViolation,
    /// The target's response drifted from the recording without breaking its contract.
    Drift,
    /// Shown, never fails the gate.
    Info,
}

/// A finding a cause folds, by place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    pub scenario: String,
    /// The exchange's 0-based index; absent for a scenario finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<usize>,
    /// The finding's 0-based index among its exchange's (or scenario's) findings; absent for a
    /// transport error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<usize>,
    pub kind: String,
    pub path: String,
}

/// An exchange a cause was seen at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeRef {
    pub scenario: String,
    pub index: usize,
    pub name: String,
}

/// One root cause and what it explains.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// Stable across runs: a hash of kind, scope, pattern and shape.
    pub id: String,
    /// `renamed`, `status-error`, `transport-error`, `peer-contract` or a finding kind's id.
    pub kind: String,
    pub rank: Rank,
    /// `failure`, `error` or `info`.
    pub severity: &'static str,
    /// The cause in one line; code is in backticks.
    pub line: String,
    /// The first interface it was seen on, and all of them (up to [`LISTED`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    pub interfaces: Vec<String>,
    /// The first field pattern (`/items/*/tax_id`), and all of them (up to [`LISTED`]).
    pub path: String,
    pub paths: Vec<String>,
    /// A representative old → new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// How many findings (and transport errors) it folds.
    pub occurrences: usize,
    /// The first exchanges it was seen at, and how many in all.
    pub exchanges: Vec<ExchangeRef>,
    pub exchange_count: usize,
    /// Who is affected: providers and consumers, from contract metadata.
    pub consumers: Vec<String>,
    /// The first findings it folds.
    pub findings: Vec<FindingRef>,
    /// What to check, for a cause the environment explains (`environment-*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip)]
    first_seen: usize,
}

/// The ranked causes of a run.
pub fn causes(run: &RunResult) -> Vec<Cause> {
    let mut builders: Vec<Builder> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    visit(run, |place, key, finding, error| {
        let id = key.id();
        let at = match index.get(&id) {
            Some(at) => *at,
            None => {
                let at = builders.len();
                builders.push(Builder::new(id.clone(), key.clone(), at));
                index.insert(id, at);
                at
            }
        };
        builders[at].add(place, &key, finding, error);
    });
    let mut causes: Vec<Cause> = builders.into_iter().map(Builder::finish).collect();
    for cause in &mut causes {
        if cause.kind.starts_with("environment-") {
            let scenario = cause.findings.first().map(|f| f.scenario.as_str());
            cause.hint = run
                .scenarios
                .iter()
                .find(|s| Some(s.name.as_str()) == scenario)
                .and_then(|s| s.environment.diagnosis.as_ref())
                .map(|d| d.hint.clone());
        }
    }
    causes.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then(b.consumers.len().cmp(&a.consumers.len()))
            .then(b.occurrences.cmp(&a.occurrences))
            .then(a.first_seen.cmp(&b.first_seen))
    });
    causes
}

/// The ids of the causes an exchange's failing findings fold into, as far as the exchange
/// alone tells (an environment diagnosis of its scenario, known only when it finishes, folds
/// them all into one): what the runner caps the kept bodies by.
pub fn failing_cause_ids(exchange: &ExchangeResult) -> Vec<String> {
    let mut ids: Vec<String> = exchange
        .findings
        .iter()
        .zip(exchange_keys(exchange))
        .filter(|(finding, _)| finding.is_failure())
        .map(|(_, key)| key.id())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Sets every finding's `cause` to the id of the cause it folds into.
pub fn annotate(run: &mut RunResult) {
    let mut ids: Vec<String> = Vec::new();
    visit(run, |_, key, finding, _| {
        if finding.is_some() {
            ids.push(key.id());
        }
    });
    let mut ids = ids.into_iter();
    for scenario in &mut run.scenarios {
        for exchange in &mut scenario.exchanges {
            for finding in &mut exchange.findings {
                finding.cause = ids.next();
            }
        }
        for finding in &mut scenario.findings {
            finding.cause = ids.next();
        }
    }
}

/// Where a finding (or transport error) was seen.
#[derive(Clone, Copy)]
struct Place<'a> {
    /// The scenario's position in the run.
    at: usize,
    scenario: &'a ScenarioResult,
    exchange: Option<&'a ExchangeResult>,
    finding: Option<usize>,
}

/// What makes findings one cause (`kind`, `scope`, `pattern`, `shape`), with how it ranks and
/// reads (taken from the first finding).
#[derive(Debug, Clone)]
struct Key {
    kind: String,
    scope: String,
    pattern: String,
    shape: String,
    rank: Rank,
    title: String,
}

impl Key {
    fn id(&self) -> String {
        let mut hash = Sha256::new();
        for part in [&self.kind, &self.scope, &self.pattern, &self.shape] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

struct Builder {
    cause: Cause,
    key: Key,
    messages: Vec<String>,
    /// A message shown only when no other was collected.
    fallback: Option<String>,
    last_exchange: Option<(usize, usize)>,
}

impl Builder {
    fn new(id: String, key: Key, first_seen: usize) -> Self {
        Builder {
            cause: Cause {
                id,
                kind: key.kind.clone(),
                rank: key.rank,
                severity: "info",
                line: String::new(),
                interface: None,
                interfaces: Vec::new(),
                path: key.pattern.clone(),
                paths: Vec::new(),
                old: None,
                new: None,
                occurrences: 0,
                exchanges: Vec::new(),
                exchange_count: 0,
                consumers: Vec::new(),
                findings: Vec::new(),
                hint: None,
                first_seen,
            },
            key,
            messages: Vec::new(),
            fallback: None,
            last_exchange: None,
        }
    }

    fn add(&mut self, place: Place<'_>, key: &Key, finding: Option<&Finding>, error: Option<&str>) {
        let c = &mut self.cause;
        c.occurrences += 1;
        c.rank = c.rank.min(key.rank);
        let severity = match (error, finding) {
            (Some(_), _) => "error",
            (None, Some(f)) if f.is_failure() => "failure",
            _ => "info",
        };
        c.severity = stronger(c.severity, severity);
        if let Some(exchange) = place.exchange {
            let here = (place.at, exchange.index);
            if self.last_exchange != Some(here) {
                self.last_exchange = Some(here);
                c.exchange_count += 1;
                if c.exchanges.len() < LISTED {
                    c.exchanges.push(ExchangeRef {
                        scenario: place.scenario.name.clone(),
                        index: exchange.index,
                        name: exchange.name.clone(),
                    });
                }
            }
        }
        if c.findings.len() < LISTED {
            c.findings.push(FindingRef {
                scenario: place.scenario.name.clone(),
                exchange: place.exchange.map(|e| e.index),
                finding: place.finding,
                kind: finding
                    .map_or("transport-error", |f| f.kind.id())
                    .to_string(),
                path: finding.map_or_else(String::new, |f| f.path.clone()),
            });
        }
        let interface = finding
            .and_then(|f| f.interface.clone())
            .or_else(|| place.exchange.and_then(|e| e.interface.clone()));
        if let Some(interface) = interface {
            if c.interface.is_none() {
                c.interface = Some(interface.clone());
            }
            push_bounded(&mut c.interfaces, interface);
        }
        if let Some(f) = finding {
            if !f.path.is_empty() && !f.path.starts_with("header:") {
                push_bounded(&mut c.paths, wildcard_indices(&f.path));
            }
            for who in &f.affected {
                push_bounded(&mut c.consumers, who.clone());
            }
            let kind_wanted = f.kind.id() == key.kind
                || (key.kind == "renamed" && f.kind == FindingKind::FieldRemoved);
            if c.old.is_none() && c.new.is_none() && kind_wanted {
                c.old = f.old.clone();
                c.new = f.new.clone();
            }
            let message = detail(f);
            // A peer's contract violations say more than its "matches no recording".
            if f.kind == FindingKind::PeerRequestUnmatched && key.kind == "peer-contract" {
                self.fallback.get_or_insert(message);
            } else if self.messages.len() < 3 && !self.messages.contains(&message) {
                self.messages.push(message);
            }
        }
        if let Some(error) = error
            && self.messages.is_empty()
        {
            self.messages.push(error.to_string());
        }
    }

    fn finish(mut self) -> Cause {
        if self.messages.is_empty()
            && let Some(fallback) = self.fallback.take()
        {
            self.messages.push(fallback);
        }
        if self.cause.paths.is_empty() && !self.key.pattern.is_empty() {
            self.cause.paths.push(self.key.pattern.clone());
        }
        if let Some(first) = self.cause.paths.first()
            && self.cause.path.is_empty()
        {
            self.cause.path = first.clone();
        }
        self.cause.line = match self.key.kind.as_str() {
            "peer-contract" | "scenario-error" => {
                format!("{}: {}", self.key.title, self.messages.join("; "))
            }
            _ => self.key.title.clone(),
        };
        self.cause
    }
}

/// The worse of two severities.
fn stronger(a: &'static str, b: &'static str) -> &'static str {
    let level = |s: &str| match s {
        "error" => 2,
        "failure" => 1,
        _ => 0,
    };
    if level(b) > level(a) { b } else { a }
}

fn push_bounded(list: &mut Vec<String>, item: String) {
    if list.len() < LISTED && !list.contains(&item) {
        list.push(item);
    }
}

/// A peer finding's message without the `request to PEER `interface`: ` prefix the cause
/// line already says.
fn detail(finding: &Finding) -> String {
    let message = message(finding);
    match &finding.usage {
        Some(usage) => format!("{message} ({})", usage.summary),
        None => message.to_string(),
    }
}

/// The finding's message, without the peer and place it already names.
fn message(finding: &Finding) -> &str {
    let message = finding.message.as_str();
    if let Location::PeerRequest { peer } = &finding.location {
        let prefix = format!("request to {peer} `");
        if let Some(rest) = message.strip_prefix(&prefix)
            && let Some((_, tail)) = rest.split_once("`: ")
        {
            return tail.strip_prefix("`/` ").unwrap_or(tail);
        }
    }
    message
}

/// Walks every finding and transport error of the run with its key, in run order: per
/// scenario, each exchange's findings then its error, then the scenario's own findings.
fn visit<'a>(
    run: &'a RunResult,
    mut f: impl FnMut(Place<'a>, Key, Option<&'a Finding>, Option<&'a str>),
) {
    for (at, scenario) in run.scenarios.iter().enumerate() {
        let mut first_error: Option<Key> = None;
        // An environment diagnosis explains every finding of the scenario: one cause.
        let environment = scenario.environment.diagnosis.as_ref().map(|d| Key {
            kind: format!("environment-{}", d.kind.id()),
            scope: scenario.name.clone(),
            pattern: String::new(),
            shape: String::new(),
            rank: Rank::Error,
            title: format!("scenario `{}`: {}", scenario.name, d.message),
        });
        for exchange in &scenario.exchanges {
            let keys = match &environment {
                Some(key) => vec![key.clone(); exchange.findings.len()],
                None => exchange_keys(exchange),
            };
            for (i, (finding, key)) in exchange.findings.iter().zip(keys).enumerate() {
                let place = Place {
                    at,
                    scenario,
                    exchange: Some(exchange),
                    finding: Some(i),
                };
                f(place, key, Some(finding), None);
            }
            if let Some(error) = &exchange.error {
                let key = transport_key(error, &exchange.url);
                first_error.get_or_insert_with(|| key.clone());
                let place = Place {
                    at,
                    scenario,
                    exchange: Some(exchange),
                    finding: None,
                };
                f(place, key, None, Some(error));
            }
        }
        if let Some(error) = &scenario.error {
            let key = environment.clone().unwrap_or_else(|| Key {
                kind: "scenario-error".into(),
                scope: scenario.name.clone(),
                pattern: String::new(),
                shape: String::new(),
                rank: Rank::Error,
                title: format!("scenario `{}` could not run", scenario.name),
            });
            first_error.get_or_insert_with(|| key.clone());
            let place = Place {
                at,
                scenario,
                exchange: None,
                finding: None,
            };
            f(place, key, None, Some(error));
        }
        for (i, finding) in scenario.findings.iter().enumerate() {
            let key = match (&environment, &first_error, finding.kind) {
                (Some(environment), _, _) => environment.clone(),
                (None, Some(error), FindingKind::PeerCallMissing) => error.clone(),
                _ => plain_key(finding),
            };
            let place = Place {
                at,
                scenario,
                exchange: None,
                finding: Some(i),
            };
            f(place, key, Some(finding), None);
        }
    }
}

/// The system a response finding is about: the provider named first by the contract, else the
/// interface's first segment.
fn scope(finding: &Finding) -> String {
    finding
        .affected
        .first()
        .cloned()
        .or_else(|| {
            finding
                .interface
                .as_deref()
                .map(|i| i.split('.').next().unwrap_or(i).to_string())
        })
        .unwrap_or_else(|| "target".to_string())
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

fn leaf(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, l)| l)
}

/// `integer` is a `number` in a contract's eyes.
fn json_type(value: Option<&Value>) -> &'static str {
    match value.map(crate::json::type_name) {
        Some("integer") => "number",
        Some(other) => other,
        None => "nothing",
    }
}

fn is_success(status: Option<&Value>) -> bool {
    status
        .and_then(Value::as_u64)
        .is_some_and(|s| (200..400).contains(&s))
}

fn is_error_status(status: Option<&Value>) -> bool {
    status.and_then(Value::as_u64).is_some_and(|s| s >= 400)
}

/// The key of every finding of one exchange, which may fold several findings of it into one
/// cause (a rename, a type change, a success that became an error).
fn exchange_keys(exchange: &ExchangeResult) -> Vec<Key> {
    let findings = &exchange.findings;
    let in_response = |f: &Finding| f.location == Location::Response;

    // A success that became an error: every other response finding is its consequence.
    let to_error = findings.iter().find(|f| {
        f.kind == FindingKind::StatusChanged
            && is_success(f.old.as_ref())
            && is_error_status(f.new.as_ref())
    });
    let status_key = to_error.map(|f| {
        let iface = f
            .interface
            .clone()
            .or_else(|| exchange.interface.clone())
            .unwrap_or_else(|| exchange.method.clone() + " " + &exchange.url);
        let (old, new) = (
            f.old.as_ref().map(ToString::to_string).unwrap_or_default(),
            f.new.as_ref().map(ToString::to_string).unwrap_or_default(),
        );
        Key {
            kind: "status-error".into(),
            scope: scope(f),
            pattern: "status".into(),
            shape: format!("{old} → {new}"),
            rank: Rank::ContractViolation,
            title: format!("`{iface}` answers {new} instead of {old}: {}", f.message),
        }
    });

    // Renames: a field removed and one of the same type added beside it.
    let mut renames: Vec<(String, String, String)> = Vec::new();
    let mut used = vec![false; findings.len()];
    for removed in findings
        .iter()
        .filter(|f| f.kind == FindingKind::FieldRemoved && in_response(f))
    {
        let added = findings.iter().enumerate().position(|(i, f)| {
            !used[i]
                && f.kind == FindingKind::FieldAdded
                && in_response(f)
                && parent(&f.path) == parent(&removed.path)
                && json_type(f.new.as_ref()) == json_type(removed.old.as_ref())
        });
        if let Some(i) = added {
            used[i] = true;
            renames.push((
                parent(&removed.path).to_string(),
                leaf(&removed.path).to_string(),
                leaf(&findings[i].path).to_string(),
            ));
        }
    }
    let rename_key = |f: &Finding, from: &str, to: &str| Key {
        kind: "renamed".into(),
        scope: scope(f),
        pattern: from.to_string(),
        shape: to.to_string(),
        rank: Rank::Drift,
        title: format!("`{from}` renamed to `{to}`"),
    };
    let type_key = |f: &Finding, change: &Finding| Key {
        kind: "type-changed".into(),
        scope: scope(f),
        pattern: leaf(&change.path).to_string(),
        shape: format!(
            "{} → {}",
            json_type(change.old.as_ref()),
            json_type(change.new.as_ref())
        ),
        rank: Rank::Drift,
        title: format!(
            "`{}` changed type {} → {}",
            leaf(&change.path),
            json_type(change.old.as_ref()),
            json_type(change.new.as_ref())
        ),
    };

    findings
        .iter()
        .map(|f| {
            if let Some(key) = &status_key
                && in_response(f)
            {
                let mut key = key.clone();
                key.rank = key.rank.min(rank_of(f));
                return key;
            }
            if in_response(f) {
                let rename = renames.iter().find(|(p, from, to)| match f.kind {
                    FindingKind::FieldRemoved => f.path == format!("{p}/{from}"),
                    FindingKind::FieldAdded => f.path == format!("{p}/{to}"),
                    FindingKind::SchemaViolation => {
                        f.path == *p
                            && (f
                                .message
                                .contains(&format!("\"{from}\" is a required property"))
                                || f.message.contains(&format!("'{to}' was unexpected")))
                    }
                    _ => false,
                });
                if let Some((_, from, to)) = rename {
                    let mut key = rename_key(f, from, to);
                    key.rank = if f.kind == FindingKind::SchemaViolation {
                        Rank::ContractViolation
                    } else {
                        Rank::Drift
                    };
                    return key;
                }
                let retyped = findings
                    .iter()
                    .find(|t| t.kind == FindingKind::TypeChanged && t.path == f.path);
                if let Some(change) = retyped
                    && matches!(
                        f.kind,
                        FindingKind::TypeChanged | FindingKind::SchemaViolation
                    )
                {
                    let mut key = type_key(f, change);
                    key.rank = rank_of(f);
                    return key;
                }
            }
            plain_key(f)
        })
        .collect()
}

/// How much one finding on its own hurts.
fn rank_of(finding: &Finding) -> Rank {
    if !finding.is_failure() {
        return Rank::Info;
    }
    match (&finding.location, finding.kind) {
        (Location::PeerRequest { .. }, FindingKind::PeerCallMissing) => Rank::Drift,
        (Location::PeerRequest { .. }, _) => Rank::BreaksPeer,
        (
            _,
            FindingKind::SchemaViolation
            | FindingKind::ParameterViolation
            | FindingKind::StatusUndeclared
            | FindingKind::ExpectationFailed,
        ) => Rank::ContractViolation,
        _ => Rank::Drift,
    }
}

/// The key of a finding that folds only with the same change elsewhere.
fn plain_key(f: &Finding) -> Key {
    let rank = rank_of(f);
    let pattern = wildcard_indices(&f.path);
    let iface = f.interface.clone().unwrap_or_default();
    if let Location::PeerRequest { peer } = &f.location
        && f.kind != FindingKind::PeerCallMissing
        && f.kind != FindingKind::LineageBroken
        && rank == Rank::BreaksPeer
    {
        let operation = if iface.is_empty() {
            "its operations".to_string()
        } else {
            format!("`{iface}`")
        };
        return Key {
            kind: "peer-contract".into(),
            scope: peer.clone(),
            pattern: iface.clone(),
            shape: String::new(),
            rank,
            title: format!("`{peer}` rejects the target's requests to {operation}"),
        };
    }
    if f.kind == FindingKind::FormatDrift {
        // The message reads "`/path` REASON": the reason is the shape, whatever the field.
        let reason = f
            .message
            .split_once("` ")
            .map_or(f.message.as_str(), |(_, r)| r)
            .to_string();
        return Key {
            kind: f.kind.id().into(),
            scope: scope(f),
            pattern: String::new(),
            shape: reason.clone(),
            rank,
            title: format!("{reason} in `{}` date-time values", scope(f)),
        };
    }
    let place = match &f.location {
        Location::PeerRequest { peer } => format!("{peer} request "),
        _ => String::new(),
    };
    let values = match (&f.old, &f.new) {
        (None, None) => String::new(),
        (old, new) => format!(
            " {} → {}",
            old.as_ref().map_or("(absent)".into(), short),
            new.as_ref().map_or("(absent)".into(), short)
        ),
    };
    let shown_path = if pattern.is_empty() {
        String::new()
    } else {
        format!(" `{pattern}`")
    };
    let title = match f.kind {
        FindingKind::ValueChanged | FindingKind::TypeChanged => {
            format!("{}{place}{shown_path} changed{values}", in_iface(&iface))
        }
        // `field:amount` / `key:erp`, the reconciliation's sides in `affected`.
        FindingKind::ReconcileMismatch => format!(
            "`{}` differs between {}",
            f.path.trim_start_matches("field:"),
            f.affected.join(" and ")
        ),
        FindingKind::ReconcileMissing => {
            format!("keys missing in `{}`", f.path.trim_start_matches("key:"))
        }
        FindingKind::ReconcileThreshold => f.message.clone(),
        _ => {
            let message = f.message.replace(&f.path, &pattern);
            format!("{}: {}", f.kind.id(), message)
        }
    };
    let shape = match f.kind {
        FindingKind::TypeChanged => format!(
            "{} → {}",
            json_type(f.old.as_ref()),
            json_type(f.new.as_ref())
        ),
        FindingKind::SchemaViolation | FindingKind::ExpectationFailed => {
            f.message.replace(&f.path, &pattern)
        }
        _ => String::new(),
    };
    Key {
        kind: f.kind.id().into(),
        scope: format!("{}{place}{iface}", scope(f)),
        pattern,
        shape,
        rank,
        title,
    }
}

fn in_iface(iface: &str) -> String {
    if iface.is_empty() {
        String::new()
    } else {
        format!("`{iface}`")
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 40 {
        return text;
    }
    let mut cut: String = text.chars().take(39).collect();
    cut.push('…');
    cut
}

/// Transport errors with one underlying problem on one host are one cause. The message reads
/// `URL: what went wrong`.
fn transport_key(error: &str, exchange_url: &str) -> Key {
    let (url, what) = match error.split_once(": ") {
        Some((url, what)) if url.contains("://") => (url, what),
        _ => (exchange_url, error),
    };
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let lower = what.to_ascii_lowercase();
    let class = if lower.contains("resolved") || lower.contains("dns") || lower.contains("lookup") {
        "host name could not be resolved"
    } else if lower.contains("refused") {
        "connection refused"
    } else if lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake")
    {
        "TLS handshake failed"
    } else if lower.contains("timeout")
        || lower.contains("timed out")
        || lower.contains("no response within")
    {
        "no response in time"
    } else if lower.contains("reset") || lower.contains("closed") || lower.contains("broken pipe") {
        "connection closed"
    } else {
        "cannot be reached"
    };
    Key {
        kind: "transport-error".into(),
        scope: host.clone(),
        pattern: String::new(),
        shape: class.to_string(),
        rank: Rank::Error,
        title: format!("`{host}`: {class}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn exchange(index: usize, findings: Vec<Finding>, error: Option<&str>) -> ExchangeResult {
        ExchangeResult {
            index,
            name: format!("GET /customers #{}", index + 1),
            method: "GET".into(),
            url: "https://crm.example.com/customers".into(),
            interface: Some("crm.customer.list".into()),
            recorded_status: 200,
            live_status: error.is_none().then_some(200),
            duration: Duration::ZERO,
            recorded_duration_ms: None,
            findings,
            error: error.map(str::to_string),
            recorded_body: None,
            live_body: None,
            skipped: false,
        }
    }

    fn run(exchanges: Vec<ExchangeResult>, findings: Vec<Finding>) -> RunResult {
        RunResult {
            scenarios: vec![ScenarioResult {
                exchanges,
                findings,
                ..ScenarioResult::new("s", "https://crm.example.com")
            }],
            duration: Duration::ZERO,
            shard: None,
            run_id: None,
            notes: Vec::new(),
        }
    }

    fn crm(kind: FindingKind, path: &str, message: &str) -> Finding {
        Finding {
            interface: Some("crm.customer.list".into()),
            affected: vec!["crm".into(), "erp".into()],
            ..Finding::new(kind, Location::Response, path, message)
        }
    }

    fn renamed_item(i: usize) -> Vec<Finding> {
        vec![
            crm(
                FindingKind::SchemaViolation,
                &format!("/items/{i}"),
                "\"tax_id\" is a required property",
            ),
            crm(
                FindingKind::FieldRemoved,
                &format!("/items/{i}/tax_id"),
                "removed",
            )
            .with_values(Some(json!("A")), None),
            crm(
                FindingKind::FieldAdded,
                &format!("/items/{i}/taxNumber"),
                "added",
            )
            .with_values(None, Some(json!("A"))),
        ]
    }

    #[test]
    fn a_rename_in_every_item_is_one_cause() {
        let findings = (0..3).flat_map(renamed_item).collect();
        let causes = causes(&run(vec![exchange(0, findings, None)], Vec::new()));
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].line, "`tax_id` renamed to `taxNumber`");
        assert_eq!(causes[0].occurrences, 9);
        assert_eq!(causes[0].exchange_count, 1);
        assert_eq!(causes[0].rank, Rank::ContractViolation);
        assert_eq!(
            causes[0].paths,
            ["/items/*", "/items/*/tax_id", "/items/*/taxNumber"]
        );
    }

    #[test]
    fn a_peer_break_ranks_before_the_response_changes_that_caused_it() {
        let mut findings = renamed_item(0);
        findings.push(Finding {
            interface: Some("erp.customer-sync".into()),
            affected: vec!["erp".into(), "crm".into()],
            ..Finding::new(
                FindingKind::PeerRequestInvalid,
                Location::PeerRequest { peer: "erp".into() },
                "",
                "request to erp `erp.customer-sync`: `/` \"tax_id\" is a required property",
            )
        });
        let causes = causes(&run(vec![exchange(0, findings, None)], Vec::new()));
        assert_eq!(causes.len(), 2);
        assert_eq!(causes[0].rank, Rank::BreaksPeer);
        assert_eq!(
            causes[0].line,
            "`erp` rejects the target's requests to `erp.customer-sync`: \"tax_id\" is a required property"
        );
    }

    #[test]
    fn a_transport_error_across_a_scenario_is_one_cause_with_its_missing_peer_calls() {
        let dns = "https://crm.example.com/customers: host name could not be resolved: dns error";
        let exchanges = (0..12)
            .map(|i| exchange(i, Vec::new(), Some(dns)))
            .collect();
        let missing = (0..7)
            .map(|_| {
                Finding::new(
                    FindingKind::PeerCallMissing,
                    Location::PeerRequest { peer: "erp".into() },
                    "",
                    "never made",
                )
            })
            .collect();
        let causes = causes(&run(exchanges, missing));
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].severity, "error");
        assert_eq!(causes[0].exchange_count, 12);
        assert_eq!(causes[0].occurrences, 19);
        assert_eq!(
            causes[0].line,
            "`crm.example.com`: host name could not be resolved"
        );
    }

    #[test]
    fn a_success_that_became_an_error_is_one_cause() {
        let findings = vec![
            crm(FindingKind::StatusUndeclared, "status", "502 not declared")
                .with_values(None, Some(json!(502))),
            crm(
                FindingKind::StatusChanged,
                "status",
                "status changed from 201 to 502: {\"error\":\"erp_unavailable\"}",
            )
            .with_values(Some(json!(201)), Some(json!(502))),
        ];
        let causes = causes(&run(vec![exchange(0, findings, None)], Vec::new()));
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert!(causes[0].line.contains("answers 502 instead of 201"));
        assert!(causes[0].line.contains("erp_unavailable"));
    }

    #[test]
    fn ids_are_stable_and_findings_name_their_cause() {
        let mut result = run(vec![exchange(0, renamed_item(0), None)], Vec::new());
        let first = causes(&result)[0].id.clone();
        assert_eq!(first.len(), 12);
        annotate(&mut result);
        let again = causes(&result)[0].id.clone();
        assert_eq!(first, again);
        assert!(
            result.scenarios[0].exchanges[0]
                .findings
                .iter()
                .all(|f| f.cause.as_deref() == Some(first.as_str()))
        );
    }

    #[test]
    fn lists_are_bounded_and_counts_are_not() {
        let exchanges = (0..50)
            .map(|i| exchange(i, renamed_item(0), None))
            .collect();
        let causes = causes(&run(exchanges, Vec::new()));
        assert_eq!(causes[0].exchange_count, 50);
        assert_eq!(causes[0].occurrences, 150);
        assert_eq!(causes[0].exchanges.len(), LISTED);
        assert_eq!(causes[0].findings.len(), LISTED);
    }
}
