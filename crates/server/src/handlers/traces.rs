//! `GET /api/public/traces` (list), `GET /api/public/traces/{traceId}`,
//! `DELETE /api/public/traces/{traceId}` and `DELETE /api/public/traces` (several).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_store::{MAX_LIST_VALUES, TraceOrderColumn, TraceQuery};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::pagination::Page;
use crate::state::AppState;
use crate::views;

/// The field groups of `fields=`; unknown names are ignored, none given means all.
struct Fields {
    io: bool,
    scores: bool,
    observations: bool,
    metrics: bool,
}

impl Fields {
    fn parse(raw: Option<&str>) -> Fields {
        let Some(raw) = raw else {
            return Fields {
                io: true,
                scores: true,
                observations: true,
                metrics: true,
            };
        };
        let names: Vec<&str> = raw.split(',').map(str::trim).collect();
        Fields {
            io: names.contains(&"io"),
            scores: names.contains(&"scores"),
            observations: names.contains(&"observations"),
            metrics: names.contains(&"metrics"),
        }
    }
}

/// The store query of a `GET /traces` request, and the page it asks for.
fn trace_query(query: &QueryPairs) -> ApiResult<(TraceQuery, Page)> {
    let page = query.page()?;
    let filter = query.filter()?;
    // A condition of the filter takes the place of the named parameter of its column.
    let named = |parameter: &str| {
        query
            .get(parameter)
            .filter(|_| !filter.iter().any(|condition| condition.column == parameter))
            .map(str::to_owned)
    };
    let named_all = |parameter: &str| {
        if filter.iter().any(|condition| condition.column == parameter) {
            Vec::new()
        } else {
            query.all(parameter)
        }
    };
    let (order_by, descending) = match query.get("orderBy") {
        None => (TraceOrderColumn::Timestamp, true),
        Some(raw) => {
            let (field, direction) = raw.split_once('.').unwrap_or((raw, "desc"));
            let column = TraceOrderColumn::parse(field).ok_or_else(|| {
                ApiError::invalid_field("orderBy", format!("orderBy: unknown field '{field}'"))
            })?;
            let descending = match direction {
                "desc" => true,
                "asc" => false,
                other => {
                    return Err(ApiError::invalid_field(
                        "orderBy",
                        format!("orderBy: direction must be asc or desc, got '{other}'"),
                    ));
                }
            };
            (column, descending)
        }
    };
    // Every tag must be on the trace: more than the store takes in one list is a 400, never a
    // statement the database refuses.
    let tags = named_all("tags");
    if tags.len() > MAX_LIST_VALUES {
        return Err(ApiError::invalid_field(
            "tags",
            format!("tags: at most {MAX_LIST_VALUES} values, got {}", tags.len()),
        ));
    }
    let trace_query = TraceQuery {
        user_id: named("userId"),
        name: named("name"),
        session_id: named("sessionId"),
        from_timestamp: query.time("fromTimestamp")?,
        to_timestamp: query.time("toTimestamp")?,
        tags,
        version: named("version"),
        release: named("release"),
        environments: named_all("environment"),
        filter,
        ids: Vec::new(),
        order_by,
        descending,
        limit: page.limit,
        offset: page.offset(),
    };
    Ok((trace_query, page))
}

