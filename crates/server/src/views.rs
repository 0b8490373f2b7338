//! The JSON shapes clients read (wire-spec §5): traces, observations and scores, built from
//! stored rows. Every time is ISO-8601 with milliseconds and `Z`.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value, json};
use sightline_domain::ProjectId;
use sightline_domain::ingest::merge::metadata_for_read;
use sightline_domain::ingest::{Level, ObservationType, ScoreDataType, UsageMap};
use sightline_domain::metrics::json_number;
use sightline_domain::time::to_iso;
use sightline_store::{
    DatasetItem, ScoreConfig, ScoreRow, ScoreTrace, StoredObservation, StoredTrace,
};

use crate::services::ingest::rules::Rules;

fn seconds(from: i64, to: i64) -> f64 {
    (to - from) as f64 / 1000.0
}

/// Langfuse's `reduceUsageOrCostDetails`: `input` sums keys starting with `input`, `output`
/// those starting with `output`, `total` is the `total` key.
fn reduce(details: &UsageMap) -> (Option<f64>, Option<f64>, Option<f64>) {
    let sum = |prefix: &str| {
        let values: Vec<f64> = details
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(_, value)| *value)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    };
    (sum("input"), sum("output"), details.get("total").copied())
}

fn details(map: &UsageMap) -> Value {
    Value::Object(
        map.iter()
            .map(|(key, value)| (key.clone(), json_number(*value)))
            .collect(),
    )
}

fn metadata(map: &Map<String, Value>) -> Value {
    Value::Object(metadata_for_read(map))
}

pub fn trace(stored: &StoredTrace) -> Value {
    let row = &stored.row;
    json!({
        "id": row.id,
        "projectId": stored.project_id,
        "timestamp": to_iso(row.timestamp),
        "name": row.name,
        "input": row.input,
        "output": row.output,
        "sessionId": row.session_id,
        "release": row.release,
        "version": row.version,
        "userId": row.user_id,
        "metadata": metadata(&row.metadata),
        "tags": row.tags,
        "public": row.public,
        "bookmarked": row.bookmarked,
        "environment": row.environment,
        "externalId": Value::Null,
        "createdAt": to_iso(stored.created_at),
        "updatedAt": to_iso(stored.updated_at),
        "htmlPath": format!("/project/{}/traces/{}", stored.project_id, row.id),
    })
}

/// Trace latency in seconds: last observation end (or start) minus first start; 0 without any.
pub fn trace_latency(observations: &[StoredObservation]) -> f64 {
    let start = observations.iter().map(|o| o.row.start_time).min();
    let end = observations
        .iter()
        .map(|o| o.row.end_time.unwrap_or(o.row.start_time))
        .max();
    match (start, end) {
        (Some(start), Some(end)) => seconds(start, end),
        _ => 0.0,
    }
}

pub fn trace_total_cost(observations: &[StoredObservation]) -> f64 {
    observations.iter().filter_map(|o| o.row.total_cost).sum()
}

/// An observation in Langfuse's v1 shape (`GET /observations/{id}`, lists, trace details). It
/// borrows the stored row, so that a trace of 20,000 observations serializes without copying
/// inputs and outputs into an intermediate JSON tree; [`observation`] gives it as a `Value`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationView<'a> {
    id: &'a str,
    project_id: &'a ProjectId,
    trace_id: &'a str,
    parent_observation_id: Option<&'a str>,
    name: Option<&'a str>,
    #[serde(rename = "type")]
    kind: ObservationType,
    environment: &'a str,
    start_time: String,
    end_time: Option<String>,
    completion_start_time: Option<String>,
    version: Option<&'a str>,
    created_at: String,
    updated_at: String,
    input: Option<&'a Value>,
    output: Option<&'a Value>,
    metadata: Value,
    level: Level,
    status_message: Option<&'a str>,
    model: Option<&'a str>,
    #[serde(serialize_with = "object_or_empty")]
    model_parameters: Option<&'a Value>,
    /// The linked prompt version's id, when the caller resolved it.
    pub prompt_id: Option<String>,
    prompt_name: Option<&'a str>,
    prompt_version: Option<i64>,
    usage_details: Value,
    cost_details: Value,
    usage: Value,
    unit: &'static str,
    prompt_tokens: Value,
    completion_tokens: Value,
    total_tokens: Value,
    usage_pricing_tier_name: Option<&'a str>,
    usage_pricing_tier_id: Option<&'a str>,
    model_id: Option<&'a str>,
    input_price: Option<f64>,
    output_price: Option<f64>,
    total_price: Option<f64>,
    calculated_input_cost: Option<f64>,
    calculated_output_cost: Option<f64>,
    calculated_total_cost: Option<f64>,
    latency: Option<f64>,
    time_to_first_token: Option<f64>,
}

