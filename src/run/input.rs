//! The replay recording read one exchange at a time, a little ahead of the replay: a blocking
//! thread reads and parses the next few exchanges while the current one is sent and checked,
//! and writes each recorded JSON response body out compactly, so that a live body repeating
//! it byte for byte is known without being parsed, and the values request chaining may bind
//! in each recorded response are gathered there too. The replay hands each exchange back when
//! it is done with it, and the same thread frees it. Memory stays at the read-ahead's few
//! exchanges whatever the recording's size.

use std::path::Path;

use tokio::sync::mpsc;

use serde_json::Value;

use crate::error::InputError;
use crate::link::Site;
use crate::recording::{Exchange, stream};

/// How many parsed exchanges the reading thread hands over at once: one wake-up of the replay
/// per batch, not per exchange.
const BATCH: usize = 16;

/// How many batches wait for the replay at most.
const BATCHES_AHEAD: usize = 2;

/// A recorded exchange as the replay takes it.
#[derive(Debug)]
pub(super) struct Recorded {
    pub exchange: Exchange,
    /// The response's JSON body as compact text, as a server writing it compactly sends it.
    pub body_text: Option<Vec<u8>>,
    /// The values the recorded response reveals, with their places, for request chaining
    /// ([`crate::link::site::response_values`]).
    pub revealed: Vec<(Site, Value)>,
}

impl Recorded {
    fn new(exchange: Exchange) -> Recorded {
        let body_text = (exchange.response.body.json()).and_then(|b| serde_json::to_vec(b).ok());
        let revealed = crate::link::site::response_values(&exchange.response);
        Recorded {
            exchange,
            body_text,
            revealed,
        }
    }
}

type Entry = Result<Recorded, InputError>;

/// The exchanges of a recording in order, read ahead by a blocking thread.
pub(super) struct ReadAhead {
    batches: mpsc::Receiver<Vec<Entry>>,
    current: std::vec::IntoIter<Entry>,
    /// Exchanges the replay is done with, handed back a batch at a time to be freed by the
    /// reading thread (which allocated them), off the replay's path.
    spent: Vec<Recorded>,
    give_back: std::sync::mpsc::Sender<Vec<Recorded>>,
}

impl ReadAhead {
    /// The next exchange; a bad line (the file changed since it was validated) is an error in
    /// its place, and ends the stream.
    pub(super) async fn next(&mut self) -> Option<Entry> {
        loop {
            if let Some(entry) = self.current.next() {
                return Some(entry);
            }
            self.current = self.batches.recv().await?.into_iter();
        }
    }

    /// Takes back an exchange the replay is done with.
    pub(super) fn done_with(&mut self, recorded: Recorded) {
        self.spent.push(recorded);
        if self.spent.len() == BATCH {
            let spent = std::mem::replace(&mut self.spent, Vec::with_capacity(BATCH));
            // A reading thread that stopped early frees nothing more: the batch is freed here.
            let _ = self.give_back.send(spent);
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        let _ = self.give_back.send(std::mem::take(&mut self.spent));
    }
}

pub(super) fn read_ahead(path: &Path) -> ReadAhead {
    let (tx, rx) = mpsc::channel(BATCHES_AHEAD);
    let (give_back, spent) = std::sync::mpsc::channel::<Vec<Recorded>>();
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
            spent.try_iter().for_each(drop);
            let failed = entry.is_err();
            batch.push(entry.map(|e| Recorded::new(e.exchange)));
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
        if !batch.is_empty() && tx.blocking_send(batch).is_err() {
            return;
        }
        // The end of the recording, said; the replay's last exchanges are freed here too, as
        // it finishes with them.
        drop(tx);
        spent.iter().for_each(drop);
    });
    ReadAhead {
        batches: rx,
        current: Vec::new().into_iter(),
        spent: Vec::with_capacity(BATCH),
        give_back,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_json_body_comes_with_its_compact_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.jsonl");
        std::fs::write(
            &file,
            concat!(
                "{\"request\":{\"method\":\"GET\",\"url\":\"/c/1\"},\"response\":{\"status\":200,\"body\": { \"id\" : \"C-1\", \"n\": [1, 2.5] }}}\n",
                "{\"request\":{\"method\":\"GET\",\"url\":\"/c/2\"},\"response\":{\"status\":200,\"body_text\":\"ok\"}}\n",
            ),
        )
        .unwrap();
        let mut ahead = read_ahead(&file);
        let json = ahead.next().await.unwrap().unwrap();
        assert_eq!(
            json.body_text.as_deref(),
            Some(&br#"{"id":"C-1","n":[1,2.5]}"#[..])
        );
        let text = ahead.next().await.unwrap().unwrap();
        assert_eq!(text.body_text, None);
    }

    #[tokio::test]
    async fn exchanges_handed_back_after_the_last_was_read_are_taken_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.jsonl");
        let line =
            "{\"request\":{\"method\":\"GET\",\"url\":\"/c\"},\"response\":{\"status\":200}}\n";
        std::fs::write(&file, line.repeat(BATCH * 3)).unwrap();
        let mut ahead = read_ahead(&file);
        let mut taken = Vec::new();
        while let Some(entry) = ahead.next().await {
            taken.push(entry.unwrap());
        }
        assert_eq!(taken.len(), BATCH * 3);
        for recorded in taken {
            ahead.done_with(recorded);
        }
        assert!(ahead.spent.len() < BATCH);
    }

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
            let recorded = ahead.next().await.unwrap().unwrap();
            assert_eq!(recorded.exchange.request.url, format!("/c/{i}"));
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
