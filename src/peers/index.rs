//! The route index of a recording too large to hold: the request key of every recorded
//! exchange, sorted, and nothing of the requests or responses themselves, which are read back
//! by position.
//!
//! Identical recorded requests share a key, so they sit side by side in the sorted list, in
//! recorded order: a group of them (a stub) is a run of equal keys, named by the position of
//! its first member. Finding the stubs a live request may match is a binary search. The index
//! is built in flat arrays sized once, with no allocation per stub, and costs per recorded
//! exchange:
//!
//! - its key (8 bytes) and its place in recorded order (4 bytes);
//! - the turns its stub has taken (1 byte; a stub played past 254 turns counts on in a small
//!   map);
//! - the contract operation covering it (2 bytes, none when no contract covers any exchange);
//! - for explaining a miss, the stubs at each path (12 bytes a stub, at most
//!   [`PATH_CANDIDATES`] per path).
//!
//! Looser matching (`match.body: contract`, `match.path: template`) adds a sorted list of 16
//! bytes per stub for each key it needs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use super::key::Keys;

/// How many stubs at one path are kept (earliest recorded first) to explain a request that
/// matched none.
pub(crate) const PATH_CANDIDATES: usize = 64;

/// A turn count past which a stub counts on in [`Index::spilled`].
const SPILLED: u8 = u8::MAX;

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
    keys: Vec<u64>,
    paths: Vec<u64>,
    contracts: Contracts,
    /// Rows expected.
    rows: usize,
    loose_keys: Vec<[u64; 3]>,
    loose: Loose,
}

/// No contract covers the exchange.
const NO_CONTRACT: u32 = u32::MAX;

impl Builder {
    /// A builder for about `rows` recorded exchanges (more are taken, at the cost of growing).
    pub(crate) fn new(loose: Loose, rows: usize) -> Builder {
        let loose_rows = if loose.no_body || loose.no_path {
            rows
        } else {
            0
        };
        Builder {
            keys: Vec::with_capacity(rows),
            paths: Vec::with_capacity(rows),
            contracts: Contracts::default(),
            rows,
            loose_keys: Vec::with_capacity(loose_rows),
            loose,
        }
    }

    pub(crate) fn push(&mut self, row: Row) {
        let contract = row
            .contract
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(NO_CONTRACT);
        self.contracts.push(contract, self.keys.len(), self.rows);
        self.keys.push(row.keys.exact);
        self.paths.push(row.path);
        if self.loose.no_body || self.loose.no_path {
            self.loose_keys
                .push([row.keys.no_body, row.keys.no_path, row.keys.no_path_body]);
        }
    }

