//! The JSON shapes clients read (wire-spec §5): traces, observations and scores, built from
//! stored rows. Every time is ISO-8601 with milliseconds and `Z`.

use serde_json::{Map, Value, json};
use sightline_domain::cost::CompiledModel;
use sightline_domain::ingest::UsageMap;
use sightline_domain::ingest::merge::metadata_for_read;
use sightline_domain::time::to_iso;
use sightline_store::{ScoreRow, StoredObservation, StoredTrace};

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

/// A number as JavaScript would print it: whole numbers without a fraction.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

fn details(map: &UsageMap) -> Value {
    Value::Object(
        map.iter()
            .map(|(key, value)| (key.clone(), number(*value)))
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

pub fn observation(stored: &StoredObservation, rules: &Rules) -> Value {
    let row = &stored.row;
    let (input_units, output_units, total_units) = reduce(&row.usage_details);
    let (input_cost, output_cost, total_cost) = reduce(&row.cost_details);
    let prices = row.internal_model_id.as_deref().and_then(|id| {
        let project_models = rules.project_models(&stored.project_id);
        let model: Option<CompiledModel> = project_models
            .iter()
            .find(|model| model.id() == id)
            .cloned()
            .or_else(|| rules.price_book().get(id).cloned());
        model.map(|model| model.default_tier().prices.clone())
    });
    let price = |key: &str| prices.as_ref().and_then(|prices| prices.get(key).copied());
    json!({
        "id": row.id,
        "projectId": stored.project_id,
        "traceId": row.trace_id,
        "parentObservationId": row.parent_observation_id,
        "name": row.name,
        "type": row.r#type,
        "environment": row.environment,
        "startTime": to_iso(row.start_time),
        "endTime": row.end_time.map(to_iso),
        "completionStartTime": row.completion_start_time.map(to_iso),
        "version": row.version,
        "createdAt": to_iso(stored.created_at),
        "updatedAt": to_iso(stored.updated_at),
        "input": row.input,
        "output": row.output,
        "metadata": metadata(&row.metadata),
        "level": row.level,
        "statusMessage": row.status_message,
        "model": row.model,
        "modelParameters": row.model_parameters.clone().unwrap_or_else(|| json!({})),
        "promptId": Value::Null,
        "promptName": row.prompt_name,
        "promptVersion": row.prompt_version,
        "usageDetails": details(&row.usage_details),
        "costDetails": details(&row.cost_details),
        "usage": {
            "unit": "TOKENS",
            "input": number(input_units.unwrap_or(0.0)),
            "output": number(output_units.unwrap_or(0.0)),
            "total": number(total_units.unwrap_or(0.0)),
        },
        "unit": "TOKENS",
        "promptTokens": number(input_units.unwrap_or(0.0)),
        "completionTokens": number(output_units.unwrap_or(0.0)),
        "totalTokens": number(total_units.unwrap_or(0.0)),
        "usagePricingTierName": row.usage_pricing_tier_name,
        "usagePricingTierId": row.usage_pricing_tier_id,
        "modelId": row.internal_model_id,
        "inputPrice": price("input"),
        "outputPrice": price("output"),
        "totalPrice": price("total"),
        "calculatedInputCost": input_cost,
        "calculatedOutputCost": output_cost,
        "calculatedTotalCost": total_cost.or(row.total_cost),
        "latency": row.end_time.map(|end| seconds(row.start_time, end)),
        "timeToFirstToken": row.completion_start_time.map(|first| seconds(row.start_time, first)),
    })
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
        "value": score.value,
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
