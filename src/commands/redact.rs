//! `interlock redact FILE`: apply the project's redaction rules to a recording, in place.

use crate::cli::{GlobalArgs, RedactArgs};
use crate::error::Error;
use crate::exit_code;
use crate::redact::{Redactor, redact_file};

/// Runs `interlock redact`; returns the exit code.
pub(crate) fn run(args: &RedactArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    let redactor = Redactor::from_config(&config.redact, &config.file)?;
    let count = redact_file(&redactor, &args.file)?;
    crate::outln!("redacted {count} exchanges in {}", args.file.display());
    Ok(exit_code::OK)
}
