//! Replay against a staging that behaves like a real one: a gate in front of the test CRM that
//! wants a bearer token (or an API key), or answers as a broken gateway; setup and teardown
//! steps; and the environment told apart from the contract in the exit code. Real binary, real
//! HTTP over loopback.

use crate::harness::{Output, Project, files_under};
use crate::support::crm::{self, CrmVersion, TestCrm};
use crate::support::gate::{self, Gate, Guard};

/// A token no output may show.
const TOKEN: &str = "tok-7Qx9-distinctive-staging-secret";

/// The reports every run here writes, beside the console.
const REPORTS: &[&str] = &[
    "--report-json",
    "out/report.json",
    "--junit",
    "out/junit.xml",
    "--html",
    "out/report.html",
    "--summary-md",
    "out/summary.md",
];

/// A copy of the bundled example whose customer-onboarding ERP listens on a free port, a test
/// CRM calling the ERP at `crm_erp_port` (the scenario's port unless a test points it
/// elsewhere), and a gate in front of the CRM.
struct Staging {
    project: Project,
    erp_port: u16,
    gate: Gate,
    _crm: TestCrm,
}

fn staging(version: CrmVersion, guard: Guard, echo: bool) -> Staging {
    staging_with(version, guard, echo, |project, port| {
        crm::move_erp(
            project,
            "customer-onboarding",
            crm::ONBOARDING_ERP_PORT,
            port,
        );
        port
    })
}

/// [`staging`] where `prepare` edits the project for the ERP port it is given and returns the
/// port the CRM is to call.
fn staging_with(
    version: CrmVersion,
    guard: Guard,
    echo: bool,
    prepare: impl FnOnce(&Project, u16) -> u16,
) -> Staging {
    let project = Project::bundled();
    let erp_port = crm::free_port();
    let crm_erp_port = prepare(&project, erp_port);
    let test_crm = crm::start(version, &format!("http://127.0.0.1:{crm_erp_port}"));
    let gate = gate::start(guard, &test_crm.url, echo);
    Staging {
        project,
        erp_port,
        gate,
        _crm: test_crm,
    }
}

impl Staging {
    /// `interlock run SCENARIO --target crm=GATE` with the reports, then `more`.
    fn run(&self, scenario: &str, more: &[&str], env: &[(&str, &str)]) -> Output {
        let target = format!("crm={}", self.gate.url);
        let mut args = vec!["run", scenario, "--target", &target];
        args.extend_from_slice(REPORTS);
        args.extend_from_slice(more);
        self.project.run_with_env(&args, env)
    }

    fn report(&self) -> serde_json::Value {
        self.project.json("out/report.json")
    }
}

