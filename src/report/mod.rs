//! Reports: independent consumers of the runner's events.
//!
//! The runner emits [`Event`]s; each output format is a [`Reporter`]. Adding a format never
//! touches the runner. Files are written atomically (temp file + rename) by [`write_atomic`].

pub mod console;
pub mod json;
pub mod junit;

use std::io::Write;
use std::path::Path;

use crate::check::{ExchangeResult, RunResult, ScenarioResult};
use crate::error::Error;

/// What the runner tells reporters, in order.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Before anything is replayed.
    RunStarted {
        scenarios: usize,
        exchanges: usize,
    },
    ScenarioStarted {
        name: &'a str,
        target: &'a str,
        exchanges: usize,
    },
    ExchangeFinished {
        scenario: &'a str,
        result: &'a ExchangeResult,
    },
    ScenarioFinished {
        result: &'a ScenarioResult,
    },
    /// The whole run, after every scenario.
    RunFinished {
        result: &'a RunResult,
    },
}

/// One output format.
pub trait Reporter: Send {
    /// Receives every event; file reporters usually write on [`Event::RunFinished`].
    fn report(&mut self, event: &Event<'_>) -> Result<(), Error>;
}

/// Writes a file atomically: a temporary file in the same directory, then a rename, so a
/// reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|err| Error::io("create directory", dir, &err))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|err| Error::io("create a temporary file in", dir, &err))?;
    tmp.write_all(bytes)
        .map_err(|err| Error::io("write", tmp.path(), &err))?;
    tmp.as_file()
        .sync_all()
        .map_err(|err| Error::io("write", tmp.path(), &err))?;
    tmp.persist(path)
        .map_err(|err| Error::io("write", path, &err.error))?;
    Ok(())
}
