//! A stored observation and the row it is decoded from.

use std::sync::LazyLock;

use sightline_domain::ProjectId;
use sightline_domain::ingest::{Level, ObservationRow, ObservationType};
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};
use crate::observations::payload;
use crate::sql::json::{parse_json, parse_object, parse_usage};

/// A stored observation with its bookkeeping times.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub row: ObservationRow,
    pub project_id: ProjectId,
    pub created_at: Millis,
    pub updated_at: Millis,
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
    /// Stored payloads ([`payload`]).
    input: Option<Vec<u8>>,
    output: Option<Vec<u8>>,
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

/// The columns of [`ObservationSqlRow`], for a query whose observation table is named
/// `observations`; input and output come from `observation_payloads` ([`payload::column_sql`]).
pub(crate) static OBSERVATION_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "observations.project_id, observations.id, observations.trace_id, observations.type, \
         observations.start_time, observations.end_time, observations.completion_start_time, \
         observations.environment, observations.name, observations.parent_observation_id, \
         observations.level, observations.status_message, observations.version, \
         observations.model, observations.model_parameters, observations.metadata, \
         {} AS input, {} AS output, observations.provided_usage_details, \
         observations.provided_cost_details, observations.usage_details, \
         observations.cost_details, observations.total_cost, observations.internal_model_id, \
         observations.usage_pricing_tier_id, observations.usage_pricing_tier_name, \
         observations.prompt_name, observations.prompt_version, observations.created_at, \
         observations.updated_at",
        payload::column_sql("input"),
        payload::column_sql("output"),
    )
});

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
                input: payload::decode(row.input)?,
                output: payload::decode(row.output)?,
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

impl ObservationSqlRow {
    /// Decodes a row of `SELECT {OBSERVATION_COLUMNS}` read through rusqlite.
    pub(crate) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<ObservationSqlRow> {
        Ok(ObservationSqlRow {
            project_id: row.get(0)?,
            id: row.get(1)?,
            trace_id: row.get(2)?,
            r#type: row.get(3)?,
            start_time: row.get(4)?,
            end_time: row.get(5)?,
            completion_start_time: row.get(6)?,
            environment: row.get(7)?,
            name: row.get(8)?,
            parent_observation_id: row.get(9)?,
            level: row.get(10)?,
            status_message: row.get(11)?,
            version: row.get(12)?,
            model: row.get(13)?,
            model_parameters: row.get(14)?,
            metadata: row.get(15)?,
            input: stored_bytes(row, 16)?,
            output: stored_bytes(row, 17)?,
            provided_usage_details: row.get(18)?,
            provided_cost_details: row.get(19)?,
            usage_details: row.get(20)?,
            cost_details: row.get(21)?,
            total_cost: row.get(22)?,
            internal_model_id: row.get(23)?,
            usage_pricing_tier_id: row.get(24)?,
            usage_pricing_tier_name: row.get(25)?,
            prompt_name: row.get(26)?,
            prompt_version: row.get(27)?,
            created_at: row.get(28)?,
            updated_at: row.get(29)?,
        })
    }
}

/// A stored payload column, BLOB or text alike.
fn stored_bytes(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<Vec<u8>>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(index)? {
        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => Some(bytes.to_vec()),
        _ => None,
    })
}
