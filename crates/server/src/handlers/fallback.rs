//! Answers for requests no route takes: unknown paths and unsupported methods.

use crate::error::ApiError;

pub async fn not_found() -> ApiError {
    ApiError::NotFound("Route not found".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
