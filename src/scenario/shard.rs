//! Sharding for CI matrices: `--shard K/N` runs a deterministic, stable share of the scenarios.
//!
//! Each scenario goes to the shard with the highest score for its id (rendezvous hashing over
//! SHA-256 of `id`, `K`), so the assignment depends only on the scenario's own id and `N`:
//! adding or removing a scenario never moves another one, and every machine computes the same
//! split.

use sha2::{Digest, Sha256};

/// Shard `index` of `count` (both from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N; the error says what would be right.
    pub(crate) fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard `{text}` is not K/N with 1 ≤ K ≤ N (e.g. 2/3)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard (from 1) a scenario id belongs to among `count`.
    pub(crate) fn of(id: &str, count: u32) -> u32 {
        (1..=count.max(1))
            .max_by_key(|k| score(id, *k))
            .unwrap_or(1)
    }

    pub(crate) fn owns(&self, id: &str) -> bool {
        Shard::of(id, self.count) == self.index
    }
}

fn score(id: &str, shard: u32) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(id.as_bytes());
    hasher.update([0]);
    hasher.update(shard.to_be_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_k_of_n_and_explains_the_rest() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(Shard::parse(bad).expect_err(bad).contains("K/N"), "{bad}");
        }
    }

    #[test]
    fn every_scenario_lands_in_exactly_one_shard() {
        let ids: Vec<String> = (0..200).map(|i| format!("scenario-{i}")).collect();
        for count in 1..=5 {
            let mut sizes = vec![0; count as usize];
            for id in &ids {
                let owners: Vec<u32> = (1..=count)
                    .filter(|k| Shard { index: *k, count }.owns(id))
                    .collect();
                assert_eq!(owners.len(), 1, "{id} in {owners:?} of {count}");
                sizes[owners[0] as usize - 1] += 1;
            }
            let fair = 200 / count as usize;
            assert!(
                sizes.iter().all(|s| *s > fair / 2),
                "{count} shards: {sizes:?}"
            );
        }
    }

    #[test]
    fn adding_a_scenario_moves_no_other_and_one_more_shard_moves_few() {
        let ids: Vec<String> = (0..300).map(|i| format!("s{i}")).collect();
        let before: Vec<u32> = ids.iter().map(|id| Shard::of(id, 4)).collect();
        // Assignment depends on the id alone: the same ids keep their shard.
        let again: Vec<u32> = ids.iter().map(|id| Shard::of(id, 4)).collect();
        assert_eq!(before, again);
        let moved = ids
            .iter()
            .zip(&before)
            .filter(|(id, shard)| Shard::of(id, 5) != **shard)
            .count();
        // Rendezvous hashing moves about 1/5 of the ids to the new shard, and only there.
        assert!(moved < 100, "{moved} of 300 moved");
        assert!(ids.iter().zip(&before).all(|(id, shard)| {
            let now = Shard::of(id, 5);
            now == *shard || now == 5
        }));
    }

    #[test]
    fn the_split_is_stable_across_versions() {
        // Fixed expectations: a change here would reshuffle every user's CI matrix.
        let shards: Vec<u32> = [
            "customer-onboarding",
            "erp-outage",
            "opportunity-stage",
            "receivables-check",
        ]
        .iter()
        .map(|id| Shard::of(id, 2))
        .collect();
        assert_eq!(shards, SPLIT_OF_THE_BUNDLED_EXAMPLE);
    }

    const SPLIT_OF_THE_BUNDLED_EXAMPLE: [u32; 4] = [1, 1, 2, 2];
}
