//! `interlock check`: validates a whole project without the network.
//!
//! Every contract (schemas compiled, references resolved), every scenario, and every recording
//! (the ones the scenarios name, every `*.jsonl` under the scenarios directory, and any given on
//! the command line) is loaded. Each recorded exchange is then checked against its contract,
//! found by its `interface` or by method and path: the request's query, headers and body, and
//! the response's status, headers and body. A bad recording line is reported as `file:line` and
//! the rest of the file is still checked. Exit 0 when all is well, 1 when recordings break their
//! contracts, 2 when a file is invalid. Documented in `docs/check.md`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::schema::{check_response, scalar_at};
use crate::contract::{self, Contract, ContractSet, ParamProblem, ParamSpec};
use crate::error::{Error, InputError, did_you_mean};
use crate::exit_code;
use crate::json::display_pointer;
use crate::model::{Finding, FindingKind, Location};
use crate::recording::{self, Exchange};
use crate::redact::Audit;
use crate::scenario;

/// A recorded exchange that breaks its contract.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub file: PathBuf,
    /// 1-based line of the exchange in its recording.
    pub line: usize,
    pub finding: Finding,
}

/// What `interlock check` found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub contracts: usize,
    /// Table contracts (`*.table.yaml|json` under the contract folders).
    pub tables: usize,
    /// Reconciliation files (`reconcile/*.yaml`).
    pub reconciliations: usize,
    pub scenarios: usize,
    pub recordings: usize,
    pub exchanges: usize,
    /// Exchanges no contract covers.
    pub uncovered: usize,
    /// Files that are not valid (exit 2).
    pub invalid: Vec<InputError>,
    /// Exchanges that break their contracts (exit 1).
    pub problems: Vec<Problem>,
    /// Every contract, scenario and recording file read, in that order (for `check -v`).
    pub read: Vec<PathBuf>,
    /// Recordings holding values that look like personal data or credentials and were not
    /// redacted: the file, the lines, and how many places (a warning; exit code unchanged).
    pub unredacted: Vec<(PathBuf, Vec<usize>, usize)>,
}

impl Report {
    pub(crate) fn exit_code(&self) -> u8 {
        if !self.invalid.is_empty() {
            exit_code::INVALID_INPUT
        } else if !self.problems.is_empty() {
            exit_code::FINDINGS
        } else {
            exit_code::OK
        }
    }

    /// The readable list of problems and the summary line.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for error in &self.invalid {
            out.push_str(&format!("invalid: {error}\n"));
        }
        for (file, lines, places) in &self.unredacted {
            let lines: Vec<String> = lines.iter().map(ToString::to_string).collect();
            out.push_str(&format!(
                "warning: {}: {places} value{} that look like personal data or credentials and were not pseudonymised (line {}); run `interlock redact {}`\n",
                file.display(),
                if *places == 1 { "" } else { "s" },
                lines.join(", "),
                file.display()
            ));
        }
        for p in &self.problems {
            out.push_str(&format!(
                "{}:{}: {} [{}]\n",
                p.file.display(),
                p.line,
                p.finding.message,
                p.finding.kind.id()
            ));
        }
        let verdict = match self.exit_code() {
            exit_code::OK => "ok",
            exit_code::FINDINGS => "contract violations",
            _ => "invalid files",
        };
        let tables = match self.tables {
            0 => String::new(),
            1 => "1 table contract, ".to_string(),
            n => format!("{n} table contracts, "),
        };
        let reconciliations = match self.reconciliations {
            0 => String::new(),
            1 => ", 1 reconciliation".to_string(),
            n => format!(", {n} reconciliations"),
        };
        out.push_str(&format!(
            "{verdict}: {} contracts, {tables}{} scenarios{reconciliations}, {} recordings with {} exchanges ({} not covered by a contract); {} invalid, {} contract violations\n",
            self.contracts,
            self.scenarios,
            self.recordings,
            self.exchanges,
            self.uncovered,
            self.invalid.len(),
            self.problems.len()
        ));
        out
    }
}

