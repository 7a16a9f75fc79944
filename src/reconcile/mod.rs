//! Reconciliation: do two systems (the CRM and the ERP) hold the same records with the same
//! values?
//!
//! A reconciliation file ([`spec`], `reconcile/NAME.yaml`) names two sides, each a [`source`]
//! (an HTTP list endpoint, a recording, a SQL query) with a key and its normalisation, the
//! fields to compare with their [`compare`] rules, and thresholds. The [`engine`] sorts both
//! sides by key in bounded memory ([`sort`]), merges them and counts, its values passed through
//! [`redact`]; [`result`] turns the outcome into the run's result model, so the same reporters
//! as `interlock run` write it. The format is specified in `docs/reconcile.md`.

pub mod compare;
pub mod engine;
pub mod redact;
pub mod result;
pub mod sort;
pub mod source;
pub mod spec;

use std::path::{Path, PathBuf};

pub use engine::{Options, Outcome};
pub use result::run;
pub use source::Environment;
pub use spec::Reconciliation;

use crate::error::{Error, InputError, did_you_mean};

/// The reconciliation files to run: every file of `dir` when `names` is empty, else the named
/// ones (a file stem, or a path to a file). An unknown name is an input error with a
/// did-you-mean.
pub fn select(dir: &Path, names: &[String]) -> Result<Vec<PathBuf>, Error> {
    let all = spec::files(dir)?;
    if names.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let as_path = Path::new(name);
        if as_path.extension().is_some() && as_path.is_file() {
            chosen.push(as_path.to_path_buf());
            continue;
        }
        match all.iter().find(|f| spec::name_of(f) == *name) {
            Some(file) => chosen.push(file.clone()),
            None => {
                let stems: Vec<String> = all.iter().map(|f| spec::name_of(f)).collect();
                errors.push(
                    InputError::usage(format!("no reconciliation `{name}` in {}", dir.display()))
                        .with_hint(
                            did_you_mean(name, stems.iter().map(String::as_str)).unwrap_or_else(
                                || format!("the folder holds: {}", list_or_none(&stems)),
                            ),
                        ),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(chosen)
    } else {
        Err(Error::Input(errors))
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "no *.yaml files".to_owned()
    } else {
        names.join(", ")
    }
}

/// Loads every file; all problems of all files are reported together.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Reconciliation>, Error> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match spec::load(file) {
            Ok(rec) => loaded.push(rec),
            Err(Error::Input(mut e)) => errors.append(&mut e),
            Err(other) => return Err(other),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(Error::Input(errors))
    }
}

/// Checks every side's target or database against the profile before anything is read.
pub fn resolve_all(recs: &[Reconciliation], env: &Environment) -> Result<(), Error> {
    let mut errors = Vec::new();
    for rec in recs {
        for side in &rec.sides {
            match source::resolve(side, &rec.file, env) {
                Ok(()) => {}
                Err(Error::Input(mut e)) => errors.append(&mut e),
                Err(other) => return Err(other),
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(errors))
    }
}
