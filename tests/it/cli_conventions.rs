//! The output conventions every command follows, as in cargo, nextest, ripgrep and Hurl:
//! `--color` and the colour environment variables, `-q` and `-v`.

use crate::harness::{Output, Project, normalize};

const ESC: char = '\x1b';

/// The bundled example on free ports, with a contract the recorded responses of
/// `crm.customer.get` break: `customer-onboarding` then fails on two of its four exchanges.
fn failing_project() -> Project {
    let project = Project::bundled().on_free_ports();
    project.edit(
        "contracts/crm/customer.get.contract.json",
        r#""x-request-id": {"#,
        r#""x-tenant-id": {"#,
    );
    project
}

fn run_one(project: &Project, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["run", "--snapshots", "no"];
    args.extend_from_slice(extra);
    args.push("customer-onboarding");
    project.run_with_env(&args, env)
}

#[test]
fn color_always_colours_piped_output_even_with_no_color() {
    let project = Project::bundled().on_free_ports();
    // The harness sets NO_COLOR=1 and pipes standard output.
    let out = run_one(&project, &["--color", "always"], &[]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("\x1b[32mPASS \x1b[0m"),
        "{}",
        out.stdout
    );
}

#[test]
fn no_color_and_color_never_turn_colour_off() {
    let project = Project::bundled().on_free_ports();
    let out = run_one(&project, &[], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    out.assert_code(0);
    assert!(!out.stdout.contains(ESC), "{}", out.stdout);
    let out = run_one(
        &project,
        &["--color", "never"],
        &[("NO_COLOR", ""), ("FORCE_COLOR", "1")],
    );
    out.assert_code(0);
    assert!(!out.stdout.contains(ESC), "{}", out.stdout);
}

#[test]
fn clicolor_force_and_force_color_colour_piped_output() {
    let project = Project::bundled().on_free_ports();
    for var in ["CLICOLOR_FORCE", "FORCE_COLOR"] {
        let out = run_one(&project, &[], &[("NO_COLOR", ""), (var, "1")]);
        out.assert_code(0);
        assert!(out.stdout.contains(ESC), "{var}=1: {}", out.stdout);
        let out = run_one(&project, &[], &[("NO_COLOR", ""), (var, "0")]);
        assert!(!out.stdout.contains(ESC), "{var}=0: {}", out.stdout);
    }
}

#[test]
fn an_unknown_color_choice_is_a_usage_error() {
    let out = Project::empty().run(&["--color", "sometimes", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("[possible values: auto, always, never]")
    );
}

#[test]
fn quiet_run_keeps_the_causes_and_the_summary() {
    let project = failing_project();
    let out = run_one(&project, &["-q"], &[]);
    out.assert_code(1);
    assert_eq!(
        normalize(&out.stdout, &project),
        "1 cause (2 findings)\n\
         \x20 1. FAIL  parameter-violation: response 200 of `crm.customer.get` lacks required header `x-tenant-id`  (2 findings in 2 exchanges)  affects: crm, web-ui, erp, finance\n\
         \n\
         interlock: failed — 1 scenario, 4 exchanges: 2 passed, 2 failed, 0 errors; 1 cause (2 findings) ([duration])\n"
    );
    assert_eq!(out.stderr, "", "no snapshot line, no progress");
}

#[test]
fn quiet_run_that_passes_prints_only_the_summary_line() {
    let project = Project::bundled().on_free_ports();
    let out = project.run(&["run", "--quiet"]);
    out.assert_code(0);
    let summary = regex::Regex::new(
        r"^interlock: passed — 4 scenarios, \d+ exchanges: \d+ passed, 0 failed, 0 errors; 0 causes \(0 findings\) \(\d+\.\d\d s\)\n$",
    )
    .expect("regex");
    assert!(summary.is_match(&out.stdout), "{}", out.stdout);
    assert_eq!(out.stderr, "");
}

#[test]
fn default_run_output_is_unchanged_by_the_new_flags() {
    let project = failing_project();
    let plain = run_one(&project, &[], &[]);
    let never = run_one(&project, &["--color", "never"], &[]);
    plain.assert_code(1);
    assert_eq!(
        normalize(&plain.stdout, &project),
        normalize(&never.stdout, &project)
    );
    assert!(plain.stdout.contains(
        "        parameter-violation header:x-tenant-id  response 200 of `crm.customer.get` lacks required header `x-tenant-id`"
    ));
}

#[test]
fn verbose_run_prints_each_exchange_as_it_finishes() {
    let project = failing_project();
    let out = run_one(&project, &["-v"], &[]);
    out.assert_code(1);
    let detail: Vec<String> = normalize(&out.stderr, &project)
        .lines()
        .filter(|l| !l.starts_with("snapshots:") && !l.starts_with("note:"))
        .map(String::from)
        .collect();
    assert_eq!(
        detail,
        [
            "ok    customer-onboarding  POST /api/v1/customers #1  201  [duration]",
            "FAIL  customer-onboarding  GET /api/v1/customers/{id} #2  recorded 200 → live 200  [duration]",
            "ok    customer-onboarding  GET /api/v1/customers #3  200  [duration]",
            "FAIL  customer-onboarding  GET /api/v1/customers/{id} #4  recorded 404 → live 404  [duration]",
        ]
    );
    let plain = run_one(&project, &[], &[]);
    assert_eq!(
        normalize(&out.stdout, &project),
        normalize(&plain.stdout, &project),
        "-v adds to standard error only"
    );
}

#[test]
fn quiet_and_verbose_conflict() {
    let out = Project::empty().run(&["check", "-q", "-v"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("the argument '--quiet' cannot be used with '--verbose'"),
        "{}",
        out.stderr
    );
}

#[test]
fn quiet_silences_done_lines_but_never_errors() {
    let project = Project::bundled();
    let recording = "scenarios/customer-onboarding/erp.jsonl";
    let key = [("INTERLOCK_REDACT_KEY", "5f1d3c9a7b2e4d6f8a0c1e3b5d7f9a1c")];
    let out = project.run_with_env(&["redact", recording], &key);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("redacted 1 exchanges in {recording}\n"));
    let out = project.run_with_env(&["redact", "-q", recording], &key);
    out.assert_code(0);
    assert_eq!(out.stdout, "");
    let out = project.run(&["infer", "-q", recording, "--out", "drafts"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "");
    assert!(project.file("drafts").is_dir());
    let out = project.run(&["accept", "-q", "--all"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "");
    let out = project.run(&["redact", "-q", "missing.jsonl"]);
    out.assert_code(2);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
}

#[test]
fn verbose_check_lists_every_file_it_read() {
    let project = Project::bundled();
    let plain = project.run(&["check"]);
    let out = project.run(&["check", "-v"]);
    out.assert_code(0);
    assert_eq!(out.stdout, plain.stdout);
    let read: Vec<&str> = out.stderr.lines().collect();
    for file in [
        "read contracts/erp/customer-sync.contract.json",
        "read scenarios/customer-onboarding/scenario.yaml",
        "read scenarios/customer-onboarding/crm.jsonl",
        "read scenarios/customer-onboarding/erp.jsonl",
    ] {
        assert!(read.contains(&file), "{file} missing from\n{}", out.stderr);
    }
    assert!(
        read.iter().all(|l| l.starts_with("read ")),
        "{}",
        out.stderr
    );
}
