//! Experiments (wire-spec §7.3): `GET /api/public/experiments` and
//! `GET /api/public/experiment-items`, read from dataset runs and run items (SDK 4.x run items
//! and SDK 5.x experiment spans alike). Cursor pages; the cursor is an opaque offset.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sightline_domain::ProjectId;
use sightline_domain::filter::{OptionsOperator, Test, TextOperator};
use sightline_domain::time::to_iso;
use sightline_store::{ExperimentItemQuery, ExperimentQuery, ScoreQuery, Store};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::handlers::scores_v3::v3_score_full;
use crate::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::services::experiments as service;
use crate::state::AppState;

/// `limit` (1..=100, default 50) and the offset a `cursor` stands for.
fn window(query: &QueryPairs) -> ApiResult<(u64, u64)> {
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "limit",
                    format!("limit: expected an integer from 1 to {MAX_LIMIT}, got '{raw}'"),
                )
            })?,
    };
    let offset = match query.get("cursor") {
        None => 0,
        Some(raw) => URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.strip_prefix("v1:").and_then(|n| n.parse::<u64>().ok()))
            .ok_or_else(|| ApiError::invalid_field("cursor", "cursor: invalid cursor"))?,
    };
    Ok((limit, offset))
}

fn next_cursor(offset: u64, limit: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{}", offset + limit))
}

/// Comma-separated (or repeated) values of `name`.
fn list(query: &QueryPairs, name: &str) -> Vec<String> {
    query
        .all(name)
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The requested field groups, checked against `allowed`.
fn fields(query: &QueryPairs, allowed: &[&str], default: &[&str]) -> ApiResult<Vec<String>> {
    let groups = list(query, "fields");
    if groups.is_empty() {
        return Ok(default.iter().map(|group| (*group).to_owned()).collect());
    }
    if let Some(unknown) = groups
        .iter()
        .find(|group| !allowed.contains(&group.as_str()))
    {
        return Err(ApiError::invalid_field(
            "fields",
            format!("fields: unknown field group '{unknown}'"),
        ));
    }
    Ok(groups)
}

/// `scoreLimit` (1..=50, default 50).
fn score_limit(query: &QueryPairs) -> ApiResult<u64> {
    match query.get("scoreLimit") {
        None => Ok(50),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|limit| (1..=50).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "scoreLimit",
                    format!("scoreLimit: expected an integer from 1 to 50, got '{raw}'"),
                )
            }),
    }
}

/// The named list filters (`id=a,b`) combined with the `filter` parameter's conditions on the
/// same columns (`any of` or `=`); both must hold, so their values intersect. `columns` pairs
/// each filter column with its query parameter.
fn list_filters(query: &QueryPairs, columns: &[(&str, &str)]) -> ApiResult<Vec<Vec<String>>> {
    let mut lists: Vec<Vec<String>> = columns
        .iter()
        .map(|(_, param)| list(query, param))
        .collect();
    for (index, condition) in query.filter()?.into_iter().enumerate() {
        let Some(slot) = columns
            .iter()
            .position(|(column, _)| *column == condition.column)
        else {
            let known: Vec<&str> = columns.iter().map(|(column, _)| *column).collect();
            return Err(ApiError::InvalidData {
                path: vec![json!("filter"), json!(index), json!("column")],
                message: format!(
                    "filter: unknown column '{}'; supported: {}",
                    condition.column,
                    known.join(", ")
                ),
            });
        };
        let values = match condition.test {
            Test::Options(OptionsOperator::AnyOf, values) => values,
            Test::Text(TextOperator::Equal, value) => vec![value],
            _ => {
                return Err(ApiError::InvalidData {
                    path: vec![json!("filter"), json!(index), json!("operator")],
                    message: "filter: only 'any of' and '=' are supported here".into(),
                });
            }
        };
        let list = &mut lists[slot];
        if list.is_empty() {
            *list = values;
        } else {
            list.retain(|value| values.contains(value));
            if list.is_empty() {
                // Nothing can match both; keep an impossible value so the list still filters.
                list.push(String::new());
            }
        }
    }
    Ok(lists)
}

fn times(query: &QueryPairs) -> ApiResult<(i64, Option<i64>)> {
    let from = query
        .time("fromStartTime")?
        .ok_or_else(|| ApiError::invalid_field("fromStartTime", "fromStartTime: Required"))?;
    Ok((from, query.time("toStartTime")?))
}

fn page(data: Vec<Value>, limit: u64, offset: u64) -> Value {
    let mut data = data;
    let mut meta = Map::new();
    if data.len() as u64 > limit {
        data.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        meta.insert("cursor".into(), Value::String(next_cursor(offset, limit)));
    }
    json!({"data": data, "meta": meta})
}