/// Traces in the list shape (`TraceWithDetails`): observation and score ids, latency, cost.
async fn traces_with_details(
    state: &AppState,
    project: &sightline_domain::ProjectId,
    traces: &[sightline_store::StoredTrace],
    fields: &Fields,
) -> ApiResult<Vec<Value>> {
    let ids: Vec<String> = traces.iter().map(|t| t.row.id.clone()).collect();
    let mut observations: HashMap<String, Vec<sightline_store::ObservationSummary>> =
        HashMap::new();
    if fields.observations || fields.metrics {
        for summary in state
            .store()
            .events()
            .observation_summaries(project, &ids)
            .await?
        {
            observations
                .entry(summary.trace_id.clone())
                .or_default()
                .push(summary);
        }
    }
    let mut scores: HashMap<String, Vec<String>> = HashMap::new();
    if fields.scores {
        for (trace_id, score_id) in state
            .store()
            .events()
            .trace_score_ids(project, &ids)
            .await?
        {
            scores.entry(trace_id).or_default().push(score_id);
        }
    }
    Ok(traces
        .iter()
        .map(|trace| {
            let mut body = views::trace(trace);
            if !fields.io {
                let object = body.as_object_mut().expect("a trace is an object");
                object.shift_remove("input");
                object.shift_remove("output");
                object.insert("metadata".into(), json!({}));
            }
            let own = observations
                .get(&trace.row.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (latency, cost) = if fields.metrics {
                let start = own.iter().map(|o| o.start_time).min();
                let end = own.iter().map(|o| o.end_time.unwrap_or(o.start_time)).max();
                let latency = match (start, end) {
                    (Some(start), Some(end)) => (end - start) as f64 / 1000.0,
                    _ => 0.0,
                };
                (
                    json!(latency),
                    json!(own.iter().filter_map(|o| o.total_cost).sum::<f64>()),
                )
            } else {
                (json!(-1), json!(-1))
            };
            body["latency"] = latency;
            body["totalCost"] = cost;
            body["observations"] = if fields.observations {
                own.iter().map(|o| json!(o.id)).collect()
            } else {
                json!([])
            };
            body["scores"] = json!(scores.get(&trace.row.id).cloned().unwrap_or_default());
            body
        })
        .collect())
}

pub async fn get_traces(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let (trace_query, page) = trace_query(&query)?;
    let fields = Fields::parse(query.get("fields"));
    let (traces, total) = state
        .store()
        .events()
        .list_traces(&caller.project_id, &trace_query)
        .await?;
    let data = traces_with_details(&state, &caller.project_id, &traces, &fields).await?;
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_trace(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(trace_id): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let trace = store
        .events()
        .trace(&caller.project_id, &trace_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Trace {trace_id} not found within authorized project"
            ))
        })?;
    let observations = store
        .events()
        .trace_observations(&caller.project_id, &trace_id)
        .await?;
    let scores = store
        .events()
        .trace_scores(&caller.project_id, &trace_id)
        .await?;
    let mut body = views::trace(&trace);
    body["latency"] = json!(views::trace_latency(&observations));
    body["totalCost"] = json!(views::trace_total_cost(&observations));
    // The observations serialize straight from the stored rows: a trace may hold 20,000.
    let prompt_ids =
        crate::services::prompts::prompt_ids_of(store, &caller.project_id, &observations).await?;
    let observation_views: Vec<views::ObservationView> = observations
        .iter()
        .zip(prompt_ids)
        .map(|(o, prompt_id)| {
            let mut view = views::observation_view(o, state.rules());
            view.prompt_id = prompt_id;
            view
        })
        .collect();
    body["scores"] = scores.iter().map(views::score).collect();
    // Serialized here, while the views still borrow the observations.
    Ok(Json(TraceDetail {
        trace: body,
        observations: observation_views,
    })
    .into_response())
}

/// `GET /traces/{id}`: the trace's fields with its observations.
#[derive(serde::Serialize)]
struct TraceDetail<'a> {
    #[serde(flatten)]
    trace: Value,
    observations: Vec<views::ObservationView<'a>>,
}

pub async fn delete_trace(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(trace_id): Path<String>,
) -> ApiResult<Json<Value>> {
    crate::services::traces::delete_traces(&state, &caller.project_id, &[trace_id]).await?;
    Ok(Json(json!({"message": "Trace deleted successfully"})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteTraces {
    trace_ids: Vec<String>,
}

pub async fn delete_traces(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<DeleteTraces>,
) -> ApiResult<Json<Value>> {
    if body.trace_ids.is_empty() || body.trace_ids.len() > 1000 {
        return Err(ApiError::InvalidRequest(
            "traceIds: expected 1 to 1000 trace ids".into(),
        ));
    }
    crate::services::traces::delete_traces(&state, &caller.project_id, &body.trace_ids).await?;
    Ok(Json(json!({"message": "Traces deleted successfully"})))
}
