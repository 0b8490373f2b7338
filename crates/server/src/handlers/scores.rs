//! Scores: `POST /api/public/scores`, one score (→ `{"id"}`) or, as the Python SDK 5.x sends
//! them, an array of scores (→ 202 when all were accepted, 207 with the rejections otherwise),
//! with Basic auth or a Bearer public key, each checked against its config when it names one;
//! and the reads `GET /scores` (v1, trace scores),
//! `GET /v2/scores`, `GET /scores/{id}`, `GET /v2/scores/{id}` and `DELETE /scores/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sightline_domain::ingest::score::{ScoreBody, validate_score};
use sightline_domain::ingest::{ScorePatch, ScoreSource};
use sightline_domain::time::now_ms;
use sightline_store::{ScoreQuery, ValueOperator};

use crate::services::ingest::IngestionWrite;

use crate::auth::{ProjectAuth, ScoresAuth};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IngestTurn, QueryPairs};
use crate::handlers::ingestion::batch_error;
use crate::pagination::Page;
use crate::services::ingest::IngestError;
use crate::state::AppState;
use crate::views;

fn parse_score(value: Value) -> Result<ScorePatch, String> {
    let body: ScoreBody = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if body.source == Some(ScoreSource::Eval) {
        return Err("source: EVAL is reserved for evaluators; use API or ANNOTATION".into());
    }
    validate_score(body, now_ms())
}

/// Checks each score that names a config against it, loading the configs once.
async fn apply_configs(
    state: &AppState,
    project: &sightline_domain::ProjectId,
    scores: Vec<ScorePatch>,
) -> ApiResult<Vec<ApiResult<ScorePatch>>> {
    Ok(
        crate::services::score_configs::apply_configs(state.store(), project, scores)
            .await?
            .into_iter()
            .map(|checked| {
                checked.map_err(|rejection| match rejection.status {
                    404 => ApiError::NotFound(rejection.message),
                    _ => ApiError::InvalidRequest(rejection.message),
                })
            })
            .collect(),
    )
}

pub async fn post_scores(
    State(state): State<AppState>,
    ScoresAuth(caller): ScoresAuth,
    IngestTurn(turn): IngestTurn,
    Body(body): Body,
) -> ApiResult<Response> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("Invalid JSON: {e}")))?;
    let mut write = IngestionWrite::new(caller.project_id.clone());
    let (single, errors) = match value {
        Value::Array(items) => {
            let mut errors = Vec::new();
            let mut parsed = Vec::new();
            for item in items {
                match parse_score(item) {
                    Ok(score) => parsed.push(score),
                    Err(message) => errors.push(message),
                }
            }
            for checked in apply_configs(&state, &caller.project_id, parsed).await? {
                match checked {
                    Ok(score) => write.scores.push(score),
                    Err(error) => errors.push(error.to_string()),
                }
            }
            (None, errors)
        }
        object @ Value::Object(_) => {
            let score = parse_score(object).map_err(ApiError::InvalidRequest)?;
            let id = score.id.clone();
            for checked in apply_configs(&state, &caller.project_id, vec![score]).await? {
                write.scores.push(checked?);
            }
            (Some(id), Vec::new())
        }
        _ => {
            return Err(ApiError::InvalidRequest(
                "Expected a score object or an array of scores".into(),
            ));
        }
    };
    let accepted = write.scores.len();
    drop(turn);
    state
        .writer()
        .submit(write, body.len())
        .await
        .map_err(|e| batch_error(IngestError::from(e), StatusCode::TOO_MANY_REQUESTS))?;
    Ok(match single {
        Some(id) => Json(json!({ "id": id })).into_response(),
        None if errors.is_empty() => {
            (StatusCode::ACCEPTED, Json(json!({"message": "Accepted"}))).into_response()
        }
        None => (
            StatusCode::MULTI_STATUS,
            Json(json!({
                "accepted": accepted,
                "rejected": errors.len(),
                "errors": errors.iter().map(|message| json!({"message": message})).collect::<Vec<_>>(),
            })),
        )
            .into_response(),
    })
}

/// Which list endpoint is asking: v1 lists trace scores only and fewer trace fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// `name` as an enum value out of `allowed`.
fn one_of(query: &QueryPairs, name: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
    match query.get(name) {
        None => Ok(None),
        Some(raw) if allowed.contains(&raw) => Ok(Some(raw.to_owned())),
        Some(raw) => Err(ApiError::invalid_field(
            name,
            format!(
                "{name}: expected one of {}, got '{raw}'",
                allowed.join(", ")
            ),
        )),
    }
}

