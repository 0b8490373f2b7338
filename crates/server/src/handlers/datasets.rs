//! Datasets (wire-spec §7): `POST`/`GET /api/public/v2/datasets` (upsert by name),
//! `GET /v2/datasets/{datasetName}`, and the legacy `GET`/`POST /datasets` and
//! `GET /datasets/{datasetName}` that also list item ids (or items) and run names. The JSON
//! shapes of datasets, items, runs and run items live here for the sibling handlers.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use sightline_domain::time::to_iso;
use sightline_store::{Dataset, DatasetItem, DatasetItemQuery, DatasetRun, DatasetRunItem};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::services::datasets::{self, DatasetError, DatasetInput};
use crate::services::media;
use crate::state::AppState;
use crate::views;

impl From<DatasetError> for ApiError {
    fn from(error: DatasetError) -> Self {
        match error {
            DatasetError::Invalid(message) => ApiError::InvalidRequest(message),
            DatasetError::NotFound(message) => ApiError::NotFound(message),
            DatasetError::Conflict(message) => ApiError::Conflict(message),
            DatasetError::Store(error) => error.into(),
        }
    }
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDataset {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    input_schema: Option<Option<Value>>,
    #[serde(default, deserialize_with = "present")]
    expected_output_schema: Option<Option<Value>>,
}

impl From<CreateDataset> for DatasetInput {
    fn from(body: CreateDataset) -> Self {
        DatasetInput {
            name: body.name,
            description: body.description,
            metadata: body.metadata.filter(|metadata| !metadata.is_null()),
            input_schema: body.input_schema,
            expected_output_schema: body.expected_output_schema,
        }
    }
}

pub(crate) fn dataset_view(dataset: &Dataset) -> Value {
    json!({
        "id": dataset.id,
        "name": dataset.name,
        "description": dataset.description,
        "metadata": dataset.metadata,
        "inputSchema": dataset.input_schema,
        "expectedOutputSchema": dataset.expected_output_schema,
        "projectId": dataset.project_id.as_str(),
        "createdAt": to_iso(dataset.created_at),
        "updatedAt": to_iso(dataset.updated_at),
    })
}

/// A dataset item in the API's shape, its `mediaReferences` resolved to download URLs.
pub(crate) async fn item_view(
    state: &AppState,
    project: &sightline_domain::ProjectId,
    item: &DatasetItem,
    base_url: &str,
) -> ApiResult<Value> {
    let mut views = item_views(state, project, std::slice::from_ref(item), base_url).await?;
    Ok(views.remove(0))
}

/// [`item_view`] of each item, each referenced media read once.
pub(crate) async fn item_views(
    state: &AppState,
    project: &sightline_domain::ProjectId,
    items: &[DatasetItem],
    base_url: &str,
) -> ApiResult<Vec<Value>> {
    let references = media::dataset_item_references(state, project, items, base_url).await?;
    Ok(items
        .iter()
        .zip(references)
        .map(|(item, references)| {
            let mut view = views::dataset_item(item);
            view["mediaReferences"] = Value::Array(references);
            view
        })
        .collect())
}

pub(crate) fn run_view(run: &DatasetRun) -> Value {
    json!({
        "id": run.id,
        "name": run.name,
        "description": run.description,
        "metadata": run.metadata,
        "datasetId": run.dataset_id,
        "datasetName": run.dataset_name,
        "createdAt": to_iso(run.created_at),
        "updatedAt": to_iso(run.updated_at),
    })
}

pub(crate) fn run_item_view(item: &DatasetRunItem) -> Value {
    json!({
        "id": item.id,
        "datasetRunId": item.run_id,
        "datasetRunName": item.run_name,
        "datasetItemId": item.dataset_item_id,
        "traceId": item.trace_id,
        "observationId": item.observation_id,
        "createdAt": to_iso(item.created_at),
        "updatedAt": to_iso(item.updated_at),
    })
}

pub async fn post_dataset(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreateDataset>,
) -> ApiResult<Json<Value>> {
    let dataset = datasets::upsert_dataset(state.store(), &caller.project_id, body.into()).await?;
    Ok(Json(dataset_view(&dataset)))
}

pub async fn get_datasets(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let (datasets, total) = state
        .store()
        .metadata()
        .list_datasets(&caller.project_id, page.limit, page.offset())
        .await?;
    let data: Vec<Value> = datasets.iter().map(dataset_view).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_dataset(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let dataset = datasets::dataset_by_name(state.store(), &caller.project_id, &name).await?;
    Ok(Json(dataset_view(&dataset)))
}

/// Legacy `POST /datasets`: the dataset with empty `items` and `runs`.
pub async fn post_legacy_dataset(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreateDataset>,
) -> ApiResult<Json<Value>> {
    let dataset = datasets::upsert_dataset(state.store(), &caller.project_id, body.into()).await?;
    let mut view = dataset_view(&dataset);
    view["items"] = json!([]);
    view["runs"] = json!([]);
    Ok(Json(view))
}

/// Legacy `GET /datasets`: datasets with their active item ids and run names.
pub async fn get_legacy_datasets(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let store = state.store();
    let (datasets, total) = store
        .metadata()
        .list_datasets(&caller.project_id, page.limit, page.offset())
        .await?;
    let ids: Vec<String> = datasets.iter().map(|dataset| dataset.id.clone()).collect();
    let items = store
        .metadata()
        .active_dataset_item_ids(&caller.project_id, &ids)
        .await?;
    let runs = store
        .metadata()
        .dataset_run_names(&caller.project_id, &ids)
        .await?;
    let data: Vec<Value> = datasets
        .iter()
        .map(|dataset| {
            let mut view = dataset_view(dataset);
            let of = |pairs: &[(String, String)]| -> Vec<String> {
                pairs
                    .iter()
                    .filter(|(id, _)| id == &dataset.id)
                    .map(|(_, value)| value.clone())
                    .collect()
            };
            view["items"] = json!(of(&items));
            view["runs"] = json!(of(&runs));
            view
        })
        .collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

/// Legacy `GET /datasets/{datasetName}`: the dataset with its active items and run names.
pub async fn get_legacy_dataset(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let dataset = datasets::dataset_by_name(store, &caller.project_id, &name).await?;
    let query = DatasetItemQuery {
        dataset_id: Some(dataset.id.clone()),
        active_only: true,
        limit: u64::from(u32::MAX),
        ..DatasetItemQuery::default()
    };
    let (items, _) = store
        .metadata()
        .list_dataset_items(&caller.project_id, &query)
        .await?;
    let runs = store
        .metadata()
        .dataset_run_names(&caller.project_id, std::slice::from_ref(&dataset.id))
        .await?;
    let mut view = dataset_view(&dataset);
    view["items"] = Value::Array(
        item_views(
            &state,
            &caller.project_id,
            &items,
            &super::media::base_url(&state, &headers),
        )
        .await?,
    );
    view["runs"] = json!(runs.into_iter().map(|(_, name)| name).collect::<Vec<_>>());
    Ok(Json(view))
}
