//! Recordings read one exchange at a time, for recordings too large to hold.
//!
//! [`Lines`] walks a recording file line by line and yields each exchange with where it sits
//! (its 1-based line, its byte offset and length), holding one line at a time. An exchange
//! whose place is known is read again later with [`read_at`], a positioned read that needs no
//! seek and so can be shared between tasks. Lines are judged as [`super::parse`] judges them;
//! a line longer than the cap on one line is skipped without being held.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::Exchange;
use crate::error::{InputError, Position};

/// Where one exchange of a recording sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset of the line's first byte.
    pub offset: u64,
    /// Length of the line in bytes, without its line break.
    pub len: u32,
}

/// One exchange read from a recording, with its place.
#[derive(Debug, Clone)]
pub struct Entry {
    pub place: Place,
    pub exchange: Exchange,
}

/// The exchanges of a recording file, one line at a time.
pub struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    line: usize,
    offset: u64,
    buf: Vec<u8>,
    /// The cap on one line, in bytes.
    limit: u64,
}

/// Opens a recording to read it line by line.
pub fn open(path: &Path) -> Result<Lines, InputError> {
    let file = File::open(path)
        .map_err(|err| InputError::in_file(path, format!("cannot read recording: {err}")))?;
    Ok(Lines {
        path: path.to_path_buf(),
        // Large enough that a read is rarely a syscall per line, small enough that a scenario
        // of a few exchanges does not pay for a quarter-megabyte buffer.
        reader: BufReader::with_capacity(64 * 1024, file),
        line: 0,
        offset: 0,
        buf: Vec::new(),
        limit: crate::fsutil::max_document_bytes(),
    })
}

impl Lines {
    /// The same reader with another cap on one line.
    #[cfg(test)]
    fn with_limit(mut self, limit: u64) -> Lines {
        self.limit = limit;
        self
    }

    /// The next line's bytes (line break removed) and where it starts, or `None` at the end;
    /// a line over `limit` bytes is consumed and comes back empty with `over: true`.
    fn next_line(&mut self, limit: u64) -> Option<Result<(u64, bool), InputError>> {
        self.buf.clear();
        let start = self.offset;
        let mut over = false;
        loop {
            let read = (&mut self.reader)
                .take(limit.saturating_add(2))
                .read_until(b'\n', &mut self.buf);
            let read = match read {
                Ok(read) => read,
                Err(err) => {
                    return Some(Err(InputError::new(
                        &self.path,
                        Position::Line(self.line + 1),
                        format!("cannot read recording: {err}"),
                    )));
                }
            };
            self.offset += read as u64;
            if read == 0 || self.buf.ends_with(b"\n") {
                break;
            }
            if self.buf.len() as u64 > limit {
                over = true;
                self.buf.clear();
            }
        }
        if self.offset == start {
            return None;
        }
        self.line += 1;
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        Some(Ok((start, over)))
    }
}

impl Iterator for Lines {
    type Item = Result<Entry, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        let limit = self.limit;
        loop {
            let (offset, over) = match self.next_line(limit)? {
                Ok(line) => line,
                Err(err) => return Some(Err(err)),
            };
            let at_line =
                |message: String| InputError::new(&self.path, Position::Line(self.line), message);
            if over {
                return Some(Err(at_line(super::too_long(limit))));
            }
            let bytes = if self.line == 1 {
                self.buf
                    .strip_prefix("\u{feff}".as_bytes())
                    .unwrap_or(&self.buf)
            } else {
                &self.buf
            };
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(err) => {
                    return Some(Err(InputError::new(
                        &self.path,
                        Position::LineColumn {
                            line: self.line,
                            column: err.valid_up_to() + 1,
                        },
                        format!(
                            "invalid UTF-8 at byte offset {}",
                            offset + err.valid_up_to() as u64
                        ),
                    )
                    .with_hint("save the file as UTF-8")));
                }
            };
            let place = Place {
                line: self.line,
                offset,
                len: self.buf.len() as u32,
            };
            match super::parse_line(&self.path, self.line, text) {
                Some(Ok(exchange)) => return Some(Ok(Entry { place, exchange })),
                Some(Err(err)) => return Some(Err(err)),
                None => continue,
            }
        }
    }
}

