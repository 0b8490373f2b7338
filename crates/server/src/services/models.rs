//! Models and their prices (`/api/public/models`, wire-spec §5.9): the project's own models
//! and the built-in ones, in Langfuse's shapes, and creating a project model from Langfuse's
//! request body.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::cost::{
    AttributeSource, CompiledModel, ModelDefinition, PricingTier, TierCondition, UsageOperator,
};
use sightline_domain::ingest::serde_util::datetime;
use sightline_domain::time::to_iso;
use sightline_store::{Store, StoreError};

use crate::services::ingest::rules::Rules;

/// Why a change to a project's models was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The request does not describe a valid model (the message says which field).
    #[error("{0}")]
    Invalid(String),
    /// The request's prices do not combine (one of Langfuse's checks of the whole body, whose
    /// messages these are where Langfuse has one).
    #[error("{0}")]
    InvalidPrices(String),
    #[error("Cannot delete a Langfuse-managed model")]
    Managed,
    #[error("Model {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The project's own models (oldest first, as freshly read) and then the built-in table.
pub async fn list_models(
    store: &Store,
    rules: &Rules,
    project: &ProjectId,
) -> Result<Vec<CompiledModel>, StoreError> {
    rules.reload(store.metadata(), project).await?;
    let mut models: Vec<CompiledModel> = rules.project_models(project).to_vec();
    models.extend(rules.price_book().models().iter().cloned());
    Ok(models)
}

/// Validates and stores a project model; pricing uses it from the next ingestion on.
pub async fn create_model(
    store: &Store,
    rules: &Rules,
    project: &ProjectId,
    request: CreateModel,
) -> Result<CompiledModel, ModelError> {
    let model = model_from_request(project, request)?;
    store.metadata().insert_model(model.definition()).await?;
    rules.reload(store.metadata(), project).await?;
    Ok(model)
}

/// Deletes a project model; built-in models cannot be deleted.
pub async fn delete_model(
    store: &Store,
    rules: &Rules,
    project: &ProjectId,
    id: &str,
) -> Result<(), ModelError> {
    if rules.price_book().get(id).is_some() {
        return Err(ModelError::Managed);
    }
    if !store.metadata().delete_model(project, id).await? {
        return Err(ModelError::NotFound(id.to_owned()));
    }
    rules.reload(store.metadata(), project).await?;
    Ok(())
}

/// Replaces project model `id` with the one `request` describes (under a new id): the new
/// model is validated and stored before the old one is deleted.
pub async fn replace_model(
    store: &Store,
    rules: &Rules,
    project: &ProjectId,
    id: &str,
    request: CreateModel,
) -> Result<CompiledModel, ModelError> {
    if rules.price_book().get(id).is_some() {
        return Err(ModelError::Managed);
    }
    let exists = store
        .metadata()
        .project_models(project)
        .await?
        .iter()
        .any(|model| model.id == id);
    if !exists {
        return Err(ModelError::NotFound(id.to_owned()));
    }
    let model = create_model(store, rules, project, request).await?;
    store.metadata().delete_model(project, id).await?;
    rules.reload(store.metadata(), project).await?;
    Ok(model)
}

