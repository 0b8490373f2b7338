//! Dataset runs and run items (wire-spec §7): `POST /api/public/dataset-run-items` (creates the
//! run by name on first use), `GET /dataset-run-items` (datasetId, runName),
//! `GET /datasets/{datasetName}/runs`, and `GET`/`DELETE /datasets/{datasetName}/runs/{runName}`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::ingest::serde_util::datetime;
use sightline_store::{DatasetRun, Store};

use super::datasets::{run_item_view, run_view};
use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::services::datasets::{self, RunItemInput};
use crate::services::evals::trigger::TargetRef;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRunItem {
    run_name: String,
    #[serde(default)]
    run_description: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    dataset_item_id: String,
    #[serde(default)]
    observation_id: Option<String>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    dataset_version: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

fn time_field(name: &str, raw: Option<String>) -> ApiResult<Option<i64>> {
    raw.map(|raw| {
        datetime::parse(&raw).map_err(|e| ApiError::invalid_field(name, format!("{name}: {e}")))
    })
    .transpose()
}

pub async fn post_dataset_run_item(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreateRunItem>,
) -> ApiResult<Json<Value>> {
    if body.trace_id.is_none() && body.observation_id.is_none() {
        return Err(ApiError::invalid_field(
            "traceId",
            "traceId: either observationId or traceId must be provided",
        ));
    }
    let input = RunItemInput {
        dataset_version: time_field("datasetVersion", body.dataset_version)?,
        created_at: time_field("createdAt", body.created_at)?,
        run_name: body.run_name,
        run_description: body.run_description,
        metadata: body.metadata,
        dataset_item_id: body.dataset_item_id,
        trace_id: body.trace_id,
        observation_id: body.observation_id,
    };
    let item = datasets::create_run_item(state.store(), &caller.project_id, input).await?;
    // Experiment rules evaluate the new run item (`services/evals/trigger.rs`).
    let dataset_id = state
        .store()
        .metadata()
        .dataset_item(&caller.project_id, &item.dataset_item_id)
        .await?
        .map(|dataset_item| dataset_item.dataset_id);
    let target = TargetRef {
        trace_id: item.trace_id.clone(),
        observation_id: item.observation_id.clone(),
        dataset_item_id: Some(item.dataset_item_id.clone()),
        dataset_id,
    };
    state
        .eval_triggers()
        .after_run_items(state.store(), &caller.project_id, vec![target])
        .await?;
    Ok(Json(run_item_view(&item)))
}

pub async fn get_dataset_run_items(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let required = |name: &str| {
        query
            .get(name)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::invalid_field(name, format!("{name}: Required")))
    };
    let (dataset_id, run_name) = (required("datasetId")?, required("runName")?);
    let run = state
        .store()
        .metadata()
        .dataset_run(&caller.project_id, &dataset_id, &run_name)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound("Dataset run not found for the given project and dataset id".into())
        })?;
    let (items, total) = state
        .store()
        .metadata()
        .list_dataset_run_items(&caller.project_id, &run.id, Some(page.limit), page.offset())
        .await?;
    let data: Vec<Value> = items.iter().map(run_item_view).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

async fn load_run(
    store: &Store,
    project: &ProjectId,
    dataset_name: &str,
    run_name: &str,
) -> ApiResult<DatasetRun> {
    let dataset = datasets::dataset_by_name(store, project, dataset_name).await?;
    store
        .metadata()
        .dataset_run(project, &dataset.id, run_name)
        .await?
        .ok_or_else(|| ApiError::NotFound("Dataset run not found".into()))
}

pub async fn get_dataset_runs(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(dataset_name): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let store = state.store();
    let dataset = datasets::dataset_by_name(store, &caller.project_id, &dataset_name).await?;
    let (runs, total) = store
        .metadata()
        .list_dataset_runs(&caller.project_id, &dataset.id, page.limit, page.offset())
        .await?;
    let data: Vec<Value> = runs.iter().map(run_view).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

/// The run with all of its run items.
pub async fn get_dataset_run(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((dataset_name, run_name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let run = load_run(store, &caller.project_id, &dataset_name, &run_name).await?;
    let (items, _) = store
        .metadata()
        .list_dataset_run_items(&caller.project_id, &run.id, None, 0)
        .await?;
    let mut view = run_view(&run);
    view["datasetRunItems"] = Value::Array(items.iter().map(run_item_view).collect());
    Ok(Json(view))
}

pub async fn delete_dataset_run(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((dataset_name, run_name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let run = load_run(store, &caller.project_id, &dataset_name, &run_name).await?;
    if !store
        .metadata()
        .delete_dataset_run(&caller.project_id, &run.id)
        .await?
    {
        return Err(ApiError::NotFound("Dataset run not found".into()));
    }
    Ok(Json(json!({"message": "Dataset run successfully deleted"})))
}
