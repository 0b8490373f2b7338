//! The upserts of the event write, shared by both writers: the statement head (`INSERT INTO …
//! (columns)`), its conflict clause, and the values of one row in column order. The sqlx writer
//! joins many rows into one statement; the SQLite writer runs one prepared statement per row.

use std::sync::Arc;

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{ObservationRow, ScorePatch, TraceRow};
use sightline_domain::time::Millis;

use crate::observations::payload::{self, PayloadCodec};
use crate::sql::Arg;
use crate::sql::json::{json_text, object_text, usage_text};

pub(super) const PLACEHOLDER_TRACE_INSERT: &str =
    "INSERT INTO traces (project_id, id, timestamp, environment, created_at, updated_at)";
pub(super) const PLACEHOLDER_TRACE_CONFLICT: &str = "ON CONFLICT (project_id, id) DO NOTHING";

/// A trace that only its observations name: id, time and environment.
pub(super) fn placeholder_trace_args(
    project: &ProjectId,
    row: &TraceRow,
    version: Millis,
) -> Vec<Arg> {
    vec![
        Arg::from(project.as_str()),
        Arg::from(&row.id),
        Arg::from(row.timestamp),
        Arg::from(&row.environment),
        Arg::from(version),
        Arg::from(version),
    ]
}

pub(super) const TRACE_INSERT: &str = "INSERT INTO traces (project_id, id, timestamp, \
    environment, name, user_id, session_id, release, version, public, tags, metadata, input, \
    output, created_at, updated_at)";
pub(super) const TRACE_CONFLICT: &str = "ON CONFLICT (project_id, id) DO UPDATE SET \
    timestamp = excluded.timestamp, environment = excluded.environment, name = excluded.name, \
    user_id = excluded.user_id, session_id = excluded.session_id, release = excluded.release, \
    version = excluded.version, public = excluded.public, tags = excluded.tags, \
    metadata = excluded.metadata, input = excluded.input, output = excluded.output, \
    updated_at = excluded.updated_at";

/// The trace's values in [`TRACE_INSERT`] order; its input and output are stored as `codec`
/// says.
pub(super) fn trace_args(
    project: &ProjectId,
    row: &TraceRow,
    version: Millis,
    codec: PayloadCodec,
) -> Vec<Arg> {
    vec![
        Arg::from(project.as_str()),
        Arg::from(&row.id),
        Arg::from(row.timestamp),
        Arg::from(&row.environment),
        Arg::from(&row.name),
        Arg::from(&row.user_id),
        Arg::from(&row.session_id),
        Arg::from(&row.release),
        Arg::from(&row.version),
        Arg::from(row.public),
        Arg::from(serde_json::to_string(&row.tags).unwrap_or_else(|_| "[]".into())),
        Arg::from(object_text(&row.metadata)),
        payload::encode_arg(&row.input, codec),
        payload::encode_arg(&row.output, codec),
        Arg::from(version),
        Arg::from(version),
    ]
}

pub(super) const SESSION_INSERT: &str =
    "INSERT INTO sessions (project_id, id, environment, created_at)";
pub(super) const SESSION_CONFLICT: &str = "ON CONFLICT (project_id, id) DO NOTHING";

/// The session of a trace that names one.
pub(super) fn session_args(project: &ProjectId, row: &TraceRow, version: Millis) -> Vec<Arg> {
    vec![
        Arg::from(project.as_str()),
        Arg::from(&row.session_id),
        Arg::from(&row.environment),
        Arg::from(version),
    ]
}

pub(super) const OBSERVATION_INSERT: &str = "INSERT INTO observations (project_id, id, \
    trace_id, type, start_time, end_time, completion_start_time, environment, name, \
    parent_observation_id, level, status_message, version, model, model_parameters, metadata, \
    provided_usage_details, provided_cost_details, usage_details, cost_details, total_cost, \
    internal_model_id, usage_pricing_tier_id, usage_pricing_tier_name, prompt_name, \
    prompt_version, created_at, updated_at, payload_id)";
