//! Snapshots: `interlock run` keeps each exchange's normalized live response as an insta
//! `.snap`, writes `.snap.new` for anything new or changed, never overwrites silently, writes
//! nothing on CI unless asked; `interlock accept` / `reject` decide; and the real `cargo insta`
//! works on the same files.

use std::process::Command;

use crate::harness::{Output, Project, RUN_LIMIT, files_under, output_within};

pub const RECEIVABLE_318: &str = "scenarios/receivables-check/snapshots/receivables-check__001_get_api_v1_invoices_invoice_no_payment_status.snap";
pub const RECEIVABLE_342: &str = "scenarios/receivables-check/snapshots/receivables-check__002_get_api_v1_invoices_invoice_no_payment_status.snap";
pub const RECEIVABLE_UNKNOWN: &str = "scenarios/receivables-check/snapshots/receivables-check__003_get_api_v1_invoices_invoice_no_payment_status.snap";

/// The bundled example without any snapshot files, its mocked peers moved from their fixed
/// ports to free ones so tests can run in parallel.
pub fn bundled_without_snapshots() -> Project {
    let project = Project::bundled().on_free_ports();
    for entry in std::fs::read_dir(project.file("scenarios")).expect("scenarios") {
        let dir = entry.expect("entry").path().join("snapshots");
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir).expect("remove snapshots");
        }
    }
    project
}

/// The snapshot-mode variables of the environment the tests run in, blanked (empty is unset).
const NO_MODE_ENV: [(&str, &str); 2] = [("INTERLOCK_SNAPSHOTS", ""), ("INSTA_UPDATE", "")];

/// `interlock ARGS` outside CI (so the default mode writes `.snap.new`).
pub fn run_local(project: &Project, args: &[&str]) -> Output {
    project.run_with_env(args, &[("CI", "false"), NO_MODE_ENV[0], NO_MODE_ENV[1]])
}

/// `interlock ARGS` on CI.
fn run_on_ci(project: &Project, args: &[&str]) -> Output {
    project.run_with_env(args, &[("CI", "true"), NO_MODE_ENV[0], NO_MODE_ENV[1]])
}

