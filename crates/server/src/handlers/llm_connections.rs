//! LLM connections (`../shared/langfuse/features.md` §1.8; Langfuse's
//! `web/src/pages/api/public/llm-connections/*` with the strict response of
//! `web/src/features/public-api/types/llm-connections.ts`): list, upsert by provider name
//! (201 created, 200 updated) and delete. Secrets never leave: responses carry only the
//! masked `displaySecretKey` and the header names.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::time::to_iso;
use sightline_store::LlmConnection;

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::services::llm_connections::{
    self as service, ConnectionError, ConnectionInput, SaveMode,
};
use crate::state::AppState;

impl From<ConnectionError> for ApiError {
    fn from(error: ConnectionError) -> Self {
        match error {
            ConnectionError::Invalid(message) => ApiError::InvalidRequest(message),
            ConnectionError::MissingEncryptionKey => ApiError::InvalidRequest(error.to_string()),
            ConnectionError::NotFound => ApiError::NotFound(error.to_string()),
            ConnectionError::Provider(error) => ApiError::InvalidRequest(error.message),
            ConnectionError::Store(error) => error.into(),
        }
    }
}

pub fn connection_view(connection: &LlmConnection) -> Value {
    json!({
        "id": connection.id,
        "provider": connection.provider,
        "adapter": connection.adapter,
        "displaySecretKey": connection.display_secret_key,
        "baseURL": connection.base_url,
        "customModels": connection.custom_models,
        "withDefaultModels": connection.with_default_models,
        "extraHeaderKeys": connection.extra_header_keys,
        "config": connection.config,
        "createdAt": to_iso(connection.created_at),
        "updatedAt": to_iso(connection.updated_at),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutConnection {
    provider: String,
    adapter: String,
    secret_key: String,
    #[serde(default, rename = "baseURL")]
    base_url: Option<String>,
    #[serde(default)]
    custom_models: Option<Vec<String>>,
    #[serde(default)]
    with_default_models: Option<bool>,
    #[serde(default)]
    extra_headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    config: Option<Value>,
}

pub async fn get_connections(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let (connections, total) = state
        .store()
        .metadata()
        .list_llm_connections(&caller.project_id, page.limit, page.offset())
        .await?;
    let data: Vec<Value> = connections.iter().map(connection_view).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn put_connection(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<PutConnection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if body.secret_key.is_empty() {
        return Err(ApiError::invalid_field(
            "secretKey",
            "secretKey: must not be empty".to_owned(),
        ));
    }
    let input = ConnectionInput {
        provider: body.provider,
        adapter: body.adapter,
        secret_key: body.secret_key,
        base_url: body.base_url,
        custom_models: body.custom_models.unwrap_or_default(),
        with_default_models: body.with_default_models.unwrap_or(true),
        extra_headers: body.extra_headers,
        config: body.config,
    };
    let (connection, created) =
        service::save(&state, &caller.project_id, input, SaveMode::Replace).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(connection_view(&connection))))
}

pub async fn delete_connection(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    service::delete(&state, &caller.project_id, &id).await?;
    Ok(Json(
        json!({"message": "LLM connection successfully deleted"}),
    ))
}
