//! `interlock redact FILE`: applies the project's redaction rules to an existing recording.
//!
//! The file is replaced atomically, its lines in the same order. A recording with a bad line is
//! not touched: every bad line is reported as `file:line` (exit 2).

use std::path::{Path, PathBuf};

use clap::Args;

use super::Redactor;
use crate::config::Config;
use crate::error::Error;
use crate::exit_code;
use crate::recording;

#[derive(Debug, Args, Clone)]
pub struct RedactArgs {
    /// The recording (JSONL) to redact in place.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Project file with the `[redact]` rules (default: ./interlock.toml, else the embedded default).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs `interlock redact`; returns the exit code.
pub fn run(args: &RedactArgs) -> Result<u8, Error> {
    let config = Config::discover(args.config.as_deref(), Path::new(""))?;
    let redactor = Redactor::from_config(&config)?;
    let count = redact_file(&redactor, &args.file)?;
    println!("redacted {count} exchanges in {}", args.file.display());
    Ok(exit_code::OK)
}

/// Redacts every exchange of a recording and replaces the file atomically.
pub fn redact_file(redactor: &Redactor, path: &Path) -> Result<usize, Error> {
    let recording = recording::read(path).map_err(Error::Input)?;
    let count = recording.len();
    let mut out = String::new();
    for (_, mut exchange) in recording.exchanges {
        redactor.redact_exchange(&mut exchange);
        out.push_str(&recording::to_line(&exchange));
        out.push('\n');
    }
    crate::report::write_atomic(path, out.as_bytes())?;
    Ok(count)
}
