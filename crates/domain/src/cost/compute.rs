//! Usage resolution and cost computation for one observation (wire-spec §8.2 and §8.3).

use serde_json::Value;

use super::model::CompiledModel;
use super::table::PriceBook;
use super::tiers::TierAttributes;
use super::tokenize::count_tokens;
use crate::ingest::UsageMap;

/// Costs are rounded to this many decimal places (1000 gpt-4o input tokens cost exactly 0.0025).
const COST_DECIMALS: i32 = 12;

/// What one observation tells us about its usage and cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct CostInput<'a> {
    /// The model name the client reported (`model` / `gen_ai.request.model`).
    pub model: Option<&'a str>,
    /// Reported usage by usage type; negative and non-finite values are ignored.
    pub provided_usage: Option<&'a UsageMap>,
    /// Reported cost in USD by usage type; non-finite values are ignored.
    pub provided_cost: Option<&'a UsageMap>,
    /// The observation's level is `ERROR` (never tokenized).
    pub is_error_level: bool,
    pub input: Option<&'a Value>,
    pub output: Option<&'a Value>,
    /// Top-level model parameters, looked at by attribute tier conditions.
    pub model_parameters: Option<&'a Value>,
    /// Top-level metadata, looked at by attribute tier conditions.
    pub metadata: Option<&'a Value>,
}

/// The usage and cost to store for an observation, and what priced it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostOutcome {
    pub usage_details: UsageMap,
    pub cost_details: UsageMap,
    pub total_cost: Option<f64>,
    /// The matched model (`internal_model_id`), built-in (`builtin:…`) or the project's.
    pub model_id: Option<String>,
    pub pricing_tier_id: Option<String>,
    pub pricing_tier_name: Option<String>,
    /// USD per unit from the matched model's default tier, for the read API.
    pub input_price: Option<f64>,
    pub output_price: Option<f64>,
    pub total_price: Option<f64>,
}

/// Resolves usage and cost for one observation: match the model (`project_models` before the
/// built-ins in `book`), tokenize when nothing was reported, choose the pricing tier, and price
/// the usage, unless the client reported a cost, which then wins outright.
pub fn compute_usage_and_cost(
    book: &PriceBook,
    project_models: &[CompiledModel],
    input: &CostInput<'_>,
) -> CostOutcome {
    let model = (input.model).and_then(|name| book.find_model(project_models, name));
    let provided_usage = sanitized(input.provided_usage, |units| units >= 0.0);
    let provided_cost = sanitized(input.provided_cost, |_| true);

    let tokenize = model.is_some()
        && provided_usage.is_empty()
        && provided_cost.is_empty()
        && !input.is_error_level;
    let usage_details = match model {
        Some(model) if tokenize => tokenized_usage(model, input),
        _ => with_total(provided_usage),
    };

    let mut outcome = CostOutcome {
        model_id: model.map(|model| model.id().to_owned()),
        ..CostOutcome::default()
    };

    let tier = match model {
        Some(model) if !usage_details.is_empty() => {
            let attributes = TierAttributes {
                model_parameters: input.model_parameters,
                metadata: input.metadata,
            };
            Some(model.select_tier(&usage_details, attributes))
        }
        _ => None,
    };
    if let Some(tier) = tier {
        outcome.pricing_tier_id = Some(tier.id.clone());
        outcome.pricing_tier_name = Some(tier.name.clone());
    }
    if let Some(model) = model {
        let prices = &model.default_tier().prices;
        outcome.input_price = prices.get("input").copied();
        outcome.output_price = prices.get("output").copied();
        outcome.total_price = prices.get("total").copied();
    }

    if !provided_cost.is_empty() {
        (outcome.cost_details, outcome.total_cost) = reported_cost(provided_cost);
    } else if let Some(tier) = tier {
        let mut cost_details: UsageMap = (usage_details.iter())
            .filter_map(|(usage_type, units)| {
                let price = tier.prices.get(usage_type)?;
                Some((usage_type.clone(), round_cost(units * price)))
            })
            .collect();
        let total = match cost_details.get("total") {
            Some(total) => Some(*total),
            None if cost_details.is_empty() => None,
            None => {
                let total = round_cost(cost_details.values().sum());
                cost_details.insert("total".to_owned(), total);
                Some(total)
            }
        };
        outcome.cost_details = cost_details;
        outcome.total_cost = total;
    }

    outcome.usage_details = usage_details;
    outcome
}