/// A comma-separated list (`scoreIds=a,b`); empty items are dropped.
pub(super) fn comma_list(query: &QueryPairs, name: &str) -> Vec<String> {
    query
        .all(name)
        .iter()
        .flat_map(|raw| raw.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn score_query(query: &QueryPairs, version: Version) -> ApiResult<(ScoreQuery, Page)> {
    let page = query.page()?;
    let value = match (query.get("operator"), query.get("value")) {
        (Some(operator), Some(value)) => {
            let operator = ValueOperator::parse(operator).ok_or_else(|| {
                ApiError::invalid_field(
                    "operator",
                    format!("operator: expected one of <, >, <=, >=, !=, =, got '{operator}'"),
                )
            })?;
            let value: f64 = value
                .parse()
                .ok()
                .filter(|value: &f64| value.is_finite())
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "value",
                        format!("value: expected a number, got '{value}'"),
                    )
                })?;
            Some((operator, value))
        }
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid_field(
                "value",
                "value and operator must be given together",
            ));
        }
    };
    let v2_list = |name: &str| match version {
        Version::V1 => Vec::new(),
        Version::V2 => comma_list(query, name),
    };
    let score_query = ScoreQuery {
        trace_scores_only: version == Version::V1,
        user_id: query.get("userId").map(str::to_owned),
        name: query.get("name").map(str::to_owned),
        data_type: one_of(
            query,
            "dataType",
            &["NUMERIC", "CATEGORICAL", "BOOLEAN", "CORRECTION", "TEXT"],
        )?,
        config_id: query.get("configId").map(str::to_owned),
        queue_id: query.get("queueId").map(str::to_owned),
        source: one_of(query, "source", &["API", "EVAL", "ANNOTATION"])?,
        trace_tags: query.all("traceTags"),
        environments: query.all("environment"),
        from_timestamp: query.time("fromTimestamp")?,
        to_timestamp: query.time("toTimestamp")?,
        value,
        filter: query.filter()?,
        ids: comma_list(query, "scoreIds"),
        trace_ids: v2_list("traceId"),
        session_ids: v2_list("sessionId"),
        dataset_run_ids: v2_list("datasetRunId"),
        observation_ids: v2_list("observationId"),
        limit: page.limit,
        offset: page.offset(),
        ..ScoreQuery::default()
    };
    Ok((score_query, page))
}

async fn list_scores(
    state: &AppState,
    project: &sightline_domain::ProjectId,
    query: &QueryPairs,
    version: Version,
) -> ApiResult<Json<Value>> {
    let (score_query, page) = score_query(query, version)?;
    // Field groups `score` and `trace` (default both); unknown names are ignored.
    let with_trace = query
        .get("fields")
        .is_none_or(|fields| fields.split(',').any(|group| group.trim() == "trace"));
    if !with_trace && (score_query.user_id.is_some() || !score_query.trace_tags.is_empty()) {
        return Err(ApiError::invalid_field(
            "fields",
            "fields: filtering by userId or traceTags needs the 'trace' field group",
        ));
    }
    let (scores, total) = state
        .store()
        .events()
        .list_scores(project, &score_query)
        .await?;
    let data: Vec<Value> = scores
        .iter()
        .map(|listed| {
            let mut body = views::score(&listed.score);
            if with_trace {
                body["trace"] = views::score_trace(listed.trace.as_ref(), version == Version::V2);
            }
            body
        })
        .collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_scores(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    list_scores(&state, &caller.project_id, &query, Version::V1).await
}

pub async fn get_scores_v2(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    list_scores(&state, &caller.project_id, &query, Version::V2).await
}

/// `GET /scores/{scoreId}` and `GET /v2/scores/{scoreId}` answer alike.
pub async fn get_score(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(score_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let score = state
        .store()
        .events()
        .score(&caller.project_id, &score_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Score not found".into()))?;
    Ok(Json(views::score(&score)))
}

/// Deletes at once; answers 202 as Langfuse, which queues the deletion, does.
pub async fn delete_score(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(score_id): Path<String>,
) -> ApiResult<Response> {
    state
        .store()
        .events()
        .delete_score(&caller.project_id, &score_id)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"message": "Score deletion queued successfully"})),
    )
        .into_response())
}
