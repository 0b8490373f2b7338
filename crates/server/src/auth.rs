//! Public API authentication (wire-spec §1): `Basic base64(pk:sk)` for everything, and
//! `Bearer <publicKey>` only on routes that accept score writes from browsers.
//! The HTTP extractors and OTLP over gRPC (`grpc.rs`, from `authorization` metadata) share
//! [`authenticate`].
//!
//! Verified credentials are cached in memory by their exact header value for [`CACHE_TTL`], so
//! a busy client costs one map lookup per request instead of a store round trip and a hash.
//! A revoked key stops working at once in the process that revoked it and within the TTL in
//! every other process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use sightline_domain::time::now_ms;
use sightline_domain::{ApiKeyId, OrgId, ProjectId, SecretHash};

use crate::error::ApiError;
use crate::services::audit;
use crate::state::AppState;

pub const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX_ENTRIES: usize = 10_000;
const HOST_HINT: &str = ". Confirm that you've configured the correct host.";

/// What a request may do, as established by its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLevel {
    /// Basic auth with a project's key pair: full rights on that project.
    Project,
    /// Bearer public key: may only create scores.
    Scores,
}

/// The caller of a public API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub project_id: ProjectId,
    pub org_id: OrgId,
    pub api_key_id: ApiKeyId,
    pub access: AccessLevel,
}

/// Extractor for routes that need a project key pair (Basic auth).
#[derive(Debug, Clone)]
pub struct ProjectAuth(pub ApiCaller);

/// Extractor for routes that also accept a Bearer public key (score writes).
#[derive(Debug, Clone)]
pub struct ScoresAuth(pub ApiCaller);

impl FromRequestParts<AppState> for ProjectAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate_project(state, parts.headers.get(AUTHORIZATION)).await?;
        note_caller(parts, &caller);
        Ok(ProjectAuth(caller))
    }
}

impl FromRequestParts<AppState> for ScoresAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(state, parts.headers.get(AUTHORIZATION)).await?;
        note_caller(parts, &caller);
        Ok(ScoresAuth(caller))
    }
}

/// Records the caller's project on the current request span.
pub fn record_caller(caller: &ApiCaller) {
    tracing::Span::current().record("project.id", caller.project_id.as_str());
}

/// [`record_caller`], and hands the caller to the audit middleware.
fn note_caller(parts: &Parts, caller: &ApiCaller) {
    record_caller(caller);
    audit::note_caller(
        &parts.extensions,
        audit::Caller {
            api_key_id: caller.api_key_id.as_str().to_owned(),
            org_id: caller.org_id.clone(),
            project_id: Some(caller.project_id.clone()),
        },
    );
}

/// The caller of an organization (admin API) route: an organization key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCaller {
    pub org_id: OrgId,
    pub key_id: String,
}

/// Extractor for the admin API: Basic auth with an organization key pair. A valid project key
/// is refused with 403 and Langfuse's message; anything else is a 401.
#[derive(Debug, Clone)]
pub struct OrgAuth(pub OrgCaller);

pub const ORG_KEY_REQUIRED: &str =
    "Invalid API key. Organization-scoped API key required for this operation.";

impl FromRequestParts<AppState> for OrgAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION);
        let pair = header
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|encoded| {
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .ok()
            })
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some((public_key, secret_key)) = pair.as_deref().and_then(|p| p.split_once(':')) {
            let key = state
                .store()
                .metadata()
                .org_api_key(public_key)
                .await
                .map_err(store_unavailable)?;
            if let Some(key) = key {
                if !key
                    .secret_hash
                    .matches(&SecretHash::compute(state.salt(), secret_key))
                {
                    return Err(invalid_credentials());
                }
                audit::note_caller(
                    &parts.extensions,
                    audit::Caller {
                        api_key_id: key.id.clone(),
                        org_id: key.org_id.clone(),
                        project_id: None,
                    },
                );
                return Ok(OrgAuth(OrgCaller {
                    org_id: key.org_id,
                    key_id: key.id,
                }));
            }
        }
        authenticate(state, header).await?;
        Err(ApiError::Forbidden(ORG_KEY_REQUIRED.into()))
    }
}

