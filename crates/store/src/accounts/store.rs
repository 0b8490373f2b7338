//! [`AccountStore`] on the relational store: web sessions, invitations, membership views, and
//! project and organization edits and deletes.

use async_trait::async_trait;
use sightline_domain::time::{Millis, now_ms};
use sightline_domain::{Email, OrgId, ProjectId, Role, UserId};

use super::model::{
    INVITATION_COLUMNS, InvitationSqlRow, OverrideSqlRow, SESSION_COLUMNS, SessionUserSqlRow,
    UserOrgSqlRow,
};
use super::{AccountStore, Invitation, ProjectRoleOverride, WebSession};
use crate::error::{StoreResult, constraint};
use crate::identity::{Organization, User, ensure_owner_remains, lock_owners};
use crate::sql::{Sql, SqlStore};

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_web_session(&self, session: &WebSession) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO web_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
        ))
        .bind(&session.token_hash)
        .bind(session.user_id.as_str())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.expires_at);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| constraint(e, "the session"))?;
        Ok(())
    }

    async fn web_session(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> StoreResult<Option<(WebSession, User)>> {
        let sql = Sql::text(
            "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at, \
               u.email, u.name, u.password_hash, u.created_at AS user_created_at \
             FROM web_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now);
        let row: Option<SessionUserSqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn extend_web_session(&self, token_hash: &str, expires_at: Millis) -> StoreResult<()> {
        let sql = Sql::text("UPDATE web_sessions SET expires_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(expires_at);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()> {
        let sql = Sql::text("DELETE FROM web_sessions WHERE token_hash = $1").bind(token_hash);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn delete_user_web_sessions(
        &self,
        user: &UserId,
        keep: Option<&str>,
    ) -> StoreResult<u64> {
        let sql = Sql::text(
            "DELETE FROM web_sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)",
        )
        .bind(user.as_str())
        .bind(keep);
        self.db.execute(&sql).await
    }

    async fn delete_expired_web_sessions(&self, now: Millis) -> StoreResult<u64> {
        let sql = Sql::text("DELETE FROM web_sessions WHERE expires_at <= $1").bind(now);
        self.db.execute(&sql).await
    }

    async fn upsert_invitation(&self, invitation: &Invitation) -> StoreResult<Invitation> {
        let sql = Sql::text(format!(
            "INSERT INTO organization_invitations ({INVITATION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (org_id, email) DO UPDATE SET org_role = excluded.org_role, \
               project_id = excluded.project_id, project_role = excluded.project_role, \
               invited_by = excluded.invited_by, created_at = excluded.created_at \
             RETURNING {INVITATION_COLUMNS}"
        ));
        let (project_id, project_role) = match &invitation.project {
            Some((id, role)) => (Some(id.as_str()), Some(role.as_str())),
            None => (None, None),
        };
        let sql = sql
            .bind(&invitation.id)
            .bind(invitation.org_id.as_str())
            .bind(invitation.email.as_str())
            .bind(invitation.org_role.as_str())
            .bind(project_id)
            .bind(project_role)
            .bind(invitation.invited_by.as_ref().map(|u| u.as_str()))
            .bind(invitation.created_at);
        let row: InvitationSqlRow = self
            .db
            .fetch_one(&sql)
            .await
            .map_err(|e| constraint(e, "the invitation"))?;
        row.try_into()
    }

    async fn list_invitations(&self, org: &OrgId) -> StoreResult<Vec<Invitation>> {
        let sql = Sql::text(format!(
            "SELECT {INVITATION_COLUMNS} FROM organization_invitations WHERE org_id = $1 \
             ORDER BY email"
        ))
        .bind(org.as_str());
        let rows: Vec<InvitationSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn invitations_for_email(&self, email: &Email) -> StoreResult<Vec<Invitation>> {
        let sql = Sql::text(format!(
            "SELECT {INVITATION_COLUMNS} FROM organization_invitations WHERE email = $1 \
             ORDER BY created_at, id"
        ))
        .bind(email.as_str());
        let rows: Vec<InvitationSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn delete_invitation(&self, org: &OrgId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM organization_invitations WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn organizations_of_user(&self, user: &UserId) -> StoreResult<Vec<(Organization, Role)>> {
        let sql = Sql::text(
            "SELECT o.id, o.name, o.created_at, om.role \
             FROM organization_memberships om JOIN organizations o ON o.id = om.org_id \
             WHERE om.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user.as_str());
        let rows: Vec<UserOrgSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn project_role_overrides(&self, org: &OrgId) -> StoreResult<Vec<ProjectRoleOverride>> {
        let sql = Sql::text(
            "SELECT pm.project_id, pm.user_id, pm.role \
             FROM project_memberships pm JOIN projects p ON p.id = pm.project_id \
             WHERE p.org_id = $1 ORDER BY pm.project_id, pm.user_id",
        )
        .bind(org.as_str());
        let rows: Vec<OverrideSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn remove_org_member(&self, org: &OrgId, user: &UserId) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        lock_owners(&mut tx, org).await?;
        ensure_owner_remains(&mut tx, org, user).await?;
        let overrides = Sql::text(
            "DELETE FROM project_memberships WHERE user_id = $2 \
             AND project_id IN (SELECT id FROM projects WHERE org_id = $1)",
        )
        .bind(org.as_str())
        .bind(user.as_str());
        tx.execute(&overrides).await?;
        let membership =
            Sql::text("DELETE FROM organization_memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org.as_str())
                .bind(user.as_str());
        let deleted = tx.execute(&membership).await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    async fn update_project(
        &self,
        project: &ProjectId,
        name: &str,
        retention_days: Option<i64>,
    ) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE projects SET name = $2, retention_days = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(project.as_str())
        .bind(name)
        .bind(retention_days)
        .bind(now_ms());
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn delete_project(&self, project: &ProjectId) -> StoreResult<bool> {
        // The project's metadata goes with it (ON DELETE CASCADE); its events are the
        // caller's to delete through the event store first (see the trait).
        let sql = Sql::text("DELETE FROM projects WHERE id = $1").bind(project.as_str());
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn delete_organization(&self, org: &OrgId) -> StoreResult<bool> {
        // Projects (with their metadata), memberships and invitations go with it (ON DELETE
        // CASCADE); the projects' events are the caller's to delete first (see the trait).
        let sql = Sql::text("DELETE FROM organizations WHERE id = $1").bind(org.as_str());
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn rename_organization(&self, org: &OrgId, name: &str) -> StoreResult<bool> {
        let sql = Sql::text("UPDATE organizations SET name = $2, updated_at = $3 WHERE id = $1")
            .bind(org.as_str())
            .bind(name)
            .bind(now_ms());
        Ok(self.db.execute(&sql).await? > 0)
    }
}
