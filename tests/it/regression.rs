//! Regressions of the hardening issue, each named after the defect it guards: what the tool
//! reads can make it write only where it should, read only what it should, and never crash;
//! `interlock check` rejects exactly what `interlock run` rejects. Real binary, real files,
//! real FIFOs and symlinks.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::{Output, Project};

const KEY: (&str, &str) = ("INTERLOCK_REDACT_KEY", "0123456789abcdef0123456789abcdef");

/// `interlock ARGS…` in the project, with a redaction key (as `import` needs).
fn interlock(project: &Project, args: &[&str]) -> Output {
    project.run_with_env(args, &[KEY])
}

/// One HAR entry with the given method and status.
fn har_entry(method: &str, status: i64) -> serde_json::Value {
    serde_json::json!({
        "startedDateTime": "2024-05-01T08:00:00.000Z",
        "time": 12.5,
        "request": {"method": method, "url": "https://api.example.com/api/v1/customers/C-1",
                    "headers": [{"name": "Accept", "value": "application/json"}]},
        "response": {"status": status, "headers": [{"name": "Content-Type", "value": "application/json"}],
                     "content": {"mimeType": "application/json", "text": "{\"id\":\"C-1\"}"}}
    })
}

fn har(entries: Vec<serde_json::Value>) -> String {
    serde_json::json!({"log": {"version": "1.2", "entries": entries}}).to_string()
}

/// A project holding `capture.har` with one good entry.
fn har_project() -> Project {
    let project = Project::empty();
    project.write("capture.har", &har(vec![har_entry("GET", 200)]));
    project
}

/// Runs the binary through `sh` with a umask, as a shell user would.
fn run_with_umask(project: &Project, umask: &str, args: &str) -> Output {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" {args}"))
        .arg(env!("CARGO_BIN_EXE_interlock"))
        .current_dir(project.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env(KEY.0, KEY.1)
        .output()
        .expect("run sh");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: std::time::Duration::ZERO,
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

// ---- 1: outputs replace special files; `-` writes a file named `-` ----

#[test]
fn output_to_a_fifo_is_written_through_not_replaced() {
    let project = har_project();
    let fifo = project.file("pipe.jsonl");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the fifo"))
    };
    interlock(
        &project,
        &["import", "har", "capture.har", "--out", "pipe.jsonl"],
    )
    .assert_code(0);
    let got = reader.join().expect("reader");
    assert!(got.contains("/api/v1/customers/C-1"), "{got}");
    let meta = std::fs::symlink_metadata(&fifo).expect("fifo still there");
    assert!(
        meta.file_type().is_fifo(),
        "the FIFO was replaced by a regular file"
    );
}

#[test]
fn output_through_a_symlink_to_a_device_writes_through_and_keeps_the_link() {
    let project = har_project();
    let link = project.file("null.jsonl");
    std::os::unix::fs::symlink("/dev/null", &link).expect("symlink");
    interlock(
        &project,
        &["import", "har", "capture.har", "--out", "null.jsonl"],
    )
    .assert_code(0);
    let meta = std::fs::symlink_metadata(&link).expect("link");
    assert!(meta.file_type().is_symlink(), "the symlink was replaced");
    let dev = std::fs::metadata("/dev/null").expect("/dev/null");
    assert!(
        dev.file_type().is_char_device(),
        "/dev/null is no longer a device"
    );
}

#[test]
fn output_through_a_symlink_replaces_its_target_file_not_the_link() {
    let project = har_project();
    project.write("real/rec.jsonl", "old\n");
    let link = project.file("rec.jsonl");
    std::os::unix::fs::symlink("real/rec.jsonl", &link).expect("symlink");
    interlock(
        &project,
        &["import", "har", "capture.har", "--out", "rec.jsonl"],
    )
    .assert_code(0);
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a regular file"
    );
    assert!(
        project
            .read("real/rec.jsonl")
            .contains("/api/v1/customers/C-1")
    );
}

#[test]
fn output_dash_is_standard_output_not_a_file_named_dash() {
    let project = har_project();
    let out = interlock(&project, &["import", "har", "capture.har", "--out", "-"]);
    out.assert_code(0);
    assert!(!project.file("-").exists(), "a file named `-` was written");
    assert!(
        out.stdout.contains("/api/v1/customers/C-1"),
        "{}",
        out.stdout
    );
}

#[test]
fn report_json_dash_goes_to_stdout_and_the_console_to_stderr() {
    let project = Project::bundled().on_free_ports();
    let out = project.run(&["run", "--report-json", "-"]);
    assert!(!project.file("-").exists(), "a file named `-` was written");
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the JSON report: {e}\n{}", out.stdout));
    assert!(report.get("scenarios").is_some(), "{report}");
    assert!(!out.stderr.is_empty(), "the console summary goes to stderr");
}

