//! `GET /api/public/projects`: the project of the calling key, with its organization
//! (the Python SDK's `auth_check()` and project lookup).

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn get_projects(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
) -> ApiResult<Json<Value>> {
    let found = state
        .store()
        .metadata()
        .project(&caller.project_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Project not found".into()))?;
    let metadata: Value =
        serde_json::from_str(&found.project.metadata).unwrap_or_else(|_| Value::Object(Map::new()));
    let mut project = json!({
        "id": found.project.id,
        "name": found.project.name,
        "organization": {"id": found.organization.id, "name": found.organization.name},
        "metadata": metadata,
    });
    if let Some(days) = found.project.retention_days.filter(|days| *days > 0) {
        project["retentionDays"] = json!(days);
    }
    Ok(Json(json!({ "data": [project] })))
}
