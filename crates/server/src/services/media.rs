//! Media (wire-spec §5.10 and §9, `features.md` §6.6): upload URLs for content the SDKs found
//! in traces and dataset items, upload reports, download URLs, and the bytes themselves.
//!
//! A media's id is derived from its SHA-256 exactly as the SDKs derive it; content already
//! uploaded is not asked for again (`uploadUrl: null`), only linked. On S3 the SDK uploads to a
//! presigned URL of the bucket. In a local directory it uploads to our own route, whose URL is
//! signed with an HMAC of the instance salt and checked against the declared content type,
//! length and hash before the object is kept; downloads are signed the same way.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::Method;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sightline_domain::ProjectId;
use sightline_domain::media::{self as domain, MediaField};
use sightline_domain::time::{Millis, now_ms, to_iso};
use sightline_store::{DatasetItem, Media, MediaTarget, StoreError, UploadReport};

use crate::services::blobs::{BlobError, BlobStorage};
use crate::state::AppState;

/// How long an upload URL stays valid (Langfuse: one hour).
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// A signed URL that is expired or not ours.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob storage failed: {0}")]
    Blob(#[from] BlobError),
}

pub type MediaResult<T> = Result<T, MediaError>;

/// `POST /media`'s request, checked.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub content_type: String,
    pub content_length: i64,
    pub sha256_hash: String,
    pub target: MediaTarget,
    pub field: MediaField,
}

