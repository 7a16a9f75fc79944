//! What a file report writes for each exchange, kept in a temporary file per scenario while
//! the run goes on, so the report of a million exchanges is assembled at the end without
//! holding them.
//!
//! An exchange the run keeps to the end ([`ExchangeResult::kept_to_the_end`]: it has a finding
//! or an error) is spooled as its index only: it is rendered at the end, with its findings'
//! causes. Any other exchange is spooled as the report's finished text for it. The temporary
//! files are created beside the report (or in the system's temporary folder when that is not
//! possible, e.g. for `-`), unnamed, so nothing is left behind however the run ends.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::model::ExchangeResult;

/// One spooled exchange, in order.
pub(crate) enum Piece<'a> {
    /// The report's text for an exchange the run did not keep.
    Text(&'a [u8]),
    /// An exchange the run kept, by its index in the scenario.
    Kept(usize),
}

const TEXT: u8 = b'T';
const KEPT: u8 = b'K';

/// The spools of one report, by scenario name.
pub(crate) struct Spool {
    dir: PathBuf,
    files: HashMap<String, BufWriter<File>>,
}

impl Spool {
    /// Spools for the report written to `output`: beside it, in the system's temporary folder
    /// for `-`.
    pub(crate) fn beside(output: &Path) -> Spool {
        let dir = match output.parent() {
            _ if crate::fsutil::is_stdio(output) => std::env::temp_dir(),
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Spool {
            dir,
            files: HashMap::new(),
        }
    }

    /// Whether exchanges of `scenario` were spooled.
    pub(crate) fn has(&self, scenario: &str) -> bool {
        self.files.contains_key(scenario)
    }

    /// Spools a finished exchange: `render` gives the report's text for one the run does not
    /// keep.
    pub(crate) fn add(
        &mut self,
        scenario: &str,
        exchange: &ExchangeResult,
        render: impl FnOnce(&ExchangeResult) -> Vec<u8>,
    ) -> std::io::Result<()> {
        let file = match self.files.get_mut(scenario) {
            Some(file) => file,
            None => {
                let file = tempfile::tempfile_in(&self.dir).or_else(|_| tempfile::tempfile())?;
                self.files
                    .entry(scenario.to_owned())
                    .or_insert(BufWriter::new(file))
            }
        };
        if exchange.kept_to_the_end() {
            file.write_all(&[KEPT])?;
            file.write_all(&(exchange.index as u64).to_le_bytes())
        } else {
            let text = render(exchange);
            file.write_all(&[TEXT])?;
            file.write_all(&(text.len() as u64).to_le_bytes())?;
            file.write_all(&text)
        }
    }

    /// Hands every spooled exchange of `scenario` to `f`, in order.
    pub(crate) fn replay(
        &mut self,
        scenario: &str,
        mut f: impl FnMut(Piece<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let Some(file) = self.files.get_mut(scenario) else {
            return Ok(());
        };
        file.flush()?;
        let mut file = file.get_ref();
        file.rewind()?;
        let mut reader = BufReader::new(file);
        let mut text = Vec::new();
        let mut tag = [0u8; 1];
        let mut number = [0u8; 8];
        loop {
            match reader.read_exact(&mut tag) {
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => break,
                other => other?,
            }
            reader.read_exact(&mut number)?;
            let n = usize::try_from(u64::from_le_bytes(number)).unwrap_or(usize::MAX);
            if tag[0] == KEPT {
                f(Piece::Kept(n))?;
            } else {
                text.clear();
                reader.by_ref().take(n as u64).read_to_end(&mut text)?;
                f(Piece::Text(&text))?;
            }
        }
        // Further exchanges (none in a run) would be appended after what was read.
        file.seek(std::io::SeekFrom::End(0))?;
        Ok(())
    }
}

/// The exchange of `exchanges` (in index order) at `index`.
pub(crate) fn kept_at(exchanges: &[ExchangeResult], index: usize) -> Option<&ExchangeResult> {
    exchanges
        .binary_search_by_key(&index, |e| e.index)
        .ok()
        .map(|at| &exchanges[at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooled_pieces_come_back_in_order_per_scenario() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut spool = Spool::beside(&dir.path().join("report.json"));
        let passed = |index| ExchangeResult {
            index,
            name: format!("GET /x #{}", index + 1),
            method: "GET".into(),
            url: "/x".into(),
            interface: None,
            recorded_status: 200,
            live_status: Some(200),
            duration: std::time::Duration::ZERO,
            recorded_duration_ms: None,
            findings: Vec::new(),
            error: None,
            recorded_body: None,
            live_body: None,
            skipped: false,
        };
        let mut failed = passed(1);
        failed.error = Some("refused".into());
        let render = |e: &ExchangeResult| e.name.clone().into_bytes();
        spool.add("a", &passed(0), render).expect("spool");
        spool.add("b", &passed(0), render).expect("spool");
        spool.add("a", &failed, render).expect("spool");
        spool.add("a", &passed(2), render).expect("spool");
        let mut seen = Vec::new();
        spool
            .replay("a", |piece| {
                seen.push(match piece {
                    Piece::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    Piece::Kept(i) => format!("kept {i}"),
                });
                Ok(())
            })
            .expect("replay");
        assert_eq!(seen, ["GET /x #1", "kept 1", "GET /x #3"]);
        assert!(spool.has("b") && !spool.has("c"));
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "the spools are unnamed"
        );
    }
}