pub(super) const OBSERVATION_CONFLICT: &str = "ON CONFLICT (project_id, id) DO UPDATE SET \
    trace_id = excluded.trace_id, type = excluded.type, start_time = excluded.start_time, \
    end_time = excluded.end_time, completion_start_time = excluded.completion_start_time, \
    environment = excluded.environment, name = excluded.name, \
    parent_observation_id = excluded.parent_observation_id, level = excluded.level, \
    status_message = excluded.status_message, version = excluded.version, \
    model = excluded.model, model_parameters = excluded.model_parameters, \
    metadata = excluded.metadata, provided_usage_details = excluded.provided_usage_details, \
    provided_cost_details = excluded.provided_cost_details, \
    usage_details = excluded.usage_details, cost_details = excluded.cost_details, \
    total_cost = excluded.total_cost, internal_model_id = excluded.internal_model_id, \
    usage_pricing_tier_id = excluded.usage_pricing_tier_id, \
    usage_pricing_tier_name = excluded.usage_pricing_tier_name, \
    prompt_name = excluded.prompt_name, prompt_version = excluded.prompt_version, \
    updated_at = excluded.updated_at, payload_id = excluded.payload_id";

/// The observation's values in [`OBSERVATION_INSERT`] order, but the last three (`created_at`,
/// `updated_at`: the write's version, and `payload_id`, which the writer adds).
fn observation_values(project: &ProjectId, row: &ObservationRow) -> Vec<Arg> {
    vec![
        Arg::from(project.as_str()),
        Arg::from(&row.id),
        Arg::from(&row.trace_id),
        Arg::from(row.r#type.as_str()),
        Arg::from(row.start_time),
        Arg::from(row.end_time),
        Arg::from(row.completion_start_time),
        Arg::from(&row.environment),
        Arg::from(&row.name),
        Arg::from(&row.parent_observation_id),
        Arg::from(row.level.as_str()),
        Arg::from(&row.status_message),
        Arg::from(&row.version),
        Arg::from(&row.model),
        Arg::from(json_text(&row.model_parameters)),
        Arg::from(object_text(&row.metadata)),
        Arg::from(usage_text(&row.provided_usage_details)),
        Arg::from(usage_text(&row.provided_cost_details)),
        Arg::from(usage_text(&row.usage_details)),
        Arg::from(usage_text(&row.cost_details)),
        Arg::from(row.total_cost),
        Arg::from(&row.internal_model_id),
        Arg::from(&row.usage_pricing_tier_id),
        Arg::from(&row.usage_pricing_tier_name),
        Arg::from(&row.prompt_name),
        Arg::from(row.prompt_version),
    ]
}

/// An observation's stored input and output, either of which may be absent.
pub(super) type StoredPayload<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// An observation encoded for the event write: its column values and its payload (input and
/// output, [`payload::encode`]d). Built where the observation is made (the request for OTel
/// spans), so that the single writer only binds; cloning it shares the encoded values.
#[derive(Debug, Clone)]
pub struct EncodedObservation(Arc<Encoded>);

#[derive(Debug)]
struct Encoded {
    id: String,
    trace_id: String,
    start_time: Millis,
    values: Vec<Arg>,
    input: Option<Vec<u8>>,
    output: Option<Vec<u8>>,
}

impl EncodedObservation {
    pub fn new(project: &ProjectId, row: &ObservationRow, codec: PayloadCodec) -> Self {
        EncodedObservation(Arc::new(Encoded {
            id: row.id.clone(),
            trace_id: row.trace_id.clone(),
            start_time: row.start_time,
            values: observation_values(project, row),
            input: payload::encode(&row.input, codec),
            output: payload::encode(&row.output, codec),
        }))
    }

    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub fn trace_id(&self) -> &str {
        &self.0.trace_id
    }

    pub fn start_time(&self) -> Millis {
        self.0.start_time
    }

    /// The values of [`OBSERVATION_INSERT`] but its last three: the write's version (twice)
    /// and the key of the payload row written with it.
    pub(super) fn values(&self) -> &[Arg] {
        &self.0.values
    }

    /// The stored input and output; an observation without either keeps no payload row (its
    /// `payload_id` is NULL).
    pub(super) fn payload(&self) -> Option<StoredPayload<'_>> {
        let (input, output) = (self.0.input.as_deref(), self.0.output.as_deref());
        (input.is_some() || output.is_some()).then_some((input, output))
    }

    /// The values of [`OBSERVATION_INSERT`] at `version`, pointing at payload row `payload_id`.
    pub(super) fn row_args(&self, version: Millis, payload_id: Option<i64>) -> Vec<Arg> {
        let mut args = self.0.values.clone();
        args.extend([
            Arg::from(version),
            Arg::from(version),
            Arg::from(payload_id),
        ]);
        args
    }

    /// The values of [`PAYLOAD_INSERT`] for payload row `payload_id`.
    pub(super) fn payload_args(&self, payload_id: i64) -> Vec<Arg> {
        vec![
            Arg::from(payload_id),
            Arg::from(self.0.input.clone()),
            Arg::from(self.0.output.clone()),
        ]
    }
}

