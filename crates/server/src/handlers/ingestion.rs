//! `POST /api/public/ingestion`: the batch API (wire-spec §2), answered 207 with per-event
//! results once the valid events are committed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::ScoresAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IngestTurn};
use crate::services::ingest::IngestError;
use crate::services::ingest::batch::{BatchOutcome, ingest_batch};
use crate::services::ingest::writer::SubmitError;
use crate::state::AppState;

/// Langfuse's limit for `/ingestion` bodies.
pub const INGESTION_BODY_LIMIT: usize = 4_718_592;

pub async fn post_ingestion(
    State(state): State<AppState>,
    ScoresAuth(caller): ScoresAuth,
    IngestTurn(turn): IngestTurn,
    Body(body): Body,
) -> ApiResult<Response> {
    let size = body.len();
    // Parsed on a blocking thread: a long poll here would delay the ingestion writer's task.
    let value: Value = tokio::task::spawn_blocking(move || serde_json::from_slice(&body))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::InvalidEnvelope(format!("Invalid JSON: {e}")))?;
    let outcome = ingest_batch(&state, &caller, &value, size, turn)
        .await
        .map_err(|e| batch_error(e, StatusCode::TOO_MANY_REQUESTS))?;
    Ok((StatusCode::MULTI_STATUS, Json(multi_status(&outcome))).into_response())
}

pub fn multi_status(outcome: &BatchOutcome) -> Value {
    let successes: Vec<Value> = outcome
        .successes
        .iter()
        .map(|id| json!({"id": id, "status": 201}))
        .collect();
    let errors: Vec<Value> = outcome
        .errors
        .iter()
        .map(|e| json!({"id": e.id, "status": e.status, "message": e.message, "error": e.error}))
        .collect();
    json!({"successes": successes, "errors": errors})
}

/// Maps an ingestion failure; `busy` is the status for a full queue (429 batch, 503 OTLP).
pub fn batch_error(error: IngestError, busy: StatusCode) -> ApiError {
    match error {
        IngestError::Invalid(message) => ApiError::InvalidEnvelope(message),
        IngestError::Busy => ApiError::Backpressure(busy),
        IngestError::Failed(SubmitError::Failed(error)) => ApiError::from(error),
        IngestError::Failed(error) => ApiError::internal(error),
        other @ IngestError::Internal(_) => ApiError::internal(other),
    }
}