/// Reads the exchange at `place` of an open recording file again.
pub fn read_at(path: &Path, file: &File, place: Place) -> Result<Exchange, InputError> {
    let mut bytes = vec![0; place.len as usize];
    positioned_read(file, &mut bytes, place.offset).map_err(|err| {
        InputError::new(
            path,
            Position::Line(place.line),
            format!("cannot read recording: {err}"),
        )
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        InputError::new(
            path,
            Position::Line(place.line),
            "the recording changed while it was read: the line is no longer UTF-8",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match super::parse_line(path, place.line, text) {
        Some(result) => result,
        None => Err(InputError::new(
            path,
            Position::Line(place.line),
            "the recording changed while it was read: the line is now blank",
        )),
    }
}

/// Reads `buf.len()` bytes at `offset`, whatever the file's cursor.
#[cfg(unix)]
pub(crate) fn positioned_read(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Reads `buf.len()` bytes at `offset`.
#[cfg(windows)]
pub(crate) fn positioned_read(
    file: &File,
    mut buf: &mut [u8],
    mut offset: u64,
) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// Reads a whole recording in one streaming pass without keeping its exchanges: the number of
/// exchanges, or every bad line.
pub fn validate(path: &Path) -> Result<usize, Vec<InputError>> {
    let mut count = 0;
    let mut errors = Vec::new();
    for entry in open(path).map_err(|err| vec![err])? {
        match entry {
            Ok(_) => count += 1,
            Err(err) => errors.push(err),
        }
    }
    if errors.is_empty() {
        Ok(count)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"request":{"method":"GET","url":"/a/1"},"response":{"status":200,"body":{"id":"C-1"}}}"#;

    fn write(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn yields_each_exchange_with_its_line_offset_and_length() {
        let text = format!("\u{feff}{LINE}\r\n\n{LINE}\n{LINE}");
        let (_dir, path) = write(text.as_bytes());
        let entries: Vec<Entry> = open(&path)
            .expect("open")
            .map(|e| e.expect("entry"))
            .collect();
        let places: Vec<(usize, u64)> = entries
            .iter()
            .map(|e| (e.place.line, e.place.offset))
            .collect();
        let bom = 3;
        let first = (bom + LINE.len() + 2) as u64;
        assert_eq!(
            places,
            vec![
                (1, 0),
                (3, first + 1),
                (4, first + 1 + LINE.len() as u64 + 1)
            ]
        );
        let file = File::open(&path).expect("file");
        for entry in &entries {
            let again = read_at(&path, &file, entry.place).expect("read again");
            assert_eq!(again.request.url, "/a/1");
        }
    }

    #[test]
    fn bad_lines_are_reported_with_their_numbers_and_the_rest_read() {
        let text = format!("{LINE}\n{}\n\u{ff}{LINE}\n{LINE}\n", &LINE[..30]);
        let mut bytes = text.into_bytes();
        let bad = bytes
            .iter()
            .position(|b| *b == 0xc3)
            .expect("non-ascii byte");
        bytes[bad] = 0xff;
        let (_dir, path) = write(&bytes);
        let results: Vec<_> = open(&path).expect("open").collect();
        assert_eq!(results.len(), 4);
        let errors: Vec<&InputError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors[0].position, Position::Line(2));
        assert!(
            errors[0].message.contains("truncated"),
            "{}",
            errors[0].message
        );
        assert_eq!(
            errors[1].position,
            Position::LineColumn { line: 3, column: 1 }
        );
        assert_eq!(validate(&path).expect_err("bad lines").len(), 2);
    }

    #[test]
    fn a_line_over_the_cap_is_skipped_without_being_held() {
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(4096));
        let text = format!("{LINE}\n{long}\n{LINE}\n");
        let (_dir, path) = write(text.as_bytes());
        let results: Vec<_> = open(&path).expect("open").with_limit(1024).collect();
        assert!(results[0].is_ok());
        let err = results[1].as_ref().expect_err("too long");
        assert_eq!(err.position, Position::Line(2));
        assert!(
            err.message.contains("cap on one recording line"),
            "{}",
            err.message
        );
        assert_eq!(results[2].as_ref().expect("third").place.line, 3);
    }
}
