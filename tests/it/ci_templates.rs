//! The integrations other repositories copy: the GitHub Action (`action.yml`), the GitLab CI
//! template (`ci/gitlab/interlock.gitlab-ci.yml`) and the Jenkins pipeline in `docs/ci.md`.
//! Each is parsed and checked for what its gate needs, every `interlock` command in it is parsed
//! by the real command line, and the scripts of the action and of the GitLab jobs are run with
//! bash and the built binary on the bundled example, as a runner would run them. The README's
//! Install section, which points at them, is checked to name only what exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use clap::error::ErrorKind;
use interlock::cli::Cli;
use serde_yaml_ng::Value;

use crate::harness::{Project, RUN_LIMIT, output_within, repo_root};

fn yaml(relative: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"))
}

/// Replaces `${NAME}` and `$NAME` by sample values, longest names first.
fn substitute(text: &str, vars: &[(&str, &str)]) -> String {
    let mut vars = vars.to_vec();
    vars.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    out
}

/// Splits a command line into words the way a shell would for these scripts: single and
/// double quotes group, nothing else is special (variables are substituted before).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

/// The `interlock …` command lines of a script (continuations joined, `|| …` dropped), with
/// the variables substituted; a variable left over fails the test.
fn interlock_commands(script: &str, vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("interlock "))
        .map(|line| {
            let line = substitute(line.split(" || ").next().unwrap_or(line), vars);
            assert!(
                !line.contains('$'),
                "a variable without a sample value: {line}"
            );
            words(&line)
        })
        .collect()
}

/// Parses a command line with the real `Cli`; `--version` and `--help` count as parsed.
#[track_caller]
fn assert_parses(command: &[String], origin: &str) {
    if let Err(err) = Cli::try_parse_from(command)
        && !matches!(
            err.kind(),
            ErrorKind::DisplayVersion | ErrorKind::DisplayHelp
        )
    {
        panic!("{origin}: `{}` does not parse:\n{err}", command.join(" "));
    }
}

/// Runs a script with bash as CI runners do (`-e -o pipefail`), in `dir`, with the built
/// `interlock` first on the PATH.
fn bash(script: &str, dir: &Path, env: &[(&str, String)]) -> std::process::Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_interlock"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("bin dir").to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH");
    let mut command = Command::new("bash");
    command
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            script,
        ])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("INTERLOCK_REDACT_KEY");
    for (name, value) in env {
        command.env(name, value);
    }
    output_within(&mut command, RUN_LIMIT)
}

