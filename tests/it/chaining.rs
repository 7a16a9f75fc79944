//! Request chaining against a staging CRM that generates its own ids (`support::staging`):
//! the bundled customer-onboarding scenario replays clean, the mocked ERP binds the new id and
//! answers with it, a renamed field still fails alone, and `capture:` entries work and reject
//! bad input with the file, line and a did-you-mean.

use serde_json::{Value, json};

use crate::harness::{Output, Project};
use crate::support::crm::bundled_onboarding_on_a_free_port;
use crate::support::staging::{Options, Staging};

/// The bundled project with customer-onboarding's ERP on a free port; the staging CRM calls
/// that ERP.
fn onboarding_against_staging(options: Options) -> (Project, Staging) {
    let (project, port) = bundled_onboarding_on_a_free_port();
    let staging = Staging::start(options, &format!("http://127.0.0.1:{port}"));
    (project, staging)
}

fn run(project: &Project, staging: &Staging) -> Output {
    let target = format!("crm={}", staging.url);
    project.run(&[
        "run",
        "customer-onboarding",
        "--target",
        &target,
        "--report-json",
        "out/report.json",
    ])
}

/// Every failing finding of the run: kind, path, message.
fn failures(report: &Value) -> Vec<(String, String, String)> {
    let scenario = &report["scenarios"][0];
    let mut out = Vec::new();
    let exchange_findings = scenario["exchanges"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["findings"].as_array().into_iter().flatten());
    let scenario_findings = scenario["findings"].as_array().into_iter().flatten();
    for finding in exchange_findings.chain(scenario_findings) {
        if finding["severity"] == "failure" {
            out.push((
                finding["kind"].as_str().unwrap_or("").to_string(),
                finding["path"].as_str().unwrap_or("").to_string(),
                finding["message"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

#[test]
fn onboarding_passes_against_a_staging_that_generates_another_id() {
    let (project, staging) = onboarding_against_staging(Options::default());
    let out = run(&project, &staging);
    out.assert_code(0);
    assert!(
        out.stdout.contains(
            "bound  C-10023 → C-20555, from erp request #1 /crm_customer_id (exchange #1)"
        ),
        "{}",
        out.stdout
    );
    let report = project.json("out/report.json");
    assert_eq!(
        report["scenarios"][0]["bindings"],
        json!([{
            "recorded": "C-10023",
            "live": "C-20555",
            "from": "erp request #1 /crm_customer_id (exchange #1)"
        }])
    );
    // The GET was sent for the new id.
    assert_eq!(
        report["scenarios"][0]["exchanges"][1]["url"],
        "/api/v1/customers/C-20555"
    );
    // The mocked ERP received the new id and answered with it.
    assert_eq!(
        staging.erp_answers(),
        [json!({"erp_customer_no": "E-300187", "crm_customer_id": "C-20555", "status": "created"})]
    );
    // Snapshots keep the recorded id: nothing is pending.
    assert!(
        !project
            .file("scenarios/customer-onboarding/snapshots")
            .read_dir()
            .expect("snapshots")
            .any(|e| e
                .expect("entry")
                .path()
                .extension()
                .is_some_and(|x| x == "new")),
        "a snapshot changed"
    );
}

#[test]
fn a_second_run_against_the_same_staging_passes_too() {
    let (project, staging) = onboarding_against_staging(Options {
        first_id: 31007,
        ..Options::default()
    });
    run(&project, &staging).assert_code(0);
    let again = run(&project, &staging);
    again.assert_code(0);
    assert!(
        again.stdout.contains("bound  C-10023 → C-31007"),
        "{}",
        again.stdout
    );
}

#[test]
fn v2_fails_on_exactly_the_renamed_field() {
    let (project, staging) = onboarding_against_staging(Options {
        v2: true,
        ..Options::default()
    });
    let out = run(&project, &staging);
    out.assert_code(1);
    let failures = failures(&project.json("out/report.json"));
    assert!(!failures.is_empty());
    for (kind, path, message) in &failures {
        assert!(
            path.ends_with("/tax_id") || path.ends_with("/taxNumber") || message.contains("tax_id"),
            "{kind} at {path} is not about the renamed field: {message}"
        );
    }
    assert!(
        failures.iter().any(|(_, p, _)| p == "/tax_id"),
        "{failures:?}"
    );
    // The new customer in the list is compared under its new id, on the renamed field only.
    assert!(
        failures.iter().any(|(_, p, _)| p == "/items/3/tax_id"),
        "{failures:?}"
    );
    assert!(
        out.stdout.contains("bound  C-10023 → C-20555"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_capture_fills_a_placeholder_with_the_live_value() {
    let (project, staging) = onboarding_against_staging(Options::default());
    let dir = "scenarios/customer-onboarding";
    project.edit(
        &format!("{dir}/scenario.yaml"),
        "ignore:\n  - header:x-request-id\n  # Touched",
        "capture:\n  - {from: {exchange: 1, pointer: /id}, as: customer_id}\nignore:\n  - header:x-request-id\n  # Touched",
    );
    project.edit(
        &format!("{dir}/crm.jsonl"),
        r#""url":"/api/v1/customers/C-10023""#,
        r#""url":"/api/v1/customers/${customer_id}""#,
    );
    project.run(&["check"]).assert_code(0);
    // Against the recorded stand-in, the placeholder takes the recorded value.
    project.run(&["run", "customer-onboarding"]).assert_code(0);
    let out = run(&project, &staging);
    out.assert_code(0);
    let report = project.json("out/report.json");
    assert_eq!(
        report["scenarios"][0]["exchanges"][1]["url"],
        "/api/v1/customers/C-20555"
    );
    let bindings = report["scenarios"][0]["bindings"]
        .as_array()
        .expect("bindings")
        .clone();
    assert!(
        bindings.contains(&json!({"recorded": "C-10023", "live": "C-20555", "from": "exchange #1 /id", "capture": "customer_id"})),
        "{bindings:?}"
    );
    assert!(
        out.stdout
            .contains("bound  C-10023 → C-20555, from exchange #1 /id (capture `customer_id`)"),
        "{}",
        out.stdout
    );
}

/// The customer-onboarding scenario with one capture entry, written in block style.
fn with_capture(exchange: &str, pointer: &str) -> Project {
    let project = Project::bundled();
    project.edit(
        "scenarios/customer-onboarding/scenario.yaml",
        "ignore:\n  - header:x-request-id\n  # Touched",
        &format!(
            "capture:\n  - as: customer_id\n    from:\n      exchange: {exchange}\n      pointer: {pointer}\nignore:\n  - header:x-request-id\n  # Touched"
        ),
    );
    project
}

/// The line of `needle` in the bundled scenario file as edited.
fn line_of(project: &Project, needle: &str) -> usize {
    project
        .read("scenarios/customer-onboarding/scenario.yaml")
        .lines()
        .position(|l| l.contains(needle))
        .expect("the line")
        + 1
}

#[test]
fn a_capture_from_an_exchange_that_does_not_exist_is_exit_2_with_line_and_suggestion() {
    let project = with_capture("7", "/id");
    let line = line_of(&project, "exchange: 7");
    let out = project.run(&["run", "customer-onboarding"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!(
            "scenario.yaml:{line}:17: at /capture/0/from/exchange: exchange 7 does not exist"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("has 4 exchange(s), numbered from 1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("did you mean exchange 1? its response has `/id`"),
        "{}",
        out.stderr
    );
    project.run(&["check"]).assert_code(2);
}

#[test]
fn a_capture_of_a_pointer_the_response_lacks_is_exit_2_with_did_you_mean() {
    let project = with_capture("1", "/idd");
    let line = line_of(&project, "pointer: /idd");
    let out = project.run(&["run", "customer-onboarding"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!(
            "scenario.yaml:{line}:16: at /capture/0/from/pointer: the recorded response of exchange 1 has no `/idd` (did you mean `/id`?)"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_misspelt_placeholder_is_exit_2_at_the_recording_line() {
    let project = with_capture("2", "/id");
    project.edit(
        "scenarios/customer-onboarding/crm.jsonl",
        r#""url":"/api/v1/customers/C-99999""#,
        r#""url":"/api/v1/customers/${customer_id}""#,
    );
    project.edit(
        "scenarios/customer-onboarding/crm.jsonl",
        r#""tax_id":"91440300MA5G7W2K82","credit_limit":800000,"currency":"CNY","owner""#,
        r#""tax_id":"${customer_idd}","credit_limit":800000,"currency":"CNY","owner""#,
    );
    let out = project.run(&["run", "customer-onboarding"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("crm.jsonl:1: `${customer_idd}` in exchange 1 names no `capture:` entry"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `customer_id`?"),
        "{}",
        out.stderr
    );
    // Exchange 4 comes after exchange 2: using the capture there is right.
    assert!(!out.stderr.contains("crm.jsonl:4:"), "{}", out.stderr);
}

#[test]
fn a_placeholder_used_before_its_capture_is_exit_2_at_the_recording_line() {
    let project = with_capture("3", "/total");
    project.edit(
        "scenarios/customer-onboarding/crm.jsonl",
        r#""url":"/api/v1/customers/C-10023""#,
        r#""url":"/api/v1/customers/${customer_id}""#,
    );
    let out = project.run(&["run", "customer-onboarding"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("crm.jsonl:2: `${customer_id}` is used in exchange 2 but captured from the response of exchange 3, which comes later"),
        "{}",
        out.stderr
    );
}

/// Issue-level walkthrough against a staging that needs a token, generates its own ids, puts
/// volatile fields into its bodies and keeps state between runs: with the token and learned
/// noise, v1 passes twice in a row against the same running instance, and v2 fails on exactly
/// its renamed field.
#[test]
fn with_a_token_and_learned_noise_a_real_staging_passes_twice_and_v2_fails_on_its_rename_alone() {
    const TOKEN: &str = "stg-e2e-token-5b71c0";
    let (project, staging) = onboarding_against_staging(Options {
        token: Some(TOKEN.to_string()),
        volatile: true,
        ..Options::default()
    });
    // The recording was taken from this staging: its bodies carry the volatile fields too.
    let recording = "scenarios/customer-onboarding/crm.jsonl";
    let lines: Vec<String> = project
        .read(recording)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut exchange: Value = serde_json::from_str(line).expect("recorded exchange");
            if let Some(body) = exchange["response"]["body"].as_object_mut() {
                body.insert("request_id".into(), json!(format!("req-4242-{i}")));
                body.insert("server_time".into(), json!("1772414100163000000"));
            }
            exchange.to_string()
        })
        .collect();
    project.write(recording, &(lines.join("\n") + "\n"));
    let target = format!("crm={}", staging.url);
    let header = format!("Authorization: Bearer {TOKEN}");
    let base = ["--target", target.as_str(), "--header", header.as_str()];
    // Without the token: every exchange refused, an environment problem (exit 3), not a break.
    let refused = project.run(&["run", "customer-onboarding", "--target", &target]);
    refused.assert_code(3);
    let learned = project.run(&[&["learn", "customer-onboarding"][..], &base[..]].concat());
    learned.assert_code(0);
    let scenario = project.read("scenarios/customer-onboarding/scenario.yaml");
    assert!(
        scenario.contains("# learned "),
        "{scenario}\n{}{}",
        learned.stdout,
        learned.stderr
    );
    let run = |project: &Project| {
        project.run(
            &[
                &[
                    "run",
                    "customer-onboarding",
                    "--report-json",
                    "out/report.json",
                ][..],
                &base[..],
            ]
            .concat(),
        )
    };
    for pass in ["first", "second"] {
        let out = run(&project);
        assert_eq!(out.code, 0, "{pass} run: {}{}", out.stdout, out.stderr);
        assert_eq!(
            failures(&project.json("out/report.json")),
            Vec::new(),
            "{pass} run"
        );
    }
    staging.set_v2(true);
    let out = run(&project);
    out.assert_code(1);
    let failures = failures(&project.json("out/report.json"));
    assert!(!failures.is_empty());
    for (kind, path, message) in &failures {
        assert!(
            path.ends_with("/tax_id") || path.ends_with("/taxNumber") || message.contains("tax_id"),
            "{kind} at {path} is not about the renamed field: {message}"
        );
    }
    for file in crate::harness::files_under(project.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "the token leaked into {}",
            file.display()
        );
    }
}

/// Regression: a staging's own id (`C-20555`, bound to the recorded `C-10023`) was reported as
/// `domain-drift` "never recorded" once the project shipped `contracts/domains.yaml`; the same
/// id sent on to the ERP is no drift of the peer request either.
#[test]
fn domain_drift_checks_a_generated_id_as_the_recorded_one_it_stands_for() {
    let (project, staging) = onboarding_against_staging(Options::default());
    let domains = project.read("contracts/domains.yaml");
    assert!(domains.contains("C-10023"), "the learned domain of /id");
    let out = run(&project, &staging);
    out.assert_code(0);
    let report = project.json("out/report.json");
    assert_eq!(failures(&report), Vec::<(String, String, String)>::new());
    assert!(!out.stdout.contains("domain-drift"), "{}", out.stdout);
}
