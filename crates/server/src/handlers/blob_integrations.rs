//! Blob storage integrations (`/api/public/integrations/blob-storage*`, organization keys):
//! list, upsert by project, sync status and delete of a project's scheduled exports to its own
//! bucket (`services/blob_integrations.rs`).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use sightline_domain::time::now_ms;

use crate::auth::OrgAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json as JsonBody;
use crate::services::blob_integrations::{self as service, IntegrationError, UpsertRequest};
use crate::state::AppState;

impl From<IntegrationError> for ApiError {
    fn from(error: IntegrationError) -> Self {
        match error {
            IntegrationError::Invalid(message) => ApiError::InvalidRequest(message),
            IntegrationError::NotFound(message) => ApiError::NotFound(message),
            IntegrationError::Store(error) => error.into(),
        }
    }
}

pub async fn get_integrations(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
) -> ApiResult<Json<Value>> {
    let integrations = state
        .store()
        .metadata()
        .org_blob_integrations(&caller.org_id)
        .await?;
    Ok(Json(
        json!({"data": integrations.iter().map(service::view).collect::<Vec<_>>()}),
    ))
}

pub async fn put_integration(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    JsonBody(body): JsonBody<UpsertRequest>,
) -> ApiResult<Json<Value>> {
    let integration = service::upsert(&state, &caller.org_id, body).await?;
    Ok(Json(service::view(&integration)))
}

pub async fn get_integration_status(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let integration = service::of_org(&state, &caller.org_id, &id).await?;
    Ok(Json(service::status_view(&integration, now_ms())))
}

pub async fn delete_integration(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let integration = service::of_org(&state, &caller.org_id, &id).await?;
    state
        .store()
        .metadata()
        .delete_blob_integration(&integration.project_id)
        .await?;
    Ok(Json(
        json!({"message": "Blob storage integration deleted successfully"}),
    ))
}
