//! Pricing tier selection: the first conditional tier whose conditions all hold, else the default.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::model::{AttributeSource, CompiledCondition, CompiledModel, PricingTier};
use crate::ingest::UsageMap;

/// What tier conditions may look at besides the usage: the observation's top-level model
/// parameters and metadata (JSON objects, or strings holding one).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TierAttributes<'a> {
    pub(super) model_parameters: Option<&'a Value>,
    pub(super) metadata: Option<&'a Value>,
}

impl CompiledModel {
    /// The tier that prices `usage`: conditional tiers in ascending priority, the first whose
    /// conditions all hold wins; otherwise the default tier.
    pub(super) fn select_tier(
        &self,
        usage: &UsageMap,
        attributes: TierAttributes<'_>,
    ) -> &PricingTier {
        let model_parameters = attributes.model_parameters.and_then(as_object);
        let metadata = attributes.metadata.and_then(as_object);
        let chosen = self.conditional_tiers().iter().find(|tier| {
            tier.conditions.iter().all(|condition| match condition {
                CompiledCondition::Usage {
                    keys,
                    operator,
                    value,
                } => {
                    let sum: f64 = (usage.iter())
                        .filter(|(key, _)| keys.is_match(key))
                        .map(|(_, units)| *units)
                        .sum();
                    operator.holds(sum, *value)
                }
                CompiledCondition::Attribute {
                    source,
                    key,
                    values,
                } => {
                    let object = match source {
                        AttributeSource::ModelParameters => model_parameters.as_ref(),
                        AttributeSource::Metadata => metadata.as_ref(),
                    };
                    (object.and_then(|object| object.get(key.as_str())))
                        .map(stringify_scalar)
                        .is_some_and(|actual| values.contains(&actual))
                }
            })
        });
        match chosen {
            Some(tier) => self.tier(tier.index),
            None => self.default_tier(),
        }
    }
}

/// The value as a JSON object; a string is parsed first (some SDKs send model parameters as a
/// JSON-encoded string).
fn as_object(value: &Value) -> Option<Cow<'_, Map<String, Value>>> {
    match value {
        Value::Object(map) => Some(Cow::Borrowed(map)),
        Value::String(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Some(Cow::Owned(map)),
            _ => None,
        },
        _ => None,
    }
}

/// How an attribute value compares with a condition's strings: strings as they are, `null` as
/// the empty string, other values as JSON.
fn stringify_scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cost::PriceBook;

    fn builtin(name: &str) -> &'static CompiledModel {
        PriceBook::builtin().find_model(&[], name).unwrap()
    }

    fn usage(pairs: &[(&str, f64)]) -> UsageMap {
        (pairs.iter()).map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn service_tier_priority_selects_fast_mode_on_gpt_4o() {
        let model = builtin("gpt-4o");
        let params = json!({"service_tier": "priority", "temperature": 0.2});
        let attributes = TierAttributes {
            model_parameters: Some(&params),
            metadata: None,
        };
        let tier = model.select_tier(&usage(&[("input", 10.0)]), attributes);
        assert_eq!(tier.name, "Fast mode");
        assert_eq!(tier.prices["input"], 4.25e-6);

        let default = model.select_tier(&usage(&[("input", 10.0)]), TierAttributes::default());
        assert_eq!(default.name, "Standard");
    }

    #[test]
    fn attribute_conditions_accept_json_encoded_parameters_and_ignore_metadata_for_model_parameters()
     {
        let model = builtin("gpt-4o");
        let encoded = json!("{\"service_tier\":\"fast\"}");
        let fast = model.select_tier(
            &usage(&[("input", 1.0)]),
            TierAttributes {
                model_parameters: Some(&encoded),
                metadata: None,
            },
        );
        assert_eq!(fast.name, "Fast mode");

        let metadata = json!({"service_tier": "priority"});
        let standard = model.select_tier(
            &usage(&[("input", 1.0)]),
            TierAttributes {
                model_parameters: None,
                metadata: Some(&metadata),
            },
        );
        assert_eq!(standard.name, "Standard");
    }

    #[test]
    fn large_context_tier_sums_matching_usage_keys() {
        let model = builtin("gemini-2.5-pro");
        let small = model.select_tier(
            &usage(&[("input", 150_000.0), ("output", 1.0)]),
            TierAttributes::default(),
        );
        assert_eq!(small.name, "Standard");

        // 150k input + 60k cached input > 200k: the pattern sums every key it matches.
        let large = model.select_tier(
            &usage(&[
                ("input", 150_000.0),
                ("input_cached_tokens", 60_000.0),
                ("output", 1.0),
            ]),
            TierAttributes::default(),
        );
        assert_eq!(large.name, "Large Context");
        assert_eq!(large.prices["input"], 2.5e-6);

        // Matching is case-insensitive unless the condition says otherwise.
        let upper = model.select_tier(&usage(&[("INPUT", 250_000.0)]), TierAttributes::default());
        assert_eq!(upper.name, "Large Context");
    }

    #[test]
    fn lower_priority_number_wins_when_several_tiers_hold() {
        let model = builtin("gpt-5.4");
        let params = json!({"service_tier": "flex"});
        let attributes = TierAttributes {
            model_parameters: Some(&params),
            metadata: None,
        };
        let both = model.select_tier(&usage(&[("input", 300_000.0)]), attributes);
        assert_eq!(both.name, "Flex · Large context (>272K)");
        let flex_only = model.select_tier(&usage(&[("input", 1_000.0)]), attributes);
        assert_eq!(flex_only.name, "Flex");
        let large_only =
            model.select_tier(&usage(&[("input", 300_000.0)]), TierAttributes::default());
        assert_eq!(large_only.name, "Large Context (>272K)");
    }
}