/// Checks the project described by `config`, plus `extra` recordings.
/// Checks the contracts in `contract_dirs`, the scenarios under `scenarios` and their
/// recordings, and the `extra` recordings.
pub(crate) fn check_project(
    contract_dirs: &[PathBuf],
    scenarios: &Path,
    extra: &[PathBuf],
    audit: &Audit,
) -> Result<Report, Error> {
    let mut report = Report::default();
    let contracts = match contract::load_contracts(contract_dirs) {
        Ok(set) => set,
        Err(Error::Input(mut errors)) => {
            report.invalid.append(&mut errors);
            ContractSet::default()
        }
        Err(other) => return Err(other),
    };
    report.contracts = contracts.len();
    let contract_files: BTreeSet<&Path> = contracts.iter().map(|c| c.file.as_path()).collect();
    report
        .read
        .extend(contract_files.into_iter().map(Path::to_path_buf));
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    // Bad recording lines a scenario reported: dropped below when the file is read again anyway.
    let mut line_errors = Vec::new();
    if scenarios.is_dir() {
        for file in scenario::scenario_files(scenarios).unwrap_or_default() {
            report.read.push(file.clone());
            match scenario::load(&file) {
                Ok(mut s) => {
                    report.scenarios += 1;
                    match scenario::prepare::prepare(&mut s) {
                        Ok(()) => {
                            if let Err(err) = scenario::check_replayable(&s) {
                                report.invalid.push(err);
                            }
                        }
                        Err(errors) => {
                            let (lines, other): (Vec<_>, Vec<_>) =
                                errors.into_iter().partition(is_recording_line);
                            report.invalid.extend(other);
                            line_errors.extend(lines);
                        }
                    }
                    files.insert(s.replay_file.clone());
                    for peer in s.peers {
                        files.insert(peer.recording_file.clone());
                    }
                }
                Err(Error::Input(errors)) => {
                    let (lines, other): (Vec<_>, Vec<_>) =
                        errors.into_iter().partition(is_recording_line);
                    report.invalid.extend(other);
                    line_errors.extend(lines);
                }
                Err(other) => return Err(other),
            }
        }
        if let Err(err) = collect_recordings(scenarios, &mut files) {
            report.invalid.push(err);
        }
    }
    // A bad line is reported once, with the rest of its file, when the file is read below;
    // a scenario's recording that is not read below (not `*.jsonl`, or outside the
    // scenarios folder) keeps the scenario's report of it.
    let read_below: BTreeSet<PathBuf> = files.iter().map(|f| crate::fsutil::canonical(f)).collect();
    report.invalid.extend(
        line_errors
            .into_iter()
            .filter(|e| !read_below.contains(&crate::fsutil::canonical(&e.file))),
    );
    for path in extra {
        if path.is_file() {
            files.insert(path.clone());
        } else {
            report.invalid.push(InputError::usage(format!(
                "{}: no such recording",
                path.display()
            )));
        }
    }
    report.read.extend(files.iter().cloned());
    for file in &files {
        check_recording(file, &contracts, audit, &mut report);
    }
    Ok(report)
}

fn is_recording_line(error: &InputError) -> bool {
    matches!(error.position, crate::error::Position::Line(_))
}

/// Every `*.jsonl` under `dir`, recursively, walked by [`crate::fsutil::walk_files`].
fn collect_recordings(dir: &Path, files: &mut BTreeSet<PathBuf>) -> Result<(), InputError> {
    files.extend(crate::fsutil::walk_files(
        dir,
        "the scenarios folder",
        "point `scenarios` in interlock.toml at the project's scenarios folder",
        false,
        &|path| path.extension().is_some_and(|e| e == "jsonl"),
    )?);
    Ok(())
}

/// Reads and checks a recording one exchange at a time: its bad lines and its exchanges.
fn check_recording(file: &Path, contracts: &ContractSet, audit: &Audit, report: &mut Report) {
    let lines = match recording::stream::open(file) {
        Ok(lines) => lines,
        Err(err) => {
            report.invalid.push(err);
            return;
        }
    };
    report.recordings += 1;
    let mut unredacted = (Vec::new(), 0);
    for entry in lines {
        let (line, exchange) = match entry {
            Ok(entry) => (entry.place.line, entry.exchange),
            Err(err) => {
                report.invalid.push(err);
                continue;
            }
        };
        let places = audit.unredacted(&exchange).len();
        if places > 0 {
            unredacted.0.push(line);
            unredacted.1 += places;
        }
        report.exchanges += 1;
        match contract_for(&exchange, contracts) {
            Ok(Some(contract)) => {
                for finding in check_exchange(contract, &exchange) {
                    report.problems.push(Problem {
                        file: file.to_path_buf(),
                        line,
                        finding,
                    });
                }
            }
            Ok(None) => report.uncovered += 1,
            Err(error) => report.invalid.push(InputError {
                file: file.to_path_buf(),
                position: crate::error::Position::Line(line),
                ..error
            }),
        }
    }
    if !unredacted.0.is_empty() {
        report
            .unredacted
            .push((file.to_path_buf(), unredacted.0, unredacted.1));
    }
}

