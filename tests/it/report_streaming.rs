//! Reports to `-` and to a FIFO are streamed as they are assembled, never held whole: the
//! documents are the ones written to a file, byte for byte once the timings are blanked, and a
//! run's peak memory grows much less than its report to standard output does. The real binary
//! replays thousands of exchanges into a live target over loopback; a real FIFO (`mkfifo`) is
//! read by a thread of the test. Only memory is compared, never time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread::JoinHandle;

use crate::harness::Project;
use crate::scale::{assert_peak_grew_little, measured_run, project};

/// Exchanges of the streamed runs.
const EXCHANGES: usize = 3200;

/// Exchanges of the smaller measured run; the larger has twice as many. The report on stdout
/// grows by about 3 MiB between them, well above the allocator's noise.
const MEASURED: usize = 8000;

/// Replays `project` into a live target with `args` added to `run`; the run must pass.
fn replay(project: &Project, args: &[&str]) -> Output {
    crate::scale::replay(project, Command::new(env!("CARGO_BIN_EXE_interlock")), args)
}

/// A FIFO at `path`, read to its end by a thread.
struct Fifo {
    path: PathBuf,
    reader: Option<JoinHandle<Vec<u8>>>,
}

impl Fifo {
    fn new(path: PathBuf) -> Fifo {
        let made = Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("run mkfifo (coreutils)");
        assert!(made.success(), "mkfifo {}", path.display());
        let at = path.clone();
        let reader = std::thread::spawn(move || {
            // Waits for the writer to open the FIFO, then reads until it closes it.
            std::fs::read(&at).expect("read the FIFO")
        });
        Fifo {
            path,
            reader: Some(reader),
        }
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("a UTF-8 path")
    }

    /// What the writer wrote. A writer that never opened the FIFO leaves the reader waiting:
    /// opening it here without blocking (`O_NONBLOCK`) and closing it again ends the read.
    fn read(mut self) -> Vec<u8> {
        let reader = self.reader.take().expect("read once");
        if !reader.is_finished() {
            use std::os::unix::fs::OpenOptionsExt;
            const O_NONBLOCK: i32 = 0o4000;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(O_NONBLOCK)
                .open(&self.path);
        }
        reader.join().expect("the FIFO's reader")
    }
}

