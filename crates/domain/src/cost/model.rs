//! Model definitions with their pricing tiers, and their compiled (regex-ready) form.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::CostError;

/// Upper bound on the compiled size of one user-supplied regex (match or usage pattern).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A model as stored: a built-in one (`project_id` is `None`) or one a project defined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDefinition {
    pub id: String,
    /// `None` for built-in (Langfuse-managed) models.
    #[serde(default)]
    pub project_id: Option<String>,
    pub model_name: String,
    /// Regex searched in the observation's model name; Langfuse's patterns start with `(?i)`.
    pub match_pattern: String,
    /// Milliseconds since the epoch; only orders competing matches (latest first).
    #[serde(default)]
    pub start_date: Option<i64>,
    #[serde(default)]
    pub unit: Option<String>,
    /// `openai`, `claude` or none; only `openai` tokenizes (see the module docs).
    #[serde(default)]
    pub tokenizer_id: Option<String>,
    /// Langfuse's client-visible shape: `{tokenizerModel, tokensPerMessage?, tokensPerName?}`.
    #[serde(default)]
    pub tokenizer_config: Option<serde_json::Value>,
    pub tiers: Vec<PricingTier>,
}

/// One set of prices and the conditions under which it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricingTier {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub priority: i32,
    #[serde(default)]
    pub conditions: Vec<TierCondition>,
    /// USD per unit, keyed by usage type (`input`, `output`, `input_cached_tokens`, …).
    pub prices: BTreeMap<String, f64>,
}

/// A condition of a non-default pricing tier; a tier applies when all of its conditions hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TierCondition {
    /// The sum of usage values whose keys match `pattern`, compared with `value`.
    Usage {
        pattern: String,
        operator: UsageOperator,
        value: f64,
        #[serde(default)]
        case_sensitive: bool,
    },
    /// A top-level model parameter or metadata key whose (stringified) value is one of `values`.
    /// Langfuse's only operator for these is `in`.
    Attribute {
        source: AttributeSource,
        key: String,
        values: Vec<String>,
    },
}

/// Comparison of a usage sum with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageOperator {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl UsageOperator {
    /// Langfuse's spelling (`gt`, `gte`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Eq => "eq",
            Self::Neq => "neq",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "eq" => Self::Eq,
            "neq" => Self::Neq,
            _ => return None,
        })
    }

    pub(super) fn holds(self, sum: f64, threshold: f64) -> bool {
        match self {
            Self::Gt => sum > threshold,
            Self::Gte => sum >= threshold,
            Self::Lt => sum < threshold,
            Self::Lte => sum <= threshold,
            Self::Eq => sum == threshold,
            Self::Neq => sum != threshold,
        }
    }
}

/// Where an attribute condition looks its key up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeSource {
    ModelParameters,
    Metadata,
}

impl AttributeSource {
    /// Langfuse's spelling (`model_parameters`, `metadata`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ModelParameters => "model_parameters",
            Self::Metadata => "metadata",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "model_parameters" => Some(Self::ModelParameters),
            "metadata" => Some(Self::Metadata),
            _ => None,
        }
    }
}

/// A validated model definition with its regexes compiled, ready to match and price.
#[derive(Debug, Clone)]
pub struct CompiledModel {
    definition: ModelDefinition,
    pattern: Regex,
    default_tier: usize,
    /// Non-default tiers in evaluation order (ascending priority, ties in definition order).
    conditional: Vec<CompiledTier>,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledTier {
    pub(super) index: usize,
    pub(super) conditions: Vec<CompiledCondition>,
}

#[derive(Debug, Clone)]
pub(super) enum CompiledCondition {
    Usage {
        keys: Regex,
        operator: UsageOperator,
        value: f64,
    },
    Attribute {
        source: AttributeSource,
        key: String,
        values: Vec<String>,
    },
}

impl CompiledModel {
    /// Validates `definition` and compiles its regexes. Also the validation behind
    /// `POST /api/public/models`: an invalid regex, a negative price, or anything but exactly one
    /// (unconditional) default tier is an error.
    pub fn compile(definition: ModelDefinition) -> Result<Self, CostError> {
        let pattern = build_regex(&definition.match_pattern, false).map_err(|reason| {
            CostError::InvalidMatchPattern {
                pattern: definition.match_pattern.clone(),
                reason,
            }
        })?;

        let defaults: Vec<usize> = (definition.tiers.iter().enumerate())
            .filter(|(_, tier)| tier.is_default)
            .map(|(index, _)| index)
            .collect();
        let [default_tier] = defaults[..] else {
            return Err(CostError::DefaultTierCount {
                found: defaults.len(),
            });
        };

        let mut conditional = Vec::new();
        for (index, tier) in definition.tiers.iter().enumerate() {
            validate_prices(tier)?;
            if tier.is_default {
                if !tier.conditions.is_empty() {
                    return Err(CostError::DefaultTierWithConditions);
                }
                continue;
            }
            if tier.conditions.is_empty() {
                return Err(CostError::TierWithoutConditions {
                    tier: tier.name.clone(),
                });
            }
            let conditions = (tier.conditions.iter())
                .map(|condition| compile_condition(&tier.name, condition))
                .collect::<Result<_, _>>()?;
            conditional.push(CompiledTier { index, conditions });
        }
        conditional.sort_by_key(|tier| definition.tiers[tier.index].priority);

        Ok(Self {
            definition,
            pattern,
            default_tier,
            conditional,
        })
    }

