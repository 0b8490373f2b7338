//! Media (wire-spec §5.10, §9): `POST /api/public/media` (an upload URL), `PATCH` and `GET
//! /media/{mediaId}`, and the signed upload and download routes of media kept in a local
//! directory (`PUT /media/{mediaId}/upload`, `GET /media/{mediaId}/download`), which carry
//! their authority in the URL, as presigned bucket URLs do.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::media::MediaField;
use sightline_domain::time::{parse_iso, to_iso};
use sightline_store::{MediaTarget, UploadReport};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::services::blobs::BlobError;
use crate::services::media::{self, MediaError, SignedQuery, UploadRequest};
use crate::state::AppState;

impl From<MediaError> for ApiError {
    fn from(error: MediaError) -> Self {
        match error {
            MediaError::InvalidRequest(message) => ApiError::InvalidRequest(message),
            MediaError::NotFound(message) => ApiError::NotFound(message),
            MediaError::Forbidden(message) => ApiError::Forbidden(message),
            MediaError::Store(error) => error.into(),
            MediaError::Blob(BlobError::NotFound { .. }) => {
                ApiError::NotFound("Media file not found in blob storage".into())
            }
            MediaError::Blob(error) => ApiError::internal(error),
        }
    }
}

/// Where clients reach this server: `NEXTAUTH_URL`, else the request's host.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = state.public_url() {
        return url.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .filter(|proto| *proto == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// `POST /media`'s body. The trace and dataset contexts' ids may be absent or null.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUploadUrl {
    content_type: String,
    content_length: i64,
    sha256_hash: String,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    observation_id: Option<String>,
    #[serde(default)]
    dataset_id: Option<String>,
    #[serde(default)]
    dataset_item_id: Option<String>,
    field: String,
}

const CONTEXT_MESSAGE: &str = "Provide either traceId with field input/output/metadata, or \
     datasetId + datasetItemId with field input/expectedOutput/metadata.";

impl GetUploadUrl {
    /// Exactly one context: a trace (and maybe an observation), or a dataset item.
    fn into_request(self) -> ApiResult<UploadRequest> {
        let context = || ApiError::InvalidRequest(CONTEXT_MESSAGE.into());
        let (target, field) = match (
            self.trace_id,
            self.observation_id,
            self.dataset_id,
            self.dataset_item_id,
        ) {
            (Some(trace_id), observation_id, None, None) => (
                MediaTarget::Trace {
                    trace_id,
                    observation_id,
                },
                MediaField::of_trace(&self.field).ok_or_else(context)?,
            ),
            (None, None, Some(dataset_id), Some(item_id)) => (
                MediaTarget::DatasetItem {
                    dataset_id,
                    item_id,
                },
                MediaField::of_dataset_item(&self.field).ok_or_else(context)?,
            ),
            _ => return Err(context()),
        };
        Ok(UploadRequest {
            content_type: self.content_type,
            content_length: self.content_length,
            sha256_hash: self.sha256_hash,
            target,
            field,
        })
    }
}

pub async fn post_media(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    headers: HeaderMap,
    Json(body): Json<GetUploadUrl>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let request = body.into_request()?;
    let base = base_url(&state, &headers);
    let answer = media::create_upload(&state, &caller.project_id, &request, &base).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "uploadUrl": answer.upload_url, "mediaId": answer.media_id })),
    ))
}

/// `PATCH /media/{mediaId}`'s body: the SDK's report of its upload.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchMedia {
    uploaded_at: String,
    upload_http_status: i64,
    #[serde(default)]
    upload_http_error: Option<String>,
    #[serde(default)]
    upload_time_ms: Option<f64>,
}

pub async fn patch_media(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(media_id): Path<String>,
    Json(body): Json<PatchMedia>,
) -> ApiResult<axum::Json<Value>> {
    let uploaded_at = parse_iso(&body.uploaded_at).ok_or_else(|| {
        ApiError::invalid_field("uploadedAt", format!("Invalid date '{}'", body.uploaded_at))
    })?;
    if body.upload_http_status <= 0 {
        return Err(ApiError::invalid_field(
            "uploadHttpStatus",
            "Number must be greater than 0",
        ));
    }
    let report = UploadReport {
        uploaded_at,
        http_status: body.upload_http_status,
        http_error: body.upload_http_error,
        time_ms: body.upload_time_ms.map(|ms| ms.round() as i64),
    };
    media::report_upload(&state, &caller.project_id, &media_id, report).await?;
    Ok(axum::Json(json!({ "message": "OK" })))
}

pub async fn get_media(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<axum::Json<Value>> {
    let base = base_url(&state, &headers);
    let download = media::download(&state, &caller.project_id, &media_id, &base).await?;
    let media = &download.media;
    Ok(axum::Json(json!({
        "mediaId": media.id,
        "contentType": media.content_type,
        "contentLength": media.content_length,
        "uploadedAt": media.uploaded_at.map(to_iso),
        "url": download.url,
        "urlExpiry": download.url_expiry,
    })))
}

/// The query of a signed URL.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    project_id: String,
    expires: i64,
    signature: String,
}

impl From<Signed> for SignedQuery {
    fn from(query: Signed) -> Self {
        SignedQuery {
            project_id: query.project_id,
            expires: query.expires,
            signature: query.signature,
        }
    }
}

/// `PUT /media/{mediaId}/upload?…`: the upload to a signed URL (local storage).
pub async fn put_upload(
    State(state): State<AppState>,
    Path(media_id): Path<String>,
    Query(query): Query<Signed>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    media::receive_upload(&state, &media_id, &query.into(), content_type, body).await?;
    Ok(StatusCode::OK)
}

/// `GET /media/{mediaId}/download?…`: the bytes behind a signed download URL (local storage).
pub async fn get_download(
    State(state): State<AppState>,
    Path(media_id): Path<String>,
    Query(query): Query<Signed>,
) -> ApiResult<Response> {
    let media = media::signed_download(&state, &media_id, &query.into()).await?;
    let body = media::open(&state, &media).await?;
    Ok(media_response(
        &media.content_type,
        media.content_length,
        body,
    ))
}

/// A media's bytes as a response that cannot run in our origin: its own content type,
/// `nosniff`, and a sandboxing CSP (an SVG or HTML file opened directly runs no script).
pub fn media_response(content_type: &str, length: i64, body: Body) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; style-src 'unsafe-inline'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}