fn object_or_empty<S: serde::Serializer>(
    value: &Option<&Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => value.serialize(serializer),
        None => serializer.serialize_map(Some(0))?.end(),
    }
}

pub fn observation_view<'a>(stored: &'a StoredObservation, rules: &Rules) -> ObservationView<'a> {
    let row = &stored.row;
    let (input_units, output_units, total_units) = reduce(&row.usage_details);
    let (input_cost, output_cost, total_cost) = reduce(&row.cost_details);
    let prices = row.internal_model_id.as_deref().and_then(|id| {
        let project_models = rules.project_models(&stored.project_id);
        let project_prices = project_models
            .iter()
            .find(|model| model.id() == id)
            .map(|model| model.default_tier().prices.clone());
        project_prices.or_else(|| {
            rules
                .price_book()
                .get(id)
                .map(|model| model.default_tier().prices.clone())
        })
    });
    let price = |key: &str| prices.as_ref().and_then(|prices| prices.get(key).copied());
    ObservationView {
        id: &row.id,
        project_id: &stored.project_id,
        trace_id: &row.trace_id,
        parent_observation_id: row.parent_observation_id.as_deref(),
        name: row.name.as_deref(),
        kind: row.r#type,
        environment: &row.environment,
        start_time: to_iso(row.start_time),
        end_time: row.end_time.map(to_iso),
        completion_start_time: row.completion_start_time.map(to_iso),
        version: row.version.as_deref(),
        created_at: to_iso(stored.created_at),
        updated_at: to_iso(stored.updated_at),
        input: row.input.as_ref(),
        output: row.output.as_ref(),
        metadata: metadata(&row.metadata),
        level: row.level,
        status_message: row.status_message.as_deref(),
        model: row.model.as_deref(),
        model_parameters: row.model_parameters.as_ref(),
        prompt_id: None,
        prompt_name: row.prompt_name.as_deref(),
        prompt_version: row.prompt_version,
        usage_details: details(&row.usage_details),
        cost_details: details(&row.cost_details),
        usage: json!({
            "unit": "TOKENS",
            "input": json_number(input_units.unwrap_or(0.0)),
            "output": json_number(output_units.unwrap_or(0.0)),
            "total": json_number(total_units.unwrap_or(0.0)),
        }),
        unit: "TOKENS",
        prompt_tokens: json_number(input_units.unwrap_or(0.0)),
        completion_tokens: json_number(output_units.unwrap_or(0.0)),
        total_tokens: json_number(total_units.unwrap_or(0.0)),
        usage_pricing_tier_name: row.usage_pricing_tier_name.as_deref(),
        usage_pricing_tier_id: row.usage_pricing_tier_id.as_deref(),
        model_id: row.internal_model_id.as_deref(),
        input_price: price("input"),
        output_price: price("output"),
        total_price: price("total"),
        calculated_input_cost: input_cost,
        calculated_output_cost: output_cost,
        calculated_total_cost: total_cost.or(row.total_cost),
        latency: row.end_time.map(|end| seconds(row.start_time, end)),
        time_to_first_token: row
            .completion_start_time
            .map(|first| seconds(row.start_time, first)),
    }
}

pub fn observation(stored: &StoredObservation, rules: &Rules) -> Value {
    serde_json::to_value(observation_view(stored, rules)).expect("an observation serializes")
}

/// A score's `value` as Langfuse reads it: CATEGORICAL (without a config) and CORRECTION scores
/// store no number but read back `0` (OpenAPI `CategoricalScore.value`/`CorrectionScore.value`
/// are required numbers; wire-spec §5.6).
fn score_value(value: Option<f64>, data_type: ScoreDataType) -> Value {
    match (value, data_type) {
        (Some(value), _) => json!(value),
        (None, ScoreDataType::Categorical | ScoreDataType::Correction) => json!(0),
        (None, _) => Value::Null,
    }
}

pub fn score(stored: &ScoreRow) -> Value {
    let score = &stored.score;
    json!({
        "id": score.id,
        "traceId": score.trace_id,
        "sessionId": score.session_id,
        "observationId": score.observation_id,
        "datasetRunId": score.dataset_run_id,
        "name": score.name,
        "value": score_value(score.value, score.data_type),
        "stringValue": score.string_value,
        "dataType": score.data_type,
        "source": score.source,
        "comment": score.comment,
        "metadata": score.metadata.clone().unwrap_or_else(|| json!({})),
        "configId": score.config_id,
        "queueId": score.queue_id,
        "environment": score.environment,
        "authorUserId": Value::Null,
        "timestamp": to_iso(score.timestamp),
        "createdAt": to_iso(stored.created_at),
        "updatedAt": to_iso(stored.updated_at),
    })
}

