//! Project discovery, as cargo and git do it: `interlock.toml` in the current folder or the
//! nearest one above it, `--config` over both, and messages that name files from where the
//! command runs.

use crate::harness::Project;

#[test]
fn check_from_a_scenario_folder_finds_the_project() {
    let project = Project::bundled();
    let at_root = project.run(&["check"]);
    let nested = project.run_in("scenarios/customer-onboarding", &["check"], &[]);
    nested.assert_code(0);
    assert_eq!(nested.stdout, at_root.stdout);
    assert!(
        nested.stdout.contains(", 4 scenarios, "),
        "{}",
        nested.stdout
    );
    // Paths are named from where the command runs.
    project.write("scenarios/customer-onboarding/captured.jsonl", "{\"oops\n");
    let out = project.run_in("scenarios/customer-onboarding", &["check"], &[]);
    out.assert_code(2);
    assert!(
        out.stdout
            .contains("invalid: ../../scenarios/customer-onboarding/captured.jsonl:1"),
        "{}",
        out.stdout
    );
}

#[test]
fn run_from_the_scenarios_folder_and_config_override() {
    let project = Project::bundled().on_free_ports();
    let out = project.run_in("scenarios", &["run", "customer-onboarding"], &[]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("\ninterlock: passed — 1 scenario, "),
        "{}",
        out.stdout
    );
    // --config wins over discovery; its folder is the project root.
    project.write("other/interlock.toml", "scenarios = \"nowhere\"\n");
    let out = project.run_in(
        "scenarios",
        &["run", "--config", "../other/interlock.toml"],
        &[],
    );
    out.assert_code(2);
    assert!(
        out.stderr.contains("../other/nowhere"),
        "names the scenarios folder from the current one: {}",
        out.stderr
    );
}
