//! `interlock learn` against a staging stand-in that is not deterministic
//! ([`crate::support::noisy_crm`]): the fields that differ on every run are learned into the
//! scenarios' `ignore:` lists, keeping their comments; the order status that the first run
//! changed for good is reported as unstable and not learned.

use crate::harness::Project;
use crate::support::noisy_crm;

const CONFIG: &str = "contracts = []\nscenarios = \"scenarios\"\ndefault_profile = \"local\"\n\n[profiles.local.targets]\n";

const SCENARIO: &str = "# Read from the staging CRM.\ntarget: crm\nreplay: crm.jsonl\nignore:\n  # The gateway's trace header.\n  - header:x-trace-id\n";

/// A project with two scenarios against the CRM: `status` (volatile fields only) and `order`
/// (volatile fields and a status shared with other users of staging).
fn project() -> Project {
    let project = Project::empty();
    project.write("interlock.toml", CONFIG);
    for (name, recording) in [
        ("status", noisy_crm::STATUS_RECORDING),
        ("order", noisy_crm::ORDER_RECORDING),
    ] {
        project.write(&format!("scenarios/{name}/scenario.yaml"), SCENARIO);
        project.write(
            &format!("scenarios/{name}/crm.jsonl"),
            &format!("{recording}\n"),
        );
    }
    project
}

#[test]
fn learn_writes_the_volatile_fields_and_reports_shared_state_then_run_passes_twice() {
    let project = project();
    let crm = noisy_crm::start();
    let target = format!("crm={}", crm.url);

    // Before learning, the volatile fields fail the run.
    let out = project.run(&["run", "status", "--target", &target]);
    out.assert_code(1);

    let out = project.run(&["learn", "--target", &target]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("status: ") && out.stdout.contains("  - /server_time   # differs"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "order: GET /api/orders/7 #1 /status: unstable between runs — shared state? use \
             setup/teardown"
        ),
        "{}",
        out.stdout
    );
    let date = time::OffsetDateTime::now_utc().date().to_string();
    for name in ["status", "order"] {
        let text = project.read(&format!("scenarios/{name}/scenario.yaml"));
        let learned = text
            .strip_prefix(SCENARIO)
            .unwrap_or_else(|| panic!("{name}: the file is kept as it was, comments too: {text}"));
        assert!(
            learned.starts_with(&format!("  # learned {date}: differs between runs\n")),
            "{name}: {learned}"
        );
        assert!(
            learned.contains("  - \"/server_time\"\n"),
            "{name}: {learned}"
        );
        assert!(
            !text.contains("/status\""),
            "the shared state is not learned"
        );
    }

    // The same running instance, twice in a row: the status scenario passes, and the server
    // time's format is still checked (its offset is what the recording has).
    for _ in 0..2 {
        project
            .run(&["run", "status", "--target", &target])
            .assert_code(0);
    }
    // The order's status changed for good: a real difference, still reported.
    let out = project.run(&[
        "run",
        "order",
        "--target",
        &target,
        "--report-json",
        "r.json",
    ]);
    out.assert_code(1);
    let report = project.json("r.json");
    let findings = report["scenarios"][0]["exchanges"][0]["findings"]
        .as_array()
        .expect("findings");
    assert!(
        findings
            .iter()
            .all(|f| f["path"] == "/status" || f["severity"] == "info"),
        "{findings:#?}"
    );
}

#[test]
fn dry_run_prints_the_rules_and_changes_no_file() {
    let project = project();
    let crm = noisy_crm::start();
    let target = format!("crm={}", crm.url);
    let out = project.run(&[
        "learn",
        "status",
        "--target",
        &target,
        "--dry-run",
        "--runs",
        "2",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("would be added to scenarios/status/scenario.yaml:"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("  - /server_time"), "{}", out.stdout);
    assert_eq!(project.read("scenarios/status/scenario.yaml"), SCENARIO);
}

#[test]
fn run_learn_learns_first_and_then_passes() {
    let project = project();
    let crm = noisy_crm::start();
    let target = format!("crm={}", crm.url);
    let out = project.run(&["run", "status", "--learn", "--target", &target]);
    out.assert_code(0);
    assert!(
        project
            .read("scenarios/status/scenario.yaml")
            .contains("  - \"/server_time\"\n"),
    );
}

#[test]
fn learn_needs_two_runs_and_a_reachable_target() {
    let project = project();
    let out = project.run(&["learn", "--runs", "1", "--target", "crm=http://127.0.0.1:9"]);
    out.assert_code(2);
    assert!(out.stderr.contains("give at least 2"), "{}", out.stderr);
    let out = project.run(&["learn", "status"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "nothing to learn from a target served from its recording: `status` (target `crm`)"
        ),
        "{}",
        out.stderr
    );
    let out = project.run(&["learn", "--target", "crm=http://127.0.0.1:9", "--runs", "2"]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("could not check every exchange"),
        "{}",
        out.stderr
    );
    assert_eq!(project.read("scenarios/status/scenario.yaml"), SCENARIO);
}
