//! Scores v3: `GET /api/public/v3/scores` (wire-spec §5.6), newest first in cursor pages
//! (base64url, `limit` ≤ 100), with a polymorphic `value`, the `details`/`subject`/`annotation`
//! field groups and comma-list filters.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use sightline_store::{ScoreCursor, ScoreQuery, ScoreRow};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::handlers::scores::comma_list;
use crate::state::AppState;
use crate::views;

const V3_DEFAULT_LIMIT: u64 = 50;
const V3_MAX_LIMIT: u64 = 100;

/// The v3 field groups beyond the core fields (`fields=details,subject,annotation`).
#[derive(Debug, Default, Clone, Copy)]
struct V3Fields {
    details: bool,
    subject: bool,
    annotation: bool,
}

impl V3Fields {
    fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let mut fields = V3Fields::default();
        for name in raw.unwrap_or_default().split(',').map(str::trim) {
            match name {
                "" => {}
                "details" => fields.details = true,
                "subject" => fields.subject = true,
                "annotation" => fields.annotation = true,
                other => {
                    return Err(ApiError::InvalidRequest(format!(
                        "fields: unknown field group '{other}'; expected details, subject, annotation"
                    )));
                }
            }
        }
        Ok(fields)
    }
}

/// The v3 cursor: base64url (no padding) of `{"timestamp": ms, "id": "…"}` of the page's last score.
fn decode_v3_cursor(raw: &str) -> ApiResult<ScoreCursor> {
    use base64::Engine;
    let bad = || ApiError::InvalidRequest("cursor: invalid cursor".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.trim().trim_end_matches('='))
        .map_err(|_| bad())?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match (body["timestamp"].as_i64(), body["id"].as_str()) {
        (Some(timestamp), Some(id)) => Ok(ScoreCursor {
            timestamp,
            id: id.to_owned(),
        }),
        _ => Err(bad()),
    }
}

fn encode_v3_cursor(cursor: &ScoreCursor) -> String {
    use base64::Engine;
    let body = json!({"timestamp": cursor.timestamp, "id": cursor.id});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string())
}

/// A comma list of enum values, upper-cased (the v3 filters are case-insensitive).
fn upper_list(query: &QueryPairs, name: &str, allowed: &[&str]) -> ApiResult<Vec<String>> {
    comma_list(query, name)
        .into_iter()
        .map(|raw| {
            let upper = raw.to_ascii_uppercase();
            if allowed.contains(&upper.as_str()) {
                Ok(upper)
            } else {
                Err(ApiError::InvalidRequest(format!(
                    "{name}: expected one of {}, got '{raw}'",
                    allowed.join(", ")
                )))
            }
        })
        .collect()
}

fn number_param(query: &QueryPairs, name: &str) -> ApiResult<Option<f64>> {
    query
        .get(name)
        .map(|raw| {
            raw.trim()
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .ok_or_else(|| {
                    ApiError::InvalidRequest(format!("{name}: expected a number, got '{raw}'"))
                })
        })
        .transpose()
}

fn v3_query(query: &QueryPairs) -> ApiResult<(ScoreQuery, V3Fields)> {
    let limit = match query.get("limit").map(str::trim) {
        None => V3_DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|limit| (1..=V3_MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "limit: expected an integer from 1 to {V3_MAX_LIMIT}, got '{raw}'"
                ))
            })?,
    };
    let fields = V3Fields::parse(query.get("fields"))?;
    let data_types = upper_list(
        query,
        "dataType",
        &["NUMERIC", "CATEGORICAL", "BOOLEAN", "CORRECTION", "TEXT"],
    )?;
    let single_type = match data_types.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    };
    let values = comma_list(query, "value");
    let (mut numeric_values, mut string_values) = (Vec::new(), Vec::new());
    if !values.is_empty() {
        match single_type {
            Some("NUMERIC") => {
                for raw in &values {
                    numeric_values.push(
                        raw.parse::<f64>()
                            .ok()
                            .filter(|value| value.is_finite())
                            .ok_or_else(|| {
                                ApiError::InvalidRequest(format!(
                                    "value: expected a number, got '{raw}'"
                                ))
                            })?,
                    );
                }
            }
            Some("BOOLEAN") => {
                for raw in &values {
                    numeric_values.push(match raw.to_ascii_lowercase().as_str() {
                        "true" => 1.0,
                        "false" => 0.0,
                        _ => {
                            return Err(ApiError::InvalidRequest(format!(
                                "value: expected true or false, got '{raw}'"
                            )));
                        }
                    });
                }
            }
            Some("CATEGORICAL") => string_values = values,
            _ => {
                return Err(ApiError::InvalidRequest(
                    "value: requires a single dataType of NUMERIC, BOOLEAN or CATEGORICAL".into(),
                ));
            }
        }
    }
    let value_min = number_param(query, "valueMin")?;
    let value_max = number_param(query, "valueMax")?;
    if (value_min.is_some() || value_max.is_some()) && single_type != Some("NUMERIC") {
        return Err(ApiError::InvalidRequest(
            "valueMin and valueMax require dataType=NUMERIC".into(),
        ));
    }
    let trace_ids = comma_list(query, "traceId");
    let session_ids = comma_list(query, "sessionId");
    let observation_ids = comma_list(query, "observationId");
    let experiment_ids = comma_list(query, "experimentId");
    if !observation_ids.is_empty() && trace_ids.is_empty() {
        return Err(ApiError::InvalidRequest(
            "observationId: requires traceId".into(),
        ));
    }
    let subjects = [
        !trace_ids.is_empty(),
        !session_ids.is_empty(),
        !experiment_ids.is_empty(),
    ];
    if subjects.iter().filter(|given| **given).count() > 1 {
        return Err(ApiError::InvalidRequest(
            "traceId, sessionId and experimentId are mutually exclusive".into(),
        ));
    }
    let score_query = ScoreQuery {
        ids: comma_list(query, "id"),
        names: comma_list(query, "name"),
        sources: upper_list(query, "source", &["API", "EVAL", "ANNOTATION"])?,
        data_types,
        environments: comma_list(query, "environment"),
        config_ids: comma_list(query, "configId"),
        queue_ids: comma_list(query, "queueId"),
        author_user_ids: comma_list(query, "authorUserId"),
        numeric_values,
        string_values,
        value_min,
        value_max,
        trace_ids,
        session_ids,
        observation_ids,
        dataset_run_ids: experiment_ids,
        from_timestamp: query.time("fromTimestamp")?,
        to_timestamp: query.time("toTimestamp")?,
        after: query.get("cursor").map(decode_v3_cursor).transpose()?,
        // One more than asked, to know whether there is a next page.
        limit: limit + 1,
        offset: 0,
        ..ScoreQuery::default()
    };
    Ok((score_query, fields))
}

