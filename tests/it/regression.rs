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