    pub fn definition(&self) -> &ModelDefinition {
        &self.definition
    }

    pub fn into_definition(self) -> ModelDefinition {
        self.definition
    }

    pub fn id(&self) -> &str {
        &self.definition.id
    }

    pub fn is_builtin(&self) -> bool {
        self.definition.project_id.is_none()
    }

    /// Whether `model_name` matches this model's pattern (a search, as PostgreSQL's `~`).
    pub fn matches(&self, model_name: &str) -> bool {
        self.pattern.is_match(model_name)
    }

    /// The unconditional tier: its prices are the model's `inputPrice`/`outputPrice`/`totalPrice`.
    pub fn default_tier(&self) -> &PricingTier {
        &self.definition.tiers[self.default_tier]
    }

    pub(super) fn conditional_tiers(&self) -> &[CompiledTier] {
        &self.conditional
    }

    pub(super) fn tier(&self, index: usize) -> &PricingTier {
        &self.definition.tiers[index]
    }
}

fn compile_condition(
    tier: &str,
    condition: &TierCondition,
) -> Result<CompiledCondition, CostError> {
    Ok(match condition {
        TierCondition::Usage {
            pattern,
            operator,
            value,
            case_sensitive,
        } => {
            let keys = build_regex(pattern, !case_sensitive).map_err(|reason| {
                CostError::InvalidUsagePattern {
                    tier: tier.to_owned(),
                    pattern: pattern.clone(),
                    reason,
                }
            })?;
            CompiledCondition::Usage {
                keys,
                operator: *operator,
                value: *value,
            }
        }
        TierCondition::Attribute {
            source,
            key,
            values,
        } => CompiledCondition::Attribute {
            source: *source,
            key: key.clone(),
            values: values.clone(),
        },
    })
}

fn validate_prices(tier: &PricingTier) -> Result<(), CostError> {
    match (tier.prices.iter()).find(|(_, price)| !(price.is_finite() && **price >= 0.0)) {
        Some((usage_type, _)) => Err(CostError::InvalidPrice {
            tier: tier.name.clone(),
            usage_type: usage_type.clone(),
        }),
        None => Ok(()),
    }
}

fn build_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| error.to_string())
}

#[cfg(test)]
pub(super) mod fixtures {
    use super::*;

