//! Deterministic ids, so a retried or replayed job writes over its earlier effect instead of
//! adding a second one.

use sha2::{Digest, Sha256};

/// Langfuse's namespace for evaluator score ids (`packages/shared/src/server/evals/evalScoreIds.ts`).
const SCORE_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x52b93de0_1d6c_4fb3_9f65_e5173184b1cb);

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The execution of one evaluator of one rule on one target: 32 hex characters of
/// SHA-256 over the JSON list of its parts (as Langfuse derives observation-eval job ids).
pub fn execution_id(
    rule_id: &str,
    evaluator_id: &str,
    trace_id: &str,
    observation_id: Option<&str>,
    dataset_item_id: Option<&str>,
) -> String {
    let parts = serde_json::json!([
        "evaluation",
        rule_id,
        evaluator_id,
        trace_id,
        observation_id,
        dataset_item_id
    ]);
    sha256_hex(&parts.to_string())[..32].to_owned()
}

/// The trace that records an execution's judge call: the first 32 hex characters of
/// SHA-256 of the execution id (Langfuse's `createW3CTraceId`).
pub fn execution_trace_id(execution_id: &str) -> String {
    sha256_hex(execution_id)[..32].to_owned()
}

/// The id of the `index`-th score an execution writes under `name`: UUIDv5 of
/// `["eval-score", execution, name, index]` in Langfuse's namespace.
pub fn score_id(execution_id: &str, name: &str, index: usize) -> String {
    let key = serde_json::json!(["eval-score", execution_id, name, index]).to_string();
    uuid::Uuid::new_v5(&SCORE_NAMESPACE, key.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = execution_id("r", "e", "t", None, None);
        assert_eq!(a, execution_id("r", "e", "t", None, None));
        assert_ne!(a, execution_id("r", "e", "t", Some("o"), None));
        assert_eq!(a.len(), 32);
        assert_eq!(execution_trace_id(&a).len(), 32);
        assert_eq!(score_id(&a, "x", 0), score_id(&a, "x", 0));
        assert_ne!(score_id(&a, "x", 0), score_id(&a, "x", 1));
    }
}
