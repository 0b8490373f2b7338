//! Batch actions (metadata store, [`BatchActionStore`]; migration 0026): large changes run as
//! jobs, with their progress.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::sql::{Sql, SqlStore};
use crate::{ExportStatus, NewJob, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq)]
pub struct BatchAction {
    pub id: String,
    pub project_id: ProjectId,
    pub user_id: Option<String>,
    /// What it does, e.g. `trace-delete`.
    pub kind: String,
    /// The store query it works through, as JSON.
    pub query: String,
    /// The statuses of exports: queued, processing, completed, failed.
    pub status: ExportStatus,
    pub total: i64,
    pub processed: i64,
    pub log: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
}

#[async_trait]
pub trait BatchActionStore: Send + Sync {
    /// Inserts the action with the job that runs it, in one transaction.
    async fn create_batch_action(&self, action: &BatchAction, job: &NewJob) -> StoreResult<()>;
    async fn batch_action(&self, project: &ProjectId, id: &str)
    -> StoreResult<Option<BatchAction>>;
    /// A project's actions, newest first.
    async fn list_batch_actions(
        &self,
        project: &ProjectId,
        limit: u64,
    ) -> StoreResult<Vec<BatchAction>>;
    /// Sets status, total, progress, log and times as they are in `action`.
    async fn update_batch_action(&self, action: &BatchAction) -> StoreResult<()>;
}

const COLUMNS: &str = "id, project_id, user_id, kind, query, status, total, processed, log, \
     created_at, updated_at, finished_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    project_id: String,
    user_id: Option<String>,
    kind: String,
    query: String,
    status: String,
    total: i64,
    processed: i64,
    log: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<Row> for BatchAction {
    type Error = StoreError;

    fn try_from(row: Row) -> StoreResult<Self> {
        Ok(BatchAction {
            status: ExportStatus::parse(&row.status).ok_or_else(|| {
                StoreError::Corrupt(format!("batch action status '{}'", row.status))
            })?,
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            user_id: row.user_id,
            kind: row.kind,
            query: row.query,
            total: row.total,
            processed: row.processed,
            log: row.log,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        })
    }
}

#[async_trait]
impl BatchActionStore for SqlStore {
    async fn create_batch_action(&self, action: &BatchAction, job: &NewJob) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO batch_actions ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&action.id)
        .bind(action.project_id.as_str())
        .bind(&action.user_id)
        .bind(&action.kind)
        .bind(&action.query)
        .bind(action.status.as_str())
        .bind(action.total)
        .bind(action.processed)
        .bind(&action.log)
        .bind(action.created_at)
        .bind(action.updated_at)
        .bind(action.finished_at);
        let mut tx = self.db.begin().await?;
        tx.execute(&sql)
            .await
            .map_err(|e| crate::error::constraint(e, "a batch action"))?;
        crate::jobs::enqueue(&mut tx, std::slice::from_ref(job)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn batch_action(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<BatchAction>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM batch_actions WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<Row> = self.db.fetch_optional(&sql).await?;
        row.map(BatchAction::try_from).transpose()
    }

    async fn list_batch_actions(
        &self,
        project: &ProjectId,
        limit: u64,
    ) -> StoreResult<Vec<BatchAction>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM batch_actions WHERE project_id = $1 \
             ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(project.as_str())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<Row> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(BatchAction::try_from).collect()
    }

    async fn update_batch_action(&self, action: &BatchAction) -> StoreResult<()> {
        let sql = Sql::text(
            "UPDATE batch_actions SET status = $1, total = $2, processed = $3, log = $4, \
             updated_at = $5, finished_at = $6 WHERE project_id = $7 AND id = $8",
        )
        .bind(action.status.as_str())
        .bind(action.total)
        .bind(action.processed)
        .bind(&action.log)
        .bind(action.updated_at)
        .bind(action.finished_at)
        .bind(action.project_id.as_str())
        .bind(&action.id);
        self.db.execute(&sql).await?;
        Ok(())
    }
}
