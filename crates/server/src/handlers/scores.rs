//! `POST /api/public/scores`: one score (→ `{"id"}`) or, as the Python SDK 5.x sends them, an
//! array of scores (→ 202 when all were accepted, 207 with the rejections otherwise).
//! Basic auth or a Bearer public key.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sightline_domain::ingest::score::{ScoreBody, validate_score};
use sightline_domain::ingest::{ScorePatch, ScoreSource};
use sightline_domain::time::now_ms;
use sightline_store::IngestionWrite;

use crate::auth::ScoresAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::handlers::ingestion::batch_error;
use crate::services::ingest::IngestError;
use crate::state::AppState;

fn parse_score(value: Value) -> Result<ScorePatch, String> {
    let body: ScoreBody = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if body.source == Some(ScoreSource::Eval) {
        return Err("source: EVAL is reserved for evaluators; use API or ANNOTATION".into());
    }
    validate_score(body, now_ms())
}

pub async fn post_scores(
    State(state): State<AppState>,
    ScoresAuth(caller): ScoresAuth,
    Body(body): Body,
) -> ApiResult<Response> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("Invalid JSON: {e}")))?;
    let mut write = IngestionWrite::new(caller.project_id.clone());
    let (single, errors) = match value {
        Value::Array(items) => {
            let mut errors = Vec::new();
            for item in items {
                match parse_score(item) {
                    Ok(score) => write.scores.push(score),
                    Err(message) => errors.push(message),
                }
            }
            (None, errors)
        }
        object @ Value::Object(_) => {
            let score = parse_score(object).map_err(ApiError::InvalidRequest)?;
            let id = score.id.clone();
            write.scores.push(score);
            (Some(id), Vec::new())
        }
        _ => {
            return Err(ApiError::InvalidRequest(
                "Expected a score object or an array of scores".into(),
            ));
        }
    };
    let accepted = write.scores.len();
    state
        .writer()
        .submit(write, body.len())
        .await
        .map_err(|e| batch_error(IngestError::from(e), StatusCode::TOO_MANY_REQUESTS))?;
    Ok(match single {
        Some(id) => Json(json!({ "id": id })).into_response(),
        None if errors.is_empty() => {
            (StatusCode::ACCEPTED, Json(json!({"message": "Accepted"}))).into_response()
        }
        None => (
            StatusCode::MULTI_STATUS,
            Json(json!({
                "accepted": accepted,
                "rejected": errors.len(),
                "errors": errors.iter().map(|message| json!({"message": message})).collect::<Vec<_>>(),
            })),
        )
            .into_response(),
    })
}
