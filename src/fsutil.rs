//! File input and output shared by every reader and writer: atomic replacement, appending,
//! `-` for standard output, standard output that ends quietly on a closed pipe, and reading
//! whole documents with a size cap, a stripped byte-order mark and positioned UTF-8 errors.
//!
//! Outputs follow the habits of Unix tools: a device or FIFO is written through (never
//! replaced by a regular file) as the bytes come, a symlink is followed and its target
//! replaced, `-` is standard output (also written as the bytes come), and a new file gets
//! `0666` less the umask.

use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, InputError, Position};

/// The path that means standard output (for outputs) or standard input (for inputs).
pub const STDIO: &str = "-";

/// Whether `path` is `-`, standard input or output.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == STDIO
}

/// The default cap on a document read whole: 64 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

static MAX_DOCUMENT_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_DOCUMENT_BYTES);

/// Sets the cap on documents read whole (`[limits] max_document_mib` of the project file).
pub(crate) fn set_max_document_bytes(bytes: u64) {
    MAX_DOCUMENT_BYTES.store(bytes.max(1), Ordering::Relaxed);
}

/// The cap on documents read whole, in bytes.
pub fn max_document_bytes() -> u64 {
    MAX_DOCUMENT_BYTES.load(Ordering::Relaxed)
}

/// Writes a file atomically: a temporary file in the same directory, then a rename, so a
/// reader never sees half a report. See [`AtomicFile`] for `-`, devices, FIFOs and symlinks.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|err| file.write_error(&err))?;
    file.commit()
}

/// An output written whole or not at all, committed by [`AtomicFile::commit`].
///
/// A regular file is written to a temporary file beside it and renamed over it on commit. `-`
/// (standard output) and an existing device or FIFO cannot be replaced: they are written
/// through a buffer as the bytes come, so a large document never sits whole in memory, and a
/// reader sees it grow (when the writer fails part-way it holds what was written before the
/// failure; the command's exit code says so). A symlink is followed and the file it points to
/// replaced. A replaced file keeps its mode, a new one gets `0666` less the umask. Folders
/// created for the file are removed again when it is dropped without a commit.
pub(crate) struct AtomicFile {
    path: PathBuf,
    target: PathBuf,
    sink: Sink,
    created_dirs: Vec<PathBuf>,
}

/// What [`AtomicFile`] buffers before a write reaches the file or stream: 64 KiB.
const WRITE_BUFFER: usize = 64 * 1024;

enum Sink {
    /// A temporary file beside the target, renamed over it on commit.
    Temp(BufWriter<tempfile::NamedTempFile>),
    /// Standard output, a device or a FIFO, written through as the bytes come.
    Through(BufWriter<Box<dyn Write + Send>>),
    /// Standard output, a device or a FIFO, written on commit from an unnamed temporary file
    /// ([`AtomicFile::create_held`]).
    Held {
        spool: BufWriter<std::fs::File>,
        out: Box<dyn Write + Send>,
    },
    Committed,
}

impl AtomicFile {
    /// An output at `path`; to standard output, a device or a FIFO the bytes go as they come.
    pub(crate) fn create(path: &Path) -> Result<AtomicFile, Error> {
        let mut file = AtomicFile {
            path: path.to_path_buf(),
            target: path.to_path_buf(),
            sink: Sink::Committed,
            created_dirs: Vec::new(),
        };
        if is_stdio(path) {
            file.sink = through(Box::new(stdout()));
            return Ok(file);
        }
        // What the path ends at, as the system follows it: this also reads the links of
        // `/proc/self/fd` (`/dev/stdout`, a process substitution's `/dev/fd/63`), whose text
        // names a pipe rather than a file.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_dir() {
                return Err(Error::environment(format!(
                    "cannot write {}: it is a directory",
                    path.display()
                )));
            }
            if !meta.is_file() {
                // A device, FIFO or pipe: opened now (a FIFO waits here for its reader),
                // written through.
                let device = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|err| Error::io("write", path, &err))?;
                file.sink = through(Box::new(device));
                return Ok(file);
            }
        }
        file.target = follow_symlinks(path);
        let existing = std::fs::metadata(&file.target)
            .ok()
            .filter(std::fs::Metadata::is_file);
        let dir = match file.target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        file.created_dirs = create_dirs(&dir)?;
        let tmp = new_file_builder()
            .tempfile_in(&dir)
            .map_err(|err| Error::io("create a temporary file in", &dir, &err))?;
        if let Some(meta) = &existing {
            std::fs::set_permissions(tmp.path(), meta.permissions())
                .map_err(|err| Error::io("write", tmp.path(), &err))?;
        }
        file.sink = Sink::Temp(BufWriter::with_capacity(WRITE_BUFFER, tmp));
        Ok(file)
    }

    /// As [`AtomicFile::create`], for an output written while its input is still being read
    /// (an importer's): standard output, a device or a FIFO get nothing until the commit, the
    /// bytes waiting in an unnamed temporary file (not in memory), so bad input found part-way
    /// leaves nothing half-written there either.
    pub(crate) fn create_held(path: &Path) -> Result<AtomicFile, Error> {
        let mut file = AtomicFile::create(path)?;
        file.sink = match std::mem::replace(&mut file.sink, Sink::Committed) {
            Sink::Through(through) => {
                let (out, _) = through.into_parts();
                let spool = tempfile::tempfile().map_err(|err| {
                    Error::io("create a temporary file in", &std::env::temp_dir(), &err)
                })?;
                Sink::Held {
                    spool: BufWriter::with_capacity(WRITE_BUFFER, spool),
                    out,
                }
            }
            other => other,
        };
        Ok(file)
    }

    /// Puts the written bytes in place: renames the temporary file over the target, or writes
    /// out what is still buffered for standard output, a device or a FIFO.
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.sink, Sink::Committed) {
            Sink::Temp(tmp) => {
                let tmp = tmp
                    .into_inner()
                    .map_err(|err| Error::io("write", &self.path, err.error()))?;
                tmp.as_file()
                    .sync_all()
                    .map_err(|err| Error::io("write", &self.path, &err))?;
                tmp.persist(&self.target)
                    .map_err(|err| Error::io("write", &self.path, &err.error))?;
            }
            Sink::Through(mut through) => through.flush().map_err(|err| self.write_error(&err))?,
            Sink::Held { spool, out } => {
                let mut spool = spool
                    .into_inner()
                    .map_err(|err| self.write_error(err.error()))?;
                let mut out = BufWriter::with_capacity(WRITE_BUFFER, out);
                spool
                    .rewind()
                    .and_then(|()| std::io::copy(&mut spool, &mut out))
                    .and_then(|_| out.flush())
                    .map_err(|err| self.write_error(&err))?;
            }
            Sink::Committed => {}
        }
        self.created_dirs.clear();
        Ok(())
    }

    /// The error of a failed write, naming the output.
    pub(crate) fn write_error(&self, err: &std::io::Error) -> Error {
        if is_stdio(&self.path) {
            Error::environment(format!("cannot write to standard output: {err}"))
        } else {
            Error::io("write", &self.path, err)
        }
    }
}

