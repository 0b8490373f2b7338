//! Usage and cost: the built-in model price table, model matching, pricing tiers, tokenization.
//!
//! Given an observation's model name, reported usage and cost, level, input/output and model
//! parameters, [`compute_usage_and_cost`] decides the usage and cost Sightline stores, the way
//! Langfuse does it (wire-spec §8):
//!
//! 1. **Model matching** ([`PriceBook::find_model`]): the project's own models first, then the
//!    built-in table; within each group the latest `start_date` wins (no date last). Patterns are
//!    regexes searched anywhere in the name; Langfuse's begin with `(?i)` to ignore case.
//! 2. **Usage**: reported usage is kept (plus `total` = sum when missing). When nothing was
//!    reported, no cost was reported, the level is not `ERROR` and a model matched, the input and
//!    output are tokenized with the model's tokenizer.
//! 3. **Pricing tier**: conditional tiers in ascending priority; the first whose conditions all
//!    hold wins, else the default tier.
//! 4. **Cost**: reported cost wins outright; otherwise each usage key with a price in the tier
//!    costs `units × price`, rounded to 12 decimal places, and `total` is added when missing.
//!
//! Tokenizers: `openai` counts with tiktoken (`tokenizer_config.tokenizerModel` picks the
//! encoding, unknown names fall back to `cl100k_base`; each encoding is loaded on first use, never
//! at start-up). **`claude` and any other tokenizer do not tokenize**: Anthropic's tokenizer is not
//! available to us, so for those models usage stays empty unless the client reports it (every
//! current Anthropic SDK and OTel integration does).
//!
//! The built-in table (`default_models.json`, embedded) is generated from Langfuse's public default
//! price list by `scripts/import-model-prices.py`; see [`table`] for its format.
//!
//! Everything here is pure: no I/O beyond reading the embedded table.

mod compute;
mod model;
pub mod table;
mod tiers;
mod tokenize;

#[cfg(test)]
mod tests;

pub use compute::{CostInput, CostOutcome, compute_usage_and_cost};
pub use model::{
    AttributeSource, CompiledModel, ModelDefinition, PricingTier, TierCondition, UsageOperator,
};
pub use table::PriceBook;
pub use tokenize::count_tokens;

/// Why a model definition (built-in or posted through the Models API) cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostError {
    #[error("invalid match pattern {pattern:?}: {reason}")]
    InvalidMatchPattern { pattern: String, reason: String },
    #[error("invalid usage pattern {pattern:?} in pricing tier {tier:?}: {reason}")]
    InvalidUsagePattern {
        tier: String,
        pattern: String,
        reason: String,
    },
    #[error("a model needs exactly one default pricing tier, found {found}")]
    DefaultTierCount { found: usize },
    #[error("a default pricing tier cannot have conditions")]
    DefaultTierWithConditions,
    #[error("pricing tier {tier:?} needs at least one condition")]
    TierWithoutConditions { tier: String },
    #[error("price for {usage_type:?} in pricing tier {tier:?} must be a finite number >= 0")]
    InvalidPrice { tier: String, usage_type: String },
    #[error("the built-in model price table is invalid: {0}")]
    BuiltinTable(String),
}
