//! [`ScoreConfigStore`] on the relational store: inserts, updates, the newest-first list with
//! its count, and configs by id.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::model::{SCORE_CONFIG_COLUMNS, ScoreConfigSqlRow, categories_text};
use super::{ScoreConfig, ScoreConfigStore};
use crate::error::StoreResult;
use crate::sql::{Sql, SqlStore};

impl SqlStore {
    /// A page of the project's configs, newest first, limited to `ids` when given.
    async fn score_configs(
        &self,
        project: &ProjectId,
        ids: Option<&[String]>,
        limit: u64,
        offset: u64,
    ) -> StoreResult<Vec<ScoreConfig>> {
        let mut sql = Sql::new();
        sql.push(
            &format!("SELECT {SCORE_CONFIG_COLUMNS} FROM score_configs WHERE project_id = {{}}"),
            [project.as_str().into()],
        );
        if let Some(ids) = ids {
            sql.sql(" AND ").push_in("id", ids);
        }
        sql.sql(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ));
        let rows: Vec<ScoreConfigSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}

#[async_trait]
impl ScoreConfigStore for SqlStore {
    async fn insert_score_config(&self, config: &ScoreConfig) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO score_configs ({SCORE_CONFIG_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&config.id)
        .bind(config.project_id.as_str())
        .bind(&config.name)
        .bind(config.data_type.as_str())
        .bind(config.is_archived)
        .bind(config.min_value)
        .bind(config.max_value)
        .bind(categories_text(config))
        .bind(&config.description)
        .bind(config.created_at)
        .bind(config.updated_at);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn update_score_config(&self, config: &ScoreConfig) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE score_configs SET name = $1, is_archived = $2, min_value = $3, \
             max_value = $4, categories = $5, description = $6, updated_at = $7 \
             WHERE project_id = $8 AND id = $9",
        )
        .bind(&config.name)
        .bind(config.is_archived)
        .bind(config.min_value)
        .bind(config.max_value)
        .bind(categories_text(config))
        .bind(&config.description)
        .bind(config.updated_at)
        .bind(config.project_id.as_str())
        .bind(&config.id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn list_score_configs(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<ScoreConfig>, u64)> {
        let configs = self.score_configs(project, None, limit, offset).await?;
        let count = Sql::text("SELECT COUNT(*) FROM score_configs WHERE project_id = $1")
            .bind(project.as_str());
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((configs, u64::try_from(total).unwrap_or(0)))
    }

    async fn score_configs_by_id(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<ScoreConfig>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let limit = u64::try_from(ids.len()).unwrap_or(u64::MAX);
        self.score_configs(project, Some(ids), limit, 0).await
    }
}
