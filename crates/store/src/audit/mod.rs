//! The audit log (metadata store, [`AuditStore`]; migration 0023): one row per change made in
//! the UI or with an API key.

use async_trait::async_trait;
use sightline_domain::time::Millis;
use sightline_domain::{OrgId, ProjectId};

use crate::StoreResult;
use crate::sql::{Arg, Sql, SqlStore};

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub created_at: Millis,
    /// `USER` or `API_KEY`.
    pub actor_type: String,
    pub user_id: Option<String>,
    pub api_key_id: Option<String>,
    pub org_id: OrgId,
    pub project_id: Option<ProjectId>,
    pub resource_type: String,
    pub resource_id: String,
    pub action: String,
    /// JSON text, secrets redacted.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Which entries of an organization to list; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub project_id: Option<String>,
    pub resource_type: Option<String>,
    pub action: Option<String>,
    /// A user id or an API key id.
    pub actor: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn insert_audit_entry(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// An organization's entries, newest first, and how many match.
    async fn list_audit_entries(
        &self,
        org: &OrgId,
        query: &AuditQuery,
    ) -> StoreResult<(Vec<AuditEntry>, u64)>;
    /// Deletes up to `limit` of a project's entries older than `cutoff`; returns how many.
    async fn delete_audit_entries_before(
        &self,
        project: &ProjectId,
        cutoff: Millis,
        limit: u64,
    ) -> StoreResult<u64>;
}

const COLUMNS: &str = "id, created_at, actor_type, user_id, api_key_id, org_id, project_id, \
     resource_type, resource_id, action, before, after";

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    created_at: i64,
    actor_type: String,
    user_id: Option<String>,
    api_key_id: Option<String>,
    org_id: String,
    project_id: Option<String>,
    resource_type: String,
    resource_id: String,
    action: String,
    before: Option<String>,
    after: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            id: row.id,
            created_at: row.created_at,
            actor_type: row.actor_type,
            user_id: row.user_id,
            api_key_id: row.api_key_id,
            org_id: OrgId::from_trusted(row.org_id),
            project_id: row.project_id.map(ProjectId::from_trusted),
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            action: row.action,
            before: row.before,
            after: row.after,
        }
    }
}

/// ` AND …` conditions of the query, after `org_id = …`.
fn conditions(sql: &mut Sql, query: &AuditQuery) {
    if let Some(project) = &query.project_id {
        sql.push(" AND project_id = {}", [Arg::from(project.as_str())]);
    }
    if let Some(resource_type) = &query.resource_type {
        sql.push(
            " AND resource_type = {}",
            [Arg::from(resource_type.as_str())],
        );
    }
    if let Some(action) = &query.action {
        sql.push(" AND action = {}", [Arg::from(action.as_str())]);
    }
    if let Some(actor) = &query.actor {
        sql.push(
            " AND (user_id = {} OR api_key_id = {})",
            [Arg::from(actor.as_str()), Arg::from(actor.as_str())],
        );
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn insert_audit_entry(&self, entry: &AuditEntry) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO audit_logs ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&entry.id)
        .bind(entry.created_at)
        .bind(&entry.actor_type)
        .bind(&entry.user_id)
        .bind(&entry.api_key_id)
        .bind(entry.org_id.as_str())
        .bind(entry.project_id.as_ref().map(|p| p.as_str()))
        .bind(&entry.resource_type)
        .bind(&entry.resource_id)
        .bind(&entry.action)
        .bind(&entry.before)
        .bind(&entry.after);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn list_audit_entries(
        &self,
        org: &OrgId,
        query: &AuditQuery,
    ) -> StoreResult<(Vec<AuditEntry>, u64)> {
        let mut count = Sql::new();
        count.push(
            "SELECT COUNT(*) FROM audit_logs WHERE org_id = {}",
            [Arg::from(org.as_str())],
        );
        conditions(&mut count, query);
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        let mut select = Sql::new();
        select.push(
            &format!("SELECT {COLUMNS} FROM audit_logs WHERE org_id = {{}}"),
            [Arg::from(org.as_str())],
        );
        conditions(&mut select, query);
        select.push(
            " ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            [
                Arg::from(i64::try_from(query.limit).unwrap_or(i64::MAX)),
                Arg::from(i64::try_from(query.offset).unwrap_or(i64::MAX)),
            ],
        );
        let rows: Vec<AuditRow> = self.db.fetch_all(&select).await?;
        Ok((
            rows.into_iter().map(Into::into).collect(),
            u64::try_from(total).unwrap_or(0),
        ))
    }

    async fn delete_audit_entries_before(
        &self,
        project: &ProjectId,
        cutoff: Millis,
        limit: u64,
    ) -> StoreResult<u64> {
        let sql = Sql::text(
            "DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs \
             WHERE project_id = $1 AND created_at < $2 LIMIT $3)",
        )
        .bind(project.as_str())
        .bind(cutoff)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        self.db.execute(&sql).await
    }
}
