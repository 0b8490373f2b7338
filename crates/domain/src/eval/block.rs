//! Why an evaluator is paused (Langfuse's `EvaluatorBlockReason`) and what the UI tells the
//! user (`evalConfigBlocking.ts`). A paused evaluator runs nothing until a user reactivates it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    AuthInvalid,
    BillingExhausted,
    EndpointUnreachable,
    ModelUnavailable,
    ConnectionMissing,
    DefaultModelMissing,
    ModelConfigInvalid,
}

impl BlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::AuthInvalid => "LLM_CONNECTION_AUTH_INVALID",
            BlockReason::BillingExhausted => "LLM_CONNECTION_BILLING_EXHAUSTED",
            BlockReason::EndpointUnreachable => "LLM_CONNECTION_ENDPOINT_UNREACHABLE",
            BlockReason::ModelUnavailable => "EVAL_MODEL_UNAVAILABLE",
            BlockReason::ConnectionMissing => "LLM_CONNECTION_MISSING",
            BlockReason::DefaultModelMissing => "DEFAULT_EVAL_MODEL_MISSING",
            BlockReason::ModelConfigInvalid => "EVAL_MODEL_CONFIG_INVALID",
        }
    }

    pub fn parse(raw: &str) -> Option<BlockReason> {
        [
            BlockReason::AuthInvalid,
            BlockReason::BillingExhausted,
            BlockReason::EndpointUnreachable,
            BlockReason::ModelUnavailable,
            BlockReason::ConnectionMissing,
            BlockReason::DefaultModelMissing,
            BlockReason::ModelConfigInvalid,
        ]
        .into_iter()
        .find(|r| r.as_str() == raw)
    }

    /// The sentence shown beside a paused evaluator.
    pub fn message(self) -> &'static str {
        match self {
            BlockReason::AuthInvalid => {
                "Evaluator paused: LLM authentication failed. Update the LLM connection used by this evaluator and then reactivate it."
            }
            BlockReason::BillingExhausted => {
                "Evaluator paused: the LLM provider reports no remaining credit or quota. Top up the provider account and then reactivate it."
            }
            BlockReason::EndpointUnreachable => {
                "Evaluator paused: the LLM endpoint could not be reached. Fix the connection's base URL and then reactivate it."
            }
            BlockReason::ModelUnavailable => {
                "Evaluator paused: the model is not available from the provider. Choose another model and then reactivate it."
            }
            BlockReason::ConnectionMissing => {
                "Evaluator paused: no LLM connection exists for the evaluator's provider. Add the connection and then reactivate it."
            }
            BlockReason::DefaultModelMissing => {
                "Evaluator paused: the project has no default evaluation model. Set one, or a model on the evaluator, and then reactivate it."
            }
            BlockReason::ModelConfigInvalid => {
                "Evaluator paused: the evaluator's model configuration is not valid. Fix it and then reactivate it."
            }
        }
    }
}
