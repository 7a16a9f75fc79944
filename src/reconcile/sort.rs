//! External sort of one side's rows by normalised key, in bounded memory.
//!
//! Rows are collected in memory up to [`CHUNK_ROWS`]; a full chunk is sorted and spilled to a
//! temporary file as one JSON line per row. Reading merges the sorted chunks (a k-way merge
//! over a heap), so memory holds one chunk while collecting and one row per chunk while
//! merging, whatever the size of the side. A side that fits in one chunk never touches disk.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{BufRead, BufReader, BufWriter, Write};

use serde_json::Value;

use crate::error::Error;

/// Rows held in memory before a chunk is spilled.
pub const CHUNK_ROWS: usize = 100_000;

/// One row of a side, reduced to what the join and the comparisons need.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// The normalised key the sides are joined on.
    pub key: String,
    /// The key as the source wrote it, for reports.
    pub original: String,
    /// The compared values, in the order of the reconciliation's value pointers (`null` where
    /// the row has none).
    pub values: Vec<Value>,
}

/// Collects rows, spilling sorted chunks to temporary files.
pub struct Sorter {
    chunk: Vec<Row>,
    chunk_rows: usize,
    spilled: Vec<std::fs::File>,
    pub rows: u64,
}

impl Sorter {
    pub fn new() -> Sorter {
        Sorter::with_chunk(CHUNK_ROWS)
    }

    pub fn with_chunk(chunk_rows: usize) -> Sorter {
        Sorter {
            chunk: Vec::new(),
            chunk_rows: chunk_rows.max(1),
            spilled: Vec::new(),
            rows: 0,
        }
    }

    pub fn push(&mut self, row: Row) -> Result<(), Error> {
        self.rows += 1;
        self.chunk.push(row);
        if self.chunk.len() >= self.chunk_rows {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), Error> {
        let failed = |err: std::io::Error| {
            Error::environment(format!("cannot spill rows to a temporary file: {err}"))
        };
        self.chunk.sort_by(|a, b| a.key.cmp(&b.key));
        let file = tempfile::tempfile().map_err(failed)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        for row in self.chunk.drain(..) {
            serde_json::to_writer(&mut out, &row)
                .map_err(|err| failed(std::io::Error::other(err)))?;
            out.write_all(b"\n").map_err(failed)?;
        }
        let mut file = out.into_inner().map_err(|err| failed(err.into_error()))?;
        std::io::Seek::rewind(&mut file).map_err(failed)?;
        self.spilled.push(file);
        Ok(())
    }

    /// Whether any chunk went to disk.
    pub fn spilled(&self) -> usize {
        self.spilled.len()
    }

    /// The rows in key order.
    pub fn finish(mut self) -> Result<Sorted, Error> {
        if self.spilled.is_empty() {
            self.chunk.sort_by(|a, b| a.key.cmp(&b.key));
            return Ok(Sorted(Inner::Memory(self.chunk.into_iter())));
        }
        if !self.chunk.is_empty() {
            self.spill()?;
        }
        let mut readers: Vec<_> = self
            .spilled
            .into_iter()
            .map(|f| BufReader::with_capacity(1 << 16, f).lines())
            .collect();
        let mut heap = BinaryHeap::new();
        for (i, reader) in readers.iter_mut().enumerate() {
            if let Some(row) = next_row(reader)? {
                heap.push(Reverse(Entry(row, i)));
            }
        }
        Ok(Sorted(Inner::Merge { readers, heap }))
    }
}

impl Default for Sorter {
    fn default() -> Self {
        Sorter::new()
    }
}

type Lines = std::io::Lines<BufReader<std::fs::File>>;

fn next_row(lines: &mut Lines) -> Result<Option<Row>, Error> {
    match lines.next() {
        None => Ok(None),
        Some(line) => {
            let line = line.map_err(|err| {
                Error::environment(format!("cannot read spilled rows back: {err}"))
            })?;
            serde_json::from_str(&line)
                .map(Some)
                .map_err(|err| Error::environment(format!("spilled rows are corrupt: {err}")))
        }
    }
}

/// A row and the chunk it came from, ordered by key then chunk (a stable merge).
struct Entry(Row, usize);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key && self.1 == other.1
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.key.cmp(&other.0.key).then(self.1.cmp(&other.1))
    }
}

/// A side's rows in key order.
pub struct Sorted(Inner);

enum Inner {
    Memory(std::vec::IntoIter<Row>),
    Merge {
        readers: Vec<Lines>,
        heap: BinaryHeap<Reverse<Entry>>,
    },
}

impl Sorted {
    pub fn next_row(&mut self) -> Result<Option<Row>, Error> {
        match &mut self.0 {
            Inner::Memory(rows) => Ok(rows.next()),
            Inner::Merge { readers, heap } => {
                let Some(Reverse(Entry(row, i))) = heap.pop() else {
                    return Ok(None);
                };
                if let Some(next) = next_row(&mut readers[i])? {
                    heap.push(Reverse(Entry(next, i)));
                }
                Ok(Some(row))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_chunks_merge_in_key_order() {
        let mut sorter = Sorter::with_chunk(3);
        for k in [5, 1, 9, 3, 3, 7, 2, 8] {
            sorter
                .push(Row {
                    key: format!("k{k}"),
                    original: k.to_string(),
                    values: vec![],
                })
                .expect("push");
        }
        assert_eq!(sorter.spilled(), 2);
        let mut sorted = sorter.finish().expect("sorted");
        let mut keys = Vec::new();
        while let Some(row) = sorted.next_row().expect("a row") {
            keys.push(row.key);
        }
        assert_eq!(keys, ["k1", "k2", "k3", "k3", "k5", "k7", "k8", "k9"]);
    }
}
