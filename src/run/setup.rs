//! Running a scenario's `setup:` and `teardown:` steps against a live target.
//!
//! Setup runs after the mocked peers are up and before the first exchange; the first failing
//! setup step stops it, and the scenario is not replayed (an environment error, exit 3, with the
//! step's stderr or status and body). Teardown runs whatever happened before it, every step even
//! after one failed. Every step has a timeout; what it printed (or answered) is kept for the
//! report with credentials redacted. Steps run only against a live target: a target served from
//! its recording has no state to prepare.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::model::StepResult;
use crate::recording::Body;
use crate::redact::secrets;
use crate::replay::Replayer;
use crate::scenario::Scenario;
use crate::scenario::steps::{Action, DEFAULT_COMMAND_TIMEOUT, Step};

use super::RunPlan;

/// How much of a step's output (or answer) the report keeps, per stream.
const KEPT_OUTPUT: usize = 16 * 1024;

/// Which list of steps runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Setup,
    Teardown,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Teardown => "teardown",
        }
    }
}

/// Runs the steps of `phase`, appending each result to `results`; returns the first failure's
/// description. Setup stops at its first failure, teardown runs every step.
pub(super) async fn run(
    phase: Phase,
    scenario: &Scenario,
    plan: &RunPlan,
    replayer: &Replayer,
    results: &mut Vec<StepResult>,
) -> Option<String> {
    let steps = match phase {
        Phase::Setup => &scenario.setup,
        Phase::Teardown => &scenario.teardown,
    };
    let mut first_failure = None;
    for step in steps {
        let result = match &step.action {
            Action::Http { .. } => http(phase, step, plan, replayer).await,
            Action::Command { line } => command(phase, step, line, scenario, plan).await,
        };
        let failed = !result.ok;
        if failed && first_failure.is_none() {
            first_failure = Some(describe_failure(&result));
        }
        results.push(result);
        if failed && phase == Phase::Setup {
            break;
        }
    }
    first_failure
}

/// `setup step `seed` failed: status 500, expected 2xx: {"error":"db down"}`.
fn describe_failure(result: &StepResult) -> String {
    let detail = result.error.clone().unwrap_or_default();
    let output = if result.stderr.trim().is_empty() {
        result.stdout.trim()
    } else {
        result.stderr.trim()
    };
    let mut text = format!("{} step `{}` failed: {detail}", result.phase, result.name);
    if !output.is_empty() {
        let short: String = output.chars().take(300).collect();
        text.push_str(": ");
        text.push_str(&short.replace('\n', " ⏎ "));
        if short.len() < output.len() {
            text.push('…');
        }
    }
    text
}

fn result_for(phase: Phase, step: &Step, kind: &str) -> StepResult {
    StepResult {
        phase: phase.name().to_string(),
        name: secrets::scrub(&step.name),
        kind: kind.to_string(),
        ok: false,
        duration_ms: 0,
        status: None,
        exit_code: None,
        stdout: String::new(),
        stderr: String::new(),
        error: None,
    }
}

async fn http(phase: Phase, step: &Step, plan: &RunPlan, replayer: &Replayer) -> StepResult {
    let Action::Http {
        method,
        path,
        headers,
        body,
        status,
    } = &step.action
    else {
        return result_for(phase, step, "http");
    };
    let mut result = result_for(phase, step, "http");
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let timeout = step.timeout.unwrap_or(plan.timeout);
    let started = Instant::now();
    let answer = replayer
        .send_step(method, path, &headers, body.as_ref(), timeout)
        .await;
    result.duration_ms = millis(started.elapsed());
    match answer {
        Ok(live) => {
            let got = live.response.status;
            result.status = Some(got);
            result.stdout = cap(&body_text(&live.response.body));
            result.ok = if status.is_empty() {
                (200..300).contains(&got)
            } else {
                status.contains(&got)
            };
            if !result.ok {
                let expected = if status.is_empty() {
                    "2xx".to_string()
                } else {
                    status
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                };
                result.error = Some(format!("status {got}, expected {expected}"));
            }
        }
        Err(err) => result.error = Some(err.message),
    }
    result
}

fn body_text(body: &Body) -> String {
    match body {
        Body::Json(value) => value.to_string(),
        Body::Text(text) => text.clone(),
        Body::Base64(_) => "(binary body)".to_string(),
        Body::Empty => String::new(),
    }
}

