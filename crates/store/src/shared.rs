//! The SQL both backends share. SQLite and PostgreSQL agree on everything the identity tables
//! need (`$n` parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`), so the statements are written
//! once here and stamped onto each backend's concrete pool type by `impl_store!`; what differs
//! (connecting, migrations) stays in `sqlite.rs` and `postgres.rs`.

pub(crate) const USER_COLUMNS: &str = "id, email, name, password_hash, created_at";
pub(crate) const ORG_COLUMNS: &str = "id, name, created_at";
pub(crate) const PROJECT_COLUMNS: &str = "id, org_id, name, retention_days, metadata, created_at";
pub(crate) const API_KEY_COLUMNS: &str =
    "id, project_id, public_key, display_secret_key, note, created_at, last_used_at";

/// Implements [`crate::Store`] for `$store`, a struct with a `pool: sqlx::Pool<_>` field.
macro_rules! impl_store {
    ($store:ty, backend: $backend:expr, migrator: $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> $crate::StoreResult<()> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> $crate::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn setting(&self, key: &str) -> $crate::StoreResult<Option<String>> {
                let value: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM instance_settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(value.map(|(value,)| value))
            }

            async fn setting_or_insert(
                &self,
                key: &str,
                value: &str,
            ) -> $crate::StoreResult<String> {
                sqlx::query(
                    "INSERT INTO instance_settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
                self.setting(key).await?.ok_or_else(|| {
                    $crate::StoreError::Corrupt(format!("setting '{key}' vanished after insert"))
                })
            }

            async fn create_initial_setup(
                &self,
                setup: &$crate::InitialSetup,
            ) -> $crate::StoreResult<bool> {
                let now = sightline_domain::time::now_ms();
                let mut tx = self.pool.begin().await?;
                let claimed = sqlx::query(
                    "INSERT INTO instance_settings (key, value) VALUES ('initialized', $1) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(now.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !claimed {
                    return Ok(false);
                }
                let (organizations,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organizations")
                    .fetch_one(&mut *tx)
                    .await?;
                if organizations > 0 {
                    tx.commit().await?;
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO organizations (id, name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $3)",
                )
                .bind(setup.organization_id.as_str())
                .bind(&setup.organization_name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let project = &setup.project;
                sqlx::query(
                    "INSERT INTO projects (id, org_id, name, retention_days, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(project.id.as_str())
                .bind(setup.organization_id.as_str())
                .bind(&project.name)
                .bind(project.retention_days)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let owner = &setup.owner;
                sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (email) DO NOTHING",
                )
                .bind(owner.id.as_str())
                .bind(owner.email.as_str())
                .bind(&owner.name)
                .bind(&owner.password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO organization_memberships (org_id, user_id, role, created_at, updated_at) \
                     SELECT $1, id, 'OWNER', $3, $3 FROM users WHERE email = $2",
                )
                .bind(setup.organization_id.as_str())
                .bind(owner.email.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let key = &setup.api_key;
                sqlx::query(
                    "INSERT INTO api_keys (id, project_id, public_key, secret_hash, display_secret_key, note, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(key.id.as_str())
                .bind(key.project_id.as_str())
                .bind(&key.public_key)
                .bind(key.secret_hash.as_str())
                .bind(&key.display_secret_key)
                .bind(&key.note)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::error::constraint(e, "API key"))?;
                tx.commit().await?;
                Ok(true)
            }

            async fn mark_initialized(&self) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO instance_settings (key, value) VALUES ('initialized', $1) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(sightline_domain::time::now_ms().to_string())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn insert_user(&self, user: &$crate::NewUser) -> $crate::StoreResult<$crate::User> {
                let sql = format!(
                    "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {}",
                    $crate::shared::USER_COLUMNS
                );
                let row: $crate::model::UserRow = sqlx::query_as(&sql)
                    .bind(user.id.as_str())
                    .bind(user.email.as_str())
                    .bind(&user.name)
                    .bind(&user.password_hash)
                    .bind(sightline_domain::time::now_ms())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "a user with this email"))?;
                Ok(row.into())
            }

            async fn user(
                &self,
                id: &sightline_domain::UserId,
            ) -> $crate::StoreResult<Option<$crate::User>> {
                let sql = format!("SELECT {} FROM users WHERE id = $1", $crate::shared::USER_COLUMNS);
                let row: Option<$crate::model::UserRow> = sqlx::query_as(&sql)
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn user_by_email(
                &self,
                email: &sightline_domain::Email,
            ) -> $crate::StoreResult<Option<$crate::User>> {
                let sql = format!("SELECT {} FROM users WHERE email = $1", $crate::shared::USER_COLUMNS);
                let row: Option<$crate::model::UserRow> = sqlx::query_as(&sql)
                    .bind(email.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn list_users(&self) -> $crate::StoreResult<Vec<$crate::User>> {
                let sql = format!("SELECT {} FROM users ORDER BY email", $crate::shared::USER_COLUMNS);
                let rows: Vec<$crate::model::UserRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn set_user_password(
                &self,
                id: &sightline_domain::UserId,
                password_hash: &str,
            ) -> $crate::StoreResult<()> {
                let updated = sqlx::query(
                    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
                )
                .bind(id.as_str())
                .bind(password_hash)
                .bind(sightline_domain::time::now_ms())
                .execute(&self.pool)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Err($crate::StoreError::NotFound(format!("user {id}")));
                }
                Ok(())
            }

            async fn insert_organization(
                &self,
                id: &sightline_domain::OrgId,
                name: &str,
            ) -> $crate::StoreResult<$crate::Organization> {
                let sql = format!(
                    "INSERT INTO organizations (id, name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $3) RETURNING {}",
                    $crate::shared::ORG_COLUMNS
                );
                let row: $crate::model::OrganizationRow = sqlx::query_as(&sql)
                    .bind(id.as_str())
                    .bind(name)
                    .bind(sightline_domain::time::now_ms())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "an organization with this id"))?;
                Ok(row.into())
            }

            async fn upsert_organization(
                &self,
                id: &sightline_domain::OrgId,
                name: &str,
            ) -> $crate::StoreResult<$crate::Organization> {
                let sql = format!(
                    "INSERT INTO organizations (id, name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $3) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at \
                     RETURNING {}",
                    $crate::shared::ORG_COLUMNS
                );
                let row: $crate::model::OrganizationRow = sqlx::query_as(&sql)
                    .bind(id.as_str())
                    .bind(name)
                    .bind(sightline_domain::time::now_ms())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.into())
            }

            async fn organization(
                &self,
                id: &sightline_domain::OrgId,
            ) -> $crate::StoreResult<Option<$crate::Organization>> {
                let sql = format!(
                    "SELECT {} FROM organizations WHERE id = $1",
                    $crate::shared::ORG_COLUMNS
                );
                let row: Option<$crate::model::OrganizationRow> = sqlx::query_as(&sql)
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn list_organizations(&self) -> $crate::StoreResult<Vec<$crate::Organization>> {
                let sql = format!(
                    "SELECT {} FROM organizations ORDER BY created_at, id",
                    $crate::shared::ORG_COLUMNS
                );
                let rows: Vec<$crate::model::OrganizationRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn insert_project(
                &self,
                project: &$crate::NewProject,
            ) -> $crate::StoreResult<$crate::Project> {
                let sql = format!(
                    "INSERT INTO projects (id, org_id, name, retention_days, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {}",
                    $crate::shared::PROJECT_COLUMNS
                );
                let row: $crate::model::ProjectRow = sqlx::query_as(&sql)
                    .bind(project.id.as_str())
                    .bind(project.org_id.as_str())
                    .bind(&project.name)
                    .bind(project.retention_days)
                    .bind(sightline_domain::time::now_ms())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "a project with this id"))?;
                Ok(row.into())
            }

            async fn upsert_project(
                &self,
                project: &$crate::NewProject,
            ) -> $crate::StoreResult<$crate::Project> {
                let sql = format!(
                    "INSERT INTO projects (id, org_id, name, retention_days, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                       retention_days = excluded.retention_days, updated_at = excluded.updated_at \
                     WHERE projects.org_id = excluded.org_id \
                     RETURNING {}",
                    $crate::shared::PROJECT_COLUMNS
                );
                let row: Option<$crate::model::ProjectRow> = sqlx::query_as(&sql)
                    .bind(project.id.as_str())
                    .bind(project.org_id.as_str())
                    .bind(&project.name)
                    .bind(project.retention_days)
                    .bind(sightline_domain::time::now_ms())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "the project's organization"))?;
                row.map(Into::into).ok_or_else(|| {
                    $crate::StoreError::Conflict(format!(
                        "project {} belongs to another organization",
                        project.id
                    ))
                })
            }

            async fn project(
                &self,
                id: &sightline_domain::ProjectId,
            ) -> $crate::StoreResult<Option<$crate::ProjectWithOrg>> {
                let row: Option<$crate::model::ProjectWithOrgRow> = sqlx::query_as(
                    "SELECT p.id, p.org_id, p.name, p.retention_days, p.metadata, p.created_at, \
                            o.name AS org_name, o.created_at AS org_created_at \
                     FROM projects p JOIN organizations o ON o.id = p.org_id WHERE p.id = $1",
                )
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn list_projects(
                &self,
                org: Option<&sightline_domain::OrgId>,
            ) -> $crate::StoreResult<Vec<$crate::Project>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE ($1 IS NULL OR org_id = $1) ORDER BY created_at, id",
                    $crate::shared::PROJECT_COLUMNS
                );
                let rows: Vec<$crate::model::ProjectRow> = sqlx::query_as(&sql)
                    .bind(org.map(|org| org.as_str()))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn set_org_role(
                &self,
                org: &sightline_domain::OrgId,
                user: &sightline_domain::UserId,
                role: sightline_domain::Role,
            ) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO organization_memberships (org_id, user_id, role, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) \
                     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at",
                )
                .bind(org.as_str())
                .bind(user.as_str())
                .bind(role.as_str())
                .bind(sightline_domain::time::now_ms())
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::error::constraint(e, "the membership"))?;
                Ok(())
            }

            async fn set_project_role(
                &self,
                project: &sightline_domain::ProjectId,
                user: &sightline_domain::UserId,
                role: Option<sightline_domain::Role>,
            ) -> $crate::StoreResult<()> {
                let Some(role) = role else {
                    sqlx::query("DELETE FROM project_memberships WHERE project_id = $1 AND user_id = $2")
                        .bind(project.as_str())
                        .bind(user.as_str())
                        .execute(&self.pool)
                        .await?;
                    return Ok(());
                };
                let written = sqlx::query(
                    "INSERT INTO project_memberships (project_id, user_id, role, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $4 WHERE EXISTS ( \
                       SELECT 1 FROM organization_memberships om JOIN projects p ON p.org_id = om.org_id \
                       WHERE p.id = $1 AND om.user_id = $2) \
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at",
                )
                .bind(project.as_str())
                .bind(user.as_str())
                .bind(role.as_str())
                .bind(sightline_domain::time::now_ms())
                .execute(&self.pool)
                .await?
                .rows_affected();
                if written == 0 {
                    return Err($crate::StoreError::NotFound(format!(
                        "user {user} is not a member of the organization of project {project}"
                    )));
                }
                Ok(())
            }

            async fn org_role(
                &self,
                org: &sightline_domain::OrgId,
                user: &sightline_domain::UserId,
            ) -> $crate::StoreResult<Option<sightline_domain::Role>> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT role FROM organization_memberships WHERE org_id = $1 AND user_id = $2",
                )
                .bind(org.as_str())
                .bind(user.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(role,)| $crate::model::parse_role(&role)).transpose()
            }

            async fn effective_project_role(
                &self,
                project: &sightline_domain::ProjectId,
                user: &sightline_domain::UserId,
            ) -> $crate::StoreResult<Option<sightline_domain::Role>> {
                let row: Option<(String, Option<String>)> = sqlx::query_as(
                    "SELECT om.role, pm.role FROM projects p \
                     JOIN organization_memberships om ON om.org_id = p.org_id AND om.user_id = $2 \
                     LEFT JOIN project_memberships pm ON pm.project_id = p.id AND pm.user_id = $2 \
                     WHERE p.id = $1",
                )
                .bind(project.as_str())
                .bind(user.as_str())
                .fetch_optional(&self.pool)
                .await?;
                let Some((org_role, project_role)) = row else {
                    return Ok(None);
                };
                let org_role = $crate::model::parse_role(&org_role)?;
                let project_role = project_role
                    .map(|role| $crate::model::parse_role(&role))
                    .transpose()?;
                Ok(Some(sightline_domain::Role::effective(org_role, project_role)))
            }

            async fn list_org_members(
                &self,
                org: &sightline_domain::OrgId,
            ) -> $crate::StoreResult<Vec<$crate::OrgMember>> {
                let rows: Vec<$crate::model::OrgMemberRow> = sqlx::query_as(
                    "SELECT u.id, u.email, u.name, u.password_hash, u.created_at, om.role \
                     FROM organization_memberships om JOIN users u ON u.id = om.user_id \
                     WHERE om.org_id = $1 ORDER BY u.email",
                )
                .bind(org.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn insert_api_key(
                &self,
                key: &$crate::NewApiKey,
            ) -> $crate::StoreResult<$crate::ApiKey> {
                let sql = format!(
                    "INSERT INTO api_keys (id, project_id, public_key, secret_hash, display_secret_key, note, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
                    $crate::shared::API_KEY_COLUMNS
                );
                let row: $crate::model::ApiKeyRow = sqlx::query_as(&sql)
                    .bind(key.id.as_str())
                    .bind(key.project_id.as_str())
                    .bind(&key.public_key)
                    .bind(key.secret_hash.as_str())
                    .bind(&key.display_secret_key)
                    .bind(&key.note)
                    .bind(sightline_domain::time::now_ms())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "an API key with this public or secret key"))?;
                Ok(row.into())
            }

            async fn api_key_credentials(
                &self,
                public_key: &str,
            ) -> $crate::StoreResult<Option<$crate::ApiKeyCredentials>> {
                let row: Option<$crate::model::ApiKeyCredentialsRow> = sqlx::query_as(
                    "SELECT k.id, k.project_id, p.org_id, k.secret_hash \
                     FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.public_key = $1",
                )
                .bind(public_key)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn list_api_keys(
                &self,
                project: &sightline_domain::ProjectId,
            ) -> $crate::StoreResult<Vec<$crate::ApiKey>> {
                let sql = format!(
                    "SELECT {} FROM api_keys WHERE project_id = $1 ORDER BY created_at, id",
                    $crate::shared::API_KEY_COLUMNS
                );
                let rows: Vec<$crate::model::ApiKeyRow> = sqlx::query_as(&sql)
                    .bind(project.as_str())
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn delete_api_key(&self, id_or_public_key: &str) -> $crate::StoreResult<bool> {
                let deleted = sqlx::query("DELETE FROM api_keys WHERE id = $1 OR public_key = $1")
                    .bind(id_or_public_key)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn touch_api_key(
                &self,
                id: &sightline_domain::ApiKeyId,
                at: sightline_domain::time::Millis,
            ) -> $crate::StoreResult<()> {
                sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
                    .bind(id.as_str())
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_store;