/// Every write of an observation with input or output adds a payload row, keyed by the next
/// integer (migration 0028: it goes at the end of the table, and no other index is kept), and
/// points the observation at it; the row it pointed at before goes by trigger, as it does when
/// the observation is deleted or written without a payload.
pub(super) const PAYLOAD_INSERT: &str =
    "INSERT INTO observation_payloads (payload_id, input, output)";

pub(super) const SCORE_INSERT: &str = "INSERT INTO scores (project_id, id, name, timestamp, \
    environment, data_type, value, string_value, source, trace_id, observation_id, session_id, \
    dataset_run_id, comment, metadata, config_id, queue_id, execution_trace_id, created_at, \
    updated_at)";
pub(super) const SCORE_CONFLICT: &str = "ON CONFLICT (project_id, id) DO UPDATE SET \
    name = excluded.name, data_type = excluded.data_type, value = excluded.value, \
    string_value = excluded.string_value, source = excluded.source, \
    observation_id = excluded.observation_id, session_id = excluded.session_id, \
    dataset_run_id = excluded.dataset_run_id, comment = excluded.comment, \
    metadata = excluded.metadata, config_id = excluded.config_id, queue_id = excluded.queue_id, \
    execution_trace_id = excluded.execution_trace_id, updated_at = excluded.updated_at";

pub(super) fn score_args(project: &ProjectId, score: &ScorePatch, version: Millis) -> Vec<Arg> {
    let metadata = score
        .metadata
        .clone()
        .unwrap_or_else(|| Value::Object(Default::default()));
    vec![
        Arg::from(project.as_str()),
        Arg::from(&score.id),
        Arg::from(&score.name),
        Arg::from(score.timestamp),
        Arg::from(&score.environment),
        Arg::from(score.data_type.as_str()),
        Arg::from(score.value),
        Arg::from(&score.string_value),
        Arg::from(score.source.as_str()),
        Arg::from(&score.trace_id),
        Arg::from(&score.observation_id),
        Arg::from(&score.session_id),
        Arg::from(&score.dataset_run_id),
        Arg::from(&score.comment),
        Arg::from(metadata.to_string()),
        Arg::from(&score.config_id),
        Arg::from(&score.queue_id),
        Arg::from(&score.execution_trace_id),
        Arg::from(version),
        Arg::from(version),
    ]
}

pub(super) const EVENT_INSERT: &str = "INSERT INTO ingestion_events (project_id, entity, \
    entity_id, event_id, event_type, timestamp, body, created_at)";
pub(super) const EVENT_CONFLICT: &str =
    "ON CONFLICT (project_id, entity, entity_id, event_id) DO NOTHING";

pub(super) fn event_args(
    project: &ProjectId,
    event: &super::LoggedEvent,
    version: Millis,
) -> Vec<Arg> {
    vec![
        Arg::from(project.as_str()),
        Arg::from(event.entity.as_str()),
        Arg::from(&event.entity_id),
        Arg::from(&event.event_id),
        Arg::from(&event.event_type),
        Arg::from(event.timestamp),
        Arg::from(event.body.to_string()),
        Arg::from(version),
    ]
}
