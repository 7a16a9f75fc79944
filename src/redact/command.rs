//! `interlock redact FILE`: applies the project's redaction rules to an existing recording.
//!
//! The file is replaced atomically, its lines in the same order. A recording with a bad line is
//! not touched: every bad line is reported as `file:line` (exit 2).

use std::path::Path;

use super::Redactor;
use crate::error::Error;
use crate::recording;

/// Redacts every exchange of a recording and replaces the file atomically.
pub(crate) fn redact_file(redactor: &Redactor, path: &Path) -> Result<usize, Error> {
    let recording = recording::read(path).map_err(Error::Input)?;
    let count = recording.len();
    let mut out = String::new();
    for (_, mut exchange) in recording.exchanges {
        redactor.redact_exchange(&mut exchange);
        out.push_str(&recording::to_line(&exchange));
        out.push('\n');
    }
    crate::fsutil::write_atomic(path, out.as_bytes())?;
    Ok(count)
}
