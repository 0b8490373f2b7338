//! `GET /api/public/traces/{traceId}`: a trace with its observations and scores.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views;

pub async fn get_trace(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(trace_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let trace = store
        .trace(&caller.project_id, &trace_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Trace {trace_id} not found within authorized project"
            ))
        })?;
    let observations = store
        .trace_observations(&caller.project_id, &trace_id)
        .await?;
    let scores = store.trace_scores(&caller.project_id, &trace_id).await?;
    let mut body = views::trace(&trace);
    body["latency"] = json!(views::trace_latency(&observations));
    body["totalCost"] = json!(views::trace_total_cost(&observations));
    body["observations"] = observations
        .iter()
        .map(|o| views::observation(o, state.rules()))
        .collect();
    body["scores"] = scores.iter().map(views::score).collect();
    Ok(Json(body))
}
