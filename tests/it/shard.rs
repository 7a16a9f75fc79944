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
    assert!(out.stderr.contains("the reports overlap"), "{}", out.stderr);
}
