//! Sharded runs for CI matrices: `interlock run --shard K/N` on the bundled example, merged
//! with `interlock report merge`, gives exactly the unsharded result.

use serde_json::Value;

use crate::harness::Project;

/// A JSON report with its timings zeroed (they differ between any two runs).
fn timeless(text: &str) -> Value {
    fn zero(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key.ends_with("_ms")
                        && key != "recorded_duration_ms"
                        && key != "recorded_p95_ms"
                    {
                        *v = Value::from(0);
                    } else {
                        zero(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(zero),
            _ => {}
        }
    }
    let mut value: Value = serde_json::from_str(text).expect("a JSON report");
    zero(&mut value);
    value
}

/// JUnit XML with its timings removed.
fn timeless_xml(text: &str) -> String {
    let times = regex::Regex::new(r#" (time|timestamp)="[^"]*""#).expect("regex");
    times.replace_all(text, "").into_owned()
}

/// An HTML report with its timings removed.
fn timeless_html(text: &str) -> String {
    let times = regex::Regex::new(r"\d+(\.\d+)?\s?(ms|s)\b").expect("regex");
    times.replace_all(text, "[time]").into_owned()
}

/// Runs the project unsharded and as `shards` shards, merges, and compares.
fn sharded_equals_unsharded(project: &Project, shards: u32, expected_code: i32) {
    project
        .run(&[
            "run",
            "--report-json",
            "full/report.json",
            "--junit",
            "full/junit.xml",
            "--html",
            "full/report.html",
        ])
        .assert_code(expected_code);
    let mut reports = Vec::new();
    let mut scenarios = 0;
    for k in 1..=shards {
        let path = format!("shard-{k}/report.json");
        let out = project.run(&[
            "run",
            "--shard",
            &format!("{k}/{shards}"),
            "--report-json",
            &path,
        ]);
        assert!(
            out.code == 0 || out.code == expected_code,
            "shard {k}: {}\n{}",
            out.stdout,
            out.stderr
        );
        let report: Value = project.json(&path);
        scenarios += report["scenarios"].as_array().expect("scenarios").len();
        reports.push(path);
    }
    let mut args = vec!["report", "merge"];
    args.extend(reports.iter().map(String::as_str));
    args.extend([
        "--report-json",
        "merged/report.json",
        "--junit",
        "merged/junit.xml",
        "--html",
        "merged/report.html",
        "--summary-md",
        "merged/summary.md",
    ]);
    let merged = project.run(&args);
    merged.assert_code(expected_code);
    let full = timeless(&project.read("full/report.json"));
    assert_eq!(
        full["scenarios"].as_array().expect("scenarios").len(),
        scenarios,
        "every scenario runs in exactly one shard"
    );
    assert_eq!(timeless(&project.read("merged/report.json")), full);
    assert_eq!(
        timeless_xml(&project.read("merged/junit.xml")),
        timeless_xml(&project.read("full/junit.xml"))
    );
    assert!(
        merged.stdout.contains("erp-outage") && merged.stdout.contains("interlock: "),
        "{}",
        merged.stdout
    );
    let html = project.read("merged/report.html");
    assert!(
        html.contains("erp-outage") && html.contains("customer-onboarding"),
        "the merged HTML report shows every shard's scenarios"
    );
    assert_eq!(
        timeless_html(&html),
        timeless_html(&project.read("full/report.html"))
    );
    let summary = project.read("merged/summary.md");
    let headline = if expected_code == 0 {
        "### Interlock run: ✅ gate passed (exit 0)\n".to_string()
    } else {
        format!("### Interlock run: ❌ gate failed (exit {expected_code})\n")
    };
    assert!(summary.starts_with(&headline), "{summary}");
}

#[test]
fn a_sharded_run_of_the_bundled_example_merges_to_the_unsharded_result() {
    let project = Project::bundled().on_free_ports();
    // Two shards of the four bundled scenarios, and five (so at least one is empty).
    sharded_equals_unsharded(&project, 2, 0);
    sharded_equals_unsharded(&project, 5, 0);
}

#[test]
fn a_failure_in_one_shard_fails_the_merged_gate() {
    let project = Project::bundled().on_free_ports();
    project.edit(
        "scenarios/receivables-check/scenario.yaml",
        "expect:\n",
        "expect:\n  - exchange: 1\n    status: 500\n",
    );
    sharded_equals_unsharded(&project, 2, 1);
    let merged: Value = project.json("merged/report.json");
    assert_eq!(merged["verdict"], "failed");
    assert_eq!(merged["counts"]["failed"], 1);
}

#[test]
fn bad_shard_specs_and_bad_reports_are_input_errors() {
    let project = Project::bundled().on_free_ports();
    let out = project.run(&["run", "--shard", "3/2"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("--shard `3/2` is not K/N"),
        "{}",
        out.stderr
    );

    project.write("not-a-report.json", "{\"verdict\": \"passed\"}\n");
    project.write(
        "broken.json",
        "{\"interlock_report\": 1,\n  \"scenarios\": [\n",
    );
    let out = project.run(&["report", "merge", "not-a-report.json", "broken.json"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("not-a-report.json: not an Interlock JSON report"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("broken.json:3:"), "{}", out.stderr);

    project
        .run(&["run", "--shard", "1/2", "--report-json", "one.json"])
        .assert_code(0);
    let out = project.run(&["report", "merge", "one.json", "one.json"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("shard 1 of 2 is given twice (also one.json)"),
        "{}",
        out.stderr
    );
}

/// Runs shard `k` of `n` with `--run-id id`, its JSON report written to `NAME.json`.
fn shard_report(project: &Project, name: &str, k: u32, n: u32, run_id: &str) -> String {
    let path = format!("{name}.json");
    let out = project.run(&[
        "run",
        "--shard",
        &format!("{k}/{n}"),
        "--run-id",
        run_id,
        "--report-json",
        &path,
    ]);
    out.assert_code(0);
    let report: Value = project.json(&path);
    assert_eq!(report["shard"], serde_json::json!({"index": k, "total": n}));
    assert_eq!(report["run_id"], run_id);
    path
}

#[test]
fn merging_an_incomplete_shard_set_fails_naming_the_missing_shards() {
    let project = Project::bundled().on_free_ports();
    let one = shard_report(&project, "one", 1, 3, "run-7");
    let three = shard_report(&project, "three", 3, 3, "run-7");
    let out = project.run(&["report", "merge", &one, &three, "--junit", "merged.xml"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "one.json: the shard set is incomplete: shard 2 of 3 is missing (given: 1, 3)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !project.file("merged.xml").exists(),
        "nothing is written from an incomplete set"
    );

    // Every shard given: the merge passes and keeps the run id.
    let two = shard_report(&project, "two", 2, 3, "run-7");
    let out = project.run(&[
        "report",
        "merge",
        &one,
        &two,
        &three,
        "--report-json",
        "m.json",
    ]);
    out.assert_code(0);
    let merged: Value = project.json("m.json");
    assert_eq!(merged["run_id"], "run-7");
    assert!(merged.get("shard").is_none(), "{merged:#}");
}

#[test]
fn merging_shards_of_different_splits_or_runs_fails_naming_the_mismatch() {
    let project = Project::bundled().on_free_ports();
    let one_of_two = shard_report(&project, "a", 1, 2, "run-7");
    let two_of_three = shard_report(&project, "b", 2, 3, "run-7");
    let out = project.run(&["report", "merge", &one_of_two, &two_of_three]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "b.json: at /shard/total: shard 2 of 3 does not belong with a.json (shard 1 of 2)"
        ),
        "{}",
        out.stderr
    );

    let other_run = shard_report(&project, "c", 2, 2, "run-8");
    let out = project.run(&["report", "merge", &one_of_two, &other_run]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "c.json: at /run_id: run id `run-8` differs from `run-7` in a.json: the reports are from different runs"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn the_run_id_defaults_to_the_ci_variable() {
    let project = Project::bundled().on_free_ports();
    project
        .run_with_env(
            &["run", "--shard", "1/1", "--report-json", "r.json"],
            &[("GITHUB_RUN_ID", "4242"), ("GITHUB_RUN_ATTEMPT", "3")],
        )
        .assert_code(0);
    assert_eq!(project.json("r.json")["run_id"], "4242-3");
}