#[test]
fn two_outputs_on_stdout_are_a_usage_error() {
    let project = Project::bundled();
    let out = project.run(&["run", "--report-json", "-", "--junit", "-"]);
    out.assert_code(2);
    assert!(out.stderr.contains("standard output"), "{}", out.stderr);
}

// ---- 2: every output is 0600 whatever the umask ----

#[test]
fn new_outputs_get_0666_less_the_umask() {
    let project = har_project();
    run_with_umask(
        &project,
        "022",
        "import har capture.har --out rec/new.jsonl",
    )
    .assert_code(0);
    let mode = std::fs::metadata(project.file("rec/new.jsonl"))
        .expect("written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644, "mode {mode:o}");
}

#[test]
fn a_replaced_output_keeps_its_mode() {
    let project = har_project();
    project.write("rec.jsonl", "");
    std::fs::set_permissions(
        project.file("rec.jsonl"),
        std::fs::Permissions::from_mode(0o640),
    )
    .expect("chmod");
    run_with_umask(&project, "077", "import har capture.har --out rec.jsonl").assert_code(0);
    let mode = std::fs::metadata(project.file("rec.jsonl"))
        .expect("written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640, "mode {mode:o}");
}

// ---- 7: broken pipe panics ----

#[test]
fn a_closed_pipe_ends_check_quietly_with_status_0() {
    let project = Project::empty();
    let bad: String = (0..5000).map(|i| format!("{{\"broken\": {i}\n")).collect();
    project.write("bad.jsonl", &bad);
    let mut child = Command::new(env!("CARGO_BIN_EXE_interlock"))
        .args(["check", "bad.jsonl"])
        .current_dir(project.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start interlock");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    // `head -1` has read its line and gone.
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(first.starts_with("invalid: "), "{first}");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// ---- 6: import har writes recordings that cannot be replayed ----

#[test]
fn import_har_rejects_a_status_run_cannot_replay() {
    let project = Project::empty();
    project.write("capture.har", &har(vec![har_entry("GET", 999)]));
    let out = interlock(
        &project,
        &["import", "har", "capture.har", "--out", "out/rec.jsonl"],
    );
    out.assert_code(2);
    assert!(out.stderr.contains("log.entries[0]"), "{}", out.stderr);
    assert!(
        !project.file("out").exists(),
        "the --out folder was left behind"
    );
}

#[test]
fn import_har_rejects_a_method_http_cannot_send() {
    let project = Project::empty();
    project.write("capture.har", &har(vec![har_entry("G E\r\nT", 200)]));
    let out = interlock(
        &project,
        &["import", "har", "capture.har", "--out", "rec.jsonl"],
    );
    out.assert_code(2);
    assert!(out.stderr.contains("request.method"), "{}", out.stderr);
    assert!(!project.file("rec.jsonl").exists());
}

// ---- the committed corpus of bad inputs: `check` and `run` agree, both exit 2 ----

fn corpus() -> std::path::PathBuf {
    crate::harness::repo_root().join("tests/fixtures/bad-input")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read corpus case") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A copy of one corpus case, as a project.
fn bad_project(case: &str) -> Project {
    let project = Project::empty();
    copy_tree(&corpus().join(case), project.path());
    project
}

/// `check` and `run` over one corpus case: both exit 2, and the error names a file.
#[track_caller]
fn check_and_run_reject(case: &str) -> (Output, Output) {
    let project = bad_project(case);
    let check = interlock(&project, &["check"]);
    let run = interlock(&project, &["run"]);
    assert_eq!(
        (check.code, run.code),
        (2, 2),
        "{case}: check and run must both exit 2\n--- check\n{}{}\n--- run\n{}{}",
        check.stdout,
        check.stderr,
        run.stdout,
        run.stderr
    );
    (check, run)
}

#[test]
fn every_bad_input_in_the_corpus_is_rejected_by_check_and_run_alike() {
    let mut cases: Vec<String> = std::fs::read_dir(corpus())
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "{cases:?}");
    for case in cases {
        let (check, run) = check_and_run_reject(&case);
        for (what, out) in [("check", &check), ("run", &run)] {
            let text = format!("{}{}", out.stdout, out.stderr);
            assert!(!text.contains("panicked"), "{case} {what}: {text}");
            assert!(
                text.contains("interlock.toml")
                    || text.contains(".json")
                    || text.contains(".yaml")
                    || text.contains(".txt"),
                "{case} {what}: the error names no file: {text}"
            );
        }
    }
}

// ---- 3: a scenario's name escapes its folder ----

#[test]
fn a_scenario_name_climbing_out_of_its_folder_is_rejected_with_a_suggestion() {
    let (check, _) = check_and_run_reject("scenario-name-escapes");
    assert!(
        check.stdout.contains("scenario.yaml: at /name"),
        "{}",
        check.stdout
    );
    assert!(check.stdout.contains("e.g. `escaped`"), "{}", check.stdout);
    check_and_run_reject("scenario-name-absolute");
}

// ---- 4: a `$ref` reads any file ----

#[test]
fn a_ref_outside_the_project_is_refused_without_reading_it() {
    for case in ["ref-outside-project", "ref-file-uri-outside"] {
        let (check, _) = check_and_run_reject(case);
        assert!(
            check.stdout.contains("leads outside the project"),
            "{}",
            check.stdout
        );
        assert!(
            !check.stdout.contains("root:"),
            "echoes /etc/passwd: {}",
            check.stdout
        );
    }
}

#[test]
fn a_ref_to_dev_zero_is_refused_at_once() {
    let (check, run) = check_and_run_reject("ref-dev-zero");
    assert!(check.elapsed < std::time::Duration::from_secs(20));
    assert!(run.elapsed < std::time::Duration::from_secs(20));
}

#[test]
fn allow_outside_refs_lets_a_ref_leave_the_project_but_never_reads_a_device() {
    let project = bad_project("ref-dev-zero");
    let out = interlock(&project, &["--allow-outside-refs", "check"]);
    out.assert_code(2);
    assert!(out.stdout.contains("not a regular file"), "{}", out.stdout);
}

#[test]
fn a_document_over_the_size_cap_is_refused() {
    let project = bad_project("empty-replay");
    project.write("interlock.toml", "[limits]\nmax_document_mib = 1\n");
    project.write("scenarios/lookup/crm.jsonl", "");
    let big = format!(
        "{{\"type\":\"object\",\"description\":\"{}\"}}",
        "x".repeat(2 << 20)
    );
    project.write("contracts/schemas/customer.json", &big);
    let out = interlock(&project, &["check"]);
    out.assert_code(2);
    assert!(out.stdout.contains("larger than 1 MiB"), "{}", out.stdout);
}

// ---- 5: `check` passes what `run` rejects ----

#[test]
fn check_reports_a_bad_line_of_a_recording_that_is_not_jsonl_or_outside_scenarios() {
    for case in ["recording-not-jsonl", "recording-outside-scenarios"] {
        let (check, _) = check_and_run_reject(case);
        assert!(
            check.stdout.contains("truncated exchange"),
            "{case}: {}",
            check.stdout
        );
        assert_eq!(
            check.stdout.matches("truncated exchange").count(),
            1,
            "{}",
            check.stdout
        );
    }
}

#[test]
fn check_rejects_invalid_project_file_values_as_run_does() {
    for case in [
        "default-profile-unknown",
        "redact-pointer-without-slash",
        "target-not-a-url",
        "target-file-url",
        "target-ftp-url",
    ] {
        let (check, _) = check_and_run_reject(case);
        assert!(
            check.stderr.contains("interlock.toml"),
            "{case}: {}",
            check.stderr
        );
    }
}

#[test]
fn check_rejects_recordings_http_cannot_send_as_run_does() {
    for case in [
        "method-with-space",
        "method-empty",
        "header-name-with-space",
        "header-value-crlf",
        "status-out-of-range",
    ] {
        let (check, run) = check_and_run_reject(case);
        assert!(
            check.stdout.contains("crm.jsonl:1:"),
            "{case}: {}",
            check.stdout
        );
        assert!(
            !run.stderr.contains("builder error"),
            "{case}: {}",
            run.stderr
        );
    }
}

// ---- 9: walks and empty recordings ----

#[test]
fn an_empty_replay_recording_is_rejected() {
    let (check, _) = check_and_run_reject("empty-replay");
    assert!(check.stdout.contains("no exchanges"), "{}", check.stdout);
}

#[test]
fn a_symlink_loop_under_scenarios_is_not_followed() {
    let project = bad_project("empty-replay");
    project.write("scenarios/lookup/crm.jsonl", &format!("{}\n", GOOD_LINE));
    std::os::unix::fs::symlink("..", project.file("scenarios/lookup/loop")).expect("symlink");
    let out = interlock(&project, &["check"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains(" 1 recordings with 1 exchanges"),
        "{}",
        out.stdout
    );
}

#[test]
fn scenarios_at_the_file_system_root_end_in_bounded_time() {
    let project = Project::empty();
    project.write("interlock.toml", "scenarios = \"/\"\ncontracts = []\n");
    let out = interlock(&project, &["check"]);
    assert!(
        out.elapsed < std::time::Duration::from_secs(20),
        "{:?}",
        out.elapsed
    );
    assert!(!out.stdout.contains("panicked"), "{}", out.stdout);
}

const GOOD_LINE: &str = r#"{"request":{"method":"GET","url":"/api/v1/customers/C-1","headers":{"accept":"application/json"}},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"id":"C-1"}}}"#;

// ---- 8: error messages ----

#[test]
fn a_bom_is_accepted_in_contracts_scenarios_recordings_and_the_project_file() {
    let project = bad_project("empty-replay");
    let bom = "\u{feff}";
    project.write("scenarios/lookup/crm.jsonl", &format!("{bom}{GOOD_LINE}\n"));
    project.write(
        "scenarios/lookup/scenario.yaml",
        &format!("{bom}target: crm\nreplay: crm.jsonl\n"),
    );
    project.write(
        "interlock.toml",
        &format!("{bom}contracts = [\"contracts\"]\n"),
    );
    let contract = project.read("contracts/crm/customer.get.contract.json");
    project.write(
        "contracts/crm/customer.get.contract.json",
        &format!("{bom}{contract}"),
    );
    let schema = project.read("contracts/schemas/customer.json");
    project.write("contracts/schemas/customer.json", &format!("{bom}{schema}"));
    interlock(&project, &["check"]).assert_code(0);
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let (check, _) = check_and_run_reject("contract-invalid-utf8");
    assert!(check.stdout.contains("byte offset 12"), "{}", check.stdout);
    let (check, _) = check_and_run_reject("recording-invalid-utf8");
    assert!(check.stdout.contains("byte offset"), "{}", check.stdout);
}

#[test]
fn an_unknown_default_profile_is_attributed_to_the_project_file() {
    let (check, run) = check_and_run_reject("default-profile-unknown");
    assert!(
        check.stderr.contains("interlock.toml: at /default_profile"),
        "{}",
        check.stderr
    );
    assert!(
        run.stderr.contains("interlock.toml: at /default_profile"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("<command line>"), "{}", run.stderr);
}

// ---- a symlink loop under contracts/ is not followed ----

#[test]
fn a_symlink_loop_under_contracts_is_not_followed() {
    let project = Project::bundled();
    // A folder linking to its parent (a loop), and one linking out of the project.
    std::os::unix::fs::symlink("..", project.file("contracts/crm/loop")).expect("symlink");
    let outside = tempfile::tempdir().expect("temp folder");
    std::fs::write(
        outside.path().join("stray.contract.json"),
        "{ not a contract",
    )
    .expect("write");
    std::os::unix::fs::symlink(outside.path(), project.file("contracts/outside")).expect("symlink");
    for args in [&["check"][..], &["diff", "contracts", "contracts"][..]] {
        let out = interlock(&project, args);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(out.code, 0, "{args:?}: {text}");
        assert!(!text.contains("stray"), "{args:?}: {text}");
        assert!(!text.contains("loop"), "{args:?}: {text}");
    }
    let check = interlock(&project, &["check"]);
    assert!(check.stdout.contains("8 contracts"), "{}", check.stdout);
}

// ---- an outside `$ref` with a syntax error is reported by path and position only ----

#[test]
fn allow_outside_refs_reports_a_broken_outside_file_without_echoing_it() {
    let project = bad_project("ref-outside-project");
    let outside = tempfile::tempdir().expect("temp folder");
    // JSON and YAML syntax errors, the secret on the failing line.
    for (name, text, position) in [
        (
            "secret.json",
            "{\"type\": \"object\",\n \"token\": hunter2-SECRET-VALUE }\n",
            ":2:11:",
        ),
        (
            "secret.yaml",
            "type: object\ntoken: [hunter2-SECRET-VALUE\n",
            ":3:1:",
        ),
    ] {
        let file = outside.path().join(name);
        std::fs::write(&file, text).expect("write");
        project.edit(
            "contracts/crm/customer.get.contract.json",
            "/etc/passwd",
            &file.display().to_string(),
        );
        let out = interlock(&project, &["--allow-outside-refs", "check"]);
        out.assert_code(2);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(!text.contains("hunter2"), "echoes the file: {text}");
        assert!(
            text.contains(&format!("{}{position} invalid", file.display())),
            "{text}"
        );
        project.edit(
            "contracts/crm/customer.get.contract.json",
            &file.display().to_string(),
            "/etc/passwd",
        );
    }
}

// ---- import openapi: an error names the spec and its pointer, once ----

/// Three operations share one schema with a bad `minimum` and a bad `pattern`.
const BROKEN_SHARED_SCHEMA: &str = r##"openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: getA
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Customer"}
  /b:
    get:
      operationId: getB
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Customer"}}}}}
    post:
      operationId: postB
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Customer"}
      responses:
        "201": {description: ok}
components:
  schemas:
    Customer:
      type: object
      properties:
        id: {type: string, pattern: "[unclosed"}
        n: {type: integer, minimum: "x"}
"##;

#[test]
fn import_openapi_errors_name_the_spec_and_appear_once() {
    let project = Project::empty();
    project.write("spec.yaml", BROKEN_SHARED_SCHEMA);
    let out = interlock(
        &project,
        &[
            "import",
            "openapi",
            "spec.yaml",
            "--out",
            "out",
            "--provider",
            "crm",
        ],
    );
    out.assert_code(2);
    let text = format!("{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
    let minimum: Vec<&&str> = lines.iter().filter(|l| l.contains("minimum")).collect();
    assert_eq!(minimum.len(), 1, "{text}");
    assert!(
        minimum[0].starts_with(
            "error: spec.yaml: at /components/schemas/Customer/properties/n/minimum: "
        ),
        "{text}"
    );
    let pattern: Vec<&&str> = lines.iter().filter(|l| l.contains("[unclosed")).collect();
    assert_eq!(pattern.len(), 1, "{text}");
    assert!(
        pattern[0].starts_with("error: spec.yaml: at /paths/~1a/get: "),
        "{text}"
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert!(!text.contains("out/"), "names a file never written: {text}");
    assert!(!project.file("out").exists());
}

fn openapi_with_customer_field(field: &str) -> String {
    format!(
        r#"openapi: 3.0.3
info: {{title: CRM, version: "1"}}
paths:
  /customers/{{id}}:
    get:
      operationId: getCustomer
      parameters: [{{name: id, in: path, required: true, schema: {{type: string}}}}]
      responses:
        "200":
          description: a customer
          content:
            application/json:
              schema:
                type: object
                required: [id, {field}]
                properties:
                  id: {{type: string}}
                  {field}: {{type: string}}
"#
    )
}

#[test]
fn diff_dash_reads_the_old_version_from_standard_input() {
    let project = Project::empty();
    project.write("old.yaml", &openapi_with_customer_field("tax_id"));
    project.write("new.yaml", &openapi_with_customer_field("taxNumber"));
    let out = project.run_with_stdin(&["diff", "-", "new.yaml", "--format", "json"], "old.yaml");
    out.assert_code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON report");
    let changes = report["changes"].as_array().expect("changes");
    assert!(
        changes.iter().any(|c| c["severity"] == "breaking"
            && c["message"].as_str().unwrap_or("").contains("tax_id")),
        "{changes:#?}"
    );
    assert!(
        !project.file("-").exists(),
        "a file named `-` was read or written"
    );
}

#[test]
fn diff_dash_on_both_sides_is_a_usage_error() {
    let project = Project::empty();
    project.write("old.yaml", &openapi_with_customer_field("tax_id"));
    let out = project.run_with_stdin(&["diff", "-", "-"], "old.yaml");
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("OLD and NEW are both `-`; standard input holds only one of them"),
        "{}",
        out.stderr
    );
}

#[test]
fn import_openapi_dash_reads_the_spec_from_standard_input() {
    let project = Project::empty();
    project.write("spec.yaml", &openapi_with_customer_field("tax_id"));
    let out = project.run_with_stdin(
        &["import", "openapi", "-", "--out", "contracts"],
        "spec.yaml",
    );
    out.assert_code(0);
    let imported = crate::harness::files_under(&project.file("contracts"));
    assert!(
        imported.iter().any(|f| std::fs::read_to_string(f)
            .unwrap_or_default()
            .contains("tax_id")),
        "{imported:?}"
    );
}

#[test]
fn check_rejects_an_invalid_table_contract_as_db_check_does() {
    let project = Project::bundled();
    project.edit(
        "contracts/db/crm/customers.table.yaml",
        "  nullable: false\n  length: 20\n",
        "  nullable: maybe\n  length: 20\n",
    );
    let check = project.run(&["check"]);
    check.assert_code(2);
    assert!(
        check
            .stdout
            .contains("invalid: contracts/db/crm/customers.table.yaml"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("/columns/2/nullable"),
        "{}",
        check.stdout
    );
}
