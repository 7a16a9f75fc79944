//! The replay recording read one exchange at a time, a little ahead of the replay: a blocking
//! thread reads and parses the next few exchanges while the current one is sent and checked.
//! Memory stays at the read-ahead's few exchanges whatever the recording's size.

use std::path::Path;

use tokio::sync::mpsc;

use crate::error::InputError;
use crate::recording::{Exchange, stream};

/// How many parsed exchanges wait for the replay at most.
const READ_AHEAD: usize = 32;

/// The exchanges of a recording in order; a bad line (the file changed since it was validated)
/// is an error in its place, and ends the stream.
pub(super) fn read_ahead(path: &Path) -> mpsc::Receiver<Result<Exchange, InputError>> {
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let lines = match stream::open(&path) {
            Ok(lines) => lines,
            Err(err) => {
                let _ = tx.blocking_send(Err(err));
                return;
            }
        };
        for entry in lines {
            let failed = entry.is_err();
            if tx.blocking_send(entry.map(|e| e.exchange)).is_err() || failed {
                return;
            }
        }
    });
    rx
}
