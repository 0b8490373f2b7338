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
}

/// Liveness; with `failIfDatabaseUnavailable=true` also a database round trip.
pub async fn get_health(
    State(state): State<AppState>,
    Query(query): Query<HealthQuery>,
) -> Response {
    let check_database = query.fail_if_database_unavailable.as_deref() == Some("true");
    if check_database && let Err(error) = state.store().ping().await {
        tracing::warn!(%error, "health check: database unavailable");
        return status(StatusCode::SERVICE_UNAVAILABLE, "Database not available");
    }
    status(StatusCode::OK, "OK")
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
