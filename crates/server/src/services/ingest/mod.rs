//! Ingestion: the batch API and OTLP both end in an [`IngestionWrite`] that the group-commit
//! [`writer`] commits; [`fold`] turns the writes of a group into final rows (Langfuse's merge
//! rules) and [`rules`] prices observations.

use std::sync::Arc;

use sightline_domain::ProjectId;
use sightline_domain::ingest::{ObservationRow, ScorePatch, TracePatch};
use sightline_store::{EncodedObservation, ExperimentLink, LoggedEvent};

pub mod batch;
pub mod fold;
pub mod otlp;
pub mod rules;
mod tombstones;
pub mod writer;

/// Ingestion requests read, decoded, validated and priced at once; more wait, unread, for a
/// turn. This bounds the memory of bodies being parsed however many clients send at the same
/// time. A request gives its turn back before it waits for its commit (the writer's byte
/// budget bounds what waits there), so the next requests are parsed while a group commits.
pub const PARSE_CONCURRENCY: usize = 8;

/// The right to read and parse one ingestion request ([`PARSE_CONCURRENCY`]); dropped before
/// the request waits for its commit.
pub struct ParseTurn(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// The turns every ingestion route and the gRPC service share.
#[derive(Clone)]
pub struct ParseTurns(Arc<tokio::sync::Semaphore>);

impl Default for ParseTurns {
    fn default() -> Self {
        ParseTurns(Arc::new(tokio::sync::Semaphore::new(PARSE_CONCURRENCY)))
    }
}

impl ParseTurns {
    /// Waits for a turn.
    pub async fn take(&self) -> Result<ParseTurn, IngestError> {
        // The semaphore is never closed; were it, the request is turned away as busy.
        let permit = self.0.clone().acquire_owned().await;
        permit.map(ParseTurn).map_err(|_| IngestError::Busy)
    }
}

/// Everything one request ingests for one project; committed in one write with others.
#[derive(Debug, Clone)]
pub struct IngestionWrite {
    pub project_id: ProjectId,
    /// Batch events of traces and observations, logged and folded.
    pub events: Vec<LoggedEvent>,
    /// Complete observations, already priced ([`rules::Rules::enrich`]), stored as they are.
    pub observations: Vec<ObservationRow>,
    /// The same, encoded by the request (OTel spans): the writer only binds them.
    pub encoded_observations: Vec<EncodedObservation>,
    /// Trace-level data of OTel spans, merged onto the stored traces in order.
    pub trace_patches: Vec<TracePatch>,
    pub scores: Vec<ScorePatch>,
    /// Runs and run items named by SDK experiment spans (wire-spec §7.4), written to the
    /// metadata store once the events are committed.
    pub experiments: Vec<ExperimentLink>,
}

impl IngestionWrite {
    pub fn new(project_id: ProjectId) -> Self {
        IngestionWrite {
            project_id,
            events: Vec::new(),
            observations: Vec::new(),
            encoded_observations: Vec::new(),
            trace_patches: Vec::new(),
            scores: Vec::new(),
            experiments: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.observations.is_empty()
            && self.encoded_observations.is_empty()
            && self.trace_patches.is_empty()
            && self.scores.is_empty()
            && self.experiments.is_empty()
    }
}

/// Why an ingestion request as a whole was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body is not the expected envelope (batch) or cannot be decoded (OTLP).
    #[error("{0}")]
    Invalid(String),
    /// The write queue is full; the client should retry later.
    #[error("the ingestion queue is full")]
    Busy,
    #[error(transparent)]
    Failed(writer::SubmitError),
    /// A bug: the request's parsing did not finish (it panicked).
    #[error("{0}")]
    Internal(String),
}

impl From<writer::SubmitError> for IngestError {
    fn from(error: writer::SubmitError) -> Self {
        match error {
            writer::SubmitError::Busy => IngestError::Busy,
            other => IngestError::Failed(other),
        }
    }
}
