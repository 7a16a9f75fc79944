//! Errors: "could not check", never "the check found something".
//!
//! Findings (a schema violation, a drifted field) are data inside results. An [`Error`] means
//! Interlock could not do its job: the input is invalid (exit 2) or the environment is in the way
//! (exit 3). Every input error says where (file, line and column or JSON pointer) and what would
//! be right.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::exit_code;

/// Where in an input file a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Nowhere more precise than the file itself.
    File,
    /// A 1-based line and column, for syntax errors.
    LineColumn { line: usize, column: usize },
    /// A JSON pointer into the parsed document, for semantic errors.
    Pointer(String),
    /// A 1-based line of a line-per-record file.
    Line(usize),
}

/// A problem with something the user gave us: a file, a flag, a configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    pub position: Position,
    pub message: String,
    /// What would be right, e.g. "did you mean `tax_id`?".
    pub hint: Option<String>,
}

impl InputError {
    pub(crate) fn new(
        file: impl Into<PathBuf>,
        position: Position,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            file: file.into(),
            position,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn at_pointer(
        file: impl Into<PathBuf>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(file, Position::Pointer(pointer.into()), message)
    }

    pub(crate) fn in_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::new(file, Position::File, message)
    }

    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint only when there is one.
    #[must_use]
    pub(crate) fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// An error about the command line rather than a file.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new("<command line>", Position::File, message)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.position {
            Position::File => write!(f, "{file}: {}", self.message)?,
            Position::LineColumn { line, column } => {
                write!(f, "{file}:{line}:{column}: {}", self.message)?
            }
            Position::Line(line) => write!(f, "{file}:{line}: {}", self.message)?,
            // The whole document (`""`) reads as `/`, as `json::display_pointer` shows it; the
            // error layer sits below `json` and so spells it out.
            Position::Pointer(pointer) if pointer.is_empty() => {
                write!(f, "{file}: at /: {}", self.message)?
            }
            Position::Pointer(pointer) => write!(f, "{file}: at {pointer}: {}", self.message)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// The top-level error: everything that stops Interlock from checking.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems with the input; all are reported, not only the first.
    #[error("{}", display_all(.0))]
    Input(Vec<InputError>),
    /// The environment is in the way: a port taken, a target unreachable, a file not writable.
    #[error("{0}")]
    Environment(String),
}

fn display_all(errors: &[InputError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => exit_code::INVALID_INPUT,
            Error::Environment(_) => exit_code::ENVIRONMENT,
        }
    }

    pub(crate) fn environment(message: impl Into<String>) -> Self {
        Error::Environment(message.into())
    }

    /// A file that could not be written or read for reasons other than its content.
    pub(crate) fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        Error::Environment(format!("cannot {action} {}: {err}", path.display()))
    }
}

impl From<InputError> for Error {
    fn from(err: InputError) -> Self {
        Error::Input(vec![err])
    }
}

/// The closest candidate to `wanted` by edit distance, for "did you mean" hints.
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let wanted_lower = wanted.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&wanted_lower, &c.to_lowercase()), c))
        .filter(|(distance, c)| *distance <= (wanted.len().max(c.len()) / 2).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}
