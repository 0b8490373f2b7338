//! TODO(storage v2): module doc.

use async_trait::async_trait;
#[allow(unused_imports)]
use sightline_domain::cost::ModelDefinition;
#[allow(unused_imports)]
use sightline_domain::time::Millis;
#[allow(unused_imports)]
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

#[allow(unused_imports)]
use crate::*;

/// Traces, observations, scores and sessions: what ingestion writes and the API reads.
#[async_trait]
pub trait TracingStore: Send + Sync {
    /// Writes several requests' ingestion in one transaction (group commit): logs batch events
    /// and refolds their entities, upserts OTel observations, merges OTel trace data, upserts
    /// scores. Nothing is visible until all of it is committed.
    async fn write_ingestion(
        &self,
        writes: &[IngestionWrite],
        rules: &dyn IngestionRules,
    ) -> StoreResult<()>;
    async fn trace(&self, project: &ProjectId, id: &str) -> StoreResult<Option<StoredTrace>>;
    /// The trace's observations, by start time.
    async fn trace_observations(
        &self,
        project: &ProjectId,
        trace_id: &str,
    ) -> StoreResult<Vec<StoredObservation>>;
    async fn observation(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<StoredObservation>>;
    async fn trace_scores(&self, project: &ProjectId, trace_id: &str)
    -> StoreResult<Vec<ScoreRow>>;
    async fn score(&self, project: &ProjectId, id: &str) -> StoreResult<Option<ScoreRow>>;

    /// The project's own model definitions (built-in ones are not stored).
    async fn project_models(&self, project: &ProjectId) -> StoreResult<Vec<ModelDefinition>>;
    /// Stores a project model; `definition.project_id` must be set.
    async fn insert_model(&self, definition: &ModelDefinition) -> StoreResult<()>;
    /// Deletes a project model; returns whether it existed.
    async fn delete_model(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
}

/// Lists and deletes of traces and sessions for the read API.
#[async_trait]
pub trait TraceReadStore: Send + Sync {
    /// A page of traces and the number of all that match.
    async fn list_traces(
        &self,
        project: &ProjectId,
        query: &TraceQuery,
    ) -> StoreResult<(Vec<StoredTrace>, u64)>;
    /// Id, times and cost of every observation of the given traces.
    async fn observation_summaries(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<ObservationSummary>>;
    /// The observations of the given traces without their payloads, by start time (then id):
    /// the trace tree of the UI and the totals of a page of the traces table.
    async fn trace_observation_outlines(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<ObservationOutline>>;
    /// `(trace id, score id)` of every score of the given traces.
    async fn trace_score_ids(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Deletes traces with their observations, scores and logged events; returns how many
    /// traces existed.
    async fn delete_traces(&self, project: &ProjectId, ids: &[String]) -> StoreResult<u64>;
    /// A page of sessions and the number of all that match.
    async fn list_sessions(
        &self,
        project: &ProjectId,
        query: &SessionQuery,
    ) -> StoreResult<(Vec<SessionRow>, u64)>;
}