/// What a score is attached to: `{kind, id, traceId?}`.
fn v3_subject(score: &sightline_domain::ingest::ScorePatch) -> Value {
    if let Some(observation) = &score.observation_id {
        json!({"kind": "observation", "id": observation, "traceId": score.trace_id})
    } else if let Some(trace) = &score.trace_id {
        json!({"kind": "trace", "id": trace})
    } else if let Some(session) = &score.session_id {
        json!({"kind": "session", "id": session})
    } else if let Some(run) = &score.dataset_run_id {
        json!({"kind": "experiment", "id": run})
    } else {
        Value::Null
    }
}

fn v3_score(stored: &ScoreRow, project: &str, fields: V3Fields) -> Value {
    use sightline_domain::ingest::ScoreDataType;
    let score = &stored.score;
    let value = match score.data_type {
        ScoreDataType::Numeric => json!(score.value.unwrap_or_default()),
        ScoreDataType::Boolean => json!(score.value.unwrap_or_default() != 0.0),
        _ => json!(score.string_value.clone().unwrap_or_default()),
    };
    let core = views::score(stored);
    let mut body = json!({
        "id": score.id,
        "projectId": project,
        "name": score.name,
        "value": value,
        "dataType": core["dataType"],
        "source": core["source"],
        "timestamp": core["timestamp"],
        "environment": score.environment,
        "createdAt": core["createdAt"],
        "updatedAt": core["updatedAt"],
    });
    if fields.details {
        body["comment"] = json!(score.comment);
        body["configId"] = json!(score.config_id);
        body["metadata"] = core["metadata"].clone();
    }
    if fields.annotation {
        body["authorUserId"] = Value::Null;
        body["queueId"] = json!(score.queue_id);
    }
    if fields.subject {
        body["subject"] = v3_subject(score);
    }
    body
}

/// `GET /v3/scores`: newest first, a page per cursor.
pub async fn get_scores_v3(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let (score_query, fields) = v3_query(&query)?;
    let limit = score_query.limit - 1;
    let mut scores = state
        .store()
        .events()
        .select_scores(&caller.project_id, &score_query)
        .await?;
    let more = scores.len() as u64 > limit;
    scores.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let project = caller.project_id.as_str();
    let data: Vec<Value> = scores
        .iter()
        .map(|listed| v3_score(&listed.score, project, fields))
        .collect();
    let mut meta = json!({"limit": limit});
    if more && let Some(last) = scores.last() {
        meta["cursor"] = json!(encode_v3_cursor(&ScoreCursor {
            timestamp: last.score.score.timestamp,
            id: last.score.score.id.clone(),
        }));
    }
    Ok(Json(json!({"data": data, "meta": meta})))
}

/// A score in the v3 shape with every field group, for resources that embed scores
/// (`fields=scores` of `GET /experiments` and `GET /experiment-items`).
pub(crate) fn v3_score_full(stored: &ScoreRow, project: &str) -> Value {
    let all = V3Fields {
        details: true,
        subject: true,
        annotation: true,
    };
    v3_score(stored, project, all)
}
