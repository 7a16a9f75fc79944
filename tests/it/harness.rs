//! A small fluent builder for integration tests: a temporary project (optionally a copy of the
//! bundled example), files written into it, and the real `interlock` binary run inside it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The longest any single command of a test may run before it is killed and the test fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);

/// Runs a command to its end and collects its output, like [`Command::output`], but kills it
/// and panics with what it printed when it is still running after `limit`: a command that
/// should have failed and instead serves forever fails the test instead of hanging the suite.
pub fn output_within(command: &mut Command, limit: Duration) -> std::process::Output {
    output_within_from(command, std::process::Stdio::null(), limit)
}

/// As [`output_within`], with `stdin` as the command's standard input.
pub fn output_within_from(
    command: &mut Command,
    stdin: std::process::Stdio,
    limit: Duration,
) -> std::process::Output {
    use std::process::Stdio;
    let mut child = command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));
    let stdout = read_to_end(child.stdout.take());
    let stderr = read_to_end(child.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let Some(status) = status else {
        panic!(
            "{command:?} still ran after {limit:?} and was killed\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// Reads a child's stream on a thread of its own, so a full pipe never stalls the child.
fn read_to_end<R: std::io::Read + Send + 'static>(
    stream: Option<R>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// A temporary project directory.
pub struct Project {
    dir: tempfile::TempDir,
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    /// Panics with both streams when the exit code is not `expected`.
    #[track_caller]
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code {} (expected {expected})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Every file under `dir`, at any depth, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("read {}: {e}", current.display()));
        for entry in entries {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The repository root (where the bundled example lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Project {
    pub fn empty() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A copy of the bundled example: `contracts/`, `scenarios/`, `reconcile/` and `interlock.toml`.
    pub fn bundled() -> Project {
        let project = Project::empty();
        for dir in ["contracts", "scenarios", "reconcile"] {
            copy_dir(&repo_root().join(dir), &project.path().join(dir));
        }
        let config = repo_root().join("interlock.toml");
        if config.is_file() {
            std::fs::copy(&config, project.path().join("interlock.toml"))
                .expect("copy interlock.toml");
        }
        project
    }

    /// Moves every scenario's fixed peer ports to free ones, so tests that run the whole
    /// bundled example can run in parallel.
    pub fn on_free_ports(self) -> Project {
        let port = regex::Regex::new(r"(?m)^(\s+port:) \d+$").expect("regex");
        let scenarios = self.file("scenarios");
        for entry in std::fs::read_dir(&scenarios).expect("scenarios folder") {
            let file = entry.expect("entry").path().join("scenario.yaml");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let moved = port.replace_all(&text, |caps: &regex::Captures<'_>| {
                format!("{} {}", &caps[1], crate::support::crm::free_port())
            });
            std::fs::write(&file, moved.as_bytes()).expect("write scenario");
        }
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, relative: &str) -> PathBuf {
        self.path().join(relative)
    }

    /// Writes a file (creating folders).
    pub fn write(&self, relative: &str, content: &str) -> &Self {
        let path = self.file(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, content).expect("write file");
        self
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.file(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }

    /// A project file parsed as JSON.
    /// An Interlock report among them is checked against its JSON Schema in `docs/schema/`.
    pub fn json(&self, relative: &str) -> serde_json::Value {
        let value = serde_json::from_str(&self.read(relative))
            .unwrap_or_else(|e| panic!("{relative} is not JSON: {e}"));
        crate::report_schemas::assert_valid_report(&value, relative);
        value
    }

    /// Replaces text in a project file.
    pub fn edit(&self, relative: &str, from: &str, to: &str) -> &Self {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not contain {from:?}");
        self.write(relative, &text.replace(from, to))
    }

    /// Runs `interlock ARGS…` in the project directory, with colour off, without the
    /// environment's step summary or redaction key, and within [`RUN_LIMIT`].
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.run_in("", args, env)
    }

    /// As [`Project::run_with_env`], from the folder `relative` of the project (`""` for the
    /// project folder itself).
    pub fn run_in(&self, relative: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.run_from(relative, args, env, std::process::Stdio::null())
    }

    /// As [`Project::run`], with the project file `stdin_file` as standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin_file: &str) -> Output {
        let file = std::fs::File::open(self.file(stdin_file))
            .unwrap_or_else(|e| panic!("open {stdin_file}: {e}"));
        self.run_from("", args, &[], file.into())
    }

    fn run_from(
        &self,
        relative: &str,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: std::process::Stdio,
    ) -> Output {
        let started = Instant::now();
        let mut command = Command::new(env!("CARGO_BIN_EXE_interlock"));
        command
            .args(args)
            .current_dir(self.file(relative))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("INTERLOCK_REDACT_KEY");
        for (k, v) in env {
            command.env(k, v);
        }
        let output = output_within_from(&mut command, stdin, RUN_LIMIT);
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Replaces volatile parts of output (durations, temp paths, ports) for snapshots.
pub fn normalize(text: &str, project: &Project) -> String {
    let out = text.replace(&project.path().display().to_string(), "[project]");
    let latency = regex::Regex::new(r"(?m)^  latency .*\n(?:  .*\n)*").expect("regex");
    let out = latency.replace_all(&out, "  [latency table]\n");
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").expect("regex");
    let out = port.replace_all(&out, "127.0.0.1:[port]");
    let ms = regex::Regex::new(r"\d+(\.\d+)?\s?(ms|s)\b").expect("regex");
    ms.replace_all(&out, "[duration]").into_owned()
}
