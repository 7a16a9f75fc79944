//! File output shared by every writer: atomic replacement, appending, `-` for standard
//! output, and standard output that ends quietly on a closed pipe.
//!
//! Outputs follow the habits of Unix tools: a device or FIFO is written through (never
//! replaced by a regular file), a symlink is followed and its target replaced, `-` is
//! standard output, and a new file gets `0666` less the umask.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The path that means standard output (for outputs) or standard input (for inputs).
pub const STDIO: &str = "-";

/// Whether `path` is `-`, standard input or output.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == STDIO
}

/// Writes a file atomically: a temporary file in the same directory, then a rename, so a
/// reader never sees half a report. See [`AtomicFile`] for `-`, devices, FIFOs and symlinks.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|err| Error::io("write", path, &err))?;
    file.commit()
}

/// An output written whole or not at all, committed by [`AtomicFile::commit`].
///
/// `-` is standard output; an existing device or FIFO is written through (never replaced by a
/// regular file); a symlink is followed and the file it points to replaced. A replaced file
/// keeps its mode, a new one gets `0666` less the umask. Folders created for the file are
/// removed again when it is dropped without a commit.
pub(crate) struct AtomicFile {
    path: PathBuf,
    target: PathBuf,
    sink: Sink,
    created_dirs: Vec<PathBuf>,
}

enum Sink {
    /// A temporary file beside the target, renamed over it on commit.
    Temp(tempfile::NamedTempFile),
    /// Bytes for standard output, a device or a FIFO, written on commit.
    Buffer(Vec<u8>),
    Committed,
}

impl AtomicFile {
    pub(crate) fn create(path: &Path) -> Result<AtomicFile, Error> {
        let mut file = AtomicFile {
            path: path.to_path_buf(),
            target: path.to_path_buf(),
            sink: Sink::Buffer(Vec::new()),
            created_dirs: Vec::new(),
        };
        if is_stdio(path) {
            return Ok(file);
        }
        file.target = follow_symlinks(path);
        let existing = std::fs::metadata(&file.target).ok();
        if let Some(meta) = &existing {
            if meta.is_dir() {
                return Err(Error::environment(format!(
                    "cannot write {}: it is a directory",
                    path.display()
                )));
            }
            if !meta.is_file() {
                return Ok(file);
            }
        }
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
        file.sink = Sink::Temp(tmp);
        Ok(file)
    }

    /// Puts the written bytes in place.
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.sink, Sink::Committed) {
            Sink::Temp(tmp) => {
                tmp.as_file()
                    .sync_all()
                    .map_err(|err| Error::io("write", &self.path, &err))?;
                tmp.persist(&self.target)
                    .map_err(|err| Error::io("write", &self.path, &err.error))?;
            }
            Sink::Buffer(bytes) if is_stdio(&self.path) => {
                let mut out = stdout();
                out.write_all(&bytes)
                    .and_then(|()| out.flush())
                    .map_err(|err| {
                        Error::environment(format!("cannot write to standard output: {err}"))
                    })?;
            }
            Sink::Buffer(bytes) => std::fs::OpenOptions::new()
                .write(true)
                .open(&self.target)
                .and_then(|mut f| f.write_all(&bytes))
                .map_err(|err| Error::io("write", &self.path, &err))?,
            Sink::Committed => {}
        }
        self.created_dirs.clear();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.sink {
            Sink::Temp(tmp) => tmp.write(buf),
            Sink::Buffer(bytes) => {
                bytes.extend_from_slice(buf);
                Ok(buf.len())
            }
            Sink::Committed => Ok(0),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Temp(tmp) => tmp.flush(),
            _ => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // The temporary file removes itself; folders made for it go too (innermost first).
        self.sink = Sink::Committed;
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