pub async fn get_experiments(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let groups = fields(&query, &["core", "metadata", "scores"], &["core"])?;
    let (limit, offset) = window(&query)?;
    let (from, to) = times(&query)?;
    let scores_limit = score_limit(&query)?;
    let mut lists = list_filters(
        &query,
        &[("id", "id"), ("name", "name"), ("datasetId", "datasetId")],
    )?
    .into_iter();
    let mut next = || lists.next().unwrap_or_default();
    let store = state.store();
    let experiments = service::list_experiments(
        store,
        &caller.project_id,
        &ExperimentQuery {
            from_start_time: from,
            to_start_time: to,
            ids: next(),
            names: next(),
            dataset_ids: next(),
            limit: limit + 1,
            offset,
        },
    )
    .await?;
    let with_scores = groups.iter().any(|group| group == "scores");
    let mut data = Vec::with_capacity(experiments.len());
    for (index, experiment) in experiments.iter().enumerate() {
        let mut view = experiment_view(experiment, &groups);
        // The row past the page only says that there is a next page.
        if with_scores && (index as u64) < limit {
            let query = ScoreQuery {
                dataset_run_ids: vec![experiment.run.id.clone()],
                ..ScoreQuery::default()
            };
            view["scores"] = scores(store, &caller.project_id, query, scores_limit).await?;
        }
        data.push(view);
    }
    Ok(Json(page(data, limit, offset)))
}

/// Up to `limit` scores that match, newest first, in the v3 shape.
async fn scores(
    store: &Store,
    project: &ProjectId,
    query: ScoreQuery,
    limit: u64,
) -> ApiResult<Value> {
    let query = ScoreQuery { limit, ..query };
    let found = store.events().select_scores(project, &query).await?;
    Ok(Value::Array(
        found
            .iter()
            .map(|entry| v3_score_full(&entry.score, project.as_str()))
            .collect(),
    ))
}

fn experiment_view(experiment: &sightline_store::Experiment, groups: &[String]) -> Value {
    let run = &experiment.run;
    let mut view = json!({
        "id": run.id,
        "name": run.name,
        "description": run.description,
        "startTime": to_iso(experiment.start_time),
        "endTime": to_iso(experiment.end_time),
        "itemCount": experiment.item_count,
        "datasetId": run.dataset_id,
    });
    if groups.iter().any(|group| group == "metadata") {
        view["metadata"] = run.metadata.clone().unwrap_or_else(|| json!({}));
    }
    view
}

pub async fn get_experiment_items(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let groups = fields(
        &query,
        &[
            "core",
            "dataset",
            "io",
            "metadata",
            "itemMetadata",
            "experimentMetadata",
            "scores",
        ],
        &["core", "dataset"],
    )?;
    let has = |group: &str| groups.iter().any(|g| g == group);
    let (limit, offset) = window(&query)?;
    let (from, to) = times(&query)?;
    let scores_limit = score_limit(&query)?;
    let mut lists = list_filters(
        &query,
        &[
            ("experimentId", "experimentId"),
            ("experimentName", "experimentName"),
            ("experimentItemId", "experimentItemId"),
            ("datasetId", "datasetId"),
        ],
    )?
    .into_iter();
    let mut next = || lists.next().unwrap_or_default();
    let store = state.store();
    let items = service::list_experiment_items(
        store,
        &caller.project_id,
        &ExperimentItemQuery {
            from_start_time: from,
            to_start_time: to,
            experiment_ids: next(),
            experiment_names: next(),
            item_ids: next(),
            dataset_ids: next(),
            limit: limit + 1,
            offset,
        },
    )
    .await?;
    let mut data = Vec::with_capacity(items.len());
    for (index, entry) in items.iter().enumerate() {
        let mut view = item_view(entry, &has);
        if has("scores") && (index as u64) < limit {
            let query = ScoreQuery {
                trace_ids: vec![entry.item.trace_id.clone()],
                ..ScoreQuery::default()
            };
            view["scores"] = scores(store, &caller.project_id, query, scores_limit).await?;
        }
        data.push(view);
    }
    Ok(Json(page(data, limit, offset)))
}

fn item_view(entry: &sightline_store::ExperimentItem, has: &dyn Fn(&str) -> bool) -> Value {
    let (item, run) = (&entry.item, &entry.run);
    let mut view = json!({
        "id": item.observation_id.clone().unwrap_or_else(|| item.id.clone()),
        "traceId": item.trace_id,
        "startTime": to_iso(entry.start_time),
        "endTime": entry.end_time.map(to_iso),
        "level": entry.level,
        "environment": entry.environment,
        "experimentId": run.id,
        "experimentName": run.name,
        "experimentItemId": item.dataset_item_id,
    });
    if has("dataset") {
        view["experimentDatasetId"] = json!(run.dataset_id);
        view["experimentItemVersion"] = json!(item.dataset_item_version.map(to_iso));
        view["experimentDescription"] = json!(run.description);
    }
    if has("io") {
        view["input"] = json!(entry.input);
        view["output"] = json!(entry.output);
        view["expectedOutput"] = json!(item.expected_output);
    }
    if has("metadata") {
        view["metadata"] = json!(entry.metadata);
    }
    if has("itemMetadata") {
        view["experimentItemMetadata"] = json!(item.item_metadata);
    }
    if has("experimentMetadata") {
        view["experimentMetadata"] = json!(run.metadata);
    }
    view
}