/// The contract of an exchange: its `interface` (which must exist), else method and path
/// (restricted to its peer's contracts when it names a peer that provides any).
pub(crate) fn contract_for<'a>(
    exchange: &Exchange,
    contracts: &'a ContractSet,
) -> Result<Option<&'a Contract>, InputError> {
    if let Some(interface) = &exchange.interface {
        return match contracts.by_interface(interface) {
            Some(c) => Ok(Some(c)),
            None if contracts.is_empty() => Ok(None),
            None => Err(InputError::usage(format!(
                "exchange names interface `{interface}`, which no contract declares"
            ))
            .with_hint_opt(did_you_mean(
                interface,
                contracts.iter().map(|c| c.interface.as_str()),
            ))),
        };
    }
    let method = &exchange.request.method;
    let path = exchange.request.path();
    Ok(exchange
        .peer
        .as_deref()
        .and_then(|peer| contracts.find(Some(peer), method, path))
        .or_else(|| contracts.find(None, method, path)))
}

/// Every way an exchange breaks its contract: request query, headers and body; response status,
/// headers and body.
pub(crate) fn check_exchange(contract: &Contract, exchange: &Exchange) -> Vec<Finding> {
    let mut findings = check_request(contract, exchange);
    findings.extend(check_response(
        contract,
        exchange.response.status,
        &exchange.response.headers,
        &exchange.response.body,
    ));
    findings
}

fn check_request(contract: &Contract, exchange: &Exchange) -> Vec<Finding> {
    let request = &exchange.request;
    let mut findings = Vec::new();
    let query = request.query();
    for spec in &contract.request.query {
        let values: Vec<&str> = query
            .iter()
            .filter(|(name, _)| *name == spec.name)
            .map(|(_, v)| v.as_str())
            .collect();
        check_param(
            contract,
            "query parameter",
            "query",
            spec,
            &values,
            &mut findings,
        );
    }
    if !contract.request.additional_query {
        let mut seen = BTreeSet::new();
        for (name, value) in &query {
            if !contract.request.query.iter().any(|p| p.name == *name) && seen.insert(name) {
                findings.push(request_finding(
                    contract,
                    FindingKind::ParameterViolation,
                    format!("query:{name}"),
                    format!("query parameter `{name}` is not declared by the contract"),
                    Some(Value::String(value.clone())),
                ));
            }
        }
    }
    for spec in &contract.request.headers {
        let values: Vec<&str> = request
            .header(&spec.name)
            .map(|v| v.values().collect())
            .unwrap_or_default();
        check_param(contract, "header", "header", spec, &values, &mut findings);
    }
    if let Some(body_spec) = &contract.request.body {
        match request.body.json() {
            Some(json) => {
                for v in body_spec.schema.violations(json) {
                    let shown = display_pointer(&v.instance_path);
                    findings.push(request_finding(
                        contract,
                        FindingKind::SchemaViolation,
                        v.instance_path.clone(),
                        format!("at `{shown}`: {}", v.message),
                        scalar_at(json, &v.instance_path),
                    ));
                }
            }
            None => findings.push(request_finding(
                contract,
                FindingKind::SchemaViolation,
                String::new(),
                format!(
                    "must have a JSON body; it has {} body",
                    crate::json::with_article(request.body.kind())
                ),
                None,
            )),
        }
    }
    findings
}

fn check_param(
    contract: &Contract,
    what: &str,
    prefix: &str,
    spec: &ParamSpec,
    values: &[&str],
    findings: &mut Vec<Finding>,
) {
    let path = format!("{prefix}:{}", spec.name);
    for problem in spec.problems(values) {
        findings.push(match problem {
            ParamProblem::Missing => request_finding(
                contract,
                FindingKind::ParameterViolation,
                path.clone(),
                format!("lacks required {what} `{}`", spec.name),
                None,
            ),
            ParamProblem::Invalid { value, message } => request_finding(
                contract,
                FindingKind::ParameterViolation,
                path.clone(),
                format!("{what} `{}`: {message}", spec.name),
                Some(Value::String(value.to_string())),
            ),
        });
    }
}

fn request_finding(
    contract: &Contract,
    kind: FindingKind,
    path: String,
    message: String,
    value: Option<Value>,
) -> Finding {
    Finding::new(
        kind,
        Location::Scenario,
        path,
        format!("request of `{}` {message}", contract.interface),
    )
    .with_values(None, value)
    .for_contract(Some(contract))
}
