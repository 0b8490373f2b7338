//! The one error policy of the public API. Handlers and extractors return [`ApiError`]; its
//! `IntoResponse` writes Langfuse's shapes (wire-spec §0.1):
//!
//! - authentication failures: the status with `{"message": …}` only;
//! - typed errors: `{"message": …, "error": "<ErrorClassName>"}`;
//! - query or body validation failures: zod's `{"message": "Invalid request data", "error":
//!   [{"code", "message", "path"}]}`;
//! - internal failures: a generic 500 body; the cause is logged here, once, and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sightline_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 with Langfuse's exact authentication message.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 with Langfuse's exact message.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    InvalidRequest(String),
    /// 400 for a query parameter or body that fails validation, in zod's shape; `path` names the
    /// field (`["limit"]`, `["filter", 0, "operator"]`).
    #[error("{message}")]
    InvalidData { path: Vec<Value>, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("Request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    ServiceUnavailable(String),
    /// 400 for an ingestion body that is not `{"batch": [...]}`: `{"message", "errors": [..]}`.
    #[error("{0}")]
    InvalidEnvelope(String),
    /// 400 for an OTLP body that cannot be used: `{"error": ...}`.
    #[error("{0}")]
    InvalidOtlp(String),
    /// The ingestion queue is full: 429 (batch) or 503 (OTLP) with `Retry-After`.
    #[error("Ingestion queue is full, retry later")]
    Backpressure(StatusCode),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(error))
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::InvalidRequest(_) | ApiError::InvalidData { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InvalidEnvelope(_) | ApiError::InvalidOtlp(_) => StatusCode::BAD_REQUEST,
            ApiError::Backpressure(status) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Langfuse's error class name, sent as `error`.
    fn class(&self) -> Option<&'static str> {
        match self {
            ApiError::Unauthorized(_) | ApiError::Forbidden(_) => None,
            ApiError::InvalidRequest(_) => Some("InvalidRequestError"),
            ApiError::NotFound(_) => Some("LangfuseNotFoundError"),
            ApiError::MethodNotAllowed => Some("MethodNotAllowedError"),
            ApiError::Conflict(_) => Some("LangfuseConflictError"),
            ApiError::PayloadTooLarge => Some("PayloadTooLargeError"),
            ApiError::ServiceUnavailable(_) => Some("ServiceUnavailableError"),
            ApiError::InvalidEnvelope(_) | ApiError::InvalidOtlp(_) => None,
            ApiError::InvalidData { .. } => None,
            ApiError::Backpressure(_) => Some("RateLimitError"),
            ApiError::Internal(_) => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::InvalidFilter(error) => error.into(),
            StoreError::InvalidQuery(message) => ApiError::InvalidRequest(message),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::ServiceUnavailable("Database unavailable, retry later".into())
            }
            other => ApiError::internal(other),
        }
    }
}

impl ApiError {
    /// A validation failure of the query parameter or body field `name`.
    pub fn invalid_field(name: &str, message: impl Into<String>) -> Self {
        ApiError::InvalidData {
            path: vec![Value::from(name)],
            message: message.into(),
        }
    }
}

impl From<sightline_domain::filter::FilterError> for ApiError {
    fn from(error: sightline_domain::filter::FilterError) -> Self {
        ApiError::InvalidData {
            path: error.path,
            message: error.message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match (&self, self.class()) {
            (ApiError::InvalidEnvelope(issue), _) => {
                json!({"message": "Invalid request data", "errors": [issue]})
            }
            (ApiError::InvalidOtlp(issue), _) => json!({"error": issue}),
            (ApiError::InvalidData { path, message }, _) => json!({
                "message": "Invalid request data",
                "error": [{"code": "custom", "message": message, "path": path}],
            }),
            (ApiError::Internal(cause), _) => {
                tracing::error!(error = %cause, "request failed");
                json!({"message": "Internal Server Error", "error": "An unknown error occurred"})
            }
            (_, Some(class)) => json!({"message": self.to_string(), "error": class}),
            (_, None) => json!({"message": self.to_string()}),
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(
            self,
            ApiError::Backpressure(_) | ApiError::ServiceUnavailable(_)
        ) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_database_answers_503_with_retry_after() {
        let error: ApiError = StoreError::Unavailable("pool timed out".into()).into();
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "1");
    }

    #[test]
    fn backpressure_asks_clients_to_retry() {
        let response = ApiError::Backpressure(StatusCode::TOO_MANY_REQUESTS).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "1");
        let unavailable = ApiError::Backpressure(StatusCode::SERVICE_UNAVAILABLE).into_response();
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