impl UploadRequest {
    /// Checks content type, length and hash as Langfuse does (`media/validation.ts`).
    pub fn check(&self, max_bytes: u64) -> MediaResult<()> {
        if domain::extension(&self.content_type).is_none() {
            let known: Vec<&str> = domain::content_types().collect();
            return Err(MediaError::InvalidRequest(format!(
                "Invalid content type. Only supporting {}",
                known.join(", ")
            )));
        }
        if self.content_length <= 0 {
            return Err(MediaError::InvalidRequest(
                "contentLength: must be a positive integer".into(),
            ));
        }
        if u64::try_from(self.content_length).unwrap_or(u64::MAX) > max_bytes {
            return Err(MediaError::InvalidRequest(format!(
                "File size must be less than {max_bytes} bytes"
            )));
        }
        if !domain::is_sha256_base64(&self.sha256_hash) {
            return Err(MediaError::InvalidRequest(
                "sha256Hash: Must be a 44 character base64 encoded SHA-256 hash".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UploadUrl {
    pub media_id: String,
    pub upload_url: Option<String>,
}

/// Answers `POST /media`: the media's id and where to upload it, or no URL when the same
/// content was uploaded already. The media is linked to its target either way. `base_url` is
/// where clients reach this server (for URLs of a local directory).
pub async fn create_upload(
    state: &AppState,
    project: &ProjectId,
    request: &UploadRequest,
    base_url: &str,
) -> MediaResult<UploadUrl> {
    let blobs = state.blobs();
    request.check(blobs.media_max_bytes)?;
    let metadata = state.store().metadata();
    let now = now_ms();
    let existing = metadata
        .media_by_hash(project, &request.sha256_hash)
        .await?;
    let media_id = existing
        .as_ref()
        .map_or_else(|| domain::media_id(&request.sha256_hash), |m| m.id.clone());
    if let Some(existing) = existing
        .as_ref()
        .filter(|m| m.is_uploaded() && m.content_type == request.content_type)
    {
        link(state, project, &existing.id, request, now).await?;
        return Ok(UploadUrl {
            media_id,
            upload_url: None,
        });
    }
    let storage = &blobs.media;
    let extension = domain::extension(&request.content_type).unwrap_or("bin");
    let bucket_path = storage.key(&format!("{}/{media_id}.{extension}", project.as_str()));
    let media = Media {
        project_id: project.clone(),
        id: media_id.clone(),
        sha256_hash: request.sha256_hash.clone(),
        content_type: request.content_type.clone(),
        content_length: request.content_length,
        bucket_name: storage.bucket().to_owned(),
        bucket_path: bucket_path.clone(),
        uploaded_at: None,
        upload_http_status: None,
        upload_http_error: None,
        upload_time_ms: None,
        created_at: now,
        updated_at: now,
    };
    // Langfuse signs the content type, length and checksum: the URL uploads this content only.
    let length = request.content_length.to_string();
    let signed_headers = [
        ("content-type", request.content_type.as_str()),
        ("content-length", length.as_str()),
        ("x-amz-checksum-sha256", request.sha256_hash.as_str()),
    ];
    let upload_url = match storage
        .presigned_put(&bucket_path, UPLOAD_URL_TTL, &signed_headers)
        .await?
    {
        Some(url) => url,
        None => {
            let expires = now + UPLOAD_URL_TTL.as_millis() as i64;
            let signature = state.url_signer().sign(Purpose::Upload, &media, expires);
            format!(
                "{base_url}/api/public/media/{media_id}/upload?projectId={}&expires={expires}&signature={signature}",
                project.as_str()
            )
        }
    };
    metadata.upsert_media(&media).await?;
    link(state, project, &media_id, request, now).await?;
    Ok(UploadUrl {
        media_id,
        upload_url: Some(upload_url),
    })
}

async fn link(
    state: &AppState,
    project: &ProjectId,
    media_id: &str,
    request: &UploadRequest,
    now: Millis,
) -> MediaResult<()> {
    state
        .store()
        .metadata()
        .link_media(
            project,
            media_id,
            &request.target,
            request.field.as_str(),
            now,
        )
        .await?;
    Ok(())
}

/// Records the SDK's upload report (`PATCH /media/{id}`).
pub async fn report_upload(
    state: &AppState,
    project: &ProjectId,
    media_id: &str,
    mut report: UploadReport,
) -> MediaResult<()> {
    if report.http_status == 200 {
        report.http_error = None;
    }
    let found = state
        .store()
        .metadata()
        .report_media_upload(project, media_id, &report)
        .await?;
    if !found {
        return Err(MediaError::NotFound(format!(
            "Media asset {media_id} not found in project {}",
            project.as_str()
        )));
    }
    Ok(())
}

/// A media's download: its record, a URL and when the URL expires.
#[derive(Debug, Clone)]
pub struct Download {
    pub media: Media,
    pub url: String,
    pub url_expiry: String,
}

/// Answers `GET /media/{id}`: Langfuse's three 404s for a media that is unknown, not uploaded
/// yet, or whose upload failed.
pub async fn download(
    state: &AppState,
    project: &ProjectId,
    media_id: &str,
    base_url: &str,
) -> MediaResult<Download> {
    let media = uploaded(state, project, media_id).await?;
    let ttl = state.blobs().media_url_ttl;
    let expires = now_ms() + ttl.as_millis() as i64;
    let storage = storage(state);
    let url = match storage
        .presigned_url(Method::GET, &media.bucket_path, ttl)
        .await?
    {
        Some(url) => url,
        None => format!(
            "{base_url}/api/public/media/{media_id}/download?projectId={}&expires={expires}&signature={}",
            project.as_str(),
            state.url_signer().sign(Purpose::Download, &media, expires)
        ),
    };
    Ok(Download {
        media,
        url,
        url_expiry: to_iso(expires),
    })
}

/// The `mediaReferences` of each item: the references that are whole string values of its
/// input, expected output or metadata, each with its media resolved to a download URL (each
/// media read once for all the items). A reference to media that is unknown, not uploaded or
/// failed is left out.
pub async fn dataset_item_references(
    state: &AppState,
    project: &ProjectId,
    items: &[DatasetItem],
    base_url: &str,
) -> MediaResult<Vec<Vec<Value>>> {
    let mut resolved: HashMap<String, Option<Download>> = HashMap::new();
    let mut all = Vec::with_capacity(items.len());
    for item in items {
        let fields = [
            (MediaField::Input, &item.input),
            (MediaField::ExpectedOutput, &item.expected_output),
            (MediaField::Metadata, &item.metadata),
        ];
        let mut references = Vec::new();
        for (field, value) in fields {
            let Some(value) = value else { continue };
            for placed in domain::placed_references(value) {
                let media_id = placed.reference.media_id;
                if !resolved.contains_key(&media_id) {
                    let found = match download(state, project, &media_id, base_url).await {
                        Ok(download) => Some(download),
                        Err(MediaError::NotFound(_)) => None,
                        Err(error) => return Err(error),
                    };
                    resolved.insert(media_id.clone(), found);
                }
                let Some(Some(download)) = resolved.get(&media_id) else {
                    continue;
                };
                references.push(json!({
                    "field": field.as_str(),
                    "referenceString": placed.reference_string,
                    "jsonPath": placed.json_path,
                    "media": {
                        "mediaId": download.media.id,
                        "contentType": download.media.content_type,
                        "contentLength": download.media.content_length,
                        "url": download.url,
                        "urlExpiry": download.url_expiry,
                    },
                }));
            }
        }
        all.push(references);
    }
    Ok(all)
}

/// The media if its upload succeeded, else Langfuse's 404 messages.
pub async fn uploaded(state: &AppState, project: &ProjectId, media_id: &str) -> MediaResult<Media> {
    let media = state
        .store()
        .metadata()
        .media(project, media_id)
        .await?
        .ok_or_else(|| MediaError::NotFound("Media asset not found".into()))?;
    match media.upload_http_status {
        None => Err(MediaError::NotFound("Media not yet uploaded".into())),
        Some(_) if media.is_uploaded() => Ok(media),
        Some(status) => Err(MediaError::NotFound(format!(
            "Media upload failed with status {status}: \n {}",
            media.upload_http_error.as_deref().unwrap_or("")
        ))),
    }
}

/// The storage media objects are in.
fn storage(state: &AppState) -> &BlobStorage {
    &state.blobs().media
}

/// A media's bytes as a stream, for the signed download route and the UI.
pub async fn open(state: &AppState, media: &Media) -> MediaResult<Body> {
    let object = storage(state).get(&media.bucket_path).await?;
    Ok(Body::from_stream(object.into_stream()))
}

/// What a signed route's query carries.
#[derive(Debug, Clone)]
pub struct SignedQuery {
    pub project_id: String,
    pub expires: Millis,
    pub signature: String,
}

/// The media a signed download URL names, if the signature holds and has not expired.
pub async fn signed_download(
    state: &AppState,
    media_id: &str,
    query: &SignedQuery,
) -> MediaResult<Media> {
    signed_media(state, media_id, query, Purpose::Download).await
}

/// The media a signed URL names, if its signature for `purpose` holds and has not expired.
async fn signed_media(
    state: &AppState,
    media_id: &str,
    query: &SignedQuery,
    purpose: Purpose,
) -> MediaResult<Media> {
    let project = ProjectId::from_trusted(query.project_id.clone());
    let media = state
        .store()
        .metadata()
        .media(&project, media_id)
        .await?
        .ok_or_else(|| MediaError::NotFound("Media asset not found".into()))?;
    state.url_signer().check(purpose, &media, query)?;
    Ok(media)
}

/// Receives an upload to a signed URL of a local directory: the body must have the declared
/// content type, length and SHA-256, or nothing is kept. Streams to storage in parts.
pub async fn receive_upload(
    state: &AppState,
    media_id: &str,
    query: &SignedQuery,
    content_type: Option<&str>,
    body: Body,
) -> MediaResult<()> {
    use futures_util::StreamExt;

    let media = signed_media(state, media_id, query, Purpose::Upload).await?;
    if content_type != Some(media.content_type.as_str()) {
        return Err(MediaError::InvalidRequest(format!(
            "Content-Type must be {}, as declared",
            media.content_type
        )));
    }
    let declared = u64::try_from(media.content_length).unwrap_or(0);
    let mut writer = storage(state).writer(&media.bucket_path).await?;
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut stream = body.into_data_stream();
    let outcome: MediaResult<()> = async {
        while let Some(chunk) = stream.next().await {
            let chunk: Bytes = chunk.map_err(|e| {
                MediaError::InvalidRequest(format!("the upload was interrupted: {e}"))
            })?;
            received += chunk.len() as u64;
            if received > declared {
                return Err(MediaError::InvalidRequest(format!(
                    "The upload is longer than the declared {declared} bytes"
                )));
            }
            hasher.update(&chunk);
            writer.wait_for_capacity(2).await?;
            writer.write(&chunk);
        }
        if received != declared {
            return Err(MediaError::InvalidRequest(format!(
                "The upload has {received} bytes, not the declared {declared}"
            )));
        }
        use base64::Engine as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(hasher.finalize_reset());
        if hash != media.sha256_hash {
            return Err(MediaError::InvalidRequest(
                "The upload's SHA-256 does not match the declared sha256Hash".into(),
            ));
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            writer.finish().await?;
            Ok(())
        }
        Err(error) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "aborting a refused media upload failed");
            }
            Err(error)
        }
    }
}

/// Forgets the media links of deleted traces and deletes the media no trace or dataset item
/// references any more (objects first, then records).
pub async fn forget_traces(
    state: &AppState,
    project: &ProjectId,
    trace_ids: &[String],
) -> MediaResult<u64> {
    let orphans = state
        .store()
        .metadata()
        .unlink_traces(project, trace_ids)
        .await?;
    delete(state, project, &orphans).await
}

/// Deletes media of the project created before `cutoff` (retention), up to `limit`; returns
/// how many went.
pub async fn delete_older_than(
    state: &AppState,
    project: &ProjectId,
    cutoff: Millis,
    limit: u64,
) -> MediaResult<u64> {
    let old = state
        .store()
        .metadata()
        .media_created_before(project, cutoff, limit)
        .await?;
    delete(state, project, &old).await
}

async fn delete(state: &AppState, project: &ProjectId, media: &[Media]) -> MediaResult<u64> {
    if media.is_empty() {
        return Ok(0);
    }
    for item in media {
        storage(state).delete(&item.bucket_path).await?;
    }
    let ids: Vec<String> = media.iter().map(|m| m.id.clone()).collect();
    Ok(state.store().metadata().delete_media(project, &ids).await?)
}

/// Signs the URLs of media kept in a local directory with an HMAC-SHA256 keyed by the
/// instance salt.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl UrlSigner {
    pub fn new(salt: &str) -> UrlSigner {
        let mut hasher = Sha256::new();
        hasher.update(b"sightline:media-urls:");
        hasher.update(salt.as_bytes());
        UrlSigner {
            key: hasher.finalize().into(),
        }
    }

    /// The MAC of a URL for `purpose` on `media`, valid until `expires`: an upload is bound to
    /// the declared content type, length and hash, a download to the stored object.
    fn mac(&self, purpose: Purpose, media: &Media, expires: Millis) -> Hmac<Sha256> {
        let length = media.content_length.to_string();
        let expires = expires.to_string();
        let parts: [&str; 6] = match purpose {
            Purpose::Upload => [
                "PUT",
                media.project_id.as_str(),
                &media.id,
                &media.content_type,
                &length,
                &media.sha256_hash,
            ],
            Purpose::Download => [
                "GET",
                media.project_id.as_str(),
                &media.id,
                &media.bucket_path,
                "",
                "",
            ],
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        for part in parts.iter().chain([&expires.as_str()]) {
            mac.update(part.as_bytes());
            mac.update(b"\n");
        }
        mac
    }

    /// The signature (hex) of a URL for `purpose` on `media`, valid until `expires`.
    fn sign(&self, purpose: Purpose, media: &Media, expires: Millis) -> String {
        hex::encode(self.mac(purpose, media, expires).finalize().into_bytes())
    }

    /// Checks a signed URL's signature (in constant time) and expiry.
    fn check(&self, purpose: Purpose, media: &Media, query: &SignedQuery) -> MediaResult<()> {
        let valid = hex::decode(&query.signature).is_ok_and(|signature| {
            self.mac(purpose, media, query.expires)
                .verify_slice(&signature)
                .is_ok()
        });
        if !valid {
            return Err(MediaError::Forbidden("Invalid signature".into()));
        }
        if query.expires < now_ms() {
            return Err(MediaError::Forbidden("This URL has expired".into()));
        }
        Ok(())
    }
}

/// What a signed URL allows.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    Upload,
    Download,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: &str, length: i64, hash: &str) -> UploadRequest {
        UploadRequest {
            content_type: content_type.into(),
            content_length: length,
            sha256_hash: hash.into(),
            target: MediaTarget::Trace {
                trace_id: "t".into(),
                observation_id: None,
            },
            field: MediaField::Input,
        }
    }

