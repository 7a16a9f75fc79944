//! `interlock run --summary-md`: the Markdown summary of a failing run against the broken CRM
//! v2, written to a file and appended to `$GITHUB_STEP_SUMMARY` after what earlier steps wrote.

use crate::harness::{Output, Project, normalize};
use crate::support::crm::{self, CrmVersion};

/// `customer-onboarding` against the CRM v2 with `more` arguments and environment.
fn failing_run(more: &[&str], env: &[(&str, &str)]) -> (Project, Output) {
    crm::run_bundled_against(CrmVersion::V2, "customer-onboarding", |_| {}, more, env)
}

#[test]
fn summary_md_names_the_verdict_counts_and_changed_fields_with_their_consumers() {
    let (project, out) = failing_run(
        &[
            "--summary-md",
            "out/summary.md",
            "--report-json",
            "out/report.json",
        ],
        &[],
    );
    out.assert_code(1);
    let summary = project.read("out/summary.md");
    assert!(
        summary.starts_with("### Interlock run: ❌ gate failed (exit 1)\n"),
        "{summary}"
    );
    let report: serde_json::Value = project.json("out/report.json");
    let counts = &report["counts"];
    assert!(
        summary.contains(&format!(
            "**{} passed, {} failed, ",
            counts["passed"], counts["failed"]
        )),
        "{summary}"
    );
    for row in [
        "| `field-removed` | `/tax_id` | `\"91440300MA5G7W2K82\"` → (absent) |",
        "| `field-added` | `/taxNumber` | (absent) → `\"91440300MA5G7W2K82\"` |",
        "| `type-changed` | `/credit_limit` | `800000` → `\"800000.00\"` |",
    ] {
        assert!(summary.contains(row), "missing {row}\n{summary}");
    }
    insta::assert_snapshot!("v2_onboarding_summary_md", normalize(&summary, &project));
}

#[test]
fn summary_md_is_appended_to_the_github_step_summary_keeping_earlier_steps() {
    let project = Project::empty();
    let step_summary = project.file("step_summary.md");
    let earlier = "### Interlock diff: ✅ no contract change fails the gate\n\nNo changes.\n";
    std::fs::write(&step_summary, earlier).expect("earlier step's summary");
    let step_summary = step_summary.display().to_string();
    let (run_project, out) = failing_run(
        &["--summary-md", "out/summary.md"],
        &[("GITHUB_STEP_SUMMARY", &step_summary)],
    );
    out.assert_code(1);
    let written = run_project.read("out/summary.md");
    let appended = std::fs::read_to_string(&step_summary).expect("step summary");
    assert_eq!(appended, format!("{earlier}{written}"));

    // Without --summary-md the job summary is still written, and nothing else.
    let (again, out) = failing_run(&[], &[("GITHUB_STEP_SUMMARY", &step_summary)]);
    out.assert_code(1);
    assert!(!again.file("out").exists());
    let twice = std::fs::read_to_string(&step_summary).expect("step summary");
    assert!(twice.starts_with(&appended), "{twice}");
    assert_eq!(
        twice.matches("### Interlock run: ❌ gate failed").count(),
        2
    );
}
