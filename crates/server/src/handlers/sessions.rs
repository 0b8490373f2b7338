//! `GET /api/public/sessions` and `GET /api/public/sessions/{sessionId}` (with its traces).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use sightline_domain::time::to_iso;
use sightline_store::{SessionQuery, SessionRow, TraceQuery};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::state::AppState;
use crate::views;

fn session_json(project: &str, session: &SessionRow) -> Value {
    json!({
        "id": session.id,
        "createdAt": to_iso(session.created_at),
        "projectId": project,
        "environment": session.environment,
    })
}

pub async fn get_sessions(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let session_query = SessionQuery {
        id: None,
        from_timestamp: query.time("fromTimestamp")?,
        to_timestamp: query.time("toTimestamp")?,
        environments: query.all("environment"),
        limit: page.limit,
        offset: page.offset(),
    };
    let (sessions, total) = state
        .store()
        .events()
        .list_sessions(&caller.project_id, &session_query)
        .await?;
    let data: Vec<Value> = sessions
        .iter()
        .map(|session| session_json(caller.project_id.as_str(), session))
        .collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

/// Traces of one session, oldest first (Langfuse does not paginate them).
const MAX_SESSION_TRACES: u64 = 10_000;

pub async fn get_session(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (sessions, _) = state
        .store()
        .events()
        .list_sessions(
            &caller.project_id,
            &SessionQuery {
                id: Some(session_id.clone()),
                limit: 1,
                ..SessionQuery::default()
            },
        )
        .await?;
    let session = sessions.first().ok_or_else(|| {
        ApiError::NotFound(format!(
            "Session {session_id} not found within authorized project"
        ))
    })?;
    let (traces, _) = state
        .store()
        .events()
        .list_traces(
            &caller.project_id,
            &TraceQuery {
                session_id: Some(session_id.clone()),
                descending: false,
                limit: MAX_SESSION_TRACES,
                ..TraceQuery::default()
            },
        )
        .await?;
    let mut body = session_json(caller.project_id.as_str(), session);
    body["traces"] = traces.iter().map(views::trace).collect();
    Ok(Json(body))
}
