//! `GET /api/public/observations` (page list), `GET /api/public/observations/{observationId}`
//! and `GET /api/public/v2/observations` (cursor list with field groups).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sightline_domain::ingest::serde_util::datetime;
use sightline_domain::time::to_iso;
use sightline_store::{ObservationCursor, ObservationQuery, StoredTrace};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::services::prompts;
use crate::state::AppState;
use crate::views::{self, ObservationFields};

const V2_DEFAULT_LIMIT: u64 = 50;
const V2_MAX_LIMIT: u64 = 1000;

/// A query parameter that fails validation; `message` starts with the parameter's name
/// (`"limit: …"`), which becomes the path.
fn invalid(message: String) -> ApiError {
    let field = message.split(':').next().unwrap_or_default().to_owned();
    ApiError::invalid_field(&field, message)
}

fn parse_enum<T: std::str::FromStr<Err = String>>(
    query: &QueryPairs,
    name: &str,
) -> ApiResult<Option<T>> {
    query
        .get(name)
        .map(|raw| {
            raw.parse::<T>()
                .map_err(|e| invalid(format!("{name}: {e}")))
        })
        .transpose()
}

/// The named filters both lists share; `v2` adds `sessionId` and `isRootObservation`.
fn observation_query(query: &QueryPairs, v2: bool) -> ApiResult<ObservationQuery> {
    let text = |name: &str| query.get(name).map(str::to_owned);
    let is_root = match query.get("isRootObservation").filter(|_| v2) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(invalid(format!(
                "isRootObservation: expected true or false, got '{other}'"
            )));
        }
    };
    let mut observation_query = ObservationQuery {
        r#type: parse_enum(query, "type")?,
        name: text("name"),
        user_id: text("userId"),
        session_id: if v2 { text("sessionId") } else { None },
        level: parse_enum(query, "level")?,
        trace_id: text("traceId"),
        version: text("version"),
        parent_observation_id: text("parentObservationId"),
        is_root,
        environments: query.all("environment"),
        from_start_time: query.time("fromStartTime")?,
        to_start_time: query.time("toStartTime")?,
        filter: query.filter()?,
        ids: Vec::new(),
    };
    // A condition of the filter takes the place of the named parameter of its column.
    let columns: Vec<String> = observation_query
        .filter
        .iter()
        .map(|condition| condition.column.clone())
        .collect();
    for column in columns {
        let named = &mut observation_query;
        match column.as_str() {
            "type" => named.r#type = None,
            "name" => named.name = None,
            "userId" => named.user_id = None,
            "sessionId" => named.session_id = None,
            "level" => named.level = None,
            "traceId" => named.trace_id = None,
            "version" => named.version = None,
            "parentObservationId" => named.parent_observation_id = None,
            "isRootObservation" => named.is_root = None,
            "environment" => named.environments.clear(),
            "startTime" => {
                named.from_start_time = None;
                named.to_start_time = None;
            }
            _ => {}
        }
    }
    Ok(observation_query)
}

pub async fn get_observations(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let filters = observation_query(&query, false)?;
    let (observations, total) = state
        .store()
        .events()
        .list_observations(&caller.project_id, &filters, page.limit, page.offset())
        .await?;
    let mut data: Vec<Value> = observations
        .iter()
        .map(|o| views::observation(o, state.rules()))
        .collect();
    prompts::link_prompt_ids(state.store(), &caller.project_id, &observations, &mut data).await?;
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_observation(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(observation_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let observation = state
        .store()
        .events()
        .observation(&caller.project_id, &observation_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Observation {observation_id} not found within authorized project"
            ))
        })?;
    let mut view = [views::observation(&observation, state.rules())];
    prompts::link_prompt_ids(state.store(), &caller.project_id, &[observation], &mut view).await?;
    let [view] = view;
    Ok(Json(view))
}

/// The v2 cursor as sent: base64 of this JSON object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CursorBody {
    last_start_time_to: String,
    last_trace_id: String,
    last_id: String,
}

fn decode_cursor(raw: &str) -> ApiResult<ObservationCursor> {
    let bad = || invalid("cursor: invalid cursor".into());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map_err(|_| bad())?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(ObservationCursor {
        start_time: datetime::parse(&body.last_start_time_to).map_err(|_| bad())?,
        trace_id: body.last_trace_id,
        id: body.last_id,
    })
}

fn encode_cursor(cursor: &ObservationCursor) -> String {
    let body = CursorBody {
        last_start_time_to: to_iso(cursor.start_time),
        last_trace_id: cursor.trace_id.clone(),
        last_id: cursor.id.clone(),
    };
    let json = serde_json::to_vec(&body).expect("a cursor serializes");
    base64::engine::general_purpose::STANDARD.encode(json)
}

fn v2_limit(query: &QueryPairs) -> ApiResult<u64> {
    match query.get("limit").map(str::trim) {
        None => Ok(V2_DEFAULT_LIMIT),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|limit| (1..=V2_MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                invalid(format!(
                    "limit: expected an integer from 1 to {V2_MAX_LIMIT}, got '{raw}'"
                ))
            }),
    }
}

pub async fn get_observations_v2(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let limit = v2_limit(&query)?;
    if query.get("parseIoAsJson") == Some("true") {
        return Err(invalid(
            "parseIoAsJson: parsing input and output as JSON is not supported; read them as strings".into(),
        ));
    }
    let fields = ObservationFields::parse(query.get("fields"), query.all("expandMetadata"))
        .map_err(invalid)?;
    let filters = observation_query(&query, true)?;
    let after = query.get("cursor").map(decode_cursor).transpose()?;
    let store = state.store();
    let mut observations = store
        .events()
        .observations_after(&caller.project_id, &filters, after.as_ref(), limit + 1)
        .await?;
    let more = observations.len() as u64 > limit;
    observations.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let traces: HashMap<String, StoredTrace> = if fields.needs_trace() {
        let mut ids: Vec<String> = observations
            .iter()
            .map(|o| o.row.trace_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        store
            .events()
            .traces_by_id(&caller.project_id, &ids)
            .await?
            .into_iter()
            .map(|trace| (trace.row.id.clone(), trace))
            .collect()
    } else {
        HashMap::new()
    };
    let mut data: Vec<Value> = observations
        .iter()
        .map(|o| {
            let trace = traces.get(&o.row.trace_id);
            views::observation_v2(o, trace, &fields, state.rules())
        })
        .collect();
    prompts::link_prompt_ids(store, &caller.project_id, &observations, &mut data).await?;
    let mut meta = json!({});
    if let Some(last) = observations.last().filter(|_| more) {
        meta["cursor"] = json!(encode_cursor(&ObservationCursor {
            start_time: last.row.start_time,
            trace_id: last.row.trace_id.clone(),
            id: last.row.id.clone(),
        }));
    }
    Ok(Json(json!({"data": data, "meta": meta})))
}