/// The field groups of `GET /v2/observations` (`core` is always included).
#[derive(Debug, Clone, Default)]
pub struct ObservationFields {
    basic: bool,
    time: bool,
    io: bool,
    metadata: bool,
    model: bool,
    usage: bool,
    prompt: bool,
    metrics: bool,
    trace_context: bool,
    /// Metadata keys whose values are not truncated.
    expand_metadata: Vec<String>,
}

/// Metadata values longer than this are cut unless their key is expanded.
const METADATA_VALUE_CHARS: usize = 200;

impl ObservationFields {
    /// `fields=core,basic,…` (default `core,basic`); an unknown group is an error.
    /// `expand_metadata` values may be comma-separated.
    pub fn parse(raw: Option<&str>, expand_metadata: Vec<String>) -> Result<Self, String> {
        let mut fields = ObservationFields {
            expand_metadata: expand_metadata
                .iter()
                .flat_map(|keys| keys.split(','))
                .map(|key| key.trim().to_owned())
                .filter(|key| !key.is_empty())
                .collect(),
            ..Default::default()
        };
        for group in raw.unwrap_or("core,basic").split(',').map(str::trim) {
            match group {
                "" | "core" => {}
                "basic" => fields.basic = true,
                "time" => fields.time = true,
                "io" => fields.io = true,
                "metadata" => fields.metadata = true,
                "model" => fields.model = true,
                "usage" => fields.usage = true,
                "prompt" => fields.prompt = true,
                "metrics" => fields.metrics = true,
                "trace_context" => fields.trace_context = true,
                other => return Err(format!("fields: unknown field group '{other}'")),
            }
        }
        Ok(fields)
    }

    /// Whether any requested field comes from the observation's trace.
    pub fn needs_trace(&self) -> bool {
        self.basic || self.trace_context
    }
}

/// Input or output as the v2 list sends it: the raw text (a string as it is, other JSON
/// serialized).
fn raw_io(value: &Option<Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(text)) => json!(text),
        Some(other) => json!(other.to_string()),
    }
}

/// A price as a decimal string.
fn price_text(price: &Value) -> Value {
    price
        .as_f64()
        .map_or(Value::Null, |price| json!(price.to_string()))
}

