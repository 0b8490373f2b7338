//! Annotation queues (`../shared/langfuse/features.md` §4.2; Langfuse's
//! `web/src/pages/api/public/annotation-queues/*` with the bodies of
//! `web/src/features/public-api/types/annotation-queues.ts`, which are strict: an unknown field
//! is a 400): queues, their items and assignments.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::annotation::{AnnotationQueue, QueueItem, QueueItemStatus};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::services::annotation_queues::{self as service, QueueError, QueueFields};
use crate::state::AppState;
use sightline_domain::time::to_iso;

impl From<QueueError> for ApiError {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Invalid(message) => ApiError::InvalidRequest(message),
            QueueError::NotFound(message) => ApiError::NotFound(message),
            QueueError::Store(error) => error.into(),
        }
    }
}

fn queue_view(queue: &AnnotationQueue) -> Value {
    json!({
        "id": queue.id,
        "name": queue.name,
        "description": queue.description,
        "scoreConfigIds": queue.score_config_ids,
        "createdAt": to_iso(queue.created_at),
        "updatedAt": to_iso(queue.updated_at),
    })
}

fn item_view(item: &QueueItem) -> Value {
    json!({
        "id": item.id,
        "queueId": item.queue_id,
        "objectId": item.object_id,
        "objectType": item.object_type.as_str(),
        "status": item.status.as_str(),
        "completedAt": item.completed_at.map(to_iso),
        "createdAt": to_iso(item.created_at),
        "updatedAt": to_iso(item.updated_at),
    })
}

/// An enum field of a body: the value, or a 400 naming the field.
fn parse<T: std::str::FromStr<Err = String>>(field: &str, raw: &str) -> ApiResult<T> {
    raw.parse()
        .map_err(|message| ApiError::invalid_field(field, format!("{field}: {message}")))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateQueue {
    name: String,
    #[serde(default)]
    description: Option<String>,
    score_config_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateItem {
    object_id: String,
    object_type: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateItem {
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assignment {
    user_id: String,
}

pub async fn get_queues(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let (queues, total) = state
        .store()
        .metadata()
        .list_queues(&caller.project_id, page.limit, page.offset())
        .await?;
    let data: Vec<Value> = queues.iter().map(queue_view).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn post_queue(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreateQueue>,
) -> ApiResult<Json<Value>> {
    let fields = QueueFields {
        name: body.name,
        description: body.description,
        score_config_ids: body.score_config_ids,
    };
    let queue = service::create_queue(state.store(), &caller.project_id, fields).await?;
    Ok(Json(queue_view(&queue)))
}

pub async fn get_queue(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(queue_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let queue = service::queue(state.store(), &caller.project_id, &queue_id).await?;
    Ok(Json(queue_view(&queue)))
}

pub async fn get_items(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(queue_id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let status = query
        .get("status")
        .map(|raw| parse::<QueueItemStatus>("status", raw))
        .transpose()?;
    service::queue(state.store(), &caller.project_id, &queue_id).await?;
    let (items, total) = state
        .store()
        .metadata()
        .list_queue_items(
            &caller.project_id,
            &queue_id,
            status,
            page.limit,
            page.offset(),
        )
        .await?;
    let data: Vec<Value> = items.iter().map(item_view).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn post_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(queue_id): Path<String>,
    JsonBody(body): JsonBody<CreateItem>,
) -> ApiResult<Json<Value>> {
    let object_type = parse("objectType", &body.object_type)?;
    let status = match body.status.as_deref() {
        Some(raw) => parse("status", raw)?,
        None => QueueItemStatus::Pending,
    };
    let item = service::create_item(
        state.store(),
        &caller.project_id,
        &queue_id,
        &body.object_id,
        object_type,
        status,
    )
    .await?;
    Ok(Json(item_view(&item)))
}

pub async fn get_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((queue_id, item_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let item = service::item(state.store(), &caller.project_id, &queue_id, &item_id).await?;
    Ok(Json(item_view(&item)))
}

pub async fn patch_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((queue_id, item_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateItem>,
) -> ApiResult<Json<Value>> {
    let status = body
        .status
        .as_deref()
        .map(|raw| parse("status", raw))
        .transpose()?;
    let item = service::set_item_status(
        state.store(),
        &caller.project_id,
        &queue_id,
        &item_id,
        status,
    )
    .await?;
    Ok(Json(item_view(&item)))
}

pub async fn delete_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((queue_id, item_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    service::item(state.store(), &caller.project_id, &queue_id, &item_id).await?;
    state
        .store()
        .metadata()
        .delete_queue_item(&caller.project_id, &queue_id, &item_id)
        .await?;
    Ok(Json(json!({
        "success": true,
        "message": "Annotation queue item deleted successfully",
    })))
}

pub async fn post_assignment(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(queue_id): Path<String>,
    JsonBody(body): JsonBody<Assignment>,
) -> ApiResult<Json<Value>> {
    service::assign(state.store(), &caller.project_id, &queue_id, &body.user_id).await?;
    Ok(Json(json!({
        "userId": body.user_id,
        "projectId": caller.project_id,
        "queueId": queue_id,
    })))
}

pub async fn delete_assignment(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(queue_id): Path<String>,
    JsonBody(body): JsonBody<Assignment>,
) -> ApiResult<Json<Value>> {
    service::queue(state.store(), &caller.project_id, &queue_id).await?;
    state
        .store()
        .metadata()
        .unassign_queue(&caller.project_id, &queue_id, &body.user_id)
        .await?;
    Ok(Json(json!({"success": true})))
}
