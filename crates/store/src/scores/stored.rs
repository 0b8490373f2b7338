//! A stored score and the row it is decoded from.

use serde_json::Value;
use sightline_domain::ingest::ScorePatch;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};
use crate::sql::json::parse_object;

/// A stored score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub score: ScorePatch,
    pub created_at: Millis,
    pub updated_at: Millis,
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