    pub(crate) fn build(self) -> Index {
        let Builder {
            mut keys,
            paths,
            contracts: recorded_contracts,
            loose_keys,
            loose,
            ..
        } = self;
        let rows = u32::try_from(keys.len()).unwrap_or(u32::MAX);
        let mut order: Vec<u32> = (0..rows).collect();
        order.sort_unstable_by_key(|&i| (keys[i as usize], i));
        // Equal keys are equal values: sorting them in place gives the keys of `order`.
        keys.truncate(order.len());
        keys.sort_unstable();
        let contracts = recorded_contracts.permuted(&order);
        drop(recorded_contracts);
        let mut stubs: Vec<u32> = (0..order.len())
            .filter(|&p| p == 0 || keys[p - 1] != keys[p])
            .map(|p| p as u32)
            .collect();
        let first = |s: u32| order[s as usize];
        let loose_list = |pick: usize| -> Vec<(u64, u32)> {
            let mut list: Vec<(u64, u32)> = (stubs.iter())
                .map(|&s| (loose_keys[first(s) as usize][pick], s))
                .collect();
            list.sort_unstable_by_key(|&(key, s)| (key, first(s)));
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
        drop(loose_keys);
        // The stubs by path, earliest first, then the first few of each path kept in place.
        let path_of = |s: u32| paths[first(s) as usize];
        stubs.sort_unstable_by_key(|&s| (path_of(s), first(s)));
        let mut kept = 0;
        for at in 0..stubs.len() {
            let s = stubs[at];
            if kept < PATH_CANDIDATES || path_of(stubs[kept - PATH_CANDIDATES]) != path_of(s) {
                stubs[kept] = s;
                kept += 1;
            }
        }
        stubs.truncate(kept);
        stubs.shrink_to_fit();
        let by_path: Vec<u64> = stubs.iter().map(|&s| path_of(s)).collect();
        drop(paths);
        let turns = (0..order.len()).map(|_| AtomicU8::new(0)).collect();
        Index {
            keys,
            order,
            turns,
            spilled: Mutex::new(HashMap::new()),
            contracts,
            by_path,
            by_path_stub: stubs,
            no_body,
            no_path,
            no_path_body,
        }
    }
}

/// The contract of each exchange: none until one is covered, then as 16-bit numbers while
/// they fit, else 32-bit.
#[derive(Debug, Default)]
enum Contracts {
    #[default]
    None,
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Contracts {
    /// Adds the contract of exchange `at` (`NO_CONTRACT` for none), room made for `rows`.
    fn push(&mut self, contract: u32, at: usize, rows: usize) {
        if contract == NO_CONTRACT && matches!(self, Contracts::None) {
            return;
        }
        if matches!(self, Contracts::None) {
            let mut list = Vec::with_capacity(rows.max(at + 1));
            list.resize(at, u16::MAX);
            *self = Contracts::Narrow(list);
        }
        if let Contracts::Narrow(list) = self
            && contract != NO_CONTRACT
            && contract >= u32::from(u16::MAX)
        {
            let wide = list
                .iter()
                .map(|&c| {
                    if c == u16::MAX {
                        NO_CONTRACT
                    } else {
                        u32::from(c)
                    }
                })
                .collect();
            *self = Contracts::Wide(wide);
        }
        match self {
            Contracts::None => {}
            Contracts::Narrow(list) => list.push(if contract == NO_CONTRACT {
                u16::MAX
            } else {
                contract as u16
            }),
            Contracts::Wide(list) => list.push(contract),
        }
    }

    /// The same contracts in the order of `order` (positions into this list).
    fn permuted(&self, order: &[u32]) -> Contracts {
        let at = |i: u32| i as usize;
        match self {
            Contracts::None => Contracts::None,
            Contracts::Narrow(list) => Contracts::Narrow(
                order
                    .iter()
                    .map(|&i| list.get(at(i)).copied().unwrap_or(u16::MAX))
                    .collect(),
            ),
            Contracts::Wide(list) => Contracts::Wide(
                order
                    .iter()
                    .map(|&i| list.get(at(i)).copied().unwrap_or(NO_CONTRACT))
                    .collect(),
            ),
        }
    }

    fn get(&self, position: usize) -> Option<usize> {
        match self {
            Contracts::None => None,
            Contracts::Narrow(list) => list
                .get(position)
                .filter(|&&c| c != u16::MAX)
                .map(|&c| c as usize),
            Contracts::Wide(list) => list
                .get(position)
                .filter(|&&c| c != NO_CONTRACT)
                .map(|&c| c as usize),
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
    /// Every recorded exchange's key, sorted.
    keys: Vec<u64>,
    /// The recorded exchange at each position of `keys`.
    order: Vec<u32>,
    /// Turns taken, at the position of each stub's first member.
    turns: Vec<AtomicU8>,
    /// Turns taken by stubs past 254 turns.
    spilled: Mutex<HashMap<u32, u32>>,
    contracts: Contracts,
    /// Path hashes, sorted, each with at most [`PATH_CANDIDATES`] stubs (`by_path_stub`),
    /// earliest recorded first.
    by_path: Vec<u64>,
    by_path_stub: Vec<u32>,
    no_body: Vec<(u64, u32)>,
    no_path: Vec<(u64, u32)>,
    no_path_body: Vec<(u64, u32)>,
}

impl Index {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        (0..self.keys.len())
            .filter(|&p| p == 0 || self.keys[p - 1] != self.keys[p])
            .count()
    }

    /// The first recorded exchange of a stub.
    pub(crate) fn first(&self, stub: usize) -> usize {
        self.order[stub] as usize
    }

    pub(crate) fn members(&self, stub: usize) -> usize {
        let key = self.keys[stub];
        self.keys[stub..].partition_point(|&k| k == key)
    }

    pub(crate) fn contract(&self, stub: usize) -> Option<usize> {
        self.contracts.get(stub)
    }

    /// Stubs whose key (of the kind `lookup`) is `key`, earliest recorded first.
    pub(crate) fn with_key(&self, lookup: Lookup, key: u64) -> Vec<usize> {
        let list = match lookup {
            Lookup::Exact => {
                let from = self.keys.partition_point(|&k| k < key);
                return match self.keys.get(from) {
                    Some(&k) if k == key => vec![from],
                    _ => Vec::new(),
                };
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

    /// Up to [`PATH_CANDIDATES`] stubs at the path whose hash is `path`, earliest recorded
    /// first.
    pub(crate) fn at_path(&self, path: u64) -> impl Iterator<Item = usize> + '_ {
        let from = self.by_path.partition_point(|&h| h < path);
        let to = from + self.by_path[from..].partition_point(|&h| h == path);
        self.by_path_stub[from..to].iter().map(|&s| s as usize)
    }

    /// Up to `limit` stubs covered by a contract operation (or, with `None`, any), earliest
    /// recorded first.
    pub(crate) fn earliest(&self, contract: Option<usize>, limit: usize) -> Vec<usize> {
        let mut found: Vec<(usize, usize)> = (0..self.keys.len())
            .filter(|&p| p == 0 || self.keys[p - 1] != self.keys[p])
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

    /// The stub's member at `position` (0-based, in recorded order).
    pub(crate) fn member(&self, stub: usize, position: usize) -> usize {
        self.order[stub + position] as usize
    }

    /// Takes the stub's next turn: the count of earlier takes, which stops growing past the
    /// last member unless `keep_counting` (playback `cycle`).
    pub(crate) fn turn(&self, stub: usize, keep_counting: bool) -> usize {
        let count = self.members(stub);
        let cell = &self.turns[stub];
        let mut seen = cell.load(Ordering::Relaxed);
        while seen != SPILLED {
            if usize::from(seen) >= count && !keep_counting {
                return usize::from(seen);
            }
            // The take that makes the count 255 hands counting on to `spilled`.
            match cell.compare_exchange_weak(seen, seen + 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return usize::from(seen),
                Err(now) => seen = now,
            }
        }
        let mut spilled = self.spilled.lock().unwrap_or_else(|p| p.into_inner());
        let taken = spilled.entry(stub as u32).or_insert(u32::from(SPILLED));
        let turn = *taken as usize;
        if turn < count || keep_counting {
            *taken = taken.saturating_add(1);
        }
        turn
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

    fn build(rows: &[(u64, u64)], loose: Loose) -> Index {
        let mut builder = Builder::new(loose, 2);
        for &(key, path) in rows {
            builder.push(Row {
                keys: keys(key),
                path,
                contract: (key == 45).then_some(0),
            });
        }
        builder.build()
    }

    #[test]
    fn identical_requests_form_one_stub_with_members_in_recorded_order() {
        let index = build(
            &[(31, 1), (12, 2), (31, 1), (45, 1), (31, 1)],
            Loose {
                no_body: true,
                no_path: false,
            },
        );
        assert_eq!(index.len(), 3);
        let stubs = index.with_key(Lookup::Exact, 31);
        assert_eq!(stubs.len(), 1);
        let members: Vec<usize> = (0..index.members(stubs[0]))
            .map(|p| index.member(stubs[0], p))
            .collect();
        assert_eq!(members, [0, 2, 4]);
        assert!(index.with_key(Lookup::Exact, 99).is_empty());
        assert!(index.with_key(Lookup::Exact, 0).is_empty());
        let at_path: Vec<usize> = index.at_path(1).map(|s| index.first(s)).collect();
        assert_eq!(at_path, [0, 3]);
        assert_eq!(index.at_path(7).count(), 0);
        let by_body: Vec<usize> = (index.with_key(Lookup::NoBody, 3).into_iter())
            .map(|s| index.first(s))
            .collect();
        assert_eq!(by_body, [0]);
        assert_eq!(
            index.contract(index.with_key(Lookup::Exact, 45)[0]),
            Some(0)
        );
        assert_eq!(index.contract(stubs[0]), None);
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

    #[test]
    fn a_path_keeps_its_earliest_stubs_only() {
        let rows: Vec<(u64, u64)> = (0..PATH_CANDIDATES as u64 + 10)
            .rev()
            .map(|k| (1000 + k, 5))
            .chain([(7, 6)])
            .collect();
        let index = build(&rows, Loose::default());
        let at_path: Vec<usize> = index.at_path(5).map(|s| index.first(s)).collect();
        assert_eq!(at_path, (0..PATH_CANDIDATES).collect::<Vec<_>>());
        let other: Vec<usize> = index.at_path(6).map(|s| index.first(s)).collect();
        assert_eq!(other, [PATH_CANDIDATES + 10]);
    }

    #[test]
    fn contracts_are_kept_narrow_until_one_does_not_fit() {
        let mut contracts = Contracts::default();
        contracts.push(NO_CONTRACT, 0, 4);
        assert!(matches!(contracts, Contracts::None));
        contracts.push(3, 1, 4);
        contracts.push(NO_CONTRACT, 2, 4);
        assert!(matches!(contracts, Contracts::Narrow(_)));
        contracts.push(70_000, 3, 4);
        assert!(matches!(contracts, Contracts::Wide(_)));
        let got: Vec<Option<usize>> = (0..4).map(|p| contracts.get(p)).collect();
        assert_eq!(got, [None, Some(3), None, Some(70_000)]);
        let permuted = contracts.permuted(&[3, 1, 0]);
        let got: Vec<Option<usize>> = (0..3).map(|p| permuted.get(p)).collect();
        assert_eq!(got, [Some(70_000), Some(3), None]);
    }

    #[test]
    fn turns_count_on_past_what_one_byte_holds() {
        let rows: Vec<(u64, u64)> = (0..300).map(|_| (9, 1)).chain([(8, 1)]).collect();
        let index = build(&rows, Loose::default());
        let stub = index.with_key(Lookup::Exact, 9)[0];
        assert_eq!(index.members(stub), 300);
        let turns: Vec<usize> = (0..302).map(|_| index.turn(stub, false)).collect();
        assert_eq!(turns[..300], (0..300).collect::<Vec<_>>()[..]);
        assert_eq!(turns[300..], [300, 300]);
        let cycling: Vec<usize> = (0..3).map(|_| index.turn(stub, true)).collect();
        assert_eq!(cycling, [300, 301, 302]);
        let single = index.with_key(Lookup::Exact, 8)[0];
        let turns: Vec<usize> = (0..3).map(|_| index.turn(single, false)).collect();
        assert_eq!(turns, [0, 1, 1]);
        assert_eq!(index.member(stub, 299), 299);
        assert_eq!(index.member(single, 0), 300);
    }
}
