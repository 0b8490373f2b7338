//! Prompts, shared by both backends and stamped onto each store by `impl_prompt_store!`.
//! Every write runs in one transaction that first serialises writers of the same prompt name
//! (PostgreSQL: an advisory transaction lock; SQLite: `BEGIN IMMEDIATE` already does) and ends
//! by bumping the project's `prompt_changes` counter. User input only ever reaches a query as a
//! bound parameter.

/// Implements [`crate::PromptStore`] for `$store` (a struct with a `pool` of `$db`), with the
/// lists and usage queries of `impl_prompt_reads!` (which must be stamped in the same module).
/// `begin` is the statement that opens a write transaction; `name_lock` an optional statement
/// taking the lock key as `$1`; `anonymous_params` as in `impl_tracing_store!`.
macro_rules! impl_prompt_store {
    ($store:ty, db: $db:ty, begin: $begin:expr, name_lock: $lock:expr, anonymous_params: $anonymous:expr) => {
        mod prompts_impl {
            use std::collections::BTreeSet;

            use sightline_domain::prompt::LATEST_LABEL;
            use sightline_domain::time::now_ms;

            use $crate::prompts_model::*;
            use $crate::sql_where::{Param, Where, bind_all, like_literal};
            use $crate::{StoreError, StoreResult};

            type Conn = <$db as sqlx::Database>::Connection;

            const TYPE_CHANGE: &str = "Previous versions have different prompt type. \
                Create a new prompt with a different name.";
            const CONCURRENT: &str =
                "A prompt version was created concurrently. Please retry.";
            /// Where `latest` goes when it is put back on a version: after its other labels.
            const LATEST_POSITION: i64 = 1_000;

            fn prefixed(alias: &str) -> String {
                PROMPT_COLUMNS
                    .split(',')
                    .map(|column| format!("{alias}.{}", column.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            fn dedupe(items: &[String]) -> Vec<String> {
                let mut unique: Vec<String> = Vec::with_capacity(items.len());
                for item in items {
                    if !unique.contains(item) {
                        unique.push(item.clone());
                    }
                }
                unique
            }

            async fn lock(conn: &mut Conn, project: &str, name: &str) -> StoreResult<()> {
                let statement: Option<&str> = $lock;
                if let Some(sql) = statement {
                    sqlx::query(sql)
                        .bind(format!("prompt/{project}/{name}"))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            async fn bump(conn: &mut Conn, project: &str) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO prompt_changes (project_id, counter) VALUES ($1, 1) \
                     ON CONFLICT (project_id) DO UPDATE SET counter = prompt_changes.counter + 1",
                )
                .bind(project)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn labels_of(
                conn: &mut Conn,
                project: &str,
                name: &str,
                version: i64,
            ) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT label FROM prompt_labels WHERE project_id = $1 AND name = $2 \
                     AND version = $3 ORDER BY position, label",
                )
                .bind(project)
                .bind(name)
                .bind(version)
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows.into_iter().map(|(label,)| label).collect())
            }

            pub(super) async fn find(
                conn: &mut Conn,
                project: &str,
                name: &str,
                selector: &PromptSelector,
            ) -> StoreResult<Option<PromptVersion>> {
                let row: Option<PromptSqlRow> = match selector {
                    PromptSelector::Version(version) => {
                        let sql = format!(
                            "SELECT {PROMPT_COLUMNS} FROM prompts \
                             WHERE project_id = $1 AND name = $2 AND version = $3"
                        );
                        sqlx::query_as(&sql)
                            .bind(project)
                            .bind(name)
                            .bind(*version)
                            .fetch_optional(&mut *conn)
                            .await?
                    }
                    PromptSelector::Label(label) => {
                        let sql = format!(
                            "SELECT {} FROM prompt_labels l JOIN prompts p \
                             ON p.project_id = l.project_id AND p.name = l.name AND p.version = l.version \
                             WHERE l.project_id = $1 AND l.name = $2 AND l.label = $3",
                            prefixed("p")
                        );
                        sqlx::query_as(&sql)
                            .bind(project)
                            .bind(name)
                            .bind(label)
                            .fetch_optional(&mut *conn)
                            .await?
                    }
                };
                let Some(row) = row else {
                    return Ok(None);
                };
                let labels = labels_of(conn, project, name, row.version).await?;
                row.into_version(labels).map(Some)
            }

            /// Takes `label` off whichever other version of the name holds it (touching that
            /// version's `updated_at`).
            async fn take_label(
                conn: &mut Conn,
                project: &str,
                name: &str,
                label: &str,
                keep_version: i64,
                now: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE prompts SET updated_at = $4 WHERE project_id = $1 AND name = $2 \
                     AND version <> $5 AND version IN (SELECT version FROM prompt_labels \
                       WHERE project_id = $1 AND name = $2 AND label = $3)",
                )
                .bind(project)
                .bind(name)
                .bind(label)
                .bind(now)
                .bind(keep_version)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "DELETE FROM prompt_labels WHERE project_id = $1 AND name = $2 AND label = $3",
                )
                .bind(project)
                .bind(name)
                .bind(label)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Replaces the labels of one version (which must not be held elsewhere).
            async fn set_labels(
                conn: &mut Conn,
                project: &str,
                name: &str,
                version: i64,
                labels: &[String],
            ) -> StoreResult<()> {
                sqlx::query(
                    "DELETE FROM prompt_labels WHERE project_id = $1 AND name = $2 AND version = $3",
                )
                .bind(project)
                .bind(name)
                .bind(version)
                .execute(&mut *conn)
                .await?;
                for (position, label) in labels.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO prompt_labels (project_id, name, label, version, position) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(project)
                    .bind(name)
                    .bind(label)
                    .bind(version)
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            pub(super) async fn create(
                conn: &mut Conn,
                new: &NewPromptVersion,
            ) -> StoreResult<PromptVersion> {
                let project = new.project_id.as_str();
                let name = new.name.as_str();
                lock(conn, project, name).await?;
                let latest: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT version, type, tags FROM prompts WHERE project_id = $1 AND name = $2 \
                     ORDER BY version DESC LIMIT 1",
                )
                .bind(project)
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
                if let Some((_, kind, _)) = &latest
                    && kind != new.r#type.as_str()
                {
                    return Err(StoreError::Conflict(TYPE_CHANGE.into()));
                }
                let version = latest.as_ref().map_or(1, |(version, _, _)| version + 1);
                let previous_tags = match &latest {
                    Some((_, _, tags)) => parse_tags(tags)?,
                    None => Vec::new(),
                };
                let tags = dedupe(new.tags.as_deref().unwrap_or(&previous_tags));
                let sql = format!(
                    "INSERT INTO prompts ({PROMPT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
                );
                sqlx::query(&sql)
                    .bind(project)
                    .bind(&new.id)
                    .bind(name)
                    .bind(version)
                    .bind(new.r#type.as_str())
                    .bind(new.prompt.to_string())
                    .bind(new.config.to_string())
                    .bind(tags_text(&tags))
                    .bind(&new.commit_message)
                    .bind(&new.created_by)
                    .bind(new.created_at)
                    .execute(&mut *conn)
                    .await
                    .map_err(|error| match $crate::error::constraint(error, "prompt version") {
                        StoreError::Conflict(_) => StoreError::Conflict(CONCURRENT.into()),
                        other => other,
                    })?;
                let mut labels = dedupe(&new.labels);
                labels.retain(|label| label != LATEST_LABEL);
                labels.push(LATEST_LABEL.to_owned());
                for label in &labels {
                    take_label(conn, project, name, label, version, new.created_at).await?;
                }
                set_labels(conn, project, name, version, &labels).await?;
                let changed = tags.iter().collect::<BTreeSet<_>>()
                    != previous_tags.iter().collect::<BTreeSet<_>>();
                if latest.is_some() && changed {
                    sqlx::query(
                        "UPDATE prompts SET tags = $3, updated_at = $4 \
                         WHERE project_id = $1 AND name = $2 AND version <> $5",
                    )
                    .bind(project)
                    .bind(name)
                    .bind(tags_text(&tags))
                    .bind(new.created_at)
                    .bind(version)
                    .execute(&mut *conn)
                    .await?;
                }
                bump(conn, project).await?;
                find(conn, project, name, &PromptSelector::Version(version))
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("created prompt vanished".into()))
            }

            pub(super) async fn add_labels(
                conn: &mut Conn,
                project: &str,
                name: &str,
                version: i64,
                new_labels: &[String],
            ) -> StoreResult<Option<PromptVersion>> {
                lock(conn, project, name).await?;
                let Some(current) = find(conn, project, name, &PromptSelector::Version(version)).await?
                else {
                    return Ok(None);
                };
                let now = now_ms();
                let added = dedupe(new_labels);
                let mut labels = added.clone();
                for old in current.labels {
                    if !labels.contains(&old) {
                        labels.push(old);
                    }
                }
                for label in &added {
                    take_label(conn, project, name, label, version, now).await?;
                }
                set_labels(conn, project, name, version, &labels).await?;
                sqlx::query(
                    "UPDATE prompts SET updated_at = $4 \
                     WHERE project_id = $1 AND name = $2 AND version = $3",
                )
                .bind(project)
                .bind(name)
                .bind(version)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                bump(conn, project).await?;
                find(conn, project, name, &PromptSelector::Version(version)).await
            }

            pub(super) async fn delete(
                conn: &mut Conn,
                project: &str,
                name: &str,
                selector: Option<&PromptSelector>,
            ) -> StoreResult<u64> {
                lock(conn, project, name).await?;
                let versions: Vec<(i64,)> = match selector {
                    None => {
                        sqlx::query_as(
                            "SELECT version FROM prompts WHERE project_id = $1 AND name = $2",
                        )
                        .bind(project)
                        .bind(name)
                        .fetch_all(&mut *conn)
                        .await?
                    }
                    Some(PromptSelector::Version(version)) => {
                        sqlx::query_as(
                            "SELECT version FROM prompts \
                             WHERE project_id = $1 AND name = $2 AND version = $3",
                        )
                        .bind(project)
                        .bind(name)
                        .bind(*version)
                        .fetch_all(&mut *conn)
                        .await?
                    }
                    Some(PromptSelector::Label(label)) => {
                        sqlx::query_as(
                            "SELECT version FROM prompt_labels \
                             WHERE project_id = $1 AND name = $2 AND label = $3",
                        )
                        .bind(project)
                        .bind(name)
                        .bind(label)
                        .fetch_all(&mut *conn)
                        .await?
                    }
                };
                if versions.is_empty() {
                    return Ok(0);
                }
                for (version,) in &versions {
                    for table in ["prompt_labels", "prompts"] {
                        sqlx::query(&format!(
                            "DELETE FROM {table} WHERE project_id = $1 AND name = $2 AND version = $3"
                        ))
                        .bind(project)
                        .bind(name)
                        .bind(*version)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
                // `latest` goes back to the highest remaining version.
                let (holders,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM prompt_labels \
                     WHERE project_id = $1 AND name = $2 AND label = $3",
                )
                .bind(project)
                .bind(name)
                .bind(LATEST_LABEL)
                .fetch_one(&mut *conn)
                .await?;
                if holders == 0 {
                    let highest: Option<(i64,)> = sqlx::query_as(
                        "SELECT version FROM prompts WHERE project_id = $1 AND name = $2 \
                         ORDER BY version DESC LIMIT 1",
                    )
                    .bind(project)
                    .bind(name)
                    .fetch_optional(&mut *conn)
                    .await?;
                    if let Some((version,)) = highest {
                        sqlx::query(
                            "INSERT INTO prompt_labels (project_id, name, label, version, position) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(project)
                        .bind(name)
                        .bind(LATEST_LABEL)
                        .bind(version)
                        .bind(LATEST_POSITION)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
                bump(conn, project).await?;
                Ok(u64::try_from(versions.len()).unwrap_or(u64::MAX))
            }

            /// Every version of the name (oldest first), or of the other names whose content
            /// mentions a reference to it (`referencing`), with their labels.
            pub(super) async fn versions(
                conn: &mut Conn,
                project: &str,
                name: &str,
                referencing: bool,
            ) -> StoreResult<Vec<PromptVersion>> {
                let mut filter = Where::new($anonymous);
                filter.eq("project_id", project);
                if referencing {
                    filter.push("name <> {}", Param::Text(name.to_owned()));
                    let tag = format!("@@@langfusePrompt:name={name}|");
                    filter.push(
                        "prompt LIKE {} ESCAPE '\\'",
                        Param::Text(format!("%{}%", like_literal(&tag))),
                    );
                } else {
                    filter.eq("name", name);
                }
                let sql = format!(
                    "SELECT {PROMPT_COLUMNS} FROM prompts WHERE {} ORDER BY name, version",
                    filter.sql()
                );
                let rows: Vec<PromptSqlRow> = bind_all!(sqlx::query_as(&sql), &filter.params)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut versions = Vec::with_capacity(rows.len());
                for row in rows {
                    let labels = labels_of(conn, project, &row.name, row.version).await?;
                    versions.push(row.into_version(labels)?);
                }
                Ok(versions)
            }
        }

        #[async_trait::async_trait]
        impl $crate::PromptStore for $store {
            async fn create_prompt_version(
                &self,
                new: &$crate::NewPromptVersion,
            ) -> $crate::StoreResult<$crate::PromptVersion> {
                let mut tx = self.pool.begin_with($begin).await?;
                let created = prompts_impl::create(&mut tx, new).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn prompt_version(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
                selector: &$crate::PromptSelector,
            ) -> $crate::StoreResult<Option<$crate::PromptVersion>> {
                let mut conn = self.pool.acquire().await?;
                prompts_impl::find(&mut conn, project.as_str(), name, selector).await
            }

            async fn list_prompts(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::PromptListQuery,
            ) -> $crate::StoreResult<(Vec<$crate::PromptSummary>, u64)> {
                prompt_reads_impl::list(&self.pool, project.as_str(), query).await
            }

            async fn add_prompt_labels(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
                version: i64,
                labels: &[String],
            ) -> $crate::StoreResult<Option<$crate::PromptVersion>> {
                let mut tx = self.pool.begin_with($begin).await?;
                let updated =
                    prompts_impl::add_labels(&mut tx, project.as_str(), name, version, labels)
                        .await?;
                tx.commit().await?;
                Ok(updated)
            }

            async fn delete_prompts(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
                selector: Option<&$crate::PromptSelector>,
            ) -> $crate::StoreResult<u64> {
                let mut tx = self.pool.begin_with($begin).await?;
                let deleted = prompts_impl::delete(&mut tx, project.as_str(), name, selector).await?;
                tx.commit().await?;
                Ok(deleted)
            }

            async fn prompt_versions(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
            ) -> $crate::StoreResult<Vec<$crate::PromptVersion>> {
                let mut conn = self.pool.acquire().await?;
                prompts_impl::versions(&mut conn, project.as_str(), name, false).await
            }

            async fn prompts_referencing(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
            ) -> $crate::StoreResult<Vec<$crate::PromptVersion>> {
                let mut conn = self.pool.acquire().await?;
                prompts_impl::versions(&mut conn, project.as_str(), name, true).await
            }

            async fn protected_prompt_labels(
                &self,
                project: &sightline_domain::ProjectId,
            ) -> $crate::StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT label FROM prompt_protected_labels WHERE project_id = $1 ORDER BY label",
                )
                .bind(project.as_str())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(label,)| label).collect())
            }

            async fn set_protected_prompt_labels(
                &self,
                project: &sightline_domain::ProjectId,
                labels: &[String],
            ) -> $crate::StoreResult<()> {
                let mut tx = self.pool.begin_with($begin).await?;
                sqlx::query("DELETE FROM prompt_protected_labels WHERE project_id = $1")
                    .bind(project.as_str())
                    .execute(&mut *tx)
                    .await?;
                let now = sightline_domain::time::now_ms();
                for label in labels {
                    sqlx::query(
                        "INSERT INTO prompt_protected_labels (project_id, label, created_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (project_id, label) DO NOTHING",
                    )
                    .bind(project.as_str())
                    .bind(label)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "the protected label's project"))?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn prompt_change_counter(
                &self,
                project: &sightline_domain::ProjectId,
            ) -> $crate::StoreResult<i64> {
                let row: Option<(i64,)> =
                    sqlx::query_as("SELECT counter FROM prompt_changes WHERE project_id = $1")
                        .bind(project.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map_or(0, |(counter,)| counter))
            }

            async fn prompt_ids(
                &self,
                project: &sightline_domain::ProjectId,
                names: &[String],
            ) -> $crate::StoreResult<Vec<(String, i64, String)>> {
                prompt_reads_impl::prompt_ids(&self.pool, project.as_str(), names).await
            }

            async fn prompt_usage(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
            ) -> $crate::StoreResult<Vec<$crate::PromptVersionUsage>> {
                prompt_reads_impl::usage(&self.pool, project.as_str(), name).await
            }
        }
    };
}

pub(crate) use impl_prompt_store;