fn bearer() -> String {
    format!("Authorization: Bearer {TOKEN}")
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

#[test]
fn a_staging_that_wants_a_token_passes_with_the_header_flag() {
    let s = staging(CrmVersion::V1, Guard::Bearer(TOKEN.into()), false);
    let out = s.run("customer-onboarding", &["--header", &bearer()], &[]);
    out.assert_code(0);
    assert!(out.stdout.contains("interlock: passed"), "{}", out.stdout);
}

#[test]
fn a_staging_that_wants_a_token_passes_with_the_profile_headers() {
    let s = staging(CrmVersion::V1, Guard::Bearer(TOKEN.into()), false);
    let out = s.project.run_with_env(
        &["run", "customer-onboarding", "--profile", "staging"],
        &[("CRM_STAGING_URL", &s.gate.url), ("CRM_TOKEN", TOKEN)],
    );
    out.assert_code(0);
}

#[test]
fn without_the_token_the_run_is_an_environment_error_with_the_credentials_hint() {
    let s = staging(CrmVersion::V1, Guard::Bearer(TOKEN.into()), false);
    let out = s.run("customer-onboarding", &[], &[]);
    out.assert_code(3);
    assert!(
        out.stdout
            .contains("did not accept the request's credentials"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("--header \"Authorization: Bearer $TOKEN\"")
    );
    assert!(out.stdout.contains("[profiles.local.headers.crm]"));
    let report = s.report();
    let scenario = &report["scenarios"][0];
    assert_eq!(scenario["outcome"], "error");
    assert_eq!(scenario["diagnosis"]["kind"], "credentials");
    // One cause, leading the report: not a list of removed fields.
    assert_eq!(report["causes"][0]["kind"], "environment-credentials");
    assert!(
        report["causes"][0]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("[profiles.local.headers.crm]"))
    );
    assert_eq!(report["causes"].as_array().map(Vec::len), Some(1));
    let junit = s.project.read("out/junit.xml");
    assert!(junit.contains("<error"), "{junit}");
    // The refusals leave no snapshot to review.
    let pending: Vec<_> = files_under(&s.project.file("scenarios/customer-onboarding/snapshots"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "new"))
        .collect();
    assert_eq!(pending, Vec::<std::path::PathBuf>::new());
}

#[test]
fn an_unset_token_variable_of_the_chosen_profile_is_named() {
    let s = staging(CrmVersion::V1, Guard::Bearer(TOKEN.into()), false);
    let out = s.project.run_with_env(
        &["run", "customer-onboarding", "--profile", "staging"],
        &[("CRM_STAGING_URL", &s.gate.url)],
    );
    out.assert_code(2);
    assert!(out.stderr.contains("${CRM_TOKEN}"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("/profiles/staging/headers/crm/Authorization"),
        "{}",
        out.stderr
    );
    // The local profile needs no variable at all.
    Project::bundled()
        .on_free_ports()
        .run(&["run", "-q"])
        .assert_code(0);
}

#[test]
fn a_header_flag_without_a_colon_is_refused_with_an_example() {
    let project = Project::bundled();
    let out = project.run(&["run", "--header", &format!("Authorization Bearer {TOKEN}")]);
    out.assert_code(2);
    assert!(out.stderr.contains("has no colon"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--header \"Authorization: Bearer $CRM_TOKEN\""),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(TOKEN), "{}", out.stderr);
}

#[test]
fn query_credentials_from_the_profile_are_sent_and_never_shown() {
    let key = "key-Zr81-distinctive-query-credential";
    let s = staging(CrmVersion::V1, Guard::QueryKey(key.into()), true);
    s.project.write(
        "interlock.toml",
        "[profiles.staging.targets]\ncrm = \"${CRM_STAGING_URL}\"\n\n[profiles.staging.query.crm]\napi_key = \"${CRM_API_KEY}\"\n",
    );
    let mut args = vec!["run", "customer-onboarding", "--profile", "staging"];
    args.extend_from_slice(REPORTS);
    let out = s.project.run_with_env(
        &args,
        &[("CRM_STAGING_URL", &s.gate.url), ("CRM_API_KEY", key)],
    );
    // Let in (no 401): only the gate's echo field differs from the recording.
    out.assert_code(1);
    assert!(out.stdout.contains("auth_echo"), "{}", out.stdout);
    assert_nowhere(&s.project, &out, key);
}

/// Every byte the run wrote or printed, searched for `secret`.
#[track_caller]
fn assert_nowhere(project: &Project, out: &Output, secret: &str) {
    assert!(!out.stdout.contains(secret), "stdout: {}", out.stdout);
    assert!(!out.stderr.contains(secret), "stderr: {}", out.stderr);
    let needle = secret.as_bytes();
    let mut written = 0;
    for file in files_under(project.path()) {
        let bytes = std::fs::read(&file).expect("read a written file");
        written += 1;
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} holds the secret",
            file.display()
        );
    }
    assert!(written > 0);
    for report in [
        "out/report.json",
        "out/junit.xml",
        "out/report.html",
        "out/summary.md",
    ] {
        assert!(project.file(report).is_file(), "{report} was written");
    }
    assert!(
        project.read("out/report.json").contains("[redacted]"),
        "the echoed credential shows as [redacted]"
    );
}

#[test]
fn the_token_never_appears_in_any_output_even_when_the_staging_echoes_it() {
    // The gate reflects the Authorization header into every JSON body it returns; a setup step
    // reads one, a teardown command prints the token and fails.
    let s = staging(CrmVersion::V1, Guard::Bearer(TOKEN.into()), true);
    s.project.edit(
        "scenarios/customer-onboarding/scenario.yaml",
        "ignore:\n  - header:x-request-id\n  # Touched",
        "setup:\n  - http: GET /api/v1/customers/C-10001\nteardown:\n  - run: echo \"token $CRM_TOKEN\"; echo \"again $CRM_TOKEN\" >&2; exit 1\nignore:\n  - header:x-request-id\n  # Touched",
    );
    let out = s.run(
        "customer-onboarding",
        &["--header", &bearer(), "--allow-commands", "-v"],
        &[("CRM_TOKEN", TOKEN)],
    );
    out.assert_code(1);
    let report = s.report();
    let steps = report["scenarios"][0]["steps"]
        .as_array()
        .expect("steps in the report");
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(
        steps[0]["stdout"].as_str().map(|s| s.contains("auth_echo")),
        Some(true)
    );
    assert_eq!(steps[1]["stdout"], "token [redacted]\n");
    assert_eq!(steps[1]["stderr"], "again [redacted]\n");
    assert!(
        s.project
            .file("scenarios/customer-onboarding/snapshots")
            .is_dir()
    );
    assert_nowhere(&s.project, &out, TOKEN);

    // A token the staging refuses and quotes back in its 401 is as secret.
    s.project.edit(
        "scenarios/customer-onboarding/scenario.yaml",
        "setup:\n  - http: GET /api/v1/customers/C-10001\n",
        "",
    );
    let wrong = "wrong-tok-5Kd2-distinctive";
    let out = s.run(
        "customer-onboarding",
        &[
            "--header",
            &format!("Authorization: Bearer {wrong}"),
            "--allow-commands",
        ],
        &[("CRM_TOKEN", wrong)],
    );
    out.assert_code(3);
    assert_nowhere(&s.project, &out, wrong);
}

