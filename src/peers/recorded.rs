//! Where a peer's recorded exchanges come from, and reading one of them back.
//!
//! A peer serves a recording file ([`Recorded::File`]) or exchanges a caller holds in memory
//! ([`Recorded::Exchanges`]). A file up to [`CACHE_BYTES`] is read whole and kept, as
//! exchanges in memory are: matching and serving then touch no file. A larger one is read in
//! one streaming pass that keeps, per exchange, only where it sits in the file; a recorded
//! request or response is read again by position when it is needed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::spots::Spots;
use crate::error::{Error, InputError};
use crate::recording::stream::{self, Place};
use crate::recording::{Exchange, Request};

/// Recording files up to this size are held in memory, larger ones served from their file.
pub(crate) const CACHE_BYTES: u64 = 1024 * 1024;

/// The exchanges a peer serves.
#[derive(Debug, Clone)]
pub enum Recorded {
    /// A recording file (one exchange per line), read when the peer starts.
    File(PathBuf),
    /// A recording file with some recorded requests replaced, by 0-based exchange: a replay
    /// recording whose `${name}` placeholders are filled in with recorded values.
    Edited(PathBuf, BTreeMap<usize, Request>),
    /// Exchanges held in memory, in recorded order.
    Exchanges(Vec<Exchange>),
}

impl From<Vec<Exchange>> for Recorded {
    fn from(exchanges: Vec<Exchange>) -> Self {
        Recorded::Exchanges(exchanges)
    }
}

impl From<PathBuf> for Recorded {
    fn from(path: PathBuf) -> Self {
        Recorded::File(path)
    }
}

/// The recorded exchanges as a peer keeps them.
#[derive(Debug)]
pub(crate) enum Store {
    /// Every exchange in memory, with its line in the file when it came from one.
    Memory {
        exchanges: Vec<Exchange>,
        lines: Option<Vec<usize>>,
    },
    /// Only where each exchange sits in the file, and the requests that replace recorded ones.
    File {
        path: PathBuf,
        file: File,
        spots: Spots,
        requests: BTreeMap<usize, Request>,
    },
}

impl Store {
    pub(crate) fn len(&self) -> usize {
        match self {
            Store::Memory { exchanges, .. } => exchanges.len(),
            Store::File { spots, .. } => spots.len(),
        }
    }

    /// The 1-based line of an exchange in its recording file; its position for exchanges
    /// given in memory.
    pub(crate) fn line(&self, index: usize) -> usize {
        match self {
            Store::Memory {
                lines: Some(lines), ..
            } => lines.get(index).copied().unwrap_or(0),
            Store::Memory { lines: None, .. } => index + 1,
            Store::File { spots, .. } => spots.get(index).map_or(0, |s| s.line),
        }
    }

    /// One recorded exchange: borrowed from memory or read from the file by position.
    pub(crate) fn read(&self, index: usize) -> Result<Cow<'_, Exchange>, InputError> {
        match self {
            Store::Memory { exchanges, .. } => exchanges
                .get(index)
                .map(Cow::Borrowed)
                .ok_or_else(|| InputError::usage(format!("no recorded exchange #{}", index + 1))),
            Store::File {
                path,
                file,
                spots,
                requests,
            } => {
                let spot = spots.get(index).ok_or_else(|| {
                    InputError::in_file(path, format!("no recorded exchange #{}", index + 1))
                })?;
                let mut exchange = stream::read_at(path, file, spot)?;
                if let Some(request) = requests.get(&index) {
                    exchange.request = request.clone();
                }
                Ok(Cow::Owned(exchange))
            }
        }
    }
}

/// A recording file's exchanges, one at a time, with their places and with the requests in
/// `requests` (by 0-based exchange) in place of the recorded ones; every bad line is
/// collected into one input error.
pub(crate) fn each(
    path: &Path,
    requests: &BTreeMap<usize, Request>,
    mut visit: impl FnMut(Place, Exchange),
) -> Result<(), Error> {
    let mut errors = Vec::new();
    let mut index = 0;
    for entry in stream::open(path)? {
        match entry {
            Ok(mut entry) => {
                if let Some(request) = requests.get(&index) {
                    entry.exchange.request = request.clone();
                }
                index += 1;
                visit(entry.place, entry.exchange);
            }
            Err(err) => errors.push(err),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(errors))
    }
}

/// Whether a recording file is small enough to hold in memory.
pub(crate) fn cached(path: &Path) -> Result<bool, Error> {
    let meta = std::fs::metadata(path)
        .map_err(|err| InputError::in_file(path, format!("cannot read recording: {err}")))?;
    Ok(meta.len() <= CACHE_BYTES)
}

/// How many lines a file has, counting a last line without a line break: enough room for
/// its exchanges.
pub(crate) fn lines(path: &Path) -> Result<usize, Error> {
    let cannot =
        |err: std::io::Error| InputError::in_file(path, format!("cannot read recording: {err}"));
    let mut file = File::open(path).map_err(cannot)?;
    let mut buffer = vec![0u8; 256 * 1024];
    let (mut lines, mut last) = (0, b'\n');
    loop {
        let read = match std::io::Read::read(&mut file, &mut buffer) {
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(cannot(err).into()),
        };
        let Some(&end) = buffer[..read].last() else {
            break;
        };
        lines += buffer[..read].iter().filter(|&&b| b == b'\n').count();
        last = end;
    }
    Ok(lines + usize::from(last != b'\n'))
}

/// Opens a recording file for positioned reads.
pub(crate) fn open(path: &Path) -> Result<File, Error> {
    File::open(path)
        .map_err(|err| InputError::in_file(path, format!("cannot read recording: {err}")).into())
}
