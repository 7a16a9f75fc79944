//! What the files learned from recordings (`domains.yaml`, `lineage.yaml`) share: a comment
//! header saying where they came from, a format version, and interface ids that must name
//! contracts.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{InputError, Position};

/// A learned file: its YAML, and the interfaces it names with their JSON pointers.
pub(crate) trait Learned: Serialize + DeserializeOwned {
    /// The version key (`interlock_domains`) and the version this build reads.
    const VERSION_KEY: &'static str;
    const VERSION: u32;
    /// The command that learns it (`interlock domains`).
    const COMMAND: &'static str;

    fn version(&self) -> u32;

    /// Every interface id the file names, with the pointer it is named at.
    fn interfaces(&self) -> Vec<(String, &str)>;

    /// Problems of the file's own (beyond its version and interfaces).
    fn problems(&self, _file: &Path) -> Vec<InputError> {
        Vec::new()
    }
}

/// `body` as YAML under `header`, each of its lines a comment.
pub(crate) fn to_yaml(header: &str, body: &impl Serialize) -> Result<String, serde_yaml_ng::Error> {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serde_yaml_ng::to_string(body)?);
    Ok(out)
}

/// Reads a learned file; its version must be this build's and every interface it names one of
/// `known`.
pub(crate) fn load<'a, T: Learned>(
    file: &Path,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<T, Vec<InputError>> {
    let (learned, mut errors) = parse::<T>(file)?;
    for (pointer, name) in learned.interfaces() {
        if known.clone().into_iter().any(|k| k == name) {
            continue;
        }
        let error = InputError::at_pointer(
            file,
            pointer,
            format!("no contract has the interface `{name}`"),
        );
        errors.push(match crate::error::did_you_mean(name, known.clone()) {
            Some(hint) => error.with_hint(hint),
            None => error.with_hint(format!(
                "remove the entry, or learn the file again with `{}`",
                T::COMMAND
            )),
        });
    }
    if errors.is_empty() {
        Ok(learned)
    } else {
        Err(placed(file, errors))
    }
}

/// Reads a learned file on its own, without contracts to check its interfaces against (as
/// `diff` reads the working tree's lineage whatever versions it compares): its version must be
/// this build's.
pub(crate) fn load_file<T: Learned>(file: &Path) -> Result<T, Vec<InputError>> {
    let (learned, errors) = parse::<T>(file)?;
    if errors.is_empty() {
        Ok(learned)
    } else {
        Err(placed(file, errors))
    }
}

/// The file, and its problems beyond its interfaces.
fn parse<T: Learned>(file: &Path) -> Result<(T, Vec<InputError>), Vec<InputError>> {
    let value = crate::json::read_value(file).map_err(|e| vec![e])?;
    let learned: T = serde_path_to_error::deserialize(&value).map_err(|err| {
        let pointer = super::serde_path_to_pointer(err.path());
        placed(
            file,
            vec![super::describe_serde_error(file, pointer, err.inner())],
        )
    })?;
    let mut errors = learned.problems(file);
    if learned.version() != T::VERSION {
        errors.push(
            InputError::at_pointer(
                file,
                format!("/{}", T::VERSION_KEY),
                format!("unknown format version {}", learned.version()),
            )
            .with_hint(format!(
                "this interlock reads version {}; learn the file again with `{}`",
                T::VERSION,
                T::COMMAND
            )),
        );
    }
    Ok((learned, errors))
}

/// `errors` with the line and column of their JSON pointer in `file`, where it can be found: a
/// reviewer edits the file by hand.
fn placed(file: &Path, errors: Vec<InputError>) -> Vec<InputError> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return errors;
    };
    errors
        .into_iter()
        .map(|mut error| {
            if let Position::Pointer(pointer) = &error.position
                && let Some((line, column)) = crate::json::yaml_position(&text, pointer)
            {
                error.message = format!("at {pointer}: {}", error.message);
                error.position = Position::LineColumn { line, column };
            }
            error
        })
        .collect()
}