/// The document with what differs from run to run blanked: durations and latency figures in
/// milliseconds (JSON), `time` and `timestamp` attributes (JUnit XML), durations shown in text
/// (HTML: `3.2 ms`, `1.25 s`), the live target's port. All else is kept byte for byte.
fn untimed(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    let json = regex::Regex::new(r#""([a-z0-9_]*_ms)": -?[0-9][0-9.eE+-]*"#).expect("regex");
    let xml = regex::Regex::new(r#" (time|timestamp)="[^"]*""#).expect("regex");
    let shown = regex::Regex::new(r"\b[0-9]+(\.[0-9]+)? (ms|s)\b").expect("regex");
    let port = regex::Regex::new(r"127\.0\.0\.1:[0-9]+").expect("regex");
    let text = json.replace_all(&text, r#""$1": 0"#);
    let text = xml.replace_all(&text, r#" $1="""#);
    let text = shown.replace_all(&text, "0 $2");
    port.replace_all(&text, "127.0.0.1:PORT").into_owned()
}

/// Asserts that two documents are the same once their timings are blanked; shows the first
/// line that differs.
#[track_caller]
fn assert_same(streamed: &[u8], file: &[u8], what: &str) {
    let (streamed, file) = (untimed(streamed), untimed(file));
    if streamed != file {
        let line = streamed
            .lines()
            .zip(file.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| streamed.lines().count().min(file.lines().count()));
        panic!(
            "{what} differs from the file at line {}:\n  streamed: {:?}\n  file:     {:?}\n({} and {} bytes)",
            line + 1,
            streamed.lines().nth(line),
            file.lines().nth(line),
            streamed.len(),
            file.len()
        );
    }
}

#[test]
fn reports_to_stdout_and_to_a_fifo_are_the_documents_written_to_files() {
    let project = project(EXCHANGES);
    replay(
        &project,
        &[
            "--report-json",
            "report.json",
            "--junit",
            "junit.xml",
            "--html",
            "report.html",
        ],
    );
    let json_file = std::fs::read(project.file("report.json")).expect("the JSON report");
    let junit_file = std::fs::read(project.file("junit.xml")).expect("the JUnit report");
    let html_file = std::fs::read(project.file("report.html")).expect("the HTML report");
    let report: serde_json::Value = serde_json::from_slice(&json_file).expect("JSON");
    assert_eq!(report["counts"]["exchanges"], EXCHANGES);
    assert_eq!(report["counts"]["passed"], EXCHANGES);
    assert_eq!(
        report["scenarios"][0]["exchanges"].as_array().map(Vec::len),
        Some(EXCHANGES),
        "every exchange is listed"
    );

    // The JSON report to standard output, the JUnit XML to a FIFO.
    let junit_fifo = Fifo::new(project.file("junit.fifo"));
    let out = replay(
        &project,
        &["--report-json", "-", "--junit", junit_fifo.arg()],
    );
    let junit_streamed = junit_fifo.read();
    assert_same(&out.stdout, &json_file, "the JSON report on stdout");
    assert_same(&junit_streamed, &junit_file, "the JUnit XML through a FIFO");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interlock: passed"),
        "the console report goes to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The JSON report to a FIFO, the JUnit XML to standard output, the HTML to a FIFO.
    let json_fifo = Fifo::new(project.file("report.fifo"));
    let html_fifo = Fifo::new(project.file("html.fifo"));
    let out = replay(
        &project,
        &[
            "--report-json",
            json_fifo.arg(),
            "--junit",
            "-",
            "--html",
            html_fifo.arg(),
        ],
    );
    let json_streamed = json_fifo.read();
    let html_streamed = html_fifo.read();
    assert_same(&html_streamed, &html_file, "the HTML report through a FIFO");
    assert!(html_streamed.ends_with(b"</html>\n"));
    assert_same(&json_streamed, &json_file, "the JSON report through a FIFO");
    assert_same(&out.stdout, &junit_file, "the JUnit XML on stdout");
    // A FIFO is written through, never replaced by a regular file.
    assert!(is_fifo(&project.file("report.fifo")));

    // `report merge` writes a result read back whole: to stdout, exactly the file it writes.
    project
        .run(&[
            "report",
            "merge",
            "report.json",
            "--report-json",
            "merged.json",
        ])
        .assert_code(0);
    let merged = project.run(&["report", "merge", "report.json", "--report-json", "-"]);
    merged.assert_code(0);
    assert!(
        merged.stdout.as_bytes() == std::fs::read(project.file("merged.json")).expect("merged"),
        "the merged report on stdout is the merged file, byte for byte"
    );
    assert_same(merged.stdout.as_bytes(), &json_file, "the merged report");
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[test]
fn a_json_report_to_stdout_is_streamed_not_held_whole() {
    if !Path::new("/usr/bin/time").is_file() {
        crate::support::skip("/usr/bin/time is absent (apt-get install time)");
        return;
    }
    let (small, large) = (project(MEASURED), project(2 * MEASURED));
    let (small_peak, small_out) = measured_run(&small, &["--report-json", "-"]);
    let (large_peak, large_out) = measured_run(&large, &["--report-json", "-"]);
    let report_kib = |out: &Output| {
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(report["counts"]["exchanges"].as_u64() >= Some(MEASURED as u64));
        out.stdout.len() as u64 / 1024
    };
    // Held whole, the report costs at least its own size; streamed from the spool, nothing of
    // it stays.
    assert_peak_grew_little(
        (small_peak, large_peak),
        report_kib(&large_out) - report_kib(&small_out),
        "the report on stdout",
    );
}

/// `/dev/stderr` on a pipe, like a process substitution's `/dev/fd/63`, is a link whose text
/// (`pipe:[…]`) names no file: it was followed by hand and refused ("cannot create a temporary
/// file in /proc/self/fd", exit 3). It is written through like any FIFO.
#[test]
fn regression_a_report_to_dev_stderr_on_a_pipe_is_written_through_not_refused() {
    let project = Project::bundled();
    let out = project.run(&["run", "--report-json", "/dev/stderr"]);
    out.assert_code(0);
    // Notes (on pseudonymised values, …) may come before and after it.
    let document = out.stderr.find("{\n").map_or("", |at| &out.stderr[at..]);
    let report: serde_json::Value = serde_json::Deserializer::from_str(document)
        .into_iter()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("stderr holds the JSON report:\n{}", out.stderr));
    assert_eq!(report["interlock_report"], 2);
    assert_eq!(report["verdict"], "passed");
    assert!(
        out.stdout.contains("interlock: passed"),
        "the console report stays on stdout: {}",
        out.stdout
    );
}

/// An importer writes while it still reads its input: to `-` its output waits in a temporary
/// file (not in memory) until the whole input is read, so a HAR that turns out bad part-way
/// leaves nothing on stdout, and a good one gives exactly the recording a file gets.
#[test]
fn a_har_imported_to_stdout_is_the_recording_and_bad_input_writes_nothing() {
    let project = Project::empty();
    let har = crate::harness::repo_root().join("tests/fixtures/har/chromium.har");
    let full = std::fs::read_to_string(&har).expect("the HAR fixture");
    project.write("full.har", &full);
    // Cut inside the sixth entry: five were converted when the end arrives.
    let cut = full
        .match_indices("\"startedDateTime\"")
        .nth(5)
        .expect("six entries")
        .0
        + 40;
    project.write("cut.har", &full[..cut]);
    let import = |args: &[&str]| {
        let mut all = vec!["import", "har"];
        all.extend_from_slice(args);
        project.run_with_env(
            &all,
            &[("INTERLOCK_REDACT_KEY", "0123456789abcdef0123456789abcdef")],
        )
    };

    import(&["full.har", "--out", "rec.jsonl"]).assert_code(0);
    let out = import(&["full.har", "--out", "-"]);
    out.assert_code(0);
    assert!(
        out.stdout == project.read("rec.jsonl"),
        "the recording on stdout is the file's, byte for byte"
    );

    let out = import(&["cut.har", "--out", "-"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("the HAR file ends early"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "nothing half-written on stdout");
}

/// `domains`, `lineage` and `import har` said what they wrote on stdout after the document,
/// so with `--out -` the line ("learned 88 fields … into -") ended up inside the YAML or the
/// recording. It goes to stderr then; stdout is the file's content alone.
#[test]
fn regression_the_line_saying_what_was_written_to_stdout_is_not_part_of_it() {
    let project = Project::bundled();
    for command in ["domains", "lineage"] {
        project
            .run(&[command, "--out", "written.yaml"])
            .assert_code(0);
        let out = project.run(&[command, "--out", "-"]);
        out.assert_code(0);
        assert!(
            out.stdout == project.read("written.yaml"),
            "`{command} --out -` is the file, byte for byte:\n{}",
            out.stdout
        );
        assert!(
            out.stderr.starts_with("learned "),
            "the line goes to stderr: {}",
            out.stderr
        );
    }
}