    /// A project model priced per unit with a single default tier.
    pub fn flat_model(id: &str, pattern: &str, prices: &[(&str, f64)]) -> ModelDefinition {
        ModelDefinition {
            id: id.to_owned(),
            project_id: Some("project-1".to_owned()),
            model_name: id.to_owned(),
            match_pattern: pattern.to_owned(),
            start_date: None,
            unit: None,
            tokenizer_id: None,
            tokenizer_config: None,
            tiers: vec![PricingTier {
                id: format!("{id}-standard"),
                name: "Standard".to_owned(),
                is_default: true,
                priority: 0,
                conditions: vec![],
                prices: (prices.iter())
                    .map(|(k, p)| ((*k).to_owned(), *p))
                    .collect(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::flat_model;
    use super::*;

    #[test]
    fn compile_rejects_an_invalid_match_pattern() {
        let definition = flat_model("broken", "(?i)^(gpt-4o", &[("input", 1e-6)]);
        let error = CompiledModel::compile(definition).unwrap_err();
        assert!(
            matches!(error, CostError::InvalidMatchPattern { .. }),
            "{error}"
        );
    }

    #[test]
    fn compile_rejects_an_invalid_usage_pattern() {
        let mut definition = flat_model("m", "^m$", &[("input", 1e-6)]);
        definition.tiers.push(PricingTier {
            id: "large".to_owned(),
            name: "Large".to_owned(),
            is_default: false,
            priority: 1,
            conditions: vec![TierCondition::Usage {
                pattern: "(input".to_owned(),
                operator: UsageOperator::Gt,
                value: 10.0,
                case_sensitive: false,
            }],
            prices: BTreeMap::new(),
        });
        let error = CompiledModel::compile(definition).unwrap_err();
        assert!(
            matches!(error, CostError::InvalidUsagePattern { .. }),
            "{error}"
        );
    }

    #[test]
    fn compile_requires_exactly_one_default_tier() {
        let mut none = flat_model("m", "^m$", &[]);
        none.tiers[0].is_default = false;
        assert_eq!(
            CompiledModel::compile(none).unwrap_err(),
            CostError::DefaultTierCount { found: 0 }
        );

        let mut two = flat_model("m", "^m$", &[]);
        two.tiers.push(two.tiers[0].clone());
        assert_eq!(
            CompiledModel::compile(two).unwrap_err(),
            CostError::DefaultTierCount { found: 2 }
        );
    }

    #[test]
    fn only_conditional_tiers_have_conditions() {
        let condition = TierCondition::Attribute {
            source: AttributeSource::Metadata,
            key: "plan".to_owned(),
            values: vec!["pro".to_owned()],
        };
        let mut conditioned_default = flat_model("m", "^m$", &[]);
        conditioned_default.tiers[0].conditions.push(condition);
        assert_eq!(
            CompiledModel::compile(conditioned_default).unwrap_err(),
            CostError::DefaultTierWithConditions
        );

        let mut unconditioned = flat_model("m", "^m$", &[]);
        let mut extra = unconditioned.tiers[0].clone();
        extra.is_default = false;
        extra.name = "Extra".to_owned();
        unconditioned.tiers.push(extra);
        assert!(matches!(
            CompiledModel::compile(unconditioned),
            Err(CostError::TierWithoutConditions { .. })
        ));
    }

    #[test]
    fn compile_rejects_negative_and_non_finite_prices() {
        for price in [-1e-6, f64::NAN, f64::INFINITY] {
            let definition = flat_model("m", "^m$", &[("input", price)]);
            assert!(matches!(
                CompiledModel::compile(definition),
                Err(CostError::InvalidPrice { .. })
            ));
        }
    }

    #[test]
    fn match_pattern_is_a_search_and_honours_inline_flags() {
        let model =
            CompiledModel::compile(flat_model("m", "(?i)^(openai/)?(gpt-4o)$", &[])).unwrap();
        assert!(model.matches("GPT-4o"));
        assert!(model.matches("openai/gpt-4o"));
        assert!(!model.matches("gpt-4o-mini"));

        let unanchored = CompiledModel::compile(flat_model("m", "llama", &[])).unwrap();
        assert!(unanchored.matches("meta/llama-3"));
        assert!(!unanchored.matches("LLAMA"));
    }

    #[test]
    fn definitions_round_trip_through_serde() {
        let mut definition = flat_model("m", "^m$", &[("input", 1e-6)]);
        definition.tiers.push(PricingTier {
            id: "fast".to_owned(),
            name: "Fast".to_owned(),
            is_default: false,
            priority: 1,
            conditions: vec![TierCondition::Attribute {
                source: AttributeSource::ModelParameters,
                key: "service_tier".to_owned(),
                values: vec!["priority".to_owned()],
            }],
            prices: BTreeMap::new(),
        });
        let json = serde_json::to_value(&definition).unwrap();
        assert_eq!(json["tiers"][1]["conditions"][0]["kind"], "attribute");
        assert_eq!(
            json["tiers"][1]["conditions"][0]["source"],
            "model_parameters"
        );
        let back: ModelDefinition = serde_json::from_value(json).unwrap();
        assert_eq!(back, definition);
    }
}
