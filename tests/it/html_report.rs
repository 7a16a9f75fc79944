//! `interlock run --html`: the self-contained HTML report of a failing run against the broken
//! CRM v2, checked as a file here and as a page in headless Chromium by
//! `tests/html/check-report.mjs` (changed fields highlighted, counts equal to the JSON
//! report's, no network request, a screenshot saved under `target/test-artifacts/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Output, Project, RUN_LIMIT, output_within, repo_root};
use crate::support::crm::{self, CrmVersion};

/// Recorded text that would run if the report did not escape it.
const MARKUP: &str = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>";

/// `customer-onboarding` against the CRM v2, its recorded `owner` replaced by markup and its
/// fourth exchange skipped, with the HTML and JSON reports written to `out/`.
fn failing_run() -> (Project, Output) {
    let planted = |project: &Project| {
        project.edit(
            "scenarios/customer-onboarding/crm.jsonl",
            "\"status\":\"active\",\"owner\":\"li.na\"",
            &format!(
                "\"status\":\"active\",\"owner\":{}",
                Value::String(MARKUP.into())
            ),
        );
        crate::report_schemas::skip_fourth_exchange(project);
    };
    let reports = [
        "--report-json",
        "out/report.json",
        "--html",
        "out/report.html",
    ];
    crm::run_bundled_against(
        CrmVersion::V2,
        "customer-onboarding",
        planted,
        &reports,
        &[],
    )
}

#[test]
fn html_report_of_a_failing_run_is_complete_escaped_and_self_contained() {
    let (project, out) = failing_run();
    out.assert_code(1);
    let html = project.read("out/report.html");
    let report: Value = project.json("out/report.json");

    // The verdict and the very counts of the JSON report, at the top.
    let header = &html[..html.find("</header>").expect("a header")];
    assert!(
        header.contains("data-verdict=\"failed\" data-exit-code=\"1\""),
        "{header}"
    );
    for (key, n) in report["counts"].as_object().expect("counts") {
        assert!(
            header.contains(&format!(
                "data-count=\"{key}\"><span class=\"n\">{n}</span>"
            )),
            "{key} = {n} in {header}"
        );
    }

    // The causes open the page, before the findings and the scenarios, in the JSON report's
    // order, their code shown as code, each expanding to links to its exchanges.
    let causes_at = html
        .find("<section id=\"causes\"")
        .expect("the causes section");
    assert!(causes_at < html.find("<section id=\"findings\"").expect("findings"));
    assert!(causes_at < html.find("<main id=\"scenarios\"").expect("scenarios"));
    let section = &html[causes_at..];
    let section = &section[..section.find("</section>").expect("its end")];
    let ids: Vec<&str> = report["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .filter(|c| c["rank"] != "info")
        .filter_map(|c| c["id"].as_str())
        .collect();
    let rows: Vec<&str> = section
        .split("data-cause=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    assert_eq!(rows, ids, "{section}");
    let heading = format!(
        "<h2>{} causes ({} findings)</h2>",
        ids.len(),
        report["counts"]["findings"]
    );
    assert!(section.contains(&heading), "{heading} in {section}");
    assert!(
        section
            .contains("<summary><code>tax_id</code> renamed to <code>taxNumber</code></summary>"),
        "{section}"
    );
    assert!(!section.contains('`'), "no literal backtick: {section}");
    for anchor in regex::Regex::new(r##"href="#([^"]+)""##)
        .expect("regex")
        .captures_iter(section)
    {
        assert!(
            html.contains(&format!(" id=\"{}\"", &anchor[1])),
            "a cause links to {} on the page",
            &anchor[1]
        );
    }

    // The skipped exchange is shown as skipped, and counted.
    assert_eq!(report["counts"]["skipped"], 1);
    assert_eq!(
        html.matches("class=\"exchange\" id=").count(),
        report["counts"]["exchanges"].as_u64().expect("exchanges") as usize
    );
    assert_eq!(
        html.matches("data-outcome=\"skipped\"").count(),
        1,
        "{html}"
    );
    assert!(html.contains("Not replayed: the scenario skips this exchange"));

    // The renamed field is marked removed on the recorded side, its new name added live.
    let create = exchange_block(&html, "POST");
    assert!(
        create.contains("<div class=\"line hl hl-removed\" data-path=\"/tax_id\""),
        "{create}"
    );
    assert!(
        create.contains("<div class=\"line hl hl-added\" data-path=\"/taxNumber\""),
        "{create}"
    );
    assert!(create.contains("data-kind=\"type-changed\" data-path=\"/credit_limit\""));
    assert!(create.contains("data-kind=\"peer-request-invalid\""));

    // Recorded markup is shown as text, never as markup.
    assert!(!html.contains(MARKUP));
    assert!(html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x"));
    assert_eq!(html.matches("<script>").count(), 1, "only the report's own");

    // Nothing is loaded from anywhere.
    let reference = regex::Regex::new(r#"(?i)\b(?:src|href)\s*=\s*"([^"]*)""#).expect("regex");
    for found in reference.captures_iter(&html) {
        assert!(
            found[1].starts_with('#'),
            "external reference {}",
            &found[0]
        );
    }
}

#[test]
fn html_report_in_headless_chromium_highlights_the_change_and_matches_the_json_counts() {
    let Some(node) = browser_check_tools() else {
        return;
    };
    let (project, out) = failing_run();
    out.assert_code(1);
    let screenshot = artifacts_dir().join("html-report.png");
    let _ = std::fs::remove_file(&screenshot);
    let check = output_within(
        Command::new(node)
            .arg(repo_root().join("tests/html/check-report.mjs"))
            .arg(project.file("out/report.html"))
            .arg(project.file("out/report.json"))
            .arg(&screenshot),
        RUN_LIMIT,
    );
    let stdout = String::from_utf8_lossy(&check.stdout);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        check.status.success(),
        "the browser check failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("html report check:"), "{stdout}");
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    // The saved page is kept beside the screenshot for people to open.
    std::fs::copy(
        project.file("out/report.html"),
        artifacts_dir().join("html-report.html"),
    )
    .expect("copy the report");
}

/// The failing exchange's block: from its `<details` to its `</details>`.
fn exchange_block<'a>(html: &'a str, method: &str) -> &'a str {
    let start = html
        .find(&format!("data-exchange=\"{method} "))
        .expect("the exchange");
    let block = &html[start..];
    &block[..block.find("</details>").expect("its end")]
}

/// `target/test-artifacts/`, where CI picks up what tests leave for people.
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/test-artifacts");
    dir
}

/// `node`, when it, Chromium and `tests/html/node_modules` are all installed; otherwise why
/// the test skips is printed and `None` returned.
fn browser_check_tools() -> Option<PathBuf> {
    let chromium = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let playwright = repo_root().join("tests/html/node_modules/playwright-core");
    let node = which("node");
    let missing = [
        (!chromium.is_file()).then(|| format!("Chromium ({})", chromium.display())),
        node.is_none().then(|| "node".to_owned()),
        (!playwright.is_dir())
            .then(|| "tests/html/node_modules (run `npm ci` in tests/html)".to_owned()),
    ];
    let missing: Vec<String> = missing.into_iter().flatten().collect();
    if missing.is_empty() {
        return node;
    }
    crate::support::skip(&format!(
        "the headless Chromium check of the HTML report needs {}; .ci/run installs them",
        missing.join(", ")
    ));
    None
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| Path::new(path).is_file())
    })
}