/// `POST /api/public/models` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateModel {
    pub model_name: String,
    pub match_pattern: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub input_price: Option<f64>,
    #[serde(default)]
    pub output_price: Option<f64>,
    #[serde(default)]
    pub total_price: Option<f64>,
    #[serde(default)]
    pub pricing_tiers: Option<Vec<TierInput>>,
    #[serde(default)]
    pub tokenizer_id: Option<String>,
    #[serde(default)]
    pub tokenizer_config: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TierInput {
    pub name: String,
    pub is_default: bool,
    pub priority: i32,
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
    pub prices: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ConditionInput {
    #[serde(rename_all = "camelCase")]
    Usage {
        usage_detail_pattern: String,
        operator: String,
        value: f64,
        #[serde(default)]
        case_sensitive: bool,
    },
    Attribute {
        source: String,
        key: String,
        operator: String,
        values: Vec<String>,
    },
}

/// Langfuse's rules for how a request's prices combine: flat prices or pricing tiers, not both
/// and not neither, and a total price only without input and output prices.
fn check_prices(request: &CreateModel) -> Result<(), String> {
    let split = request.input_price.is_some() || request.output_price.is_some();
    let flat = split || request.total_price.is_some();
    match (flat, request.pricing_tiers.is_some()) {
        (true, true) => Err("provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers, not both".into()),
        (false, false) => Err("Must provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers".into()),
        _ if split && request.total_price.is_some() => {
            Err("If input and/or output price is set, total price must be null".into())
        }
        _ => Ok(()),
    }
}

/// Validates a create request into a compiled model of `project`.
pub fn model_from_request(
    project: &ProjectId,
    request: CreateModel,
) -> Result<CompiledModel, ModelError> {
    if request.model_name.trim().is_empty() {
        return Err(ModelError::Invalid("modelName: must not be empty".into()));
    }
    check_prices(&request).map_err(ModelError::InvalidPrices)?;
    compile_request(project, request).map_err(ModelError::Invalid)
}

fn compile_request(project: &ProjectId, request: CreateModel) -> Result<CompiledModel, String> {
    let flat: BTreeMap<String, f64> = [
        ("input", request.input_price),
        ("output", request.output_price),
        ("total", request.total_price),
    ]
    .into_iter()
    .filter_map(|(key, price)| price.map(|price| (key.to_owned(), price)))
    .collect();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let tiers = match request.pricing_tiers {
        Some(tiers) => tiers
            .into_iter()
            .enumerate()
            .map(|(index, tier)| tier_from_input(&id, index, tier))
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![PricingTier {
            id: format!("{id}_tier_default"),
            name: "Standard".into(),
            is_default: true,
            priority: 0,
            conditions: Vec::new(),
            prices: flat,
        }],
    };
    let start_date = request
        .start_date
        .as_deref()
        .map(datetime::parse)
        .transpose()
        .map_err(|e| format!("startDate: {e}"))?;
    CompiledModel::compile(ModelDefinition {
        id,
        project_id: Some(project.to_string()),
        model_name: request.model_name,
        match_pattern: request.match_pattern,
        start_date,
        unit: request.unit,
        tokenizer_id: request.tokenizer_id,
        tokenizer_config: request.tokenizer_config,
        tiers,
    })
    .map_err(|e| e.to_string())
}

fn tier_from_input(model_id: &str, index: usize, tier: TierInput) -> Result<PricingTier, String> {
    let conditions = tier
        .conditions
        .into_iter()
        .map(|condition| match condition {
            ConditionInput::Usage {
                usage_detail_pattern,
                operator,
                value,
                case_sensitive,
            } => Ok(TierCondition::Usage {
                pattern: usage_detail_pattern,
                operator: UsageOperator::parse(&operator)
                    .ok_or_else(|| format!("operator: unknown operator '{operator}'"))?,
                value,
                case_sensitive,
            }),
            ConditionInput::Attribute {
                source,
                key,
                operator,
                values,
            } => {
                if operator != "in" {
                    return Err(format!("operator: '{operator}' is not supported; use 'in'"));
                }
                Ok(TierCondition::Attribute {
                    source: AttributeSource::parse(&source)
                        .ok_or_else(|| format!("source: unknown source '{source}'"))?,
                    key,
                    values,
                })
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(PricingTier {
        id: format!("{model_id}_tier_{index}"),
        name: tier.name,
        is_default: tier.is_default,
        priority: tier.priority,
        conditions,
        prices: tier.prices,
    })
}

/// A model in Langfuse's `Model` shape.
pub fn model_json(model: &CompiledModel, created_at: Option<i64>) -> Value {
    let definition = model.definition();
    let default_prices = &model.default_tier().prices;
    json!({
        "id": definition.id,
        "modelName": definition.model_name,
        "matchPattern": definition.match_pattern,
        "startDate": definition.start_date.map(to_iso),
        "unit": definition.unit,
        "inputPrice": default_prices.get("input"),
        "outputPrice": default_prices.get("output"),
        "totalPrice": default_prices.get("total"),
        "tokenizerId": definition.tokenizer_id,
        "tokenizerConfig": definition.tokenizer_config,
        "isLangfuseManaged": model.is_builtin(),
        "createdAt": to_iso(created_at.unwrap_or(0)),
        "prices": default_prices
            .iter()
            .map(|(usage_type, price)| (usage_type.clone(), json!({"price": price})))
            .collect::<serde_json::Map<_, _>>(),
        "pricingTiers": definition.tiers.iter().map(tier_json).collect::<Vec<_>>(),
    })
}

fn tier_json(tier: &PricingTier) -> Value {
    let conditions: Vec<Value> = tier
        .conditions
        .iter()
        .map(|condition| match condition {
            TierCondition::Usage {
                pattern,
                operator,
                value,
                case_sensitive,
            } => json!({
                "usageDetailPattern": pattern,
                "operator": operator.as_str(),
                "value": value,
                "caseSensitive": case_sensitive,
            }),
            TierCondition::Attribute {
                source,
                key,
                values,
            } => json!({
                "source": source.as_str(),
                "key": key,
                "operator": "in",
                "values": values,
            }),
        })
        .collect();
    json!({
        "id": tier.id,
        "name": tier.name,
        "isDefault": tier.is_default,
        "priority": tier.priority,
        "conditions": conditions,
        "prices": tier.prices,
    })
}