async fn command(
    phase: Phase,
    step: &Step,
    line: &str,
    scenario: &Scenario,
    plan: &RunPlan,
) -> StepResult {
    let mut result = result_for(phase, step, "command");
    let timeout = step.timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT);
    let folder = scenario
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut env = vec![("INTERLOCK_PROFILE".to_string(), plan.profile.clone())];
    env.extend(
        plan.targets
            .iter()
            .map(|(name, url)| (format!("INTERLOCK_TARGET_{}", env_name(name)), url.clone())),
    );
    env.push(("INTERLOCK_SCENARIO".to_string(), scenario.name.clone()));
    let line = line.to_string();
    let started = Instant::now();
    let outcome =
        tokio::task::spawn_blocking(move || run_command(&line, &folder, &env, timeout)).await;
    result.duration_ms = millis(started.elapsed());
    match outcome {
        Ok(Ok(ran)) => {
            result.stdout = cap(&secrets::scrub(&ran.stdout));
            result.stderr = cap(&secrets::scrub(&ran.stderr));
            result.exit_code = ran.code;
            result.ok = !ran.timed_out && ran.code == Some(0);
            if ran.timed_out {
                result.error = Some(format!(
                    "still running after {} s and stopped (timeout_secs)",
                    timeout.as_secs_f64()
                ));
            } else if !result.ok {
                result.error = Some(match ran.code {
                    Some(code) => format!("exit code {code}"),
                    None => "ended by a signal".to_string(),
                });
            }
        }
        Ok(Err(message)) => result.error = Some(secrets::scrub(&message)),
        Err(err) => result.error = Some(format!("the command's task failed: {err}")),
    }
    result
}

/// `crm` → `CRM`, `erp-eu` → `ERP_EU`.
fn env_name(target: &str) -> String {
    target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

/// Runs `line` through the shell in `folder` and waits at most `timeout`; a command still
/// running then is killed.
fn run_command(
    line: &str,
    folder: &Path,
    env: &[(String, String)],
    timeout: Duration,
) -> Result<Ran, String> {
    let mut command = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(line);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(line);
        c
    };
    // Its own process group, so a timeout stops what the shell started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
        .current_dir(folder)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot start the command in {}: {err}", folder.display()))?;
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let (code, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status.code(), false),
            Ok(None) if Instant::now() >= deadline => {
                stop_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(format!("cannot wait for the command: {err}")),
        }
    };
    // A grandchild that keeps the pipes open must not hold the run: the output is read for a
    // moment more, then left.
    let grace = Instant::now() + Duration::from_secs(2);
    let collect = |handle: std::sync::mpsc::Receiver<Vec<u8>>| {
        handle
            .recv_timeout(grace.saturating_duration_since(Instant::now()))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    };
    Ok(Ran {
        code,
        stdout: collect(stdout),
        stderr: collect(stderr),
        timed_out,
    })
}

/// Kills the process group a timed-out command leads (what the shell started with it).
fn stop_group(pid: u32) {
    if cfg!(unix) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Reads a stream to its end on a thread of its own, keeping at most [`KEPT_OUTPUT`] × 4 bytes.
fn reader<R: Read + Send + 'static>(stream: Option<R>) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut stream) = stream {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                if kept.len() < KEPT_OUTPUT * 4 {
                    kept.extend_from_slice(&buffer[..n]);
                }
            }
        }
        let _ = tx.send(kept);
    });
    rx
}

/// The last [`KEPT_OUTPUT`] bytes of a text (the end of a log says most), on a char boundary.
fn cap(text: &str) -> String {
    if text.len() <= KEPT_OUTPUT {
        return text.to_string();
    }
    let mut start = text.len() - KEPT_OUTPUT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_become_variable_names() {
        assert_eq!(env_name("crm"), "CRM");
        assert_eq!(env_name("erp-eu.2"), "ERP_EU_2");
    }

    #[test]
    fn output_keeps_its_end() {
        let long = format!("{}END", "x".repeat(KEPT_OUTPUT * 2));
        let kept = cap(&long);
        assert!(kept.ends_with("END") && kept.starts_with('…'));
    }
}
