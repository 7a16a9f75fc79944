//! The route index of a recording too large to hold: per group of identical recorded requests
//! (a stub) its request key, path hash, contract and members, and nothing of the requests or
//! responses themselves, which are read back by position.
//!
//! Stubs are sorted by key, so finding the stubs a live request may match is a binary search;
//! a second list orders them by path, for looser matching and for explaining a miss. A stub
//! costs 32 bytes, each recorded exchange 4 more (its place in the members list) besides its
//! place in the file. Looser matching (`match.body: contract`, `match.path: template`) adds a
//! sorted list of 16 bytes per stub for each key it needs.

use std::sync::atomic::{AtomicU32, Ordering};

use super::key::Keys;

/// No contract covers the stub.
const NO_CONTRACT: u32 = u32::MAX;

/// Identical recorded requests.
#[derive(Debug)]
pub(crate) struct Stub {
    key: u64,
    path: u64,
    /// Members are `order[start..start + count]`, in recorded order.
    start: u32,
    count: u32,
    cursor: AtomicU32,
    contract: u32,
}

/// Which looser keys to index.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Loose {
    pub no_body: bool,
    pub no_path: bool,
}

/// One recorded exchange as the index is built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub keys: Keys,
    pub path: u64,
    pub contract: Option<usize>,
}

/// The index being built, one row per recorded exchange in recorded order.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    rows: Vec<(u64, u64, u32, u32)>,
    loose_keys: Vec<[u64; 3]>,
    loose: Loose,
}

impl Builder {
    pub(crate) fn new(loose: Loose) -> Builder {
        Builder {
            loose,
            ..Builder::default()
        }
    }

    pub(crate) fn push(&mut self, row: Row) {
        let index = u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
        let contract = row
            .contract
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(NO_CONTRACT);
        self.rows.push((row.keys.exact, row.path, index, contract));
        if self.loose.no_body || self.loose.no_path {
            self.loose_keys
                .push([row.keys.no_body, row.keys.no_path, row.keys.no_path_body]);
        }
    }

    pub(crate) fn build(self) -> Index {
        let Builder {
            mut rows,
            loose_keys,
            loose,
        } = self;
        rows.sort_unstable_by_key(|&(key, _, index, _)| (key, index));
        let mut stubs: Vec<Stub> = Vec::new();
        let mut order = Vec::with_capacity(rows.len());
        for (key, path, index, contract) in rows {
            match stubs.last_mut() {
                Some(stub) if stub.key == key => stub.count += 1,
                _ => stubs.push(Stub {
                    key,
                    path,
                    start: order.len() as u32,
                    count: 1,
                    cursor: AtomicU32::new(0),
                    contract,
                }),
            }
            order.push(index);
        }
        stubs.shrink_to_fit();
        let first = |s: &Stub| order[s.start as usize];
        let mut by_path: Vec<u32> = (0..stubs.len() as u32).collect();
        by_path.sort_unstable_by_key(|&s| (stubs[s as usize].path, first(&stubs[s as usize])));
        let loose_list = |pick: usize| -> Vec<(u64, u32)> {
            let mut list: Vec<(u64, u32)> = (stubs.iter().enumerate())
                .map(|(s, stub)| (loose_keys[first(stub) as usize][pick], s as u32))
                .collect();
            list.sort_unstable_by_key(|&(key, s)| (key, first(&stubs[s as usize])));
            list
        };
        let no_body = if loose.no_body {
            loose_list(0)
        } else {
            Vec::new()
        };
        let (no_path, no_path_body) = if loose.no_path {
            (loose_list(1), loose_list(2))
        } else {
            (Vec::new(), Vec::new())
        };
        Index {
            stubs,
            order,
            by_path,
            no_body,
            no_path,
            no_path_body,
        }
    }
}

/// Which key a lookup uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    Exact,
    NoBody,
    NoPath,
    NoPathBody,
}

#[derive(Debug)]
pub(crate) struct Index {
    stubs: Vec<Stub>,
    order: Vec<u32>,
    by_path: Vec<u32>,
    no_body: Vec<(u64, u32)>,
    no_path: Vec<(u64, u32)>,
    no_path_body: Vec<(u64, u32)>,
}

