//! Stored traces, observations and scores, and the raw rows they are decoded from.

use serde_json::{Map, Value};
use sightline_domain::ProjectId;
use sightline_domain::ingest::{
    Level, ObservationRow, ObservationType, ScorePatch, TraceRow, UsageMap,
};
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// A stored score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub score: ScorePatch,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A stored trace with its bookkeeping times.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTrace {
    pub row: TraceRow,
    pub project_id: ProjectId,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A stored observation with its bookkeeping times.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub row: ObservationRow,
    pub project_id: ProjectId,
    pub created_at: Millis,
    pub updated_at: Millis,
}

pub(crate) fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

pub(crate) fn parse_json(text: Option<String>) -> StoreResult<Option<Value>> {
    text.map(|text| {
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("stored JSON: {e}")))
    })
    .transpose()
}

pub(crate) fn parse_object(text: &str) -> StoreResult<Map<String, Value>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored JSON object: {e}")))
}

pub(crate) fn parse_usage(text: &str) -> StoreResult<UsageMap> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored usage: {e}")))
}

pub(crate) fn usage_text(map: &UsageMap) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

#[derive(sqlx::FromRow)]
pub(crate) struct TraceSqlRow {
    project_id: String,
    id: String,
    timestamp: i64,
    environment: String,
    name: Option<String>,
    user_id: Option<String>,
    session_id: Option<String>,
    release: Option<String>,
    version: Option<String>,
    public: bool,
    bookmarked: bool,
    tags: String,
    metadata: String,
    input: Option<String>,
    output: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const TRACE_COLUMNS: &str = "project_id, id, timestamp, environment, name, user_id, \
    session_id, release, version, public, bookmarked, tags, metadata, input, output, created_at, updated_at";

impl TryFrom<TraceSqlRow> for StoredTrace {
    type Error = StoreError;

    fn try_from(row: TraceSqlRow) -> StoreResult<Self> {
        Ok(StoredTrace {
            row: TraceRow {
                id: row.id,
                timestamp: row.timestamp,
                environment: row.environment,
                name: row.name,
                user_id: row.user_id,
                session_id: row.session_id,
                release: row.release,
                version: row.version,
                public: row.public,
                bookmarked: row.bookmarked,
                tags: serde_json::from_str(&row.tags)
                    .map_err(|e| StoreError::Corrupt(format!("stored tags: {e}")))?,
                metadata: parse_object(&row.metadata)?,
                input: parse_json(row.input)?,
                output: parse_json(row.output)?,
            },
            project_id: ProjectId::from_trusted(row.project_id),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ObservationSqlRow {
    project_id: String,
    id: String,
    trace_id: String,
    r#type: String,
    start_time: i64,
    end_time: Option<i64>,
    completion_start_time: Option<i64>,
    environment: String,
    name: Option<String>,
    parent_observation_id: Option<String>,
    level: String,
    status_message: Option<String>,
    version: Option<String>,
    model: Option<String>,
    model_parameters: Option<String>,
    metadata: String,
    input: Option<String>,
    output: Option<String>,
    provided_usage_details: String,
    provided_cost_details: String,
    usage_details: String,
    cost_details: String,
    total_cost: Option<f64>,
    internal_model_id: Option<String>,
    usage_pricing_tier_id: Option<String>,
    usage_pricing_tier_name: Option<String>,
    prompt_name: Option<String>,
    prompt_version: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const OBSERVATION_COLUMNS: &str = "project_id, id, trace_id, type, start_time, end_time, \
    completion_start_time, environment, name, parent_observation_id, level, status_message, version, \
    model, model_parameters, metadata, input, output, provided_usage_details, provided_cost_details, \
    usage_details, cost_details, total_cost, internal_model_id, usage_pricing_tier_id, \
    usage_pricing_tier_name, prompt_name, prompt_version, created_at, updated_at";

impl TryFrom<ObservationSqlRow> for StoredObservation {
    type Error = StoreError;

    fn try_from(row: ObservationSqlRow) -> StoreResult<Self> {
        let corrupt = |e: String| StoreError::Corrupt(e);
        Ok(StoredObservation {
            row: ObservationRow {
                id: row.id,
                trace_id: row.trace_id,
                r#type: row.r#type.parse::<ObservationType>().map_err(corrupt)?,
                start_time: row.start_time,
                end_time: row.end_time,
                completion_start_time: row.completion_start_time,
                environment: row.environment,
                name: row.name,
                parent_observation_id: row.parent_observation_id,
                level: row.level.parse::<Level>().map_err(corrupt)?,
                status_message: row.status_message,
                version: row.version,
                model: row.model,
                model_parameters: parse_json(row.model_parameters)?,
                metadata: parse_object(&row.metadata)?,
                input: parse_json(row.input)?,
                output: parse_json(row.output)?,
                provided_usage_details: parse_usage(&row.provided_usage_details)?,
                provided_cost_details: parse_usage(&row.provided_cost_details)?,
                usage_details: parse_usage(&row.usage_details)?,
                cost_details: parse_usage(&row.cost_details)?,
                total_cost: row.total_cost,
                internal_model_id: row.internal_model_id,
                usage_pricing_tier_id: row.usage_pricing_tier_id,
                usage_pricing_tier_name: row.usage_pricing_tier_name,
                prompt_name: row.prompt_name,
                prompt_version: row.prompt_version,
            },
            project_id: ProjectId::from_trusted(row.project_id),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScoreSqlRow {
    id: String,
    name: String,
    timestamp: i64,
    environment: String,
    data_type: String,
    value: Option<f64>,
    string_value: Option<String>,
    source: String,
    trace_id: Option<String>,
    observation_id: Option<String>,
    session_id: Option<String>,
    dataset_run_id: Option<String>,
    comment: Option<String>,
    metadata: String,
    config_id: Option<String>,
    queue_id: Option<String>,
    execution_trace_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const SCORE_COLUMNS: &str = "id, name, timestamp, environment, data_type, value, \
    string_value, source, trace_id, observation_id, session_id, dataset_run_id, comment, metadata, \
    config_id, queue_id, execution_trace_id, created_at, updated_at";

impl TryFrom<ScoreSqlRow> for ScoreRow {
    type Error = StoreError;

    fn try_from(row: ScoreSqlRow) -> StoreResult<Self> {
        let corrupt = |e: String| StoreError::Corrupt(e);
        Ok(ScoreRow {
            score: ScorePatch {
                id: row.id,
                name: row.name,
                timestamp: row.timestamp,
                environment: row.environment,
                data_type: row.data_type.parse().map_err(corrupt)?,
                value: row.value,
                string_value: row.string_value,
                source: row.source.parse().map_err(corrupt)?,
                trace_id: row.trace_id,
                observation_id: row.observation_id,
                session_id: row.session_id,
                dataset_run_id: row.dataset_run_id,
                comment: row.comment,
                metadata: Some(Value::Object(parse_object(&row.metadata)?)),
                config_id: row.config_id,
                queue_id: row.queue_id,
                execution_trace_id: row.execution_trace_id,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
