//! A migrations folder: its `*.sql` files, applied in lexicographic order of their file names
//! (`0001_…sql` before `0002_…sql`; `10_…` sorts before `9_…`, so pad the numbers).

use std::path::{Path, PathBuf};

use crate::error::{Error, InputError};

/// The `*.sql` files of `dir` (not its sub-folders) with their text, in the order they are
/// applied. A folder without one is an input error: a mistyped path must not pass as "no
/// change".
pub fn load(dir: &Path) -> Result<Vec<(PathBuf, String)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        InputError::in_file(dir, format!("cannot read the migrations folder: {err}"))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|err| Error::io("read", dir, &err))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        return Err(InputError::in_file(dir, "no *.sql migration in this folder").into());
    }
    let mut loaded = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|err| {
            InputError::in_file(&file, format!("cannot read the migration: {err}"))
        })?;
        loaded.push((file, text));
    }
    Ok(loaded)
}

/// Refuses, for PostgreSQL, a migration that ends or starts a transaction: the check applies
/// every file inside one transaction it rolls back, which a `COMMIT` would defeat. (A SQLite
/// check works on a scratch copy, so there they are harmless.)
pub fn refuse_transaction_control(migrations: &[(PathBuf, String)]) -> Result<(), Error> {
    let errors: Vec<InputError> = migrations
        .iter()
        .filter_map(|(file, text)| {
            let statement = super::sql::transaction_control(text)?;
            Some(
                InputError::in_file(
                    file,
                    format!(
                        "`{}` controls the transaction, but the check runs every migration \
                         inside one transaction it rolls back",
                        statement.lines().next().unwrap_or_default()
                    ),
                )
                .with_hint("leave BEGIN / COMMIT out of the migration files"),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(errors))
    }
}
