//! Ingestion: the batch API and OTLP both end in an [`IngestionWrite`] that the group-commit
//! [`writer`] commits; [`rules`] is the merge and pricing policy applied while it does.
//!
//! [`IngestionWrite`]: sightline_store::IngestionWrite

pub mod batch;
pub mod otlp;
pub mod rules;
pub mod writer;

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
}

impl From<writer::SubmitError> for IngestError {
    fn from(error: writer::SubmitError) -> Self {
        match error {
            writer::SubmitError::Busy => IngestError::Busy,
            other => IngestError::Failed(other),
        }
    }
}
