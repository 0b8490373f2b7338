//! `GET /api/public/health` and `GET /api/public/ready` (no authentication).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::extract::Query;
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthQuery {
    fail_if_database_unavailable: Option<String>,
    fail_if_no_recent_events: Option<String>,
}

/// How far back `failIfNoRecentEvents` looks (Langfuse: 3 minutes).
const RECENT_MS: i64 = 3 * 60 * 1000;

/// Liveness; with `failIfDatabaseUnavailable=true` also a database round trip; with
/// `failIfNoRecentEvents=true`, 503 unless some project received a trace and an observation
/// (by their own timestamps) in the last 3 minutes, as Langfuse's
/// `web/src/pages/api/public/health.ts` decides.
pub async fn get_health(
    State(state): State<AppState>,
    Query(query): Query<HealthQuery>,
) -> Response {
    let check_database = query.fail_if_database_unavailable.as_deref() == Some("true");
    if check_database && let Err(error) = state.store().ping().await {
        tracing::warn!(%error, "health check: database unavailable");
        return status(StatusCode::SERVICE_UNAVAILABLE, "Database not available");
    }
    if query.fail_if_no_recent_events.as_deref() == Some("true") {
        return match recent(&state).await {
            Ok((true, true)) => status(StatusCode::OK, "OK"),
            Ok((traces, _)) => {
                let missing = if traces { "observations" } else { "traces" };
                status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("No {missing} within the last 3 minutes"),
                )
            }
            Err(error) => {
                tracing::warn!(%error, "health check: cannot read recent events");
                status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Couldn't fetch recent events",
                )
            }
        };
    }
    status(StatusCode::OK, "OK")
}

async fn recent(state: &AppState) -> sightline_store::StoreResult<(bool, bool)> {
    let projects: Vec<_> = state
        .store()
        .metadata()
        .list_projects(None)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let now = sightline_domain::time::now_ms();
    state
        .store()
        .events()
        .recent_events(&projects, now - RECENT_MS, now)
        .await
}

/// Readiness: fails once shutdown has begun, so load balancers stop sending traffic.
pub async fn get_ready(State(state): State<AppState>) -> Response {
    if state.is_shutting_down() {
        return status(StatusCode::INTERNAL_SERVER_ERROR, "SHUTTING_DOWN");
    }
    status(StatusCode::OK, "OK")
}

fn status(code: StatusCode, status: &str) -> Response {
    (code, Json(json!({"status": status, "version": VERSION}))).into_response()
}