impl Index {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.stubs.len()
    }

    /// The first recorded exchange of a stub.
    pub(crate) fn first(&self, stub: usize) -> usize {
        self.order[self.stubs[stub].start as usize] as usize
    }

    pub(crate) fn members(&self, stub: usize) -> usize {
        self.stubs[stub].count as usize
    }

    pub(crate) fn contract(&self, stub: usize) -> Option<usize> {
        let c = self.stubs[stub].contract;
        (c != NO_CONTRACT).then_some(c as usize)
    }

    /// Stubs whose key (of the kind `lookup`) is `key`, earliest recorded first.
    pub(crate) fn with_key(&self, lookup: Lookup, key: u64) -> Vec<usize> {
        let list = match lookup {
            Lookup::Exact => {
                let from = self.stubs.partition_point(|s| s.key < key);
                let to = from + self.stubs[from..].partition_point(|s| s.key == key);
                return (from..to).collect();
            }
            Lookup::NoBody => &self.no_body,
            Lookup::NoPath => &self.no_path,
            Lookup::NoPathBody => &self.no_path_body,
        };
        let from = list.partition_point(|&(k, _)| k < key);
        list[from..]
            .iter()
            .take_while(|&&(k, _)| k == key)
            .map(|&(_, s)| s as usize)
            .collect()
    }

    /// Stubs at the path whose hash is `path`, earliest recorded first.
    pub(crate) fn at_path(&self, path: u64) -> impl Iterator<Item = usize> + '_ {
        let from = self
            .by_path
            .partition_point(|&s| self.stubs[s as usize].path < path);
        self.by_path[from..]
            .iter()
            .map(|&s| s as usize)
            .take_while(move |&s| self.stubs[s].path == path)
    }

    /// Up to `limit` stubs covered by a contract operation (or, with `None`, any), earliest
    /// recorded first.
    pub(crate) fn earliest(&self, contract: Option<usize>, limit: usize) -> Vec<usize> {
        let mut found: Vec<(usize, usize)> = (0..self.stubs.len())
            .filter(|&s| contract.is_none() || self.contract(s) == contract)
            .map(|s| (self.first(s), s))
            .collect();
        if found.len() > limit {
            found.select_nth_unstable(limit);
            found.truncate(limit);
        }
        found.sort_unstable();
        found.into_iter().map(|(_, s)| s).collect()
    }

    /// The stub's member at `turn` (0-based, in recorded order) and the turn it was.
    pub(crate) fn member(&self, stub: usize, position: usize) -> usize {
        let stub = &self.stubs[stub];
        self.order[stub.start as usize + position] as usize
    }

    /// Takes the stub's next turn: the count of earlier takes, which stops growing past the
    /// last member unless `keep_counting` (playback `cycle`).
    pub(crate) fn turn(&self, stub: usize, keep_counting: bool) -> usize {
        let stub = &self.stubs[stub];
        let seen = stub.cursor.load(Ordering::Relaxed);
        if seen >= stub.count && !keep_counting {
            seen as usize
        } else {
            stub.cursor.fetch_add(1, Ordering::Relaxed) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(exact: u64) -> Keys {
        Keys {
            exact,
            no_body: exact / 10,
            no_path: exact % 10,
            no_path_body: 0,
        }
    }

    #[test]
    fn identical_requests_form_one_stub_with_members_in_recorded_order() {
        let mut builder = Builder::new(Loose {
            no_body: true,
            no_path: false,
        });
        for (key, path) in [(31, 1), (12, 2), (31, 1), (45, 1), (31, 1)] {
            builder.push(Row {
                keys: keys(key),
                path,
                contract: (key == 45).then_some(0),
            });
        }
        let index = builder.build();
        assert_eq!(index.len(), 3);
        let stubs = index.with_key(Lookup::Exact, 31);
        assert_eq!(stubs.len(), 1);
        let members: Vec<usize> = (0..index.members(stubs[0]))
            .map(|p| index.member(stubs[0], p))
            .collect();
        assert_eq!(members, [0, 2, 4]);
        assert!(index.with_key(Lookup::Exact, 99).is_empty());
        let at_path: Vec<usize> = index.at_path(1).map(|s| index.first(s)).collect();
        assert_eq!(at_path, [0, 3]);
        let by_body: Vec<usize> = (index.with_key(Lookup::NoBody, 3).into_iter())
            .map(|s| index.first(s))
            .collect();
        assert_eq!(by_body, [0]);
        let covered = index.earliest(Some(0), 10);
        assert_eq!(
            covered.iter().map(|&s| index.first(s)).collect::<Vec<_>>(),
            [3]
        );
        let any = index.earliest(None, 2);
        assert_eq!(
            any.iter().map(|&s| index.first(s)).collect::<Vec<_>>(),
            [0, 1]
        );
    }
}
