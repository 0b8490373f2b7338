//! The latency sketch of the hourly rollups: DDSketch's logarithmic buckets (Masson, Rim and
//! Lee, VLDB 2019) with a relative accuracy of 2%, whose counts can be subtracted as well as
//! added, so a rollup stays exact when a row it counted changes or is deleted. Crates such as
//! `sketches-ddsketch` only add and merge, and keep their bins in a form SQL cannot update, so
//! the few rules are ours; the event store applies the same ones in SQL (PostgreSQL's
//! `sightline_sketch*` functions of migration 0014, SQLite's functions in `sql/sqlite.rs`).
//!
//! A value `v` falls in bucket `ceil(ln(v) / LN_GAMMA)`; values below [`SMALLEST`] (zero and
//! negative latencies) share [`ZERO_BUCKET`], which stands for 0. A bucket stands for
//! `2·γ^i / (γ + 1)`, within 2% of every value in it. A quantile interpolates linearly between
//! the buckets of the two closest ranks, as `percentile_cont` interpolates between the values,
//! so it is within 2% of the exact answer over non-negative values.

use std::collections::BTreeMap;

/// `ln(γ)`: γ = e^0.04 ≈ 1.0408, a relative accuracy of (γ − 1) / (γ + 1) ≈ 2%.
pub const LN_GAMMA: f64 = 0.04;
/// The relative accuracy of a quantile over non-negative values.
pub const RELATIVE_ACCURACY: f64 = 0.02;
/// Values below this count as 0.
pub const SMALLEST: f64 = 0.001;
/// The bucket of values below [`SMALLEST`].
pub const ZERO_BUCKET: i32 = -174;

/// The bucket of `value`.
pub fn bucket(value: f64) -> i32 {
    if value.is_nan() || value < SMALLEST {
        ZERO_BUCKET
    } else {
        (value.ln() / LN_GAMMA).ceil() as i32
    }
}

/// The value bucket `index` stands for.
pub fn representative(index: i32) -> f64 {
    if index <= ZERO_BUCKET {
        0.0
    } else {
        2.0 * (LN_GAMMA * f64::from(index)).exp() / (LN_GAMMA.exp() + 1.0)
    }
}

/// Bucket counts: the sketch of a multiset of values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch {
    counts: BTreeMap<i32, i64>,
}

impl Sketch {
    /// The sketch of one value.
    pub fn of(value: f64) -> Sketch {
        let mut sketch = Sketch::default();
        sketch.add(bucket(value), 1);
        sketch
    }

    /// Adds `count` (negative to subtract) to bucket `index`; a bucket left at 0 is dropped.
    pub fn add(&mut self, index: i32, count: i64) {
        let entry = self.counts.entry(index).or_insert(0);
        *entry += count;
        if *entry == 0 {
            self.counts.remove(&index);
        }
    }

    /// Adds `other` times `sign` (1 to merge, −1 to subtract).
    pub fn merge(&mut self, other: &Sketch, sign: i64) {
        for (index, count) in &other.counts {
            self.add(*index, count * sign);
        }
    }

    /// The number of values.
    pub fn len(&self) -> i64 {
        self.counts.values().filter(|count| **count > 0).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `q` quantile (0–1), interpolating between the closest ranks; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.len();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * (total - 1) as f64;
        let low = self.at_rank(rank.floor() as i64);
        let high = self.at_rank(rank.ceil() as i64);
        Some(low + (high - low) * (rank - rank.floor()))
    }

    /// The representative of the value at 0-based `rank`.
    fn at_rank(&self, rank: i64) -> f64 {
        let mut seen = 0;
        let mut last = ZERO_BUCKET;
        for (index, count) in self.counts.iter().filter(|(_, count)| **count > 0) {
            seen += count;
            last = *index;
            if seen > rank {
                break;
            }
        }
        representative(last)
    }

    /// The stored form: (bucket, count) pairs in bucket order, each as two little-endian
    /// 32-bit integers.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.counts.len() * 8);
        for (index, count) in &self.counts {
            bytes.extend_from_slice(&index.to_le_bytes());
            let count =
                i32::try_from(*count).unwrap_or(if *count < 0 { i32::MIN } else { i32::MAX });
            bytes.extend_from_slice(&count.to_le_bytes());
        }
        bytes
    }

    /// Reads [`Sketch::encode`]'s form; `None` when its length is not a whole number of pairs.
    pub fn decode(bytes: &[u8]) -> Option<Sketch> {
        if !bytes.len().is_multiple_of(8) {
            return None;
        }
        let mut sketch = Sketch::default();
        for pair in bytes.chunks_exact(8) {
            let index = i32::from_le_bytes(pair[..4].try_into().ok()?);
            let count = i32::from_le_bytes(pair[4..].try_into().ok()?);
            sketch.add(index, i64::from(count));
        }
        Some(sketch)
    }

    /// The (bucket, count) pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.counts.iter().map(|(index, count)| (*index, *count))
    }

    /// A sketch from (bucket, count) pairs, repeated buckets summed.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i32, i64)>) -> Sketch {
        let mut sketch = Sketch::default();
        for (index, count) in pairs {
            sketch.add(index, count);
        }
        sketch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(values: &mut [f64], q: f64) -> f64 {
        values.sort_by(f64::total_cmp);
        let rank = q * (values.len() - 1) as f64;
        let (low, high) = (values[rank.floor() as usize], values[rank.ceil() as usize]);
        low + (high - low) * (rank - rank.floor())
    }

    #[test]
    fn buckets_stand_for_their_values_within_the_accuracy() {
        for value in [0.001, 0.5, 1.0, 2.0, 17.0, 999.0, 1e6, 3.6e9] {
            let stands_for = representative(bucket(value));
            assert!(
                (stands_for - value).abs() <= RELATIVE_ACCURACY * value,
                "{value} → {stands_for}"
            );
        }
        assert_eq!(representative(bucket(0.0)), 0.0);
        assert_eq!(representative(bucket(-5.0)), 0.0);
    }

    #[test]
    fn subtracting_what_was_added_leaves_nothing() {
        let mut sketch = Sketch::of(12.0);
        sketch.merge(&Sketch::of(400.0), 1);
        sketch.merge(&Sketch::of(12.0), -1);
        sketch.merge(&Sketch::of(400.0), -1);
        assert!(sketch.is_empty());
        assert_eq!(sketch.encode(), Vec::<u8>::new());
        assert_eq!(sketch.quantile(0.5), None);
    }

    #[test]
    fn stored_form_reads_back() {
        let sketch = Sketch::from_pairs([(3, 2), (-174, 1), (90, 7)]);
        assert_eq!(Sketch::decode(&sketch.encode()), Some(sketch));
        assert_eq!(Sketch::decode(&[1, 2, 3]), None);
    }

    proptest! {
        #[test]
        fn quantiles_are_within_the_relative_accuracy(
            values in prop::collection::vec(0.0f64..100_000.0, 1..300),
            q in 0.0f64..=1.0,
        ) {
            let mut sketch = Sketch::default();
            for value in &values {
                sketch.merge(&Sketch::of(*value), 1);
            }
            let mut values = values;
            // Values below SMALLEST count as 0.
            for value in values.iter_mut() {
                if *value < SMALLEST {
                    *value = 0.0;
                }
            }
            let want = exact(&mut values, q);
            let got = sketch.quantile(q).unwrap();
            prop_assert!((got - want).abs() <= RELATIVE_ACCURACY * want + 1e-9, "{got} vs {want}");
        }
    }
}
