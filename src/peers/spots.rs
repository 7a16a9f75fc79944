//! Where each exchange of a large recording sits in its file, in about 5 bytes an exchange.
//!
//! Lines follow each other, so a line's place is told by how it differs from the one before:
//! the bytes between them (its line break, and any blank lines), how many lines were skipped,
//! and its length, each as a variable-length number (LEB128: 7 bits a byte). Every
//! [`CHUNK`]th exchange starts afresh from its exact offset and line, so reading one place
//! decodes at most `CHUNK` entries.

use crate::recording::stream::Place;

/// Exchanges per chunk.
const CHUNK: usize = 32;

/// The places of a recording's exchanges, in recorded order.
#[derive(Debug, Default)]
pub(crate) struct Spots {
    chunks: Vec<Chunk>,
    bytes: Vec<u8>,
    len: usize,
    last: Option<Place>,
}

/// Where a chunk's first exchange is, and where its entries start in `bytes`.
#[derive(Debug)]
struct Chunk {
    offset: u64,
    line: u64,
    at: usize,
}

impl Spots {
    /// Room for about `exchanges` places.
    pub(crate) fn with_capacity(exchanges: usize) -> Spots {
        Spots {
            chunks: Vec::with_capacity(exchanges.div_ceil(CHUNK)),
            bytes: Vec::with_capacity(exchanges.saturating_mul(5)),
            len: 0,
            last: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds the place of the next exchange.
    pub(crate) fn push(&mut self, place: Place) {
        match self.last {
            Some(last) if !self.len.is_multiple_of(CHUNK) => {
                let end = last.offset.wrapping_add(u64::from(last.len));
                put(&mut self.bytes, place.offset.wrapping_sub(end));
                let skipped = (place.line as u64).wrapping_sub(last.line as u64 + 1);
                put(&mut self.bytes, skipped);
            }
            _ => self.chunks.push(Chunk {
                offset: place.offset,
                line: place.line as u64,
                at: self.bytes.len(),
            }),
        }
        put(&mut self.bytes, u64::from(place.len));
        self.last = Some(place);
        self.len += 1;
    }

    /// Gives back what was reserved and not used.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.chunks.shrink_to_fit();
        self.bytes.shrink_to_fit();
    }

    /// The place of exchange `index` (0-based).
    pub(crate) fn get(&self, index: usize) -> Option<Place> {
        if index >= self.len {
            return None;
        }
        let chunk = self.chunks.get(index / CHUNK)?;
        let mut at = chunk.at;
        let mut place = Place {
            line: chunk.line as usize,
            offset: chunk.offset,
            len: take(&self.bytes, &mut at) as u32,
        };
        for _ in 0..index % CHUNK {
            let end = place.offset.wrapping_add(u64::from(place.len));
            place.offset = end.wrapping_add(take(&self.bytes, &mut at));
            let skipped = take(&self.bytes, &mut at);
            place.line = (place.line as u64).wrapping_add(1).wrapping_add(skipped) as usize;
            place.len = take(&self.bytes, &mut at) as u32;
        }
        Some(place)
    }
}

/// Appends `value` as LEB128.
fn put(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// Reads a LEB128 number at `at`, moving past it.
fn take(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    while let Some(&byte) = bytes.get(*at) {
        *at += 1;
        if shift < 64 {
            value |= u64::from(byte & 0x7f) << shift;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_back_exactly_across_chunks_gaps_and_long_lines() {
        let mut places = Vec::new();
        let (mut offset, mut line) = (0u64, 1usize);
        for i in 0..(3 * CHUNK + 5) {
            let len = match i % 7 {
                0 => 0,
                1 => u32::MAX,
                2 => 127,
                _ => 900 + i as u32,
            };
            places.push(Place { line, offset, len });
            // A CRLF now and then, and blank lines after some.
            let blank = if i % 5 == 0 { 3 } else { 0 };
            offset += u64::from(len) + if i % 3 == 0 { 2 } else { 1 } + blank;
            line += 1 + blank as usize;
        }
        let mut spots = Spots::with_capacity(4);
        for &place in &places {
            spots.push(place);
        }
        spots.shrink_to_fit();
        assert_eq!(spots.len(), places.len());
        for (i, place) in places.iter().enumerate() {
            let got = spots.get(i).expect("a place");
            assert_eq!(
                (got.line, got.offset, got.len),
                (place.line, place.offset, place.len),
                "exchange {i}"
            );
        }
        assert!(spots.get(places.len()).is_none());
    }

    #[test]
    fn a_typical_exchange_costs_a_few_bytes() {
        let mut spots = Spots::with_capacity(10_000);
        let mut offset = 0;
        for i in 0..10_000 {
            spots.push(Place {
                line: i + 1,
                offset,
                len: 900,
            });
            offset += 901;
        }
        spots.shrink_to_fit();
        let bytes = spots.bytes.len() + spots.chunks.len() * std::mem::size_of::<Chunk>();
        assert!(bytes <= 5 * 10_000, "{bytes} bytes");
        assert_eq!(spots.get(9_999).map(|p| p.offset), Some(9_999 * 901));
    }
}
