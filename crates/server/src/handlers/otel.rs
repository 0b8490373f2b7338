//! `POST /api/public/otel/v1/traces` (OTLP/HTTP, protobuf or JSON, optionally gzip) and the
//! no-op `POST /api/public/otel/v1/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IngestTurn};
use crate::services::ingest::IngestError;
use crate::services::ingest::otlp::{Encoding, ingest_export};
use crate::state::AppState;

/// Bound on a compressed OTLP request body.
pub const OTLP_BODY_LIMIT: usize = 64 * 1024 * 1024;

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub async fn post_otel_traces(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    IngestTurn(turn): IngestTurn,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<Response> {
    let encoding = Encoding::from_content_type(header_str(&headers, "content-type"))
        .ok_or_else(|| ApiError::InvalidOtlp("Invalid content type".into()))?;
    if let Some(version) = header_str(&headers, "x-langfuse-ingestion-version")
        && !version.trim().parse::<i64>().is_ok_and(|v| v <= 4)
    {
        return Err(ApiError::InvalidOtlp(format!(
            "Unsupported x-langfuse-ingestion-version: \"{version}\". Maximum supported: \"4\"."
        )));
    }
    let content_encoding = header_str(&headers, "content-encoding").map(str::to_owned);
    let spans = ingest_export(&state, &caller, encoding, content_encoding, body, turn)
        .await
        .map_err(otlp_error)?;
    tracing::debug!(spans, "OTLP export committed");
    Ok(match encoding {
        // An empty ExportTraceServiceResponse is zero bytes.
        Encoding::Protobuf => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Vec::<u8>::new(),
        )
            .into_response(),
        Encoding::Json => (StatusCode::OK, Json(json!({}))).into_response(),
    })
}

fn otlp_error(error: IngestError) -> ApiError {
    match error {
        IngestError::Invalid(message) => ApiError::InvalidOtlp(message),
        IngestError::Busy => ApiError::Backpressure(StatusCode::SERVICE_UNAVAILABLE),
        IngestError::Failed(error) => ApiError::internal(error),
        other @ IngestError::Internal(_) => ApiError::internal(other),
    }
}

/// Accepted and dropped, as Langfuse does.
pub async fn post_otel_metrics(ProjectAuth(_caller): ProjectAuth) -> Json<serde_json::Value> {
    Json(json!({"message": "OK"}))
}
