//! LLM-as-a-judge evaluations (`../shared/langfuse/features.md` §2), run on the store's job
//! queue:
//! - `evaluators.rs`: evaluators and their versions, checked (prompt variables, output
//!   definition, default mapping, a model that can run);
//! - `rules.rs`: evaluation rules (target, filter through the filter compiler, sampling, delay,
//!   time scope, evaluator assignments with their mappings), and backfills;
//! - `trigger.rs`: which committed traces, observations and experiment items the live rules
//!   look at, enqueued before ingestion acknowledges them, and the trigger and backfill jobs
//!   that turn them into executions (filter, deterministic sampling, one execution per rule,
//!   evaluator and target);
//! - `execute.rs`: one execution: variables mapped, the judge called with structured output,
//!   scores written with deterministic ids and the call recorded as a trace in
//!   `langfuse-llm-as-a-judge`; retryable provider errors retried with backoff, terminal ones
//!   pausing the evaluator;
//!
//! The workers that claim and run their jobs are `services/worker.rs`.

use serde_json::{Value, json};
use sightline_store::StoreError;

pub mod evaluators;
pub mod execute;
pub mod rules;
pub mod trigger;

/// Job kinds of the queue that evaluations use (`services/worker.rs` runs them).
pub const TRIGGER_JOB: &str = "evaluation.trigger";
pub const BACKFILL_JOB: &str = "evaluation.backfill";
pub const EXECUTE_JOB: &str = "evaluation.execute";

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Input that cannot be used; `code` is the unstable API's error code.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        details: Value,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The evaluator's model cannot run (`evaluator_preflight_failed`).
    #[error("{message}")]
    Preflight { message: String, details: Value },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for EvalError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => EvalError::Conflict(message),
            StoreError::NotFound(message) => EvalError::NotFound(message),
            other => EvalError::Store(other),
        }
    }
}

pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> EvalError {
    EvalError::Invalid {
        code,
        message: message.into(),
        details: Value::Null,
    }
}

/// An `invalid_body` error naming the field, as a zod issue.
pub(crate) fn invalid_field(path: Vec<Value>, message: impl Into<String>) -> EvalError {
    let message = message.into();
    EvalError::Invalid {
        code: "invalid_body",
        details: json!({"issues": [{"code": "custom", "message": message, "path": path}]}),
        message,
    }
}
