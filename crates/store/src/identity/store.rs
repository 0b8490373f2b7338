//! [`IdentityStore`] on the relational store: users, organizations, projects and API keys here;
//! settings and memberships in [`super::settings`] and [`super::memberships`].

use async_trait::async_trait;
use sightline_domain::time::{Millis, now_ms};
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

use super::model::{
    API_KEY_COLUMNS, ApiKeyCredentialsSqlRow, ApiKeySqlRow, ORG_COLUMNS, OrganizationSqlRow,
    PROJECT_COLUMNS, ProjectSqlRow, ProjectWithOrgSqlRow, USER_COLUMNS, UserSqlRow,
};
use super::{
    ApiKey, ApiKeyCredentials, IdentityStore, InitialSetup, NewApiKey, NewProject, NewUser,
    OrgMember, Organization, Project, ProjectWithOrg, User, memberships, settings,
};
use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::{Sql, SqlStore};

#[async_trait]
impl IdentityStore for SqlStore {
    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        settings::setting(&self.db, key).await
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        settings::setting_or_insert(&self.db, key, value).await
    }

    async fn create_initial_setup(&self, setup: &InitialSetup) -> StoreResult<bool> {
        settings::create_initial_setup(&self.db, setup).await
    }

    async fn mark_initialized(&self) -> StoreResult<()> {
        settings::mark_initialized(&self.db).await
    }

    async fn insert_user(&self, user: &NewUser) -> StoreResult<User> {
        let sql = Sql::text(format!(
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {USER_COLUMNS}"
        ))
        .bind(user.id.as_str())
        .bind(user.email.as_str())
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(now_ms());
        let row: UserSqlRow = self
            .db
            .fetch_one(&sql)
            .await
            .map_err(|e| constraint(e, "a user with this email"))?;
        Ok(row.into())
    }

    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        let sql =
            Sql::text(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).bind(id.as_str());
        let row: Option<UserSqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        let sql = Sql::text(format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
            .bind(email.as_str());
        let row: Option<UserSqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = Sql::text(format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"));
        let rows: Vec<UserSqlRow> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn set_user_password(&self, id: &UserId, password_hash: &str) -> StoreResult<()> {
        let sql = Sql::text("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_str())
            .bind(password_hash)
            .bind(now_ms());
        if self.db.execute(&sql).await? == 0 {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        Ok(())
    }

    async fn insert_organization(&self, id: &OrgId, name: &str) -> StoreResult<Organization> {
        let sql = Sql::text(format!(
            "INSERT INTO organizations (id, name, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING {ORG_COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(name)
        .bind(now_ms());
        let row: OrganizationSqlRow = self
            .db
            .fetch_one(&sql)
            .await
            .map_err(|e| constraint(e, "an organization with this id"))?;
        Ok(row.into())
    }

    async fn upsert_organization(&self, id: &OrgId, name: &str) -> StoreResult<Organization> {
        let sql = Sql::text(format!(
            "INSERT INTO organizations (id, name, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE \
               SET name = excluded.name, updated_at = excluded.updated_at \
             RETURNING {ORG_COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(name)
        .bind(now_ms());
        let row: OrganizationSqlRow = self.db.fetch_one(&sql).await?;
        Ok(row.into())
    }

    async fn organization(&self, id: &OrgId) -> StoreResult<Option<Organization>> {
        let sql = Sql::text(format!(
            "SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1"
        ))
        .bind(id.as_str());
        let row: Option<OrganizationSqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
        let sql = Sql::text(format!(
            "SELECT {ORG_COLUMNS} FROM organizations ORDER BY created_at, id"
        ));
        let rows: Vec<OrganizationSqlRow> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn insert_project(&self, project: &NewProject) -> StoreResult<Project> {
        let sql = Sql::text(format!(
            "INSERT INTO projects (id, org_id, name, retention_days, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {PROJECT_COLUMNS}"
        ))
        .bind(project.id.as_str())
        .bind(project.org_id.as_str())
        .bind(&project.name)
        .bind(project.retention_days)
        .bind(now_ms());
        let row: ProjectSqlRow = self
            .db
            .fetch_one(&sql)
            .await
            .map_err(|e| constraint(e, "a project with this id"))?;
        Ok(row.into())
    }

    async fn upsert_project(&self, project: &NewProject) -> StoreResult<Project> {
        // The update applies only within the same organization; a project id of another
        // organization updates nothing and returns no row.
        let sql = Sql::text(format!(
            "INSERT INTO projects (id, org_id, name, retention_days, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
               retention_days = excluded.retention_days, updated_at = excluded.updated_at \
             WHERE projects.org_id = excluded.org_id \
             RETURNING {PROJECT_COLUMNS}"
        ))
        .bind(project.id.as_str())
        .bind(project.org_id.as_str())
        .bind(&project.name)
        .bind(project.retention_days)
        .bind(now_ms());
        let row: Option<ProjectSqlRow> = self
            .db
            .fetch_optional(&sql)
            .await
            .map_err(|e| constraint(e, "the project's organization"))?;
        row.map(Into::into).ok_or_else(|| {
            StoreError::Conflict(format!(
                "project {} belongs to another organization",
                project.id
            ))
        })
    }

    async fn project(&self, id: &ProjectId) -> StoreResult<Option<ProjectWithOrg>> {
        let sql = Sql::text(
            "SELECT p.id, p.org_id, p.name, p.retention_days, p.metadata, p.created_at, \
               o.name AS org_name, o.created_at AS org_created_at \
             FROM projects p JOIN organizations o ON o.id = p.org_id WHERE p.id = $1",
        )
        .bind(id.as_str());
        let row: Option<ProjectWithOrgSqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn list_projects(&self, org: Option<&OrgId>) -> StoreResult<Vec<Project>> {
        let sql = Sql::text(format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE ($1 IS NULL OR org_id = $1) \
             ORDER BY created_at, id"
        ))
        .bind(org.map(|org| org.as_str()));
        let rows: Vec<ProjectSqlRow> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn set_org_role(&self, org: &OrgId, user: &UserId, role: Role) -> StoreResult<()> {
        memberships::set_org_role(&self.db, org, user, role).await
    }

    async fn set_project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: Option<Role>,
    ) -> StoreResult<()> {
        memberships::set_project_role(&self.db, project, user, role).await
    }

    async fn org_role(&self, org: &OrgId, user: &UserId) -> StoreResult<Option<Role>> {
        memberships::org_role(&self.db, org, user).await
    }

    async fn effective_project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
    ) -> StoreResult<Option<Role>> {
        memberships::effective_project_role(&self.db, project, user).await
    }

    async fn list_org_members(&self, org: &OrgId) -> StoreResult<Vec<OrgMember>> {
        memberships::list_org_members(&self.db, org).await
    }

    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey> {
        let sql = Sql::text(format!(
            "INSERT INTO api_keys \
               (id, project_id, public_key, secret_hash, display_secret_key, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(key.id.as_str())
        .bind(key.project_id.as_str())
        .bind(&key.public_key)
        .bind(key.secret_hash.as_str())
        .bind(&key.display_secret_key)
        .bind(&key.note)
        .bind(now_ms());
        let row: ApiKeySqlRow = self
            .db
            .fetch_one(&sql)
            .await
            .map_err(|e| constraint(e, "an API key with this public or secret key"))?;
        Ok(row.into())
    }

    async fn api_key_credentials(
        &self,
        public_key: &str,
    ) -> StoreResult<Option<ApiKeyCredentials>> {
        let sql = Sql::text(
            "SELECT k.id, k.project_id, p.org_id, k.secret_hash \
             FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.public_key = $1",
        )
        .bind(public_key);
        let row: Option<ApiKeyCredentialsSqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn list_api_keys(&self, project: &ProjectId) -> StoreResult<Vec<ApiKey>> {
        let sql = Sql::text(format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE project_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(project.as_str());
        let rows: Vec<ApiKeySqlRow> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn delete_api_key(&self, id_or_public_key: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM api_keys WHERE id = $1 OR public_key = $1")
            .bind(id_or_public_key);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn touch_api_key(&self, id: &ApiKeyId, at: Millis) -> StoreResult<()> {
        let sql = Sql::text("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(at);
        self.db.execute(&sql).await?;
        Ok(())
    }
}
