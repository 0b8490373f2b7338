//! Extractors whose rejections use our error envelope instead of axum's plain-text ones.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::services::ingest::ParseTurn;
use crate::state::AppState;

/// Query-string parameters; a malformed query is a 400 in Langfuse's shape.
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| ApiError::InvalidData {
                path: Vec::new(),
                message: rejection.body_text(),
            })
    }
}

/// A JSON body; a malformed or oversized body is a 4xx in Langfuse's shape.
#[derive(Debug, Clone, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| Json(value))
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::InvalidData {
                        path: Vec::new(),
                        message: rejection.body_text(),
                    }
                }
            })
    }
}

/// The raw body within the route's size limit; over the limit is a 413 in our shape.
#[derive(Debug, Clone, Default)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::InvalidRequest(rejection.body_text())
                }
            })
    }
}

/// The query string as `(name, value)` pairs, for parameters that may repeat (`tags=a&tags=b`).
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// The last value of `name`; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// `page` and `limit` as Langfuse validates them.
    pub fn page(&self) -> Result<crate::pagination::Page, ApiError> {
        crate::pagination::PageQuery {
            page: self.get("page").map(str::to_owned),
            limit: self.get("limit").map(str::to_owned),
        }
        .page()
    }

    /// An ISO-8601 datetime with offset, as milliseconds; a bad value is a 400 naming `name`.
    pub fn time(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|raw| {
                sightline_domain::ingest::serde_util::datetime::parse(raw)
                    .map_err(|e| ApiError::invalid_field(name, format!("{name}: {e}")))
            })
            .transpose()
    }

    /// The advanced `filter` parameter's conditions (none when absent).
    pub fn filter(&self) -> Result<Vec<sightline_domain::filter::FilterCondition>, ApiError> {
        match self.get("filter") {
            None => Ok(Vec::new()),
            Some(raw) => Ok(sightline_domain::filter::parse_filter(raw)?),
        }
    }

    /// Every non-empty value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(QueryPairs(
            form_urlencoded::parse(query.as_bytes())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        ))
    }
}

/// A turn to parse an ingestion request ([`ParseTurn`]), taken before the body is read: put it
/// before the body among a handler's arguments.
pub struct IngestTurn(pub ParseTurn);

impl FromRequestParts<AppState> for IngestTurn {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let turn = state
            .parse_turns()
            .take()
            .await
            .map_err(|_| ApiError::Backpressure(axum::http::StatusCode::SERVICE_UNAVAILABLE))?;
        Ok(IngestTurn(turn))
    }
}