/// Every snapshot file (`.snap` and `.snap.new`) under the project's scenarios, relative.
pub fn snapshot_files(project: &Project) -> Vec<String> {
    let mut files: Vec<String> = files_under(&project.file("scenarios"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "snap" || e == "new"))
        .map(|p| {
            p.strip_prefix(project.path())
                .expect("inside the project")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

fn new_of(snap: &str) -> String {
    format!("{snap}.new")
}

#[test]
fn first_run_leaves_new_snapshots_pending_and_accept_settles_them() {
    let project = bundled_without_snapshots();
    let out = run_local(&project, &["run"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("snapshots: 12 pending (0 changed, 12 new)"),
        "{}",
        out.stderr
    );
    let files = snapshot_files(&project);
    assert_eq!(files.len(), 12, "{files:?}");
    assert!(files.iter().all(|f| f.ends_with(".snap.new")), "{files:?}");

    // insta's layout: metadata between `---` lines, then the normalized response.
    let list = project.read(
        "scenarios/customer-onboarding/snapshots/customer-onboarding__003_get_api_v1_customers.snap.new",
    );
    assert!(
        list.starts_with(
            "---\nsource: scenarios/customer-onboarding/scenario.yaml\n\
             description: \"crm.customer.list: GET /api/v1/customers?page=1&page_size=20&status=active\"\n\
             expression: \"GET /api/v1/customers #3\"\n---\n{\n  \"status\": 200,\n"
        ),
        "{list}"
    );
    // Ignore rules become placeholders; the contract-declared header is kept, masked.
    assert!(list.contains("\"updated_at\": \"[timestamp]\""), "{list}");
    assert!(list.contains("\"x-request-id\": \"[ignored]\""), "{list}");
    assert!(
        list.contains("\"created_at\": \"2025-06-18T10:02:11+08:00\""),
        "{list}"
    );
    assert!(
        !list.contains("\"date\""),
        "volatile headers stay out: {list}"
    );

    // Scripts must say what to decide.
    let out = project.run(&["accept"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("needs scenario names or --all"),
        "{}",
        out.stderr
    );
    let out = project.run(&["accept", "customer-onbording"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("no scenario named `customer-onbording`")
            && out.stderr.contains("did you mean `customer-onboarding`?"),
        "{}",
        out.stderr
    );

    let out = project.run(&["accept", "--all"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("accepted 12 snapshots"),
        "{}",
        out.stdout
    );
    let files = snapshot_files(&project);
    assert!(files.iter().all(|f| f.ends_with(".snap")), "{files:?}");

    // Deterministic: the second run matches every accepted snapshot and writes nothing.
    let out = run_local(&project, &["run"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("snapshots: 12 unchanged"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot_files(&project), files);
    let out = project.run(&["reject", "--all"]);
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "No pending snapshots.");
}

/// Changes what the (recorded stand-in) target answers for invoice INV-2026-000318.
fn change_amount(project: &Project, to: &str) {
    let text = project.read("scenarios/receivables-check/crm.jsonl");
    let re = regex::Regex::new(r#""invoice_no":"INV-2026-000318","customer_id":"C-10001","status":"paid","amount":[0-9.]+"#)
        .expect("regex");
    assert!(re.is_match(&text), "recording changed shape");
    let changed = re.replace(
        &text,
        format!(r#""invoice_no":"INV-2026-000318","customer_id":"C-10001","status":"paid","amount":{to}"#),
    );
    project.write("scenarios/receivables-check/crm.jsonl", &changed);
}

#[test]
fn a_changed_response_is_pending_and_the_accepted_snapshot_stays() {
    let project = bundled_without_snapshots();
    let out = run_local(&project, &["run", "--snapshots", "always"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("snapshots: 12 written"),
        "{}",
        out.stderr
    );
    let accepted = project.read(RECEIVABLE_318);
    assert!(accepted.contains("\"amount\": 126000,"), "{accepted}");

    change_amount(&project, "126500");
    // On CI nothing is written unless asked.
    let out = run_on_ci(&project, &["run", "receivables-check"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("1 changed and 0 new not written"),
        "{}",
        out.stderr
    );
    assert!(!project.file(&new_of(RECEIVABLE_318)).exists());
    let out = run_on_ci(
        &project,
        &["run", "receivables-check", "--snapshots", "new"],
    );
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("snapshots: 1 pending (1 changed, 0 new)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        project.read(RECEIVABLE_318),
        accepted,
        "never overwritten silently"
    );
    assert!(
        project
            .read(&new_of(RECEIVABLE_318))
            .contains("\"amount\": 126500,")
    );

    // INSTA_UPDATE is honoured like insta does.
    let out = project.run_with_env(
        &["run", "receivables-check"],
        &[("CI", "false"), NO_MODE_ENV[0], ("INSTA_UPDATE", "no")],
    );
    out.assert_code(0);
    assert!(
        out.stderr.contains("1 changed and 0 new not written"),
        "{}",
        out.stderr
    );
    let out = project.run_with_env(&["run"], &[NO_MODE_ENV[0], ("INSTA_UPDATE", "sometimes")]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("INSTA_UPDATE=sometimes is not a snapshot mode"),
        "{}",
        out.stderr
    );

    let out = project.run(&["reject", "receivables-check"]);
    out.assert_code(0);
    assert!(out.stdout.contains("rejected 1 snapshot"), "{}", out.stdout);
    assert!(!project.file(&new_of(RECEIVABLE_318)).exists());
    assert_eq!(project.read(RECEIVABLE_318), accepted);

    // Back to the accepted answer: a stale pending file is removed.
    run_local(&project, &["run", "receivables-check"]).assert_code(0);
    change_amount(&project, "126000");
    let out = run_local(&project, &["run", "receivables-check"]);
    assert!(
        out.stderr.contains("snapshots: 3 unchanged"),
        "{}",
        out.stderr
    );
    assert!(!project.file(&new_of(RECEIVABLE_318)).exists());
}

fn cargo_insta_available() -> bool {
    Command::new("cargo")
        .args(["insta", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn cargo_insta(project: &Project, args: &[&str]) -> Output {
    let output = output_within(
        Command::new("cargo")
            .arg("insta")
            .args(args)
            .arg("--workspace-root")
            .arg(project.path())
            .env_remove("INSTA_WORKSPACE_ROOT")
            .env_remove("INSTA_UPDATE")
            .env_remove("INSTA_PENDING_DIR")
            .env("CARGO_TERM_COLOR", "never"),
        RUN_LIMIT,
    );
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: std::time::Duration::ZERO,
    }
}

/// The manifest `docs/snapshots.md` tells users of a repository without Rust code to add, so
/// `cargo insta` can find the project root.
pub const MINIMAL_MANIFEST: &str = "[package]\nname = \"contract-snapshots\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[lib]\npath = \"Cargo.toml\"\n";

#[test]
fn cargo_insta_lists_accepts_and_rejects_interlock_snapshots() {
    if !cargo_insta_available() {
        crate::support::skip(
            "cargo_insta_lists_accepts_and_rejects_interlock_snapshots: `cargo insta` is not \
             installed (install it with `cargo install cargo-insta --locked`; .ci/run does)",
        );
        return;
    }
    let project = bundled_without_snapshots();
    project.write("Cargo.toml", MINIMAL_MANIFEST);
    run_local(&project, &["run", "--snapshots", "always"]).assert_code(0);
    let accepted = project.read(RECEIVABLE_318);

    change_amount(&project, "126500");
    run_local(&project, &["run", "receivables-check"]).assert_code(0);
    let pending = project.read(&new_of(RECEIVABLE_318));

    let out = cargo_insta(&project, &["pending-snapshots"]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains(&format!("Pending snapshots:\n  {RECEIVABLE_318}\n")),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let out = cargo_insta(&project, &["pending-snapshots", "--as-json"]);
    out.assert_code(0);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("\"type\":\"file_snapshot\""),
        "{}",
        out.stdout
    );

    // Accept: the `.snap` gets the new content exactly as Interlock wrote it.
    let out = cargo_insta(&project, &["accept"]);
    out.assert_code(0);
    assert_eq!(project.read(RECEIVABLE_318), pending);
    assert_ne!(project.read(RECEIVABLE_318), accepted);
    assert!(!project.file(&new_of(RECEIVABLE_318)).exists());
    let out = run_local(&project, &["run", "receivables-check"]);
    assert!(
        out.stderr.contains("snapshots: 3 unchanged"),
        "{}",
        out.stderr
    );

    // Reject: the pending file goes, the accepted snapshot stays.
    change_amount(&project, "127000");
    run_local(&project, &["run", "receivables-check"]).assert_code(0);
    assert!(project.file(&new_of(RECEIVABLE_318)).is_file());
    let out = cargo_insta(&project, &["reject"]);
    out.assert_code(0);
    assert!(!project.file(&new_of(RECEIVABLE_318)).exists());
    assert_eq!(project.read(RECEIVABLE_318), pending);
    let out = cargo_insta(&project, &["pending-snapshots"]);
    assert!(
        out.stdout.contains("No pending snapshots."),
        "{}",
        out.stdout
    );
}
