//! Blob storage integrations (metadata store, [`BlobIntegrationStore`]; migration 0024): a
//! project's scheduled exports to its own bucket, and where they stand.

use async_trait::async_trait;
use sightline_domain::time::Millis;
use sightline_domain::{OrgId, ProjectId};

use crate::StoreResult;
use crate::sql::{Sql, SqlStore};

#[derive(Debug, Clone, PartialEq)]
pub struct BlobIntegration {
    pub project_id: ProjectId,
    pub id: String,
    /// `S3` or `S3_COMPATIBLE`.
    pub kind: String,
    pub bucket_name: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    /// Encrypted with `ENCRYPTION_KEY`.
    pub secret_access_key: Option<String>,
    pub prefix: String,
    pub export_frequency: String,
    pub enabled: bool,
    pub force_path_style: bool,
    pub file_type: String,
    pub export_mode: String,
    pub export_start_date: Option<Millis>,
    pub compressed: bool,
    pub export_source: String,
    /// JSON array text, when set.
    pub export_field_groups: Option<String>,
    pub next_sync_at: Option<Millis>,
    pub last_sync_at: Option<Millis>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Millis>,
    pub run_started_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[async_trait]
pub trait BlobIntegrationStore: Send + Sync {
    /// Inserts the project's integration, or replaces its settings: its id, creation time and
    /// sync state stay, and so do its secret key and field groups when `integration` has none.
    async fn upsert_blob_integration(&self, integration: &BlobIntegration) -> StoreResult<()>;
    /// Records the sync state of `integration` (next and last sync, last error, run start),
    /// leaving its settings as they are.
    async fn record_blob_sync(&self, integration: &BlobIntegration) -> StoreResult<()>;
    async fn blob_integration(&self, project: &ProjectId) -> StoreResult<Option<BlobIntegration>>;
    async fn blob_integration_by_id(&self, id: &str) -> StoreResult<Option<BlobIntegration>>;
    /// The integrations of an organization's projects.
    async fn org_blob_integrations(&self, org: &OrgId) -> StoreResult<Vec<BlobIntegration>>;
    async fn delete_blob_integration(&self, project: &ProjectId) -> StoreResult<bool>;
    /// Enabled integrations due at `now` (never synced, or `next_sync_at` passed).
    async fn due_blob_integrations(&self, now: Millis) -> StoreResult<Vec<BlobIntegration>>;
}

const COLUMNS: &str = "project_id, id, kind, bucket_name, endpoint, region, access_key_id, \
     secret_access_key, prefix, export_frequency, enabled, force_path_style, file_type, \
     export_mode, export_start_date, compressed, export_source, export_field_groups, \
     next_sync_at, last_sync_at, last_error, last_error_at, run_started_at, created_at, \
     updated_at";

/// The columns a sync run writes; a change of settings leaves them.
const SYNC_COLUMNS: [&str; 5] = [
    "next_sync_at",
    "last_sync_at",
    "last_error",
    "last_error_at",
    "run_started_at",
];

#[derive(sqlx::FromRow)]
struct Row {
    project_id: String,
    id: String,
    kind: String,
    bucket_name: String,
    endpoint: Option<String>,
    region: String,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    prefix: String,
    export_frequency: String,
    enabled: bool,
    force_path_style: bool,
    file_type: String,
    export_mode: String,
    export_start_date: Option<i64>,
    compressed: bool,
    export_source: String,
    export_field_groups: Option<String>,
    next_sync_at: Option<i64>,
    last_sync_at: Option<i64>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    run_started_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for BlobIntegration {
    fn from(row: Row) -> Self {
        BlobIntegration {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            kind: row.kind,
            bucket_name: row.bucket_name,
            endpoint: row.endpoint,
            region: row.region,
            access_key_id: row.access_key_id,
            secret_access_key: row.secret_access_key,
            prefix: row.prefix,
            export_frequency: row.export_frequency,
            enabled: row.enabled,
            force_path_style: row.force_path_style,
            file_type: row.file_type,
            export_mode: row.export_mode,
            export_start_date: row.export_start_date,
            compressed: row.compressed,
            export_source: row.export_source,
            export_field_groups: row.export_field_groups,
            next_sync_at: row.next_sync_at,
            last_sync_at: row.last_sync_at,
            last_error: row.last_error,
            last_error_at: row.last_error_at,
            run_started_at: row.run_started_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn rows(rows: Vec<Row>) -> Vec<BlobIntegration> {
    rows.into_iter().map(Into::into).collect()
}

#[async_trait]
impl BlobIntegrationStore for SqlStore {
    async fn upsert_blob_integration(&self, i: &BlobIntegration) -> StoreResult<()> {
        let updates = COLUMNS
            .split(", ")
            .map(str::trim)
            .filter(|column| !SYNC_COLUMNS.contains(column))
            .filter(|column| !matches!(*column, "project_id" | "id" | "created_at"))
            .map(|column| match column {
                "secret_access_key" | "export_field_groups" => format!(
                    "{column} = COALESCE(excluded.{column}, blob_storage_integrations.{column})"
                ),
                _ => format!("{column} = excluded.{column}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = Sql::text(format!(
            "INSERT INTO blob_storage_integrations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
             $24, $25) ON CONFLICT (project_id) DO UPDATE SET {updates}"
        ))
        .bind(i.project_id.as_str())
        .bind(&i.id)
        .bind(&i.kind)
        .bind(&i.bucket_name)
        .bind(&i.endpoint)
        .bind(&i.region)
        .bind(&i.access_key_id)
        .bind(&i.secret_access_key)
        .bind(&i.prefix)
        .bind(&i.export_frequency)
        .bind(i.enabled)
        .bind(i.force_path_style)
        .bind(&i.file_type)
        .bind(&i.export_mode)
        .bind(i.export_start_date)
        .bind(i.compressed)
        .bind(&i.export_source)
        .bind(&i.export_field_groups)
        .bind(i.next_sync_at)
        .bind(i.last_sync_at)
        .bind(&i.last_error)
        .bind(i.last_error_at)
        .bind(i.run_started_at)
        .bind(i.created_at)
        .bind(i.updated_at);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| crate::error::constraint(e, "a blob storage integration"))?;
        Ok(())
    }

    async fn record_blob_sync(&self, i: &BlobIntegration) -> StoreResult<()> {
        let sql = Sql::text(
            "UPDATE blob_storage_integrations SET next_sync_at = $1, last_sync_at = $2, \
             last_error = $3, last_error_at = $4, run_started_at = $5, updated_at = $6 \
             WHERE project_id = $7",
        )
        .bind(i.next_sync_at)
        .bind(i.last_sync_at)
        .bind(&i.last_error)
        .bind(i.last_error_at)
        .bind(i.run_started_at)
        .bind(i.updated_at)
        .bind(i.project_id.as_str());
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn blob_integration(&self, project: &ProjectId) -> StoreResult<Option<BlobIntegration>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM blob_storage_integrations WHERE project_id = $1"
        ))
        .bind(project.as_str());
        let row: Option<Row> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn blob_integration_by_id(&self, id: &str) -> StoreResult<Option<BlobIntegration>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM blob_storage_integrations WHERE id = $1"
        ))
        .bind(id);
        let row: Option<Row> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn org_blob_integrations(&self, org: &OrgId) -> StoreResult<Vec<BlobIntegration>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM blob_storage_integrations WHERE project_id IN \
             (SELECT id FROM projects WHERE org_id = $1) ORDER BY created_at, id"
        ))
        .bind(org.as_str());
        Ok(rows(self.db.fetch_all(&sql).await?))
    }

    async fn delete_blob_integration(&self, project: &ProjectId) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM blob_storage_integrations WHERE project_id = $1")
            .bind(project.as_str());
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn due_blob_integrations(&self, now: Millis) -> StoreResult<Vec<BlobIntegration>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM blob_storage_integrations WHERE enabled = $1 \
             AND (next_sync_at IS NULL OR next_sync_at <= $2) ORDER BY project_id"
        ))
        .bind(true)
        .bind(now);
        Ok(rows(self.db.fetch_all(&sql).await?))
    }
}
