//! Score analytics: how two sources of one score agree (Langfuse's score analytics compares, for
//! example, ANNOTATION with EVAL), and the buckets of a numeric score's distribution. Pure
//! figures over pairs and values the event store returns.

use std::collections::BTreeMap;

/// How two sources agree on a numeric score.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericAgreement {
    pub pairs: usize,
    /// Mean of |a − b|.
    pub mean_absolute_difference: f64,
    /// Pearson's correlation; `None` when either side does not vary.
    pub correlation: Option<f64>,
}

/// How two sources agree on a categorical (or boolean) score.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalAgreement {
    pub pairs: usize,
    /// The share of pairs with the same value (0–1).
    pub agreement: f64,
    /// Cohen's kappa: agreement beyond chance; `None` when chance agreement is certain.
    pub kappa: Option<f64>,
    /// (value of a, value of b, pairs), ordered by values.
    pub matrix: Vec<(String, String, usize)>,
}

/// The agreement of numeric pairs; `None` without pairs.
pub fn numeric_agreement(pairs: &[(f64, f64)]) -> Option<NumericAgreement> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let mad = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    let mean_a = pairs.iter().map(|(a, _)| a).sum::<f64>() / n;
    let mean_b = pairs.iter().map(|(_, b)| b).sum::<f64>() / n;
    let (mut cov, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (a, b) in pairs {
        cov += (a - mean_a) * (b - mean_b);
        var_a += (a - mean_a).powi(2);
        var_b += (b - mean_b).powi(2);
    }
    let correlation = (var_a > 0.0 && var_b > 0.0).then(|| cov / (var_a * var_b).sqrt());
    Some(NumericAgreement {
        pairs: pairs.len(),
        mean_absolute_difference: mad,
        correlation,
    })
}

/// The agreement of categorical pairs; `None` without pairs.
pub fn categorical_agreement(pairs: &[(String, String)]) -> Option<CategoricalAgreement> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let mut matrix: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut by_a: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_b: BTreeMap<&str, usize> = BTreeMap::new();
    let mut same = 0;
    for (a, b) in pairs {
        *matrix.entry((a.clone(), b.clone())).or_default() += 1;
        *by_a.entry(a).or_default() += 1;
        *by_b.entry(b).or_default() += 1;
        if a == b {
            same += 1;
        }
    }
    let observed = same as f64 / n;
    let chance: f64 = by_a
        .iter()
        .map(|(value, count)| {
            (*count as f64 / n) * (by_b.get(value).copied().unwrap_or(0) as f64 / n)
        })
        .sum();
    let kappa = (chance < 1.0).then(|| (observed - chance) / (1.0 - chance));
    Some(CategoricalAgreement {
        pairs: pairs.len(),
        agreement: observed,
        kappa,
        matrix: matrix
            .into_iter()
            .map(|((a, b), count)| (a, b, count))
            .collect(),
    })
}

/// `bins` equal-width buckets over `values` (weighted by count): (lower, upper, count).
pub fn histogram(values: &[(f64, u64)], bins: usize) -> Vec<(f64, f64, u64)> {
    let finite = values.iter().filter(|(v, _)| v.is_finite());
    let (min, max) = finite
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (v, _)| {
            (lo.min(*v), hi.max(*v))
        });
    if bins == 0 || min > max {
        return Vec::new();
    }
    if min == max {
        return vec![(min, max, finite.map(|(_, c)| c).sum())];
    }
    let width = (max - min) / bins as f64;
    let mut counts = vec![0u64; bins];
    for (value, count) in finite {
        let index = (((value - min) / width) as usize).min(bins - 1);
        counts[index] += count;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| (min + width * i as f64, min + width * (i + 1) as f64, count))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_agreement_measures_distance_and_correlation() {
        let agreement = numeric_agreement(&[(1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]).unwrap();
        assert_eq!(agreement.pairs, 3);
        assert_eq!(agreement.mean_absolute_difference, 1.0);
        assert!((agreement.correlation.unwrap() - 1.0).abs() < 1e-12);
        let flat = numeric_agreement(&[(1.0, 2.0), (1.0, 3.0)]).unwrap();
        assert_eq!(flat.correlation, None);
        assert_eq!(numeric_agreement(&[]), None);
    }

    #[test]
    fn categorical_agreement_counts_beyond_chance() {
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        // 4 of 5 agree; chance: a yes 3/5, b yes 2/5 → 0.24 + a no 2/5 · b no 3/5 → 0.24.
        let pairs = [
            pair("yes", "yes"),
            pair("yes", "yes"),
            pair("yes", "no"),
            pair("no", "no"),
            pair("no", "no"),
        ];
        let agreement = categorical_agreement(&pairs).unwrap();
        assert_eq!(agreement.pairs, 5);
        assert!((agreement.agreement - 0.8).abs() < 1e-12);
        assert!((agreement.kappa.unwrap() - (0.8 - 0.48) / 0.52).abs() < 1e-12);
        assert_eq!(agreement.matrix[0], ("no".to_owned(), "no".to_owned(), 2));
        let same = categorical_agreement(&[pair("a", "a")]).unwrap();
        assert_eq!(same.kappa, None);
    }

    #[test]
    fn histograms_bucket_weighted_values() {
        let buckets = histogram(&[(0.0, 1), (0.5, 2), (1.0, 3)], 2);
        assert_eq!(buckets, vec![(0.0, 0.5, 1), (0.5, 1.0, 5)]);
        assert_eq!(histogram(&[(2.0, 4)], 10), vec![(2.0, 2.0, 4)]);
        assert!(histogram(&[], 10).is_empty());
    }
}
