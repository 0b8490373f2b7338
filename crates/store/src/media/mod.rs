//! Media records and their links (metadata store, [`MediaStore`]; migration 0021). The bytes
//! live in blob storage; a record says where (`bucket_name`, `bucket_path`) and what the SDK
//! reported of its upload.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::StoreResult;
use crate::sql::{Arg, Sql, SqlStore};

#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub project_id: ProjectId,
    pub id: String,
    pub sha256_hash: String,
    pub content_type: String,
    pub content_length: i64,
    pub bucket_name: String,
    pub bucket_path: String,
    pub uploaded_at: Option<Millis>,
    pub upload_http_status: Option<i64>,
    pub upload_http_error: Option<String>,
    pub upload_time_ms: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Media {
    /// Whether the SDK reported a successful upload (200 or 201, as Langfuse counts it).
    pub fn is_uploaded(&self) -> bool {
        matches!(self.upload_http_status, Some(200 | 201))
    }
}

/// Where a media is referenced: a trace's or observation's field, or a dataset item's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaTarget {
    Trace {
        trace_id: String,
        observation_id: Option<String>,
    },
    DatasetItem {
        dataset_id: String,
        item_id: String,
    },
}

/// What the SDK reports of an upload (`PATCH /media/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadReport {
    pub uploaded_at: Millis,
    pub http_status: i64,
    pub http_error: Option<String>,
    pub time_ms: Option<i64>,
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Inserts the record, or updates its content type, length and place (a new upload of the
    /// same content); the upload report is kept.
    async fn upsert_media(&self, media: &Media) -> StoreResult<()>;
    async fn media(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Media>>;
    async fn media_by_hash(&self, project: &ProjectId, sha256: &str) -> StoreResult<Option<Media>>;
    /// Records an upload report; false when the media does not exist.
    async fn report_media_upload(
        &self,
        project: &ProjectId,
        id: &str,
        report: &UploadReport,
    ) -> StoreResult<bool>;
    /// Links the media to a field of a target (once; a repeated link is kept as it is).
    async fn link_media(
        &self,
        project: &ProjectId,
        media_id: &str,
        target: &MediaTarget,
        field: &str,
        at: Millis,
    ) -> StoreResult<()>;
    /// Removes the links of these traces (and their observations); returns the media they
    /// referenced that no other link references any more.
    async fn unlink_traces(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<Media>>;
    /// Up to `limit` media of the project created before `cutoff`, oldest first.
    async fn media_created_before(
        &self,
        project: &ProjectId,
        cutoff: Millis,
        limit: u64,
    ) -> StoreResult<Vec<Media>>;
    /// Deletes the records (and their links); returns how many went.
    async fn delete_media(&self, project: &ProjectId, ids: &[String]) -> StoreResult<u64>;
}

const COLUMNS: &str = "project_id, id, sha256_hash, content_type, content_length, bucket_name, \
     bucket_path, uploaded_at, upload_http_status, upload_http_error, upload_time_ms, \
     created_at, updated_at";

#[derive(sqlx::FromRow)]
struct MediaRow {
    project_id: String,
    id: String,
    sha256_hash: String,
    content_type: String,
    content_length: i64,
    bucket_name: String,
    bucket_path: String,
    uploaded_at: Option<i64>,
    upload_http_status: Option<i64>,
    upload_http_error: Option<String>,
    upload_time_ms: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<MediaRow> for Media {
    fn from(row: MediaRow) -> Self {
        Media {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            sha256_hash: row.sha256_hash,
            content_type: row.content_type,
            content_length: row.content_length,
            bucket_name: row.bucket_name,
            bucket_path: row.bucket_path,
            uploaded_at: row.uploaded_at,
            upload_http_status: row.upload_http_status,
            upload_http_error: row.upload_http_error,
            upload_time_ms: row.upload_time_ms,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Most ids in one statement.
const MAX_IDS: usize = 1_000;

#[async_trait]
impl MediaStore for SqlStore {
    async fn upsert_media(&self, media: &Media) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO media ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (project_id, id) DO UPDATE SET sha256_hash = excluded.sha256_hash, \
             content_type = excluded.content_type, content_length = excluded.content_length, \
             bucket_name = excluded.bucket_name, bucket_path = excluded.bucket_path, \
             updated_at = excluded.updated_at"
        ))
        .bind(media.project_id.as_str())
        .bind(&media.id)
        .bind(&media.sha256_hash)
        .bind(&media.content_type)
        .bind(media.content_length)
        .bind(&media.bucket_name)
        .bind(&media.bucket_path)
        .bind(media.uploaded_at)
        .bind(media.upload_http_status)
        .bind(&media.upload_http_error)
        .bind(media.upload_time_ms)
        .bind(media.created_at)
        .bind(media.updated_at);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| crate::error::constraint(e, "a media record"))?;
        Ok(())
    }

    async fn media(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Media>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM media WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<MediaRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn media_by_hash(&self, project: &ProjectId, sha256: &str) -> StoreResult<Option<Media>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM media WHERE project_id = $1 AND sha256_hash = $2"
        ))
        .bind(project.as_str())
        .bind(sha256);
        let row: Option<MediaRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn report_media_upload(
        &self,
        project: &ProjectId,
        id: &str,
        report: &UploadReport,
    ) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE media SET uploaded_at = $1, upload_http_status = $2, \
             upload_http_error = $3, upload_time_ms = $4, updated_at = $5 \
             WHERE project_id = $6 AND id = $7",
        )
        .bind(report.uploaded_at)
        .bind(report.http_status)
        .bind(&report.http_error)
        .bind(report.time_ms)
        .bind(sightline_domain::time::now_ms())
        .bind(project.as_str())
        .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn link_media(
        &self,
        project: &ProjectId,
        media_id: &str,
        target: &MediaTarget,
        field: &str,
        at: Millis,
    ) -> StoreResult<()> {
        let (trace_id, observation_id, dataset_id, item_id) = match target {
            MediaTarget::Trace {
                trace_id,
                observation_id,
            } => (
                trace_id.as_str(),
                observation_id.as_deref().unwrap_or(""),
                "",
                "",
            ),
            MediaTarget::DatasetItem {
                dataset_id,
                item_id,
            } => ("", "", dataset_id.as_str(), item_id.as_str()),
        };
        let sql = Sql::text(
            "INSERT INTO media_links (project_id, media_id, trace_id, observation_id, \
             dataset_id, dataset_item_id, field, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(project.as_str())
        .bind(media_id)
        .bind(trace_id)
        .bind(observation_id)
        .bind(dataset_id)
        .bind(item_id)
        .bind(field)
        .bind(at);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| crate::error::constraint(e, "a media link"))?;
        Ok(())
    }

    async fn unlink_traces(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<Media>> {
        let mut orphans = Vec::new();
        for chunk in trace_ids.chunks(MAX_IDS) {
            let mut tx = self.db.begin().await?;
            let mut linked = Sql::new();
            linked
                .push(
                    "SELECT DISTINCT media_id FROM media_links WHERE project_id = {} AND ",
                    [Arg::from(project.as_str())],
                )
                .push_in("trace_id", chunk);
            let media_ids: Vec<(String,)> = tx.fetch_all(&linked).await?;
            if media_ids.is_empty() {
                continue;
            }
            let mut unlink = Sql::new();
            unlink
                .push(
                    "DELETE FROM media_links WHERE project_id = {} AND ",
                    [Arg::from(project.as_str())],
                )
                .push_in("trace_id", chunk);
            tx.execute(&unlink).await?;
            let mut unreferenced = Sql::new();
            unreferenced
                .sql(&format!("SELECT {COLUMNS} FROM media m WHERE "))
                .push("m.project_id = {} AND ", [Arg::from(project.as_str())])
                .push_in("m.id", media_ids.iter().map(|(id,)| id.as_str()))
                .sql(
                    " AND NOT EXISTS (SELECT 1 FROM media_links l \
                     WHERE l.project_id = m.project_id AND l.media_id = m.id)",
                );
            let rows: Vec<MediaRow> = tx.fetch_all(&unreferenced).await?;
            tx.commit().await?;
            orphans.extend(rows.into_iter().map(Media::from));
        }
        Ok(orphans)
    }

    async fn media_created_before(
        &self,
        project: &ProjectId,
        cutoff: Millis,
        limit: u64,
    ) -> StoreResult<Vec<Media>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM media WHERE project_id = $1 AND created_at < $2 \
             ORDER BY created_at, id LIMIT $3"
        ))
        .bind(project.as_str())
        .bind(cutoff)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<MediaRow> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn delete_media(&self, project: &ProjectId, ids: &[String]) -> StoreResult<u64> {
        let mut deleted = 0;
        for chunk in ids.chunks(MAX_IDS) {
            let mut sql = Sql::new();
            sql.push(
                "DELETE FROM media WHERE project_id = {} AND ",
                [Arg::from(project.as_str())],
            )
            .push_in("id", chunk);
            deleted += self.db.execute(&sql).await?;
        }
        Ok(deleted)
    }
}