/// A sink writing through to `out`, buffered.
fn through(out: Box<dyn Write + Send>) -> Sink {
    Sink::Through(BufWriter::with_capacity(WRITE_BUFFER, out))
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.sink {
            Sink::Temp(tmp) => tmp.write(buf),
            Sink::Through(through) => through.write(buf),
            Sink::Held { spool, .. } => spool.write(buf),
            Sink::Committed => Ok(0),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Temp(tmp) => tmp.write_all(buf),
            Sink::Through(through) => through.write_all(buf),
            Sink::Held { spool, .. } => spool.write_all(buf),
            Sink::Committed => Ok(()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Temp(tmp) => tmp.flush(),
            Sink::Through(through) => through.flush(),
            Sink::Held { spool, .. } => spool.flush(),
            Sink::Committed => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not committed: what is still buffered for a stream is dropped, not written (its
        // reader already has the part written before the failure); the temporary file removes
        // itself; folders made for it go too (innermost first).
        match std::mem::replace(&mut self.sink, Sink::Committed) {
            Sink::Through(through) => drop(through.into_parts()),
            Sink::Held { spool, .. } => drop(spool.into_parts()),
            _ => {}
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Creates `dir` and its missing parents; returns the folders it created, outermost first.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(d) = current {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        current = d.parent();
    }
    missing.reverse();
    std::fs::create_dir_all(dir).map_err(|err| Error::io("create directory", dir, &err))?;
    Ok(missing)
}

/// A temporary-file builder whose files are created `0666` less the umask, like any file a
/// Unix tool creates (tempfile's own default is `0600`).
fn new_file_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".interlock-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// The file a chain of symlinks ends at (the path itself when it is no symlink); a loop or
/// an overly long chain stops at the last link, whose replacement then fails or replaces it.
fn follow_symlinks(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        let is_link = std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return current;
        }
        let Ok(target) = std::fs::read_link(&current) else {
            return current;
        };
        current = if target.is_absolute() {
            target
        } else {
            current.parent().unwrap_or(Path::new("")).join(target)
        };
    }
    current
}

/// Appends text to a file, creating it: what earlier writers (e.g. a CI job's earlier steps
/// in `$GITHUB_STEP_SUMMARY`) put there stays. `-` appends to standard output.
pub(crate) fn append_text(path: &Path, text: &str) -> Result<(), Error> {
    if is_stdio(path) {
        return write_atomic(path, text.as_bytes());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|err| Error::io("append to", path, &err))
}

/// Standard output that ends the process quietly, with status 0, when the reader has gone
/// (`interlock check | head -1`), as ripgrep does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

/// Standard output through [`Stdout`].
pub fn stdout() -> Stdout {
    Stdout
}

fn quiet_on_broken_pipe<T>(result: std::io::Result<T>) -> std::io::Result<T> {
    match result {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        quiet_on_broken_pipe(std::io::stdout().lock().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        quiet_on_broken_pipe(std::io::stdout().lock().write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        quiet_on_broken_pipe(std::io::stdout().lock().flush())
    }
}

/// What `print!` does, through [`Stdout`]; any other write error is ignored, as there is
/// nowhere left to say it.
pub fn print_out(args: std::fmt::Arguments<'_>) {
    let mut out = stdout();
    let _ = out.write_fmt(args).and_then(|()| out.flush());
}

/// `println!` through [`Stdout`]: a closed pipe ends the process quietly.
#[macro_export]
macro_rules! outln {
    () => { $crate::fsutil::print_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::fsutil::print_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`Stdout`]: a closed pipe ends the process quietly.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::fsutil::print_out(format_args!($($arg)*)) };
}

/// Reads a document whole: at most [`max_document_bytes`], from a regular file (or standard
/// input for `-`), as UTF-8 with a leading byte-order mark removed. Invalid UTF-8 is an input
/// error naming the byte offset; an unreadable file is an input error naming the file.
pub fn read_document(path: &Path, what: &str) -> Result<String, InputError> {
    let limit = max_document_bytes();
    let bytes = if is_stdio(path) {
        read_capped(std::io::stdin().lock(), limit)
    } else {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(InputError::in_file(
                    path,
                    format!("cannot read {what}: it is a directory"),
                ));
            }
            Ok(meta) if !meta.is_file() => {
                return Err(InputError::in_file(
                    path,
                    format!("cannot read {what}: not a regular file"),
                ));
            }
            _ => {}
        }
        std::fs::File::open(path).and_then(|f| read_capped(f, limit))
    }
    .map_err(|err| InputError::in_file(path, format!("cannot read {what}: {err}")))?;
    let Some(bytes) = bytes else {
        return Err(too_large(path, what, limit));
    };
    decode_text(path, bytes)
}

fn too_large(path: &Path, what: &str, limit: u64) -> InputError {
    InputError::in_file(
        path,
        format!(
            "{what} is larger than {} MiB, the cap on a document read whole",
            limit / (1024 * 1024)
        ),
    )
    .with_hint(
        "raise `[limits] max_document_mib` in interlock.toml if the file is meant to be this large",
    )
}

/// Reads at most `limit` bytes; `None` when there is more.
fn read_capped(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Bytes as text without a leading byte-order mark; invalid UTF-8 names its byte offset.
pub fn decode_text(path: &Path, bytes: Vec<u8>) -> Result<String, InputError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(strip_bom(&text).to_string()),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let before = &err.as_bytes()[..offset];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = offset
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            Err(InputError::new(
                path,
                Position::LineColumn { line, column },
                format!("invalid UTF-8 at byte offset {offset}"),
            )
            .with_hint("save the file as UTF-8"))
        }
    }
}

