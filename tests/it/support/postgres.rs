//! A real PostgreSQL server for one test: `initdb` into a temporary folder, `postgres` on a
//! free loopback port with its unix socket in that folder, trust authentication, stopped and
//! removed on drop.
//!
//! PostgreSQL refuses to run as root, so as root the binaries run as the `postgres` user
//! (`runuser -u postgres --`) in a folder handed to that user; as anyone else they run as the
//! current user. [`Postgres::start`] returns `None` after [`super::skip`] when the binaries are
//! missing (`.ci/run` installs them and sets `INTERLOCK_REQUIRE_TOOLS`, so CI never skips).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Postgres {
    /// Starts a fresh cluster, or returns `None` (after [`super::skip`]) without binaries.
    #[track_caller]
    pub fn start() -> Option<Postgres> {
        let Some(bin) = binaries() else {
            super::skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)");
            return None;
        };
        let dir = tempfile::tempdir().expect("temporary folder");
        let as_postgres_user = is_root();
        if as_postgres_user {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(status.success(), "chown the cluster folder to postgres");
        }
        let server = Postgres {
            dir,
            bin,
            port: super::crm::free_port(),
            as_postgres_user,
        };
        let data = server.data();
        server.tool(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            server.port,
            server.dir.path().display()
        );
        let log = server.dir.path().join("server.log");
        server.tool(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs a PostgreSQL program to its end; panics with its output when it fails.
    fn tool(&self, name: &str, args: &[&str]) {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(args).current_dir(self.dir.path());
        let output = crate::harness::output_within(&mut command, crate::harness::RUN_LIMIT);
        assert!(
            output.status.success(),
            "{name} failed\n--- stdout\n{}\n--- stderr\n{}\n--- log\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:PORT/DB`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL statements in `database`.
    pub fn sql(&self, database: &str, script: &str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let url = self.url(database);
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            tokio::spawn(connection);
            client
                .batch_execute(script)
                .await
                .unwrap_or_else(|e| panic!("{script}\n--- failed: {e:?}"));
        });
    }

    /// Creates a database and runs `schema` in it.
    pub fn database(&self, name: &str, schema: &str) {
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        self.sql(name, schema);
    }

    pub fn folder(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = crate::harness::output_within(&mut command, crate::harness::RUN_LIMIT);
    }
}
