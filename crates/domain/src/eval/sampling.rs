//! Deterministic sampling (`worker/src/features/evaluation/deterministicSampling.ts`): the
//! same target is in or out of a sample on every run and every replica.

use sha2::{Digest, Sha256};

const SALT: &[u8] = b"langfuse:evaluation-sampling:v1\0";

/// Whether `target_id` (an observation id for observation evaluations, else the trace id) is
/// in a sample of `rate`: the first 53 bits of SHA-256(salt ‖ id) over 2^53, below the rate.
pub fn is_sampled(target_id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 || rate.is_nan() {
        return false;
    }
    let digest = Sha256::new()
        .chain_update(SALT)
        .chain_update(target_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let bits = u64::from_be_bytes(first) >> 11;
    (bits as f64) / ((1u64 << 53) as f64) < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_selects_about_half_and_always_the_same() {
        let ids: Vec<String> = (0..2000).map(|i| format!("trace-{i}")).collect();
        let first: Vec<bool> = ids.iter().map(|id| is_sampled(id, 0.5)).collect();
        let again: Vec<bool> = ids.iter().map(|id| is_sampled(id, 0.5)).collect();
        assert_eq!(first, again);
        let chosen = first.iter().filter(|x| **x).count();
        assert!((900..1100).contains(&chosen), "{chosen}");
        assert!(ids.iter().all(|id| is_sampled(id, 1.0)));
        assert!(!ids.iter().any(|id| is_sampled(id, 0.0)));
    }
}