/// Authenticates an `Authorization` value (an HTTP header or gRPC metadata) that must carry a
/// project key pair (Basic auth).
pub async fn authenticate_project(
    state: &AppState,
    header: Option<&HeaderValue>,
) -> Result<ApiCaller, ApiError> {
    let caller = authenticate(state, header).await?;
    if caller.access != AccessLevel::Project {
        return Err(ApiError::Forbidden(
            "Access denied - insufficient permissions for this endpoint".into(),
        ));
    }
    Ok(caller)
}

/// Authenticates an `Authorization` value (an HTTP header or gRPC metadata): Basic or Bearer.
pub async fn authenticate(
    state: &AppState,
    header: Option<&HeaderValue>,
) -> Result<ApiCaller, ApiError> {
    let header = header.ok_or_else(|| ApiError::Unauthorized("No authorization header".into()))?;
    let header = header
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Invalid authorization header".into()))?;
    if let Some(caller) = state.keys().get(header) {
        return Ok(caller);
    }
    let caller = if let Some(encoded) = header.strip_prefix("Basic ") {
        verify_basic(state, encoded.trim()).await?
    } else if let Some(public_key) = header.strip_prefix("Bearer ") {
        verify_bearer(state, public_key.trim()).await?
    } else {
        return Err(ApiError::Unauthorized(
            "Invalid authorization header".into(),
        ));
    };
    state.keys().insert(header, caller.clone());
    Ok(caller)
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized(format!("Invalid credentials{HOST_HINT}"))
}

async fn verify_basic(state: &AppState, encoded: &str) -> Result<ApiCaller, ApiError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid_credentials)?;
    let (public_key, secret_key) = decoded.split_once(':').ok_or_else(invalid_credentials)?;
    if public_key.is_empty() || secret_key.is_empty() {
        return Err(invalid_credentials());
    }
    let credentials = state
        .store()
        .metadata()
        .api_key_credentials(public_key)
        .await
        .map_err(store_unavailable)?
        .ok_or_else(invalid_credentials)?;
    if !credentials
        .secret_hash
        .matches(&SecretHash::compute(state.salt(), secret_key))
    {
        return Err(invalid_credentials());
    }
    // `last_used_at` is informational: recording it must not make the request wait behind an
    // ingestion transaction holding SQLite's write lock, and losing one update is harmless.
    let (store, key_id) = (state.store_handle(), credentials.id.clone());
    tokio::spawn(async move {
        if let Err(error) = store.metadata().touch_api_key(&key_id, now_ms()).await {
            tracing::warn!(%error, "cannot record API key use");
        }
    });
    Ok(ApiCaller {
        project_id: credentials.project_id,
        org_id: credentials.org_id,
        api_key_id: credentials.id,
        access: AccessLevel::Project,
    })
}

async fn verify_bearer(state: &AppState, public_key: &str) -> Result<ApiCaller, ApiError> {
    let credentials = state
        .store()
        .metadata()
        .api_key_credentials(public_key)
        .await
        .map_err(store_unavailable)?
        .ok_or_else(|| ApiError::Unauthorized(format!("Invalid public key{HOST_HINT}")))?;
    Ok(ApiCaller {
        project_id: credentials.project_id,
        org_id: credentials.org_id,
        api_key_id: credentials.id,
        access: AccessLevel::Scores,
    })
}

fn store_unavailable(error: sightline_store::StoreError) -> ApiError {
    tracing::error!(%error, "API key lookup failed");
    ApiError::ServiceUnavailable("Service Unavailable".into())
}

/// Verified credentials by their `Authorization` header value. Only successes are cached.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (ApiCaller, Instant)>>,
}

impl KeyCache {
    fn get(&self, header: &str) -> Option<ApiCaller> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(header)
            .filter(|(_, verified_at)| verified_at.elapsed() < CACHE_TTL)
            .map(|(caller, _)| caller.clone())
    }

    fn insert(&self, header: &str, caller: ApiCaller) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_MAX_ENTRIES {
            entries.retain(|_, (_, verified_at)| verified_at.elapsed() < CACHE_TTL);
            if entries.len() >= CACHE_MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(header.to_owned(), (caller, Instant::now()));
    }

    /// Drops every cached credential of the key with this row id or public key.
    pub fn forget(&self, api_key_id: &ApiKeyId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (caller, _)| &caller.api_key_id != api_key_id);
    }
}
