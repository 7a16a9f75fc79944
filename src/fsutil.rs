//! File output shared by every writer: atomic replacement and appending.

use std::io::Write;
use std::path::Path;

use crate::error::Error;

/// Writes a file atomically: a temporary file in the same directory, then a rename, so a
/// reader never sees half a report.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
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

/// Appends text to a file, creating it: what earlier writers (e.g. a CI job's earlier steps
/// in `$GITHUB_STEP_SUMMARY`) put there stays.
pub(crate) fn append_text(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|err| Error::io("append to", path, &err))
}
