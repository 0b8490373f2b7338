//! Dataset items (wire-spec §7): `POST /api/public/dataset-items` (upsert by id, checked
//! against the dataset's JSON Schemas), `GET /dataset-items` (datasetName, sourceTraceId,
//! sourceObservationId, `version` as of a time; ACTIVE items only, as Langfuse), and
//! `GET`/`DELETE /dataset-items/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_store::{DatasetItemQuery, DatasetItemStatus};

use super::datasets::{item_view, item_views};
use super::media::base_url;
use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::services::datasets::{self, ItemInput};
use crate::state::AppState;

/// Langfuse's body limit for dataset items.
pub const DATASET_ITEMS_BODY_LIMIT: usize = 4_500_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetItem {
    dataset_name: String,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    expected_output: Option<Value>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    source_trace_id: Option<String>,
    #[serde(default)]
    source_observation_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

pub async fn post_dataset_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateDatasetItem>,
) -> ApiResult<Json<Value>> {
    let status = body
        .status
        .map(|raw| {
            DatasetItemStatus::parse(&raw).ok_or_else(|| {
                ApiError::invalid_field(
                    "status",
                    format!("status: expected ACTIVE or ARCHIVED, got '{raw}'"),
                )
            })
        })
        .transpose()?;
    let input = ItemInput {
        dataset_name: body.dataset_name,
        id: body.id,
        input: body.input,
        expected_output: body.expected_output,
        metadata: body.metadata,
        source_trace_id: body.source_trace_id,
        source_observation_id: body.source_observation_id,
        status,
    };
    let item = datasets::upsert_item(state.store(), &caller.project_id, input).await?;
    let base = base_url(&state, &headers);
    Ok(Json(
        item_view(&state, &caller.project_id, &item, &base).await?,
    ))
}

pub async fn get_dataset_items(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let as_of = query.time("version")?;
    let dataset_name = query.get("datasetName");
    if as_of.is_some() && dataset_name.is_none() {
        return Err(ApiError::invalid_field(
            "version",
            "version: datasetName is required when version is given",
        ));
    }
    let dataset_id = match dataset_name {
        Some(name) => Some(
            datasets::dataset_by_name(state.store(), &caller.project_id, name)
                .await?
                .id,
        ),
        None => None,
    };
    let items_query = DatasetItemQuery {
        dataset_id,
        source_trace_id: query.get("sourceTraceId").map(str::to_owned),
        source_observation_id: query.get("sourceObservationId").map(str::to_owned),
        as_of,
        active_only: true,
        limit: page.limit,
        offset: page.offset(),
        ..DatasetItemQuery::default()
    };
    let (items, total) = state
        .store()
        .metadata()
        .list_dataset_items(&caller.project_id, &items_query)
        .await?;
    let base = base_url(&state, &headers);
    let data = item_views(&state, &caller.project_id, &items, &base).await?;
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_dataset_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let item = state
        .store()
        .metadata()
        .dataset_item(&caller.project_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Dataset item not found".into()))?;
    let base = base_url(&state, &headers);
    Ok(Json(
        item_view(&state, &caller.project_id, &item, &base).await?,
    ))
}

pub async fn delete_dataset_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if !state
        .store()
        .metadata()
        .delete_dataset_item(&caller.project_id, &id)
        .await?
    {
        return Err(ApiError::NotFound("Dataset item not found".into()));
    }
    Ok(Json(
        json!({"message": "Dataset item successfully deleted"}),
    ))
}
