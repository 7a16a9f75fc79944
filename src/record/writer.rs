//! The append-only recording writer: one thread owns the file; request handlers hand it an
//! exchange and wait until its line is on disk before answering their client.
//!
//! Lines waiting at the same moment are written with one `write` call and one `fsync` (group
//! commit), so concurrency does not serialise on the disk. Because a handler answers only after
//! its line is written, every exchange a client has fully received is in the file even after a
//! `kill -9`; a line is written whole by one `write` call, so the file never ends in half a line
//! written by the recorder.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::error::Error;
use crate::recording::{self, Exchange};

/// One exchange to append and who to tell when it is on disk.
struct Job {
    line: String,
    done: oneshot::Sender<Result<(), String>>,
}

enum Message {
    Append(Job),
    /// Write what came before, then end.
    Stop,
}

/// A handle to the writer thread; cloneable senders live in the request handlers.
pub(crate) struct Writer {
    sender: mpsc::Sender<Message>,
    thread: JoinHandle<()>,
}

/// What request handlers use to append.
#[derive(Clone)]
pub(crate) struct Appender {
    sender: mpsc::Sender<Message>,
}

impl Writer {
    /// Opens (or creates) `path` for appending. A file whose last line has no newline gets one
    /// first, so the next exchange starts on its own line.
    ///
    /// With `sync`, every batch is also `fsync`ed before its handlers are told, so a power loss
    /// cannot lose an answered exchange either; without it a `kill -9` still loses nothing
    /// answered (the bytes are in the kernel), only a machine crash can.
    pub(crate) fn open(path: &Path, sync: bool) -> Result<(Writer, Appender), Error> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(|err| Error::io("open the recording", path, &err))?;
        if ends_without_newline(&mut file) {
            file.write_all(b"\n")
                .map_err(|err| Error::io("write to", path, &err))?;
        }
        let (sender, receiver) = mpsc::channel::<Message>();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("recording-writer".into())
            .spawn(move || write_loop(file, &path, sync, &receiver))
            .map_err(|err| Error::environment(format!("cannot start the writer thread: {err}")))?;
        Ok((
            Writer {
                sender: sender.clone(),
                thread,
            },
            Appender { sender },
        ))
    }

    /// Writes every exchange appended so far, then stops the thread.
    pub(crate) fn finish(self) {
        let _ = self.sender.send(Message::Stop);
        let _ = self.thread.join();
    }
}

impl Appender {
    /// Appends one exchange; resolves once its line is written and synced.
    pub(crate) async fn append(&self, exchange: &Exchange) -> Result<(), String> {
        let mut line = recording::to_line(exchange);
        line.push('\n');
        let (done, written) = oneshot::channel();
        self.sender
            .send(Message::Append(Job { line, done }))
            .map_err(|_| "the recording writer has stopped".to_string())?;
        written
            .await
            .map_err(|_| "the recording writer has stopped".to_string())?
    }
}

fn ends_without_newline(file: &mut File) -> bool {
    let mut last = [0u8; 1];
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    len > 0
        && file.seek(SeekFrom::Start(len - 1)).is_ok()
        && file.read_exact(&mut last).is_ok()
        && last[0] != b'\n'
}

fn write_loop(mut file: File, path: &Path, sync: bool, receiver: &mpsc::Receiver<Message>) {
    let mut stopping = false;
    while !stopping {
        let Ok(first) = receiver.recv() else { break };
        let mut jobs = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Append(job) => jobs.push(job),
                Message::Stop => stopping = true,
            }
            next = if stopping {
                None
            } else {
                receiver.try_recv().ok()
            };
        }
        if jobs.is_empty() {
            continue;
        }
        let batch: String = jobs.iter().map(|j| j.line.as_str()).collect();
        let result = file
            .write_all(batch.as_bytes())
            .and_then(|()| file.flush())
            .and_then(|()| if sync { file.sync_data() } else { Ok(()) })
            .map_err(|err| format!("cannot append to {}: {err}", path.display()));
        for job in jobs {
            let _ = job.done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::{Body, Request, Response};

    fn exchange(url: &str) -> Exchange {
        Exchange {
            interface: None,
            peer: None,
            request: Request {
                method: "GET".into(),
                url: url.into(),
                headers: Default::default(),
                body: Body::default(),
            },
            response: Response {
                status: 200,
                headers: Default::default(),
                body: Body::default(),
            },
            duration_ms: None,
            recorded_at: None,
            pseudonymised: Vec::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn appends_after_a_line_without_newline_and_writes_everything_before_stop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, recording::to_line(&exchange("/old"))).unwrap();
        let (writer, appender) = Writer::open(&path, true).unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let appender = appender.clone();
                tokio::spawn(async move { appender.append(&exchange(&format!("/n{i}"))).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        writer.finish();
        assert!(appender.append(&exchange("/late")).await.is_err());
        let text = std::fs::read_to_string(&path).unwrap();
        let (rec, errors) = recording::parse(&path, &text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rec.len(), 21);
        assert_eq!(rec.exchanges[0].1.request.url, "/old");
    }
}