/// `input`/`output` token counts of the observation's input and output, and their `total`.
fn tokenized_usage(model: &CompiledModel, input: &CostInput<'_>) -> UsageMap {
    let definition = model.definition();
    let count = |text: Option<&Value>| {
        let tokens = count_tokens(
            definition.tokenizer_id.as_deref(),
            definition.tokenizer_config.as_ref(),
            text?,
        )?;
        // Token counts are far below 2^53, so the conversion is exact.
        Some(tokens as f64)
    };
    let input_tokens = count(input.input);
    let output_tokens = count(input.output);

    let mut usage = UsageMap::new();
    if let Some(tokens) = input_tokens {
        usage.insert("input".to_owned(), tokens);
    }
    if let Some(tokens) = output_tokens {
        usage.insert("output".to_owned(), tokens);
    }
    // As Langfuse: a total only when some count is non-zero.
    let total = input_tokens.unwrap_or(0.0) + output_tokens.unwrap_or(0.0);
    if total > 0.0 {
        usage.insert("total".to_owned(), total);
    }
    usage
}

/// Reported usage, with `total` = the sum of every reported value when it is missing.
fn with_total(mut usage: UsageMap) -> UsageMap {
    if !usage.is_empty() && !usage.contains_key("total") {
        let total = usage.values().sum();
        usage.insert("total".to_owned(), total);
    }
    usage
}

/// Reported cost kept as is. The total is the reported `total`, else `input + output` when
/// nothing but those two was reported (then also stored as `total`), else unknown.
fn reported_cost(mut cost: UsageMap) -> (UsageMap, Option<f64>) {
    if let Some(&total) = cost.get("total") {
        return (cost, Some(total));
    }
    let only_input_output = cost.keys().all(|key| key == "input" || key == "output");
    if !only_input_output {
        return (cost, None);
    }
    let total = round_cost(cost.get("input").unwrap_or(&0.0) + cost.get("output").unwrap_or(&0.0));
    cost.insert("total".to_owned(), total);
    (cost, Some(total))
}

fn sanitized(map: Option<&UsageMap>, keep: impl Fn(f64) -> bool) -> UsageMap {
    (map.into_iter().flatten())
        .filter(|(_, value)| value.is_finite() && keep(**value))
        .map(|(key, value)| (key.clone(), *value))
        .collect()
}

/// Rounds a USD amount to [`COST_DECIMALS`] places, so `1000 × 2.5e-6` is `0.0025`, not
/// `0.0025000000000000005`.
fn round_cost(cost: f64) -> f64 {
    let scale = 10f64.powi(COST_DECIMALS);
    let rounded = (cost * scale).round() / scale;
    if rounded.is_finite() { rounded } else { cost }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_twelve_places() {
        assert_eq!(round_cost(1000.0 * 2.5e-6), 0.0025);
        assert_eq!(round_cost(0.0025 + 0.005), 0.0075);
        assert_eq!(round_cost(1.0 * 2.5e-8), 2.5e-8);
        assert_eq!(round_cost(1e300), 1e300);
    }

    #[test]
    fn reported_total_is_input_plus_output_only_when_nothing_else_was_reported() {
        let cost = |pairs: &[(&str, f64)]| -> UsageMap {
            (pairs.iter()).map(|(k, v)| ((*k).to_owned(), *v)).collect()
        };
        let (details, total) = reported_cost(cost(&[("input", 0.1), ("output", 0.2)]));
        assert_eq!(total, Some(0.3));
        assert_eq!(details["total"], 0.3);

        let (details, total) = reported_cost(cost(&[("input", 0.1), ("cache_read", 0.2)]));
        assert_eq!(total, None);
        assert!(!details.contains_key("total"));

        let (_, total) = reported_cost(cost(&[("input", 0.1), ("total", 5.0)]));
        assert_eq!(total, Some(5.0));
    }
}
