//! Traces, observations and scores of the event store: the write of the ingestion fold
//! ([`EventWriteStore`], [`EventWrite`]), reads by id ([`TracingStore`]), and trace lists
//! ([`TraceReadStore`]).
//!
//! The event store's write contract is small on purpose, so that a store which only appends
//! rows with a version (ClickHouse's `ReplacingMergeTree`) can implement it: the ingestion
//! service folds events into final rows (crates/server `services/ingest/fold.rs`) and hands them
//! over with a version; readers take the latest version of each row.

use std::collections::HashMap;

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{ObservationRow, ScorePatch, TraceRow};
use sightline_domain::time::Millis;

use crate::*;

pub(crate) mod write;

pub use write::EncodedObservation;

mod delete;
mod query;
mod read;

pub use query::{ObservationOutline, ObservationSummary, TraceOrderColumn, TraceQuery};
pub(crate) mod stored;
pub use stored::StoredTrace;

/// Which entity an ingestion event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Trace,
    Observation,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Trace => "trace",
            Entity::Observation => "observation",
        }
    }
}

/// A logged ingestion event: an entity's state is the fold of all of its events.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub entity: Entity,
    pub entity_id: String,
    pub event_id: String,
    pub event_type: String,
    pub timestamp: Millis,
    pub body: serde_json::Value,
}

/// The final rows of one project that one write stores, as one version.
#[derive(Debug, Clone, Default)]
pub struct EventRows {
    /// Replace every earlier version of their id.
    pub traces: Vec<TraceRow>,
    pub observations: Vec<ObservationRow>,
    /// Observations encoded by the request that carried them (OTel spans); stored like
    /// `observations`.
    pub encoded_observations: Vec<EncodedObservation>,
    pub scores: Vec<ScorePatch>,
    /// Stored only where no trace of their id exists (the traces of observations that named
    /// none): on an append-only store, a row that loses to any other version.
    pub placeholder_traces: Vec<TraceRow>,
}

impl EventRows {
    pub fn is_empty(&self) -> bool {
        self.traces.is_empty()
            && self.observations.is_empty()
            && self.encoded_observations.is_empty()
            && self.scores.is_empty()
            && self.placeholder_traces.is_empty()
    }
}

/// Starts the writes of the ingestion fold.
#[async_trait]
pub trait EventWriteStore: Send + Sync {
    /// How this store wants observation payloads encoded ([`EncodedObservation::new`]).
    fn payload_codec(&self) -> PayloadCodec;
    /// Begins one write: on a relational store one transaction (nothing is visible before
    /// [`EventWrite::commit`], and dropping it uncommitted writes nothing). `version` is
    /// stored with every row it puts (the rows' `updated_at`) and must grow between writes.
    async fn begin_event_write(&self, version: Millis) -> StoreResult<Box<dyn EventWrite>>;
}

/// One write of the ingestion fold. The service calls, per group of requests: [`lock`], then
/// per project [`append_events`] and the reads the fold needs, then [`put`], then [`commit`].
///
/// [`lock`]: EventWrite::lock
/// [`append_events`]: EventWrite::append_events
/// [`put`]: EventWrite::put
/// [`commit`]: EventWrite::commit
#[async_trait]
pub trait EventWrite: Send {
    /// Keeps other processes from folding these entities until this write ends, so that two
    /// replicas never fold the same entity from different event sets. A no-op where one
    /// process writes (SQLite) or where the store tolerates the race (append-only stores,
    /// whose readers then see the later version).
    async fn lock(&mut self, keys: &[EntityKey]) -> StoreResult<()>;
    /// The logged events of these entities, by entity id.
    async fn logged_events(
        &mut self,
        project: &ProjectId,
        entity: Entity,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Vec<LoggedEvent>>>;
    /// Logs events; an event already logged (same entity and event id) keeps its first body.
    async fn append_events(
        &mut self,
        project: &ProjectId,
        events: &[LoggedEvent],
    ) -> StoreResult<()>;
    /// The latest versions of these traces (those that exist).
    async fn traces(&mut self, project: &ProjectId, ids: &[&str]) -> StoreResult<Vec<TraceRow>>;
    /// When each of these traces was deleted, for those that were (`trace_tombstones`).
    async fn tombstones(
        &mut self,
        project: &ProjectId,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Millis>>;
    /// Stores the rows as this write's version.
    async fn put(&mut self, project: &ProjectId, rows: &EventRows) -> StoreResult<()>;
    /// Makes everything visible at once.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// An entity that a write locks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityKey {
    pub project: ProjectId,
    pub entity: Entity,
    pub id: String,
}

impl EntityKey {
    /// The key as one text (`project`, entity and id separated by U+001F).
    pub fn to_text(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            self.project.as_str(),
            self.entity.as_str(),
            self.id
        )
    }
}

/// Traces, observations and scores read by id.
#[async_trait]
pub trait TracingStore: Send + Sync {
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
}

/// Trace lists of the read API and the UI (with their filters and counts), the summaries,
/// outlines and score ids of a page of traces, and deleting traces; implemented on the
/// relational store in `read.rs` and `delete.rs`. Session lists are [`SessionStore`]'s.
#[async_trait]
pub trait TraceReadStore: Send + Sync {
    /// A page of traces and the number of all that match.
    async fn list_traces(
        &self,
        project: &ProjectId,
        query: &TraceQuery,
    ) -> StoreResult<(Vec<StoredTrace>, u64)>;
    /// The page of traces [`TraceReadStore::list_traces`] gives, without counting all that
    /// match (jobs that page through every match).
    async fn select_traces(
        &self,
        project: &ProjectId,
        query: &TraceQuery,
    ) -> StoreResult<Vec<StoredTrace>>;
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
    /// Whether any of the projects has a trace with a timestamp, and an observation with a
    /// start time, in `[from, to]`: (traces, observations).
    async fn recent_events(
        &self,
        projects: &[ProjectId],
        from: Millis,
        to: Millis,
    ) -> StoreResult<(bool, bool)>;
    /// One batch of data retention: deletes up to `limit` each of the traces, observations
    /// and scores older than `cutoff` (timestamp, start time, timestamp), with their payloads
    /// and logged events; returns how many rows went (0: nothing older is left).
    async fn delete_older_than(
        &self,
        project: &ProjectId,
        cutoff: Millis,
        limit: u64,
    ) -> StoreResult<u64>;
    /// Deletes every trace, observation, score, session and logged event of the project, and
    /// what derives from them: what a project delete does on the event side, before the
    /// metadata store deletes the project.
    async fn delete_project_events(&self, project: &ProjectId) -> StoreResult<()>;
}
