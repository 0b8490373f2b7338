//! `GET /api/public/observations/{observationId}`.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views;

pub async fn get_observation(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(observation_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let observation = state
        .store()
        .observation(&caller.project_id, &observation_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Observation {observation_id} not found within authorized project"
            ))
        })?;
    Ok(Json(views::observation(&observation, state.rules())))
}
