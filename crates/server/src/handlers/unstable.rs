//! What the unstable APIs (`/api/public/unstable/*`: dashboards, evaluators, evaluation rules)
//! share: their error envelope `{"message", "code", "details"?}` (Langfuse's
//! `web/src/features/public-api/server/unstable-public-api-error-contract.ts`), paging and
//! body reading.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::extract::QueryPairs;

/// An unstable-API error.
pub struct UnstableError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) details: Option<Value>,
}

impl UnstableError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        details: Option<Value>,
    ) -> UnstableError {
        UnstableError {
            status,
            code,
            message: message.into(),
            details,
        }
    }

    pub(crate) fn body(field: &str, message: impl Into<String>) -> UnstableError {
        let message = message.into();
        UnstableError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_body",
            details: Some(json!({"field": field, "message": message})),
            message: format!("Invalid request body: {field}: {message}"),
        }
    }

    pub(crate) fn query(message: impl Into<String>) -> UnstableError {
        UnstableError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
            message: message.into(),
            details: None,
        }
    }
}

/// A store failure: 503 when the database is unreachable or busy, else a logged 500.
impl From<sightline_store::StoreError> for UnstableError {
    fn from(error: sightline_store::StoreError) -> Self {
        if error.is_unavailable() {
            return UnstableError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Database unavailable, retry later",
                None,
            );
        }
        tracing::error!(%error, "unstable API request failed");
        UnstableError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An unknown error occurred",
            None,
        )
    }
}

impl IntoResponse for UnstableError {
    fn into_response(self) -> Response {
        let mut body = json!({"message": self.message, "code": self.code});
        if let Some(details) = self.details {
            body["details"] = details;
        }
        (self.status, axum::Json(body)).into_response()
    }
}

pub(crate) type UnstableResult<T> = Result<T, UnstableError>;

/// `page` (from 1) and `limit` (1–100, default 50).
pub(crate) fn paging(query: &QueryPairs) -> UnstableResult<(u64, u64)> {
    let number = |name: &str, default: u64, max: u64| -> UnstableResult<u64> {
        match query.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    UnstableError::query(format!("{name} must be an integer from 1 to {max}"))
                }),
        }
    };
    Ok((number("page", 1, 1_000_000)?, number("limit", 50, 100)?))
}

pub(crate) fn list_json(data: Vec<Value>, page: u64, limit: u64, total: u64) -> Value {
    json!({"data": data, "meta": {"page": page, "limit": limit, "totalItems": total,
        "totalPages": total.div_ceil(limit)}})
}

/// The body as a JSON object.
pub(crate) fn object(body: &Bytes) -> UnstableResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(UnstableError::body("body", "Expected a JSON object")),
        Err(e) => Err(UnstableError::body("body", format!("Invalid JSON: {e}"))),
    }
}

/// An optional field of `object` read as `T`; `null` is absent.
pub(crate) fn field<T: serde::de::DeserializeOwned>(
    object: &Map<String, Value>,
    name: &str,
    expected: &str,
) -> UnstableResult<Option<T>> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|_| UnstableError::body(name, format!("Expected {expected}"))),
    }
}