/// Text without a leading UTF-8 byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// How many folder entries a walk looks at before it gives up: a project's folder, not a file
/// system's.
const WALK_BUDGET: usize = 100_000;
/// How deep a walk goes.
const WALK_DEPTH: usize = 32;

/// The path with symlinks resolved, or the path itself when that fails.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The files under `dir` that `keep` accepts, recursively. Symlinked folders are not followed
/// (no loops, no leaving the project); a symlinked file counts only when it points inside `dir`.
/// A folder more than [`WALK_BUDGET`] entries large is an input error naming `what` (e.g. "the
/// scenarios folder") with `hint`; levels deeper than [`WALK_DEPTH`] are not read. Folders that
/// cannot be read are skipped, except `dir` itself when `must_read` is set.
pub(crate) fn walk_files(
    dir: &Path,
    what: &str,
    hint: &str,
    must_read: bool,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, InputError> {
    let top = canonical(dir);
    let mut budget = WALK_BUDGET;
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), 0usize)];
    while let Some((current, depth)) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(err) if must_read && depth == 0 => {
                return Err(InputError::in_file(
                    dir,
                    format!("cannot read directory: {err}"),
                ));
            }
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            budget = budget.checked_sub(1).ok_or_else(|| {
                InputError::in_file(
                    dir,
                    format!(
                        "{what} holds more than {WALK_BUDGET} entries; it is not a project folder"
                    ),
                )
                .with_hint(hint)
            })?;
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if depth < WALK_DEPTH {
                    pending.push((path, depth + 1));
                }
            } else if keep(&path)
                && (kind.is_file() || (path.is_file() && canonical(&path).starts_with(&top)))
            {
                files.push(path);
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_is_stripped_and_bad_utf8_names_its_offset() {
        let p = Path::new("x.json");
        assert_eq!(decode_text(p, b"\xef\xbb\xbf{}".to_vec()).unwrap(), "{}");
        let err = decode_text(p, b"{\n\"a\xff\"}".to_vec()).unwrap_err();
        assert_eq!(err.position, Position::LineColumn { line: 2, column: 3 });
        assert!(err.message.contains("byte offset 4"), "{}", err.message);
    }

    #[test]
    fn reads_are_capped() {
        assert_eq!(
            read_capped(&b"abcd"[..], 4).unwrap(),
            Some(b"abcd".to_vec())
        );
        assert_eq!(read_capped(&b"abcde"[..], 4).unwrap(), None);
    }
}
