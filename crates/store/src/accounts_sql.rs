//! The web UI's account SQL (sessions, invitations, membership views, project and organization
//! edits), shared by both backends and stamped onto each store by `impl_account_store!`. Both
//! dialects accept `$n` parameters, so every statement is written once.

pub(crate) const SESSION_COLUMNS: &str = "token_hash, user_id, csrf_token, created_at, expires_at";
pub(crate) const INVITATION_COLUMNS: &str =
    "id, org_id, email, org_role, project_id, project_role, invited_by, created_at";

/// Implements [`crate::AccountStore`] for `$store`, a struct with a `pool: sqlx::Pool<_>` field.
macro_rules! impl_account_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::AccountStore for $store {
            async fn insert_web_session(
                &self,
                session: &$crate::WebSession,
            ) -> $crate::StoreResult<()> {
                let sql = format!(
                    "INSERT INTO web_sessions ({}) VALUES ($1, $2, $3, $4, $5)",
                    $crate::accounts_sql::SESSION_COLUMNS
                );
                sqlx::query(&sql)
                    .bind(&session.token_hash)
                    .bind(session.user_id.as_str())
                    .bind(&session.csrf_token)
                    .bind(session.created_at)
                    .bind(session.expires_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "the session"))?;
                Ok(())
            }

            async fn web_session(
                &self,
                token_hash: &str,
                now: sightline_domain::time::Millis,
            ) -> $crate::StoreResult<Option<($crate::WebSession, $crate::User)>> {
                let row: Option<$crate::accounts_model::SessionUserRow> = sqlx::query_as(
                    "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at, \
                            u.email, u.name, u.password_hash, u.created_at AS user_created_at \
                     FROM web_sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn extend_web_session(
                &self,
                token_hash: &str,
                expires_at: sightline_domain::time::Millis,
            ) -> $crate::StoreResult<()> {
                sqlx::query("UPDATE web_sessions SET expires_at = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_web_session(&self, token_hash: &str) -> $crate::StoreResult<()> {
                sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_user_web_sessions(
                &self,
                user: &sightline_domain::UserId,
                keep: Option<&str>,
            ) -> $crate::StoreResult<u64> {
                let deleted = sqlx::query(
                    "DELETE FROM web_sessions WHERE user_id = $1 \
                     AND ($2 IS NULL OR token_hash <> $2)",
                )
                .bind(user.as_str())
                .bind(keep)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(deleted)
            }

            async fn delete_expired_web_sessions(
                &self,
                now: sightline_domain::time::Millis,
            ) -> $crate::StoreResult<u64> {
                let deleted = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted)
            }

            async fn upsert_invitation(
                &self,
                invitation: &$crate::Invitation,
            ) -> $crate::StoreResult<$crate::Invitation> {
                let sql = format!(
                    "INSERT INTO organization_invitations ({cols}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (org_id, email) DO UPDATE SET org_role = excluded.org_role, \
                       project_id = excluded.project_id, project_role = excluded.project_role, \
                       invited_by = excluded.invited_by, created_at = excluded.created_at \
                     RETURNING {cols}",
                    cols = $crate::accounts_sql::INVITATION_COLUMNS
                );
                let (project_id, project_role) = match &invitation.project {
                    Some((id, role)) => (Some(id.as_str()), Some(role.as_str())),
                    None => (None, None),
                };
                let row: $crate::accounts_model::InvitationRow = sqlx::query_as(&sql)
                    .bind(&invitation.id)
                    .bind(invitation.org_id.as_str())
                    .bind(invitation.email.as_str())
                    .bind(invitation.org_role.as_str())
                    .bind(project_id)
                    .bind(project_role)
                    .bind(invitation.invited_by.as_ref().map(|u| u.as_str()))
                    .bind(invitation.created_at)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "the invitation"))?;
                row.try_into()
            }

            async fn list_invitations(
                &self,
                org: &sightline_domain::OrgId,
            ) -> $crate::StoreResult<Vec<$crate::Invitation>> {
                let sql = format!(
                    "SELECT {} FROM organization_invitations WHERE org_id = $1 ORDER BY email",
                    $crate::accounts_sql::INVITATION_COLUMNS
                );
                let rows: Vec<$crate::accounts_model::InvitationRow> = sqlx::query_as(&sql)
                    .bind(org.as_str())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn invitations_for_email(
                &self,
                email: &sightline_domain::Email,
            ) -> $crate::StoreResult<Vec<$crate::Invitation>> {
                let sql = format!(
                    "SELECT {} FROM organization_invitations WHERE email = $1 ORDER BY created_at, id",
                    $crate::accounts_sql::INVITATION_COLUMNS
                );
                let rows: Vec<$crate::accounts_model::InvitationRow> = sqlx::query_as(&sql)
                    .bind(email.as_str())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn delete_invitation(
                &self,
                org: &sightline_domain::OrgId,
                id: &str,
            ) -> $crate::StoreResult<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM organization_invitations WHERE org_id = $1 AND id = $2",
                )
                .bind(org.as_str())
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(deleted > 0)
            }

            async fn organizations_of_user(
                &self,
                user: &sightline_domain::UserId,
            ) -> $crate::StoreResult<Vec<($crate::Organization, sightline_domain::Role)>> {
                let rows: Vec<$crate::accounts_model::UserOrgRow> = sqlx::query_as(
                    "SELECT o.id, o.name, o.created_at, om.role \
                     FROM organization_memberships om JOIN organizations o ON o.id = om.org_id \
                     WHERE om.user_id = $1 ORDER BY o.name, o.id",
                )
                .bind(user.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn project_role_overrides(
                &self,
                org: &sightline_domain::OrgId,
            ) -> $crate::StoreResult<Vec<$crate::ProjectRoleOverride>> {
                let rows: Vec<$crate::accounts_model::OverrideRow> = sqlx::query_as(
                    "SELECT pm.project_id, pm.user_id, pm.role \
                     FROM project_memberships pm JOIN projects p ON p.id = pm.project_id \
                     WHERE p.org_id = $1 ORDER BY pm.project_id, pm.user_id",
                )
                .bind(org.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn remove_org_member(
                &self,
                org: &sightline_domain::OrgId,
                user: &sightline_domain::UserId,
            ) -> $crate::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "DELETE FROM project_memberships WHERE user_id = $2 \
                     AND project_id IN (SELECT id FROM projects WHERE org_id = $1)",
                )
                .bind(org.as_str())
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?;
                let deleted = sqlx::query(
                    "DELETE FROM organization_memberships WHERE org_id = $1 AND user_id = $2",
                )
                .bind(org.as_str())
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(deleted > 0)
            }

            async fn update_project(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
                retention_days: Option<i64>,
            ) -> $crate::StoreResult<bool> {
                let updated = sqlx::query(
                    "UPDATE projects SET name = $2, retention_days = $3, updated_at = $4 WHERE id = $1",
                )
                .bind(project.as_str())
                .bind(name)
                .bind(retention_days)
                .bind(sightline_domain::time::now_ms())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(updated > 0)
            }

            async fn delete_project(
                &self,
                project: &sightline_domain::ProjectId,
            ) -> $crate::StoreResult<bool> {
                let deleted = sqlx::query("DELETE FROM projects WHERE id = $1")
                    .bind(project.as_str())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn delete_organization(
                &self,
                org: &sightline_domain::OrgId,
            ) -> $crate::StoreResult<bool> {
                // Projects, memberships and invitations go with it (ON DELETE CASCADE).
                let deleted = sqlx::query("DELETE FROM organizations WHERE id = $1")
                    .bind(org.as_str())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn rename_organization(
                &self,
                org: &sightline_domain::OrgId,
                name: &str,
            ) -> $crate::StoreResult<bool> {
                let updated = sqlx::query(
                    "UPDATE organizations SET name = $2, updated_at = $3 WHERE id = $1",
                )
                .bind(org.as_str())
                .bind(name)
                .bind(sightline_domain::time::now_ms())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(updated > 0)
            }
        }
    };
}

pub(crate) use impl_account_store;
