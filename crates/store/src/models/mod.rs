//! The project's own model definitions (prices and tokenizers) of the Models API: metadata
//! store. Built-in models are not stored; they come with the binary.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::cost::ModelDefinition;
use sightline_domain::time::now_ms;

use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::json::parse_json;
use crate::sql::{Sql, SqlStore};

/// Project model definitions.
#[async_trait]
pub trait ModelStore: Send + Sync {
    /// The project's own model definitions, oldest first.
    async fn project_models(&self, project: &ProjectId) -> StoreResult<Vec<ModelDefinition>>;
    /// Stores a project model; `definition.project_id` must be set.
    async fn insert_model(&self, definition: &ModelDefinition) -> StoreResult<()>;
    /// Deletes a project model; returns whether it existed.
    async fn delete_model(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
}

#[derive(sqlx::FromRow)]
struct ModelSqlRow {
    id: String,
    project_id: String,
    model_name: String,
    match_pattern: String,
    start_date: Option<i64>,
    unit: Option<String>,
    tokenizer_id: Option<String>,
    tokenizer_config: Option<String>,
    pricing_tiers: String,
}

impl TryFrom<ModelSqlRow> for ModelDefinition {
    type Error = StoreError;

    fn try_from(row: ModelSqlRow) -> StoreResult<Self> {
        Ok(ModelDefinition {
            id: row.id,
            project_id: Some(row.project_id),
            model_name: row.model_name,
            match_pattern: row.match_pattern,
            start_date: row.start_date,
            unit: row.unit,
            tokenizer_id: row.tokenizer_id,
            tokenizer_config: parse_json(row.tokenizer_config)?,
            tiers: serde_json::from_str(&row.pricing_tiers)
                .map_err(|e| StoreError::Corrupt(format!("stored pricing tiers: {e}")))?,
        })
    }
}

#[async_trait]
impl ModelStore for SqlStore {
    async fn project_models(&self, project: &ProjectId) -> StoreResult<Vec<ModelDefinition>> {
        let sql = Sql::text(
            "SELECT id, project_id, model_name, match_pattern, start_date, unit, tokenizer_id, \
               tokenizer_config, pricing_tiers FROM models WHERE project_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(project.as_str());
        let rows: Vec<ModelSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn insert_model(&self, definition: &ModelDefinition) -> StoreResult<()> {
        let project = definition
            .project_id
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("a stored model needs a project".into()))?;
        let now = now_ms();
        let sql = Sql::text(
            "INSERT INTO models (id, project_id, model_name, match_pattern, start_date, unit, \
               tokenizer_id, tokenizer_config, pricing_tiers, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&definition.id)
        .bind(project)
        .bind(&definition.model_name)
        .bind(&definition.match_pattern)
        .bind(definition.start_date)
        .bind(&definition.unit)
        .bind(&definition.tokenizer_id)
        .bind(definition.tokenizer_config.as_ref().map(|c| c.to_string()))
        .bind(serde_json::to_string(&definition.tiers).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .bind(now);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| constraint(e, "a model with this id"))?;
        Ok(())
    }

    async fn delete_model(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM models WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }
}
