//! The replay recording read one exchange at a time, a little ahead of the replay: a blocking
//! thread reads and parses the next few exchanges while the current one is sent and checked.
//! Memory stays at the read-ahead's few exchanges whatever the recording's size.

use std::path::Path;

use tokio::sync::mpsc;

use crate::error::InputError;
use crate::recording::{Exchange, stream};

/// How many parsed exchanges the reading thread hands over at once: one wake-up of the replay
/// per batch, not per exchange.
const BATCH: usize = 16;

/// How many batches wait for the replay at most.
const BATCHES_AHEAD: usize = 2;

/// The exchanges of a recording in order, read ahead by a blocking thread.
pub(super) struct ReadAhead {
    batches: mpsc::Receiver<Vec<Result<Exchange, InputError>>>,
    current: std::vec::IntoIter<Result<Exchange, InputError>>,
}

impl ReadAhead {
    /// The next exchange; a bad line (the file changed since it was validated) is an error in
    /// its place, and ends the stream.
    pub(super) async fn next(&mut self) -> Option<Result<Exchange, InputError>> {
        loop {
            if let Some(entry) = self.current.next() {
                return Some(entry);
            }
            self.current = self.batches.recv().await?.into_iter();
        }
    }
}

pub(super) fn read_ahead(path: &Path) -> ReadAhead {
    let (tx, rx) = mpsc::channel(BATCHES_AHEAD);
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let lines = match stream::open(&path) {
            Ok(lines) => lines,
            Err(err) => {
                let _ = tx.blocking_send(vec![Err(err)]);
                return;
            }
        };
        let mut batch = Vec::with_capacity(BATCH);
        for entry in lines {
            let failed = entry.is_err();
            batch.push(entry.map(|e| e.exchange));
            if (batch.len() == BATCH || failed)
                && tx
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .is_err()
            {
                return;
            }
            if failed {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
    });
    ReadAhead {
        batches: rx,
        current: Vec::new().into_iter(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_exchange_comes_in_order_and_a_bad_line_ends_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.jsonl");
        let mut lines = String::new();
        for i in 0..(BATCH * 2 + 3) {
            lines.push_str(&format!(
                "{{\"request\":{{\"method\":\"GET\",\"url\":\"/c/{i}\"}},\"response\":{{\"status\":200}}}}\n"
            ));
        }
        lines.push_str("{\"request\":\n");
        lines.push_str(
            "{\"request\":{\"method\":\"GET\",\"url\":\"/after\"},\"response\":{\"status\":200}}\n",
        );
        std::fs::write(&file, lines).unwrap();
        let mut ahead = read_ahead(&file);
        for i in 0..(BATCH * 2 + 3) {
            let exchange = ahead.next().await.unwrap().unwrap();
            assert_eq!(exchange.request.url, format!("/c/{i}"));
        }
        let bad = ahead.next().await.unwrap().unwrap_err();
        assert!(
            bad.to_string()
                .contains(&format!("r.jsonl:{}", BATCH * 2 + 4)),
            "{bad}"
        );
        assert!(ahead.next().await.is_none());
    }
}