    const HASH: &str = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";

    #[test]
    fn requests_are_checked_as_langfuse_checks_them() {
        assert!(request("image/png", 10, HASH).check(100).is_ok());
        let message = |r: UploadRequest| r.check(100).unwrap_err().to_string();
        assert!(message(request("image/x-bogus", 10, HASH)).starts_with("Invalid content type"));
        assert_eq!(
            message(request("image/png", 101, HASH)),
            "File size must be less than 100 bytes"
        );
        assert!(message(request("image/png", 0, HASH)).contains("positive"));
        assert!(message(request("image/png", 10, "abc")).contains("44 character"));
    }

    #[test]
    fn signatures_depend_on_every_part() {
        let signer = UrlSigner::new("salt");
        let media = Media {
            project_id: ProjectId::from_trusted("p".into()),
            id: "m".into(),
            sha256_hash: HASH.into(),
            content_type: "image/png".into(),
            content_length: 3,
            bucket_name: "local".into(),
            bucket_path: "p/m.png".into(),
            uploaded_at: None,
            upload_http_status: None,
            upload_http_error: None,
            upload_time_ms: None,
            created_at: 0,
            updated_at: 0,
        };
        let signature = signer.sign(Purpose::Upload, &media, 5);
        assert_eq!(signature.len(), 64);
        assert_ne!(signature, signer.sign(Purpose::Upload, &media, 6));
        assert_ne!(signature, signer.sign(Purpose::Download, &media, 5));
        assert_ne!(
            signature,
            UrlSigner::new("other").sign(Purpose::Upload, &media, 5)
        );
        let query = |signature: &str, expires| SignedQuery {
            project_id: "p".into(),
            expires,
            signature: signature.into(),
        };
        let future = now_ms() + 60_000;
        let good = signer.sign(Purpose::Upload, &media, future);
        let upload = |q: &SignedQuery| signer.check(Purpose::Upload, &media, q);
        assert!(upload(&query(&good, future)).is_ok());
        assert!(upload(&query(&signature, future)).is_err());
        assert!(upload(&query("not hex", future)).is_err());
        assert!(
            signer
                .check(Purpose::Download, &media, &query(&good, future))
                .is_err(),
            "an upload URL does not download"
        );
        let past = signer.sign(Purpose::Upload, &media, 1);
        assert!(matches!(
            upload(&query(&past, 1)),
            Err(MediaError::Forbidden(m)) if m.contains("expired")
        ));
    }
}
