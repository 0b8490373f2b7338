//! Batch exports (metadata store, [`ExportStore`]; migration 0022): what was asked, how far the
//! job got, and where the finished file is.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::sql::{Sql, SqlStore};
use crate::{NewJob, StoreError, StoreResult};

/// Langfuse's export statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportStatus {
    Queued,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Queued => "QUEUED",
            ExportStatus::Processing => "PROCESSING",
            ExportStatus::Completed => "COMPLETED",
            ExportStatus::Failed => "FAILED",
            ExportStatus::Cancelled => "CANCELLED",
        }
    }

    /// Queued or processing: not finished yet.
    pub fn is_running(self) -> bool {
        matches!(self, ExportStatus::Queued | ExportStatus::Processing)
    }

    pub fn parse(raw: &str) -> Option<ExportStatus> {
        [
            ExportStatus::Queued,
            ExportStatus::Processing,
            ExportStatus::Completed,
            ExportStatus::Failed,
            ExportStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchExport {
    pub id: String,
    pub project_id: ProjectId,
    pub user_id: Option<String>,
    pub name: String,
    pub table_name: String,
    /// `CSV`, `JSON` or `JSONL`.
    pub format: String,
    /// The store query the job runs, as JSON.
    pub query: String,
    pub status: ExportStatus,
    pub rows_written: i64,
    pub object_key: Option<String>,
    pub log: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
    pub expires_at: Option<Millis>,
}

#[async_trait]
pub trait ExportStore: Send + Sync {
    /// Inserts the export with the job that runs it, in one transaction.
    async fn create_export(&self, export: &BatchExport, job: &NewJob) -> StoreResult<()>;
    async fn export(&self, project: &ProjectId, id: &str) -> StoreResult<Option<BatchExport>>;
    /// A project's exports, newest first.
    async fn list_exports(&self, project: &ProjectId, limit: u64) -> StoreResult<Vec<BatchExport>>;
    /// Sets status, rows written, object, log and times as they are in `export`.
    async fn update_export(&self, export: &BatchExport) -> StoreResult<()>;
    /// Completed exports whose files expired before `now` and still name an object.
    async fn expired_exports(&self, now: Millis, limit: u64) -> StoreResult<Vec<BatchExport>>;
}

const COLUMNS: &str = "id, project_id, user_id, name, table_name, format, query, status, \
     rows_written, object_key, log, created_at, updated_at, finished_at, expires_at";

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: String,
    project_id: String,
    user_id: Option<String>,
    name: String,
    table_name: String,
    format: String,
    query: String,
    status: String,
    rows_written: i64,
    object_key: Option<String>,
    log: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
    expires_at: Option<i64>,
}

impl TryFrom<ExportRow> for BatchExport {
    type Error = StoreError;

    fn try_from(row: ExportRow) -> StoreResult<Self> {
        let status = ExportStatus::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("export status '{}'", row.status)))?;
        Ok(BatchExport {
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            user_id: row.user_id,
            name: row.name,
            table_name: row.table_name,
            format: row.format,
            query: row.query,
            status,
            rows_written: row.rows_written,
            object_key: row.object_key,
            log: row.log,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
            expires_at: row.expires_at,
        })
    }
}

fn rows(rows: Vec<ExportRow>) -> StoreResult<Vec<BatchExport>> {
    rows.into_iter().map(BatchExport::try_from).collect()
}

#[async_trait]
impl ExportStore for SqlStore {
    async fn create_export(&self, export: &BatchExport, job: &NewJob) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO batch_exports ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(&export.id)
        .bind(export.project_id.as_str())
        .bind(&export.user_id)
        .bind(&export.name)
        .bind(&export.table_name)
        .bind(&export.format)
        .bind(&export.query)
        .bind(export.status.as_str())
        .bind(export.rows_written)
        .bind(&export.object_key)
        .bind(&export.log)
        .bind(export.created_at)
        .bind(export.updated_at)
        .bind(export.finished_at)
        .bind(export.expires_at);
        let mut tx = self.db.begin().await?;
        tx.execute(&sql)
            .await
            .map_err(|e| crate::error::constraint(e, "an export"))?;
        crate::jobs::enqueue(&mut tx, std::slice::from_ref(job)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn export(&self, project: &ProjectId, id: &str) -> StoreResult<Option<BatchExport>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM batch_exports WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<ExportRow> = self.db.fetch_optional(&sql).await?;
        row.map(BatchExport::try_from).transpose()
    }

    async fn list_exports(&self, project: &ProjectId, limit: u64) -> StoreResult<Vec<BatchExport>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM batch_exports WHERE project_id = $1 \
             ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(project.as_str())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        rows(self.db.fetch_all(&sql).await?)
    }

    async fn update_export(&self, export: &BatchExport) -> StoreResult<()> {
        let sql = Sql::text(
            "UPDATE batch_exports SET status = $1, rows_written = $2, object_key = $3, \
             log = $4, updated_at = $5, finished_at = $6, expires_at = $7 \
             WHERE project_id = $8 AND id = $9",
        )
        .bind(export.status.as_str())
        .bind(export.rows_written)
        .bind(&export.object_key)
        .bind(&export.log)
        .bind(export.updated_at)
        .bind(export.finished_at)
        .bind(export.expires_at)
        .bind(export.project_id.as_str())
        .bind(&export.id);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn expired_exports(&self, now: Millis, limit: u64) -> StoreResult<Vec<BatchExport>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM batch_exports WHERE expires_at < $1 \
             AND object_key IS NOT NULL ORDER BY expires_at LIMIT $2"
        ))
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        rows(self.db.fetch_all(&sql).await?)
    }
}