/// An observation of `GET /v2/observations` with the requested field groups; `trace` supplies
/// `userId`, `sessionId` and the `trace_context` group.
pub fn observation_v2(
    stored: &StoredObservation,
    trace: Option<&StoredTrace>,
    fields: &ObservationFields,
    rules: &Rules,
) -> Value {
    let row = &stored.row;
    let v1 = observation(stored, rules);
    let mut body = json!({
        "id": row.id,
        "traceId": row.trace_id,
        "startTime": to_iso(row.start_time),
        "endTime": row.end_time.map(to_iso),
        "projectId": stored.project_id,
        "parentObservationId": row.parent_observation_id,
        "type": row.r#type,
        "modelId": Value::Null,
        "inputPrice": Value::Null,
        "outputPrice": Value::Null,
        "totalPrice": Value::Null,
    });
    let trace_row = trace.map(|trace| &trace.row);
    if fields.basic {
        body["name"] = json!(row.name);
        body["level"] = json!(row.level);
        body["statusMessage"] = json!(row.status_message);
        body["version"] = json!(row.version);
        body["environment"] = json!(row.environment);
        body["bookmarked"] = json!(false);
        body["public"] = json!(false);
        body["userId"] = json!(trace_row.and_then(|t| t.user_id.clone()));
        body["sessionId"] = json!(trace_row.and_then(|t| t.session_id.clone()));
        body["isRootObservation"] = json!(row.parent_observation_id.is_none());
    }
    if fields.time {
        body["completionStartTime"] = json!(row.completion_start_time.map(to_iso));
        body["createdAt"] = json!(to_iso(stored.created_at));
        body["updatedAt"] = json!(to_iso(stored.updated_at));
    }
    if fields.io {
        body["input"] = raw_io(&row.input);
        body["output"] = raw_io(&row.output);
    }
    if fields.metadata {
        let metadata: Map<String, Value> = metadata_for_read(&row.metadata)
            .into_iter()
            .map(|(key, value)| {
                let text = match value {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                let text = if fields.expand_metadata.contains(&key) {
                    text
                } else {
                    text.chars().take(METADATA_VALUE_CHARS).collect()
                };
                (key, json!(text))
            })
            .collect();
        body["metadata"] = Value::Object(metadata);
    }
    if fields.model {
        body["modelId"] = v1["modelId"].clone();
        body["inputPrice"] = price_text(&v1["inputPrice"]);
        body["outputPrice"] = price_text(&v1["outputPrice"]);
        body["totalPrice"] = price_text(&v1["totalPrice"]);
        body["providedModelName"] = json!(row.model);
        // The Python SDK 5.x reads the same value as `model`.
        body["model"] = json!(row.model);
        body["internalModelId"] = json!(row.internal_model_id);
        body["modelParameters"] = v1["modelParameters"].clone();
    }
    if fields.usage {
        body["usageDetails"] = details(&row.usage_details);
        body["costDetails"] = details(&row.cost_details);
        body["totalCost"] = v1["calculatedTotalCost"].clone();
        body["usagePricingTierName"] = json!(row.usage_pricing_tier_name);
    }
    if fields.prompt {
        body["promptId"] = Value::Null;
        body["promptName"] = json!(row.prompt_name);
        body["promptVersion"] = json!(row.prompt_version);
    }
    if fields.metrics {
        body["latency"] = v1["latency"].clone();
        body["timeToFirstToken"] = v1["timeToFirstToken"].clone();
    }
    if fields.trace_context {
        body["traceName"] = json!(trace_row.and_then(|t| t.name.clone()));
        body["tags"] = json!(trace_row.map(|t| t.tags.clone()).unwrap_or_default());
        body["release"] = json!(trace_row.and_then(|t| t.release.clone()));
    }
    body
}

/// The `trace` of a listed score: `{userId, tags, environment}` (v1) plus `sessionId` (v2);
/// `null` when the score has no trace or it does not exist.
pub fn score_trace(trace: Option<&ScoreTrace>, with_session: bool) -> Value {
    let Some(trace) = trace else {
        return Value::Null;
    };
    let mut body = json!({
        "userId": trace.user_id,
        "tags": trace.tags,
        "environment": trace.environment,
    });
    if with_session {
        body["sessionId"] = json!(trace.session_id);
    }
    body
}

/// A score config (wire-spec §5.7).
pub fn score_config(config: &ScoreConfig) -> Value {
    json!({
        "id": config.id,
        "name": config.name,
        "createdAt": to_iso(config.created_at),
        "updatedAt": to_iso(config.updated_at),
        "projectId": config.project_id,
        "dataType": config.data_type.as_str(),
        "isArchived": config.is_archived,
        "minValue": config.min_value,
        "maxValue": config.max_value,
        "categories": config.categories.as_ref().map(|categories| {
            categories
                .iter()
                .map(|category| json!({"label": category.label, "value": json_number(category.value)}))
                .collect::<Vec<_>>()
        }),
        "description": config.description,
    })
}

/// A prompt version as `POST /v2/prompts` and `PATCH …/versions/{v}` answer (wire-spec §6.1).
pub fn prompt(version: &sightline_store::PromptVersion) -> Value {
    json!({
        "id": version.id,
        "projectId": version.project_id,
        "createdAt": to_iso(version.created_at),
        "updatedAt": to_iso(version.updated_at),
        "createdBy": version.created_by,
        "name": version.name,
        "version": version.version,
        "type": version.r#type.as_str(),
        "prompt": version.prompt,
        "config": version.config,
        "labels": version.labels,
        "tags": version.tags,
        "commitMessage": version.commit_message,
    })
}

/// A prompt version as `GET /v2/prompts/{name}` answers: with `content` (resolved or raw),
/// `resolutionGraph` and `isActive` (holds `production`).
pub fn prompt_fetched(
    version: &sightline_store::PromptVersion,
    content: &Value,
    graph: Option<&Value>,
) -> Value {
    let mut body = prompt(version);
    body["prompt"] = content.clone();
    body["resolutionGraph"] = graph.cloned().unwrap_or(Value::Null);
    body["isActive"] = json!(
        version
            .labels
            .iter()
            .any(|label| label == sightline_domain::prompt::PRODUCTION_LABEL)
    );
    body
}

/// One name of `GET /v2/prompts`.
pub fn prompt_summary(summary: &sightline_store::PromptSummary) -> Value {
    json!({
        "name": summary.name,
        "type": summary.r#type.as_str(),
        "versions": summary.versions,
        "labels": summary.labels,
        "tags": summary.tags,
        "lastUpdatedAt": to_iso(summary.last_updated_at),
        "lastConfig": summary.last_config,
    })
}

/// A dataset item; the API fills `mediaReferences` (`handlers/datasets.rs` `item_view`), exports
/// leave it empty.
pub fn dataset_item(item: &DatasetItem) -> Value {
    json!({
        "id": item.id,
        "status": item.status.as_str(),
        "input": item.input,
        "expectedOutput": item.expected_output,
        "metadata": item.metadata,
        "sourceTraceId": item.source_trace_id,
        "sourceObservationId": item.source_observation_id,
        "datasetId": item.dataset_id,
        "datasetName": item.dataset_name,
        "createdAt": to_iso(item.created_at),
        "updatedAt": to_iso(item.updated_at),
        "mediaReferences": [],
    })
}