// ---------------------------------------------------------------------------------------------
// Environment vs contract
// ---------------------------------------------------------------------------------------------

#[test]
fn a_gateway_answering_503_to_everything_is_an_environment_error_with_the_gateway_hint() {
    let s = staging(CrmVersion::V1, Guard::Down, false);
    let out = s.run("customer-onboarding", &["--header", &bearer()], &[]);
    out.assert_code(3);
    assert!(
        out.stdout
            .contains("a gateway or proxy in front of it answered instead"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("check that the target is up behind its gateway")
    );
    assert_eq!(s.report()["scenarios"][0]["diagnosis"]["kind"], "gateway");
}

#[test]
fn a_temporary_folder_that_cannot_be_written_is_an_environment_error_naming_tmpdir() {
    let project = Project::bundled();
    let out = project.run_with_env(
        &["run", "customer-onboarding"],
        &[("TMPDIR", "/nonexistent-interlock-tmp")],
    );
    out.assert_code(3);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(
        said.contains(
            "cannot keep the recorded peer calls in a temporary file in /nonexistent-interlock-tmp"
        ) && said.contains("set TMPDIR to a writable folder"),
        "{said}"
    );
}

/// A slim container without CA certificates still replays against plain-HTTP targets and
/// mocked peers; only an https target needs the certificates, and is told where they go.
#[test]
fn a_machine_without_ca_certificates_runs_plain_http_and_names_the_certificates_for_https() {
    let project = Project::bundled().on_free_ports();
    let no_roots = [
        ("SSL_CERT_FILE", "/nonexistent-interlock-certs/ca.pem"),
        ("SSL_CERT_DIR", "/nonexistent-interlock-certs"),
    ];
    let out = project.run_with_env(&["run", "customer-onboarding"], &no_roots);
    out.assert_code(0);

    let out = project.run_with_env(
        &[
            "run",
            "customer-onboarding",
            "--target",
            "crm=https://127.0.0.1:9",
        ],
        &no_roots,
    );
    out.assert_code(3);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(
        said.contains("cannot set up HTTPS for the HTTP client")
            && said.contains("No CA certificates were loaded from the system")
            && said.contains("point SSL_CERT_FILE or SSL_CERT_DIR at them"),
        "{said}"
    );
}

#[test]
fn a_503_on_one_exchange_with_a_schema_break_elsewhere_is_a_contract_failure() {
    // The upgraded CRM renames tax_id; the gate fails only the reads by id.
    let s = staging(
        CrmVersion::V2,
        Guard::DownOn("/api/v1/customers/C-".into()),
        false,
    );
    let out = s.run("customer-onboarding", &[], &[]);
    out.assert_code(1);
    assert!(out.stdout.contains("taxNumber"), "{}", out.stdout);
    assert!(s.report()["scenarios"][0]["diagnosis"].is_null());
}

#[test]
fn a_crm_pointed_at_the_wrong_erp_port_fails_with_a_hint_naming_the_peer_url() {
    let wrong_port = crm::free_port();
    let s = staging_with(
        CrmVersion::V1,
        Guard::DownOn("/nothing".into()),
        false,
        |project, port| {
            crm::move_erp(
                project,
                "customer-onboarding",
                crm::ONBOARDING_ERP_PORT,
                port,
            );
            wrong_port
        },
    );
    let out = s.run("customer-onboarding", &[], &[]);
    out.assert_code(1);
    let hint = format!(
        "the target made no call to erp at http://127.0.0.1:{} — if unexpected, check the target's ERP URL",
        s.erp_port
    );
    assert!(out.stdout.contains(&hint), "{}", out.stdout);
    assert_eq!(s.report()["scenarios"][0]["hints"][0], hint.as_str());
    assert!(s.project.read("out/summary.md").contains("**Hints:**"));
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown
// ---------------------------------------------------------------------------------------------

/// A scenario that reads customer C-10023, which exists only once it has been created: the
/// second exchange of customer-onboarding alone, with its ERP on the scenario's port.
fn add_lookup_scenario(project: &Project, port: u16, steps: &str) {
    let recording = project.read("scenarios/customer-onboarding/crm.jsonl");
    let mut lines = recording.lines();
    let create: serde_json::Value =
        serde_json::from_str(lines.next().expect("the create")).expect("JSON line");
    let read = lines.next().expect("the read");
    project.write("scenarios/lookup/crm.jsonl", &format!("{read}\n"));
    project.write(
        "scenarios/lookup/erp.jsonl",
        &project.read("scenarios/customer-onboarding/erp.jsonl"),
    );
    let body = create["request"]["body"].to_string();
    let steps = steps.replace("CREATE_BODY", &body);
    project.write(
        "scenarios/lookup/scenario.yaml",
        &format!(
            "target: crm\nreplay: crm.jsonl\npeers:\n  erp:\n    recording: erp.jsonl\n    port: {port}\n    ignore:\n      - header:x-request-id\nignore:\n  - header:x-request-id\n  - /updated_at\n{steps}"
        ),
    );
}

fn lookup_staging(version: CrmVersion, steps: &str) -> Staging {
    staging_with(
        version,
        Guard::Bearer(TOKEN.into()),
        false,
        |project, port| {
            add_lookup_scenario(project, port, steps);
            port
        },
    )
}

const SEED: &str = "setup:\n  - name: create the customer the recording reads\n    http: POST /api/v1/customers\n    headers:\n      content-type: application/json\n    body: CREATE_BODY\n    status: 201\n";

#[test]
fn a_setup_http_step_seeds_the_state_the_recording_assumes() {
    let without = lookup_staging(CrmVersion::V1, "");
    let out = without.run("lookup", &["--header", &bearer()], &[]);
    out.assert_code(1);
    assert!(
        out.stdout.contains("status changed from 200 to 404"),
        "{}",
        out.stdout
    );

    let with = lookup_staging(CrmVersion::V1, SEED);
    let out = with.run("lookup", &["--header", &bearer()], &[]);
    out.assert_code(0);
    let step = &with.report()["scenarios"][0]["steps"][0];
    assert_eq!(step["phase"], "setup");
    assert_eq!(step["name"], "create the customer the recording reads");
    assert_eq!(step["status"], 201);
    assert_eq!(step["ok"], true);
}

#[test]
fn teardown_runs_after_a_failed_scenario_with_the_profile_and_target_urls() {
    let steps = format!(
        "{SEED}teardown:\n  - run: echo \"$INTERLOCK_PROFILE $INTERLOCK_TARGET_CRM\" > teardown-ran.txt\n"
    );
    let s = lookup_staging(CrmVersion::V2, &steps);
    let out = s.run("lookup", &["--header", &bearer(), "--allow-commands"], &[]);
    out.assert_code(1);
    assert!(out.stdout.contains("taxNumber"), "{}", out.stdout);
    assert_eq!(
        s.project.read("scenarios/lookup/teardown-ran.txt"),
        format!("local {}\n", s.gate.url)
    );
    let steps = &s.report()["scenarios"][0]["steps"];
    assert_eq!(steps[1]["phase"], "teardown");
    assert_eq!(steps[1]["kind"], "command");
    assert_eq!(steps[1]["exit_code"], 0);
}

#[test]
fn commands_are_refused_without_the_opt_in() {
    let s = lookup_staging(
        CrmVersion::V1,
        "setup:\n  - http: GET /api/v1/customers/C-10001\n  - run: ./reset-staging.sh\n",
    );
    let out = s.run("lookup", &["--header", &bearer()], &[]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("scenario.yaml:14: setup step `./reset-staging.sh` runs a command"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("allow_commands = true"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--allow-commands"), "{}", out.stderr);
    assert!(
        !s.project.file("out/report.json").exists(),
        "nothing written"
    );

    // The project file opts in as well as the flag does.
    s.project
        .write("interlock.toml", "[run]\nallow_commands = true\n");
    s.project.write("scenarios/lookup/reset-staging.sh", "");
    let out = s.run("lookup", &["--header", &bearer()], &[]);
    assert_ne!(out.code, 2, "{}", out.stderr);
}

#[test]
fn a_failing_setup_command_is_an_environment_error_with_its_stderr() {
    let s = lookup_staging(
        CrmVersion::V1,
        "setup:\n  - run: \"echo 'staging reset failed: database is locked' >&2; exit 4\"\nteardown:\n  - run: touch teardown-ran.txt\n",
    );
    let out = s.run("lookup", &["--header", &bearer(), "--allow-commands"], &[]);
    out.assert_code(3);
    assert!(
        out.stdout
            .contains("setup step `echo 'staging reset failed: database is locked' >&2; exit 4` failed: exit code 4: staging reset failed: database is locked"),
        "{}",
        out.stdout
    );
    let scenario = &s.report()["scenarios"][0];
    assert_eq!(scenario["diagnosis"]["kind"], "setup");
    assert_eq!(scenario["exchanges"].as_array().map(Vec::len), Some(0));
    assert!(
        s.project
            .file("scenarios/lookup/teardown-ran.txt")
            .is_file()
    );
}

#[test]
fn a_setup_command_still_running_at_its_timeout_is_stopped_and_reported() {
    let s = lookup_staging(
        CrmVersion::V1,
        "setup:\n  - run: sleep 60; echo never\n    timeout_secs: 0.5\n",
    );
    let out = s.run("lookup", &["--header", &bearer(), "--allow-commands"], &[]);
    out.assert_code(3);
    assert!(
        out.stdout.contains(
            "setup step `sleep 60; echo never` failed: still running after 0.5 s and stopped"
        ),
        "{}",
        out.stdout
    );
    assert!(out.elapsed < std::time::Duration::from_secs(60));
}

#[test]
fn a_failing_setup_http_step_reports_its_status_and_body() {
    let s = lookup_staging(
        CrmVersion::V1,
        "setup:\n  - http: GET /api/v1/customers/C-77777\n    status: 200\n",
    );
    let out = s.run("lookup", &["--header", &bearer()], &[]);
    out.assert_code(3);
    assert!(
        out.stdout.contains(
            "setup step `GET /api/v1/customers/C-77777` failed: status 404, expected 200"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("customer_not_found") || out.stdout.contains("not_found"));
}

#[test]
fn a_malformed_setup_step_names_its_line_and_the_key_meant() {
    let s = lookup_staging(
        CrmVersion::V1,
        "setup:\n  - http: GET /api/v1/customers/C-10001\n    stauts: 200\n",
    );
    let out = s.run("lookup", &[], &[]);
    out.assert_code(2);
    assert!(out.stderr.contains("scenario.yaml:14:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `status`?"),
        "{}",
        out.stderr
    );

    s.project.edit(
        "scenarios/lookup/scenario.yaml",
        "    stauts: 200\n",
        "    run: ./x.sh\n",
    );
    let out = s.run("lookup", &[], &[]);
    out.assert_code(2);
    assert!(out.stderr.contains("not both"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// --ignore
// ---------------------------------------------------------------------------------------------

#[test]
fn ad_hoc_ignore_pointers_silence_a_volatile_value_and_malformed_ones_are_refused() {
    let s = staging(CrmVersion::V1, Guard::Bearer(TOKEN.into()), false);
    // A capture whose new customer had another name in every answer when it was taken.
    let recording: String = s
        .project
        .read("scenarios/customer-onboarding/crm.jsonl")
        .lines()
        .map(|line| {
            let mut exchange: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            rename_in(&mut exchange["response"]["body"]);
            format!("{exchange}\n")
        })
        .collect();
    assert!(recording.contains("CAPTURED NAME"));
    s.project.write("capture.jsonl", &recording);
    let mock = format!("erp=scenarios/customer-onboarding/erp.jsonl@{}", s.erp_port);
    let header = bearer();
    let adhoc = |more: &[&str]| {
        let mut args = vec![
            "run",
            "--replay",
            "capture.jsonl",
            "--target",
            &s.gate.url,
            "--mock",
            &mock,
            "--header",
            &header,
            "--ignore",
            "header:x-request-id",
            "--ignore",
            "/updated_at",
            "--ignore",
            "/items/*/updated_at",
        ];
        args.extend_from_slice(more);
        s.project.run(&args)
    };
    let out = adhoc(&[]);
    out.assert_code(1);
    assert!(out.stdout.contains("CAPTURED NAME"), "{}", out.stdout);
    adhoc(&["--ignore", "/name", "--ignore", "/items/*/name"]).assert_code(0);

    let out = adhoc(&["--ignore", "name"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("is not a JSON pointer"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("e.g. --ignore /updated_at"),
        "{}",
        out.stderr
    );
}

/// Renames the onboarded customer wherever an answer names it.
fn rename_in(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "name" && inner == "深圳前海瑞丰供应链管理有限公司" {
                    *inner = serde_json::Value::String("CAPTURED NAME".into());
                } else {
                    rename_in(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rename_in),
        _ => {}
    }
}
