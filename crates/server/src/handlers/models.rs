//! `GET`/`POST /api/public/models`, `GET`/`DELETE /api/public/models/{id}`: the project's own
//! models (which price its observations before the built-in ones) and the built-in table.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use sightline_domain::cost::CompiledModel;

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, Query};
use crate::pagination::PageQuery;
use crate::services::models::{self, CreateModel, ModelError, model_json};
use crate::state::AppState;

/// Project models first (oldest first), then the built-in table.
async fn all_models(
    state: &AppState,
    caller: &crate::auth::ApiCaller,
) -> ApiResult<Vec<CompiledModel>> {
    Ok(models::list_models(state.store(), state.rules(), &caller.project_id).await?)
}

impl From<ModelError> for ApiError {
    fn from(error: ModelError) -> Self {
        match error {
            ModelError::Invalid(message) => ApiError::InvalidRequest(message),
            // Langfuse refines its body schema with these: zod's shape, for the whole body.
            ModelError::InvalidPrices(message) => ApiError::InvalidData {
                path: Vec::new(),
                message,
            },
            ModelError::Managed => ApiError::InvalidRequest(error.to_string()),
            ModelError::NotFound(_) => ApiError::NotFound(error.to_string()),
            ModelError::Store(error) => error.into(),
        }
    }
}

pub async fn get_models(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let models = all_models(&state, &caller).await?;
    let data: Vec<Value> = page
        .slice(&models)
        .iter()
        .map(|m| model_json(m, None))
        .collect();
    Ok(Json(
        json!({"data": data, "meta": page.meta(models.len() as u64)}),
    ))
}

pub async fn get_model(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let models = all_models(&state, &caller).await?;
    let model = models
        .iter()
        .find(|model| model.id() == id)
        .ok_or_else(|| ApiError::NotFound(format!("Model {id} not found")))?;
    Ok(Json(model_json(model, None)))
}

pub async fn post_model(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(request): JsonBody<CreateModel>,
) -> ApiResult<Json<Value>> {
    let model =
        models::create_model(state.store(), state.rules(), &caller.project_id, request).await?;
    Ok(Json(model_json(
        &model,
        Some(sightline_domain::time::now_ms()),
    )))
}

pub async fn delete_model(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    models::delete_model(state.store(), state.rules(), &caller.project_id, &id).await?;
    Ok(Json(json!({"message": "Model successfully deleted"})))
}
