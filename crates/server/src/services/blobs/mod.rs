//! Blob storage for media and exports, through the `object_store` crate: a local directory by
//! default, or an S3-compatible bucket when `LANGFUSE_S3_*` settings name one. Objects are
//! addressed by keys under the storage's prefix. On S3 clients are handed presigned URLs; a
//! local directory has no URLs of its own, so the media service signs URLs to its own routes.

mod sigv4;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{GetResult, ObjectStore, PutPayload, WriteMultipart};

pub use object_store::Error as BlobError;

/// What `LANGFUSE_S3_<PURPOSE>_*` say of a bucket (Langfuse's names).
#[derive(Clone, Default)]
pub struct S3Settings {
    pub bucket: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub force_path_style: bool,
}

impl std::fmt::Debug for S3Settings {
    /// Without the secret key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("force_path_style", &self.force_path_style)
            .finish_non_exhaustive()
    }
}

/// One place objects are kept: a bucket, a local directory, or memory.
#[derive(Clone)]
pub struct BlobStorage {
    store: Arc<dyn ObjectStore>,
    /// Presigns URLs on S3; `None` where clients cannot reach the storage themselves.
    signer: Option<Arc<dyn Signer>>,
    /// Presigns URLs that sign headers too, when the settings hold the keys.
    presigner: Option<sigv4::Presigner>,
    /// The bucket's name, or `local` / `memory`.
    bucket: String,
    prefix: String,
}

impl std::fmt::Debug for BlobStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStorage")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl BlobStorage {
    /// Objects as files under `dir` (created when missing).
    pub fn local(dir: &std::path::Path, prefix: &str) -> Result<BlobStorage, BlobError> {
        std::fs::create_dir_all(dir).map_err(|source| BlobError::Generic {
            store: "LocalFileSystem",
            source: Box::new(source),
        })?;
        Ok(BlobStorage {
            store: Arc::new(LocalFileSystem::new_with_prefix(dir)?),
            signer: None,
            presigner: None,
            bucket: "local".into(),
            prefix: prefix.to_owned(),
        })
    }

    /// Objects in an S3-compatible bucket; credentials fall back to the usual AWS sources.
    pub fn s3(settings: &S3Settings, prefix: &str) -> Result<BlobStorage, BlobError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_virtual_hosted_style_request(!settings.force_path_style)
            .with_region(settings.region.as_deref().unwrap_or("us-east-1"));
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = Arc::new(builder.build()?);
        let region = settings
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".into());
        let origin = settings.endpoint.as_deref().map_or_else(
            || format!("https://s3.{region}.amazonaws.com"),
            |endpoint| endpoint.trim_end_matches('/').to_owned(),
        );
        let presigner = settings
            .access_key_id
            .clone()
            .zip(settings.secret_access_key.clone())
            .map(|(access_key_id, secret_access_key)| sigv4::Presigner {
                host: origin
                    .split_once("://")
                    .map_or(origin.as_str(), |(_, host)| host)
                    .to_owned(),
                origin,
                bucket: settings.bucket.clone(),
                region,
                path_style: settings.force_path_style,
                access_key_id,
                secret_access_key,
            });
        Ok(BlobStorage {
            store: s3.clone(),
            signer: Some(s3),
            presigner,
            bucket: settings.bucket.clone(),
            prefix: prefix.to_owned(),
        })
    }

    /// Objects in this process's memory, gone when it ends (tests and embedding).
    pub fn in_memory() -> BlobStorage {
        BlobStorage {
            store: Arc::new(InMemory::new()),
            signer: None,
            presigner: None,
            bucket: "memory".into(),
            prefix: String::new(),
        }
    }

    /// The bucket's name (`local` for a directory).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Whether clients get presigned URLs of the storage itself.
    pub fn presigns(&self) -> bool {
        self.signer.is_some()
    }

    /// The full key of `key`: the storage's prefix before it.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<GetResult, BlobError> {
        self.store.get(&ObjectPath::from(key)).await
    }

    /// Deletes the object; one that is not there is no error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(BlobError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// A writer of a large object in parts (bounded memory: at most a few parts in flight).
    pub async fn writer(&self, key: &str) -> Result<WriteMultipart, BlobError> {
        let upload = self.store.put_multipart(&ObjectPath::from(key)).await?;
        Ok(WriteMultipart::new(upload))
    }

    /// A presigned PUT URL for the object that signs `headers` as well (the upload must send
    /// them as given); `None` when this storage does not presign. Without keys in the settings
    /// (credentials from the environment) only `host` is signed.
    pub async fn presigned_put(
        &self,
        key: &str,
        ttl: Duration,
        headers: &[(&str, &str)],
    ) -> Result<Option<String>, BlobError> {
        match &self.presigner {
            Some(presigner) => Ok(Some(presigner.url(
                "PUT",
                key,
                headers,
                ttl,
                chrono::Utc::now(),
            ))),
            None => self.presigned_url(axum::http::Method::PUT, key, ttl).await,
        }
    }

    /// A presigned URL for `method` on the object, valid for `ttl`; `None` when this storage
    /// does not presign (a local directory).
    pub async fn presigned_url(
        &self,
        method: axum::http::Method,
        key: &str,
        ttl: Duration,
    ) -> Result<Option<String>, BlobError> {
        match &self.signer {
            Some(signer) => Ok(Some(
                signer
                    .signed_url(method, &ObjectPath::from(key), ttl)
                    .await?
                    .to_string(),
            )),
            None => Ok(None),
        }
    }
}

/// The server's blob storages: one for media, one for exports (the same place unless the
/// settings name two buckets).
#[derive(Clone, Debug)]
pub struct Blobs {
    pub media: BlobStorage,
    pub exports: BlobStorage,
    /// `LANGFUSE_S3_MEDIA_MAX_CONTENT_LENGTH`: the largest media upload, in bytes.
    pub media_max_bytes: u64,
    /// `LANGFUSE_S3_MEDIA_DOWNLOAD_URL_EXPIRY_SECONDS`.
    pub media_url_ttl: Duration,
}

/// Langfuse's default largest media upload (1 GB).
pub const MEDIA_MAX_BYTES: u64 = 1_000_000_000;
/// Langfuse's default lifetime of a media download URL.
pub const MEDIA_URL_TTL: Duration = Duration::from_secs(3600);

impl Blobs {
    /// Both storages in one place.
    pub fn one(storage: BlobStorage) -> Blobs {
        Blobs {
            media: storage.clone(),
            exports: storage,
            media_max_bytes: MEDIA_MAX_BYTES,
            media_url_ttl: MEDIA_URL_TTL,
        }
    }
}

impl Default for Blobs {
    /// In memory: for tests and embedding; `serve` always configures a directory or buckets.
    fn default() -> Self {
        Blobs::one(BlobStorage::in_memory())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_objects_are_written_read_and_deleted() {
        let dir = std::env::temp_dir().join(format!("sightline-blobs-{}", uuid::Uuid::new_v4()));
        let storage = BlobStorage::local(&dir, "media/").unwrap();
        let key = storage.key("p1/abc.png");
        assert_eq!(key, "media/p1/abc.png");
        storage.put(&key, Bytes::from_static(b"png")).await.unwrap();
        let read = storage.get(&key).await.unwrap().bytes().await.unwrap();
        assert_eq!(&read[..], b"png");
        assert!(dir.join("media/p1/abc.png").exists());
        storage.delete(&key).await.unwrap();
        storage.delete(&key).await.unwrap();
        assert!(storage.get(&key).await.is_err());
        assert!(
            storage
                .presigned_url(axum::http::Method::GET, &key, MEDIA_URL_TTL)
                .await
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