#[track_caller]
fn assert_exit(out: &std::process::Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The release targets of `.github/workflows/release.yml`.
fn release_targets() -> Vec<String> {
    let release = yaml(".github/workflows/release.yml");
    release["jobs"]["binary"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("a target matrix")
        .iter()
        .map(|entry| entry["target"].as_str().expect("target").to_string())
        .collect()
}

// ---- GitLab ------------------------------------------------------------------------------

const GITLAB: &str = "ci/gitlab/interlock.gitlab-ci.yml";

/// A job's script lines, `before_script` first (from the job or the job it extends).
fn gitlab_script(template: &Value, job: &str) -> String {
    let job_value = &template[job];
    let inherited = job_value["extends"]
        .as_str()
        .map(|parent| &template[parent]["before_script"]);
    let before = match &job_value["before_script"] {
        Value::Null => inherited.cloned().unwrap_or(Value::Null),
        own => own.clone(),
    };
    let lines = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .map(|s| {
                s.iter()
                    .map(|l| l.as_str().expect("script line").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut script = lines(&before);
    script.extend(lines(&job_value["script"]));
    assert!(!script.is_empty(), "job {job} has a script");
    script.join("\n")
}

fn gitlab_vars(template: &Value) -> Vec<(String, String)> {
    template["variables"]
        .as_mapping()
        .expect("variables")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().expect("name").to_string(),
                v.as_str().expect("variables are strings").to_string(),
            )
        })
        .collect()
}

#[test]
fn the_gitlab_template_shards_the_run_and_merges_into_junit_and_an_exposed_html_report() {
    let template = yaml(GITLAB);
    let vars: BTreeMap<String, String> = gitlab_vars(&template).into_iter().collect();

    let run = &template["interlock-run"];
    let parallel = run["parallel"].as_u64().expect("interlock-run.parallel");
    assert!(parallel >= 2);
    assert_eq!(
        vars["INTERLOCK_SHARDS"],
        parallel.to_string(),
        "INTERLOCK_SHARDS follows parallel:"
    );
    let script = gitlab_script(&template, "interlock-run");
    assert!(
        script.contains(r#"--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL""#),
        "{script}"
    );
    let run_paths = run["artifacts"]["paths"].as_sequence().expect("paths");
    assert!(run_paths.contains(&Value::from("out/")));
    assert!(run_paths.contains(&Value::from("scenarios/**/*.snap.new")));
    assert_eq!(run["artifacts"]["when"].as_str(), Some("always"));

    let report = &template["interlock-report"];
    assert_eq!(
        report["when"].as_str(),
        Some("always"),
        "after failing shards too"
    );
    assert_eq!(report["needs"][0]["job"].as_str(), Some("interlock-run"));
    let merge = gitlab_script(&template, "interlock-report");
    let commands = interlock_commands(&merge, &[]);
    let merge = commands
        .iter()
        .find(|c| c.get(1..3) == Some(&["report".to_string(), "merge".to_string()]))
        .expect("interlock report merge");
    let flag = |name: &str| {
        let at = merge.iter().position(|w| w == name).expect(name);
        merge[at + 1].clone()
    };
    let artifacts = &report["artifacts"];
    assert_eq!(
        artifacts["reports"]["junit"].as_str(),
        Some(flag("--junit").as_str())
    );
    assert!(
        artifacts["expose_as"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(
        artifacts["paths"].as_sequence().expect("paths"),
        &vec![Value::from(flag("--html"))],
        "the exposed artifact is the HTML report itself"
    );
    assert_eq!(artifacts["when"].as_str(), Some("always"));

    let diff = &template["interlock-diff"];
    assert_eq!(
        diff["variables"]["GIT_DEPTH"].as_str(),
        Some("0"),
        "--base needs history"
    );
    assert_eq!(
        diff["artifacts"]["reports"]["junit"].as_str(),
        Some("out/diff-junit.xml")
    );
    assert!(gitlab_script(&template, "interlock-diff").contains("interlock diff --base"));

    // The jobs download what the release workflow publishes.
    let install = gitlab_script(&template, "interlock-run");
    for target in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
        assert!(install.contains(target));
        assert!(release_targets().iter().any(|t| t == target), "{target}");
    }
    assert!(install.contains("sha256sum -c"), "the download is verified");
}

#[test]
fn every_interlock_command_in_the_gitlab_template_parses() {
    let template = yaml(GITLAB);
    let mut vars = gitlab_vars(&template);
    vars.extend(
        [
            ("CI_NODE_INDEX", "2"),
            ("CI_NODE_TOTAL", "3"),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut seen = 0;
    for job in ["interlock-diff", "interlock-run", "interlock-report"] {
        for command in interlock_commands(&gitlab_script(&template, job), &vars) {
            assert_parses(&command, job);
            seen += 1;
        }
    }
    assert!(seen >= 7, "only {seen} interlock commands found");
}

#[test]
fn the_gitlab_jobs_run_three_shards_of_the_bundled_example_and_merge_them() {
    let template = yaml(GITLAB);
    let project = Project::bundled().on_free_ports();
    let vars = gitlab_vars(&template);
    let env = |extra: &[(&'static str, String)]| {
        let mut env: Vec<(&str, String)> =
            vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        env.push((
            "CI_PROJECT_DIR",
            project.path().to_string_lossy().into_owned(),
        ));
        env.extend(extra.iter().cloned());
        env
    };
    let shards = template["interlock-run"]["parallel"]
        .as_u64()
        .expect("parallel");
    let run = gitlab_script(&template, "interlock-run");
    for shard in 1..=shards {
        let out = bash(
            &run,
            project.path(),
            &env(&[
                ("CI_NODE_INDEX", shard.to_string()),
                ("CI_NODE_TOTAL", shards.to_string()),
            ]),
        );
        assert_exit(&out, 0, &format!("interlock-run {shard}/{shards}"));
        assert!(
            project
                .file(&format!("out/shard-{shard}/report.json"))
                .is_file()
        );
    }
    let out = bash(
        &gitlab_script(&template, "interlock-report"),
        project.path(),
        &env(&[]),
    );
    assert_exit(&out, 0, "interlock-report");
    let junit = project.read("merged/junit.xml");
    for scenario in [
        "customer-onboarding",
        "erp-outage",
        "opportunity-stage",
        "receivables-check",
    ] {
        assert!(junit.contains(scenario), "{scenario} in the merged JUnit");
    }
    assert!(
        project
            .read("merged/report.html")
            .starts_with("<!DOCTYPE html>")
    );

    // A shard missing from the merge is an environment error, not a pass.
    std::fs::remove_dir_all(project.file("out/shard-2")).expect("remove a shard");
    let out = bash(
        &gitlab_script(&template, "interlock-report"),
        project.path(),
        &env(&[]),
    );
    assert_exit(&out, 3, "interlock-report with a shard missing");
}

// ---- Jenkins -----------------------------------------------------------------------------

/// The Jenkinsfile in docs/ci.md: the first ```groovy block after the "### Jenkins" heading.
fn jenkinsfile() -> String {
    let docs = std::fs::read_to_string(repo_root().join("docs/ci.md")).expect("docs/ci.md");
    let section = docs
        .split("\n### Jenkins\n")
        .nth(1)
        .expect("a Jenkins section");
    let block = section.split("```groovy\n").nth(1).expect("a groovy block");
    block
        .split("\n```")
        .next()
        .expect("a closed block")
        .to_string()
}

#[test]
fn the_jenkins_pipeline_shards_merges_and_publishes_junit() {
    let pipeline = jenkinsfile();
    assert!(
        pipeline.trim_start().starts_with("pipeline {"),
        "declarative"
    );
    for needed in [
        "matrix {",
        "name 'SHARD'",
        "values '1', '2', '3'",
        "junit testResults: 'merged/junit.xml'",
        "junit testResults: 'out/diff-junit.xml'",
        "when { changeRequest() }",
        "sha256sum -c",
        r#"--shard "$SHARD/3""#,
    ] {
        assert!(pipeline.contains(needed), "{needed}");
    }
    assert_eq!(
        pipeline.matches('{').count(),
        pipeline.matches('}').count(),
        "balanced braces"
    );
    let commands = interlock_commands(
        &pipeline,
        &[
            ("SHARD", "2"),
            ("CHANGE_TARGET", "main"),
            ("INTERLOCK_PROFILE", "staging"),
        ],
    );
    // `sh '…'` one-liners hold a command too.
    let one_liners: Vec<Vec<String>> = pipeline
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sh 'interlock "))
        .map(|rest| words(&format!("interlock {}", rest.trim_end_matches('\''))))
        .collect();
    let all: Vec<_> = commands.iter().chain(&one_liners).collect();
    assert!(all.len() >= 4, "{all:?}");
    for command in &all {
        assert_parses(command, "Jenkinsfile in docs/ci.md");
    }
    assert!(
        one_liners
            .iter()
            .any(|c| c.get(1..3) == Some(&["report".into(), "merge".into()]))
    );
}

// ---- The GitHub Action -------------------------------------------------------------------

fn action_step<'a>(action: &'a Value, id_or_name: &str) -> &'a Value {
    action["runs"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| {
            s["id"].as_str() == Some(id_or_name)
                || s["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(id_or_name))
        })
        .unwrap_or_else(|| panic!("no step {id_or_name}"))
}

#[test]
fn the_action_downloads_a_release_runs_and_publishes_junit_as_a_check_run() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    for (input, default) in [
        ("command", Some("run")),
        ("args", Some("")),
        ("version", Some("latest")),
        ("github-token", Some("${{ github.token }}")),
    ] {
        assert_eq!(
            action["inputs"][input]["default"].as_str(),
            default,
            "{input}"
        );
    }
    assert_eq!(
        action["outputs"]["exit-code"]["value"].as_str(),
        Some("${{ steps.interlock.outputs.exit-code }}")
    );

    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter().any(|u| u.starts_with("actions/cache@")),
        "{uses:?}"
    );
    let publish = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("mikepenz/action-junit-report@"))
        })
        .expect("the JUnit check run");
    assert_eq!(
        publish["with"]["report_paths"].as_str(),
        Some("${{ steps.interlock.outputs.junit }}")
    );
    assert_eq!(
        publish["with"]["token"].as_str(),
        Some("${{ inputs.github-token }}")
    );
    assert!(publish["if"].as_str().expect("if").contains("always()"));

    // The archive names it picks are the ones the release workflow publishes.
    let pick = action_step(&action, "release")["run"]
        .as_str()
        .expect("run");
    let targets = release_targets();
    let picked: Vec<&str> = pick
        .lines()
        .filter_map(|l| l.split("target=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|t| !t.starts_with('$'))
        .collect();
    assert_eq!(picked.len(), targets.len(), "{picked:?} vs {targets:?}");
    for target in picked {
        assert!(targets.iter().any(|t| t == target), "{target} is released");
    }
    let download = action_step(&action, "Download")["run"]
        .as_str()
        .expect("run");
    assert!(download.contains("SHA256SUMS") && download.contains("-c expected"));
    let documented = std::fs::read_to_string(repo_root().join("action.yml")).expect("text");
    assert!(
        documented.contains("checks: write"),
        "the permission is documented"
    );
}

/// Runs the action's `interlock` step as the runner would, in `project`.
fn run_action_step(project: &Project, command: &str, args: &str) -> BTreeMap<String, String> {
    let action = yaml("action.yml");
    let script = action_step(&action, "interlock")["run"]
        .as_str()
        .expect("run");
    let temp = tempfile::tempdir().expect("runner temp");
    let output = temp.path().join("output");
    let summary = temp.path().join("summary.md");
    let out = bash(
        script,
        project.path(),
        &[
            ("COMMAND", command.to_string()),
            ("ARGS", args.to_string()),
            ("RUNNER_TEMP", temp.path().to_string_lossy().into_owned()),
            ("GITHUB_OUTPUT", output.to_string_lossy().into_owned()),
            (
                "GITHUB_STEP_SUMMARY",
                summary.to_string_lossy().into_owned(),
            ),
        ],
    );
    assert_exit(
        &out,
        0,
        &format!("the action's step for `{command} {args}`"),
    );
    let mut outputs: BTreeMap<String, String> = std::fs::read_to_string(&output)
        .expect("GITHUB_OUTPUT")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let junit = outputs.get("junit").cloned().unwrap_or_default();
    if !junit.is_empty() {
        let xml = std::fs::read_to_string(&junit).expect("the JUnit file the output names");
        assert!(xml.contains("<testsuites"), "{xml}");
        outputs.insert("junit-xml".into(), xml);
    }
    outputs.insert(
        "summary".into(),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    );
    outputs
}

#[test]
fn the_actions_step_runs_the_bundled_example_writes_junit_and_the_job_summary() {
    let project = Project::bundled().on_free_ports();
    let outputs = run_action_step(&project, "run", "--shard 1/2");
    assert_eq!(outputs["exit-code"], "0", "{outputs:?}");
    assert!(outputs["junit-xml"].contains("customer-onboarding"));
    assert!(
        outputs["summary"].starts_with('#'),
        "{:?}",
        outputs["summary"]
    );

    let outputs = run_action_step(&project, "diff", "contracts contracts");
    assert_eq!(outputs["exit-code"], "0", "{outputs:?}");
    assert!(outputs["junit"].ends_with("diff-junit.xml"));
    assert!(!outputs["summary"].is_empty(), "the Markdown pass appends");

    let outputs = run_action_step(&project, "check", "");
    assert_eq!(outputs["exit-code"], "0", "{outputs:?}");
    assert_eq!(outputs["junit"], "", "check writes no JUnit");
}

#[test]
fn the_actions_last_step_fails_with_interlocks_exit_code() {
    let action = yaml("action.yml");
    let decide = action_step(&action, "Decide")["run"].as_str().expect("run");
    let dir = tempfile::tempdir().expect("dir");
    for code in 0..=3 {
        let out = bash(decide, dir.path(), &[("CODE", code.to_string())]);
        assert_exit(&out, code, &format!("CODE={code}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.starts_with("::error::"), code != 0, "{stdout}");
    }
}

#[test]
fn every_interlock_command_the_action_can_run_parses() {
    let action = yaml("action.yml");
    let script = action_step(&action, "interlock")["run"]
        .as_str()
        .expect("run");
    // The step's command lines, with the arrays a user's inputs become.
    let cases = [
        ("run", "--profile staging --shard 1/3"),
        ("report merge", "shards/1/report.json shards/2/report.json"),
        ("diff", "--base origin/main"),
        ("check", ""),
    ];
    let lines: Vec<&str> = script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("interlock "))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (command, args) in cases {
        for line in &lines {
            let expanded = line
                .replace(r#""${command[@]}""#, command)
                .replace(r#""${args[@]}""#, args)
                .replace(r#""$junit""#, "/tmp/junit.xml")
                .replace(r#""$out/diff.md""#, "/tmp/diff.md");
            let expanded = words(&expanded);
            let applies = match command {
                "diff" => line.starts_with("interlock diff"),
                "run" | "report merge" => line.contains("--junit"),
                _ => !line.starts_with("interlock diff") && !line.contains("--junit"),
            };
            if applies {
                assert_parses(&expanded, &format!("action.yml, command {command}"));
            }
        }
    }
}

// ---- The README -------------------------------------------------------------------------

#[test]
fn the_readme_starts_with_the_two_commands_and_then_says_how_to_install() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let first_block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a sh block");
    assert_eq!(first_block, "cargo run --release -- run\ncargo test\n");
    let first_heading = readme
        .lines()
        .find(|l| l.starts_with("## "))
        .expect("a section");
    assert_eq!(first_heading, "## Install");
    let install = readme
        .split("## Install\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the Install section");
    // Everything the section names is in the repository.
    for file in [
        "docs/install.md",
        "action.yml",
        "ci/gitlab/interlock.gitlab-ci.yml",
        "docs/ci.md",
    ] {
        assert!(install.contains(file), "{file} in the Install section");
        assert!(repo_root().join(file).is_file(), "{file}");
    }
}
