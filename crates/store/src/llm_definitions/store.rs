//! [`LlmDefinitionStore`] on the relational store.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::{DefinitionKind, LlmDefinition, LlmDefinitionStore};
use crate::error::{StoreError, StoreResult};
use crate::sql::{Sql, SqlStore};

const COLUMNS: &str = "project_id, id, name, description, parameters, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DefinitionSqlRow {
    project_id: String,
    id: String,
    name: String,
    description: String,
    parameters: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<DefinitionSqlRow> for LlmDefinition {
    type Error = StoreError;

    fn try_from(row: DefinitionSqlRow) -> StoreResult<Self> {
        Ok(LlmDefinition {
            schema: serde_json::from_str(&row.parameters)
                .map_err(|e| StoreError::Corrupt(format!("stored LLM tool or schema: {e}")))?,
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            name: row.name,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[async_trait]
impl LlmDefinitionStore for SqlStore {
    async fn upsert_llm_definition(
        &self,
        kind: DefinitionKind,
        definition: &LlmDefinition,
    ) -> StoreResult<LlmDefinition> {
        let table = kind.table();
        let upsert = Sql::text(format!(
            "INSERT INTO {table} ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (project_id, name) DO UPDATE SET description = excluded.description, \
             parameters = excluded.parameters, updated_at = excluded.updated_at"
        ))
        .bind(definition.project_id.as_str())
        .bind(&definition.id)
        .bind(&definition.name)
        .bind(&definition.description)
        .bind(definition.schema.to_string())
        .bind(definition.created_at)
        .bind(definition.updated_at);
        self.db.execute(&upsert).await?;
        let select = Sql::text(format!(
            "SELECT {COLUMNS} FROM {table} WHERE project_id = $1 AND name = $2"
        ))
        .bind(definition.project_id.as_str())
        .bind(&definition.name);
        let row: DefinitionSqlRow = self.db.fetch_one(&select).await?;
        row.try_into()
    }

    async fn list_llm_definitions(
        &self,
        project: &ProjectId,
        kind: DefinitionKind,
    ) -> StoreResult<Vec<LlmDefinition>> {
        let select = Sql::text(format!(
            "SELECT {COLUMNS} FROM {} WHERE project_id = $1 ORDER BY name LIMIT 500",
            kind.table()
        ))
        .bind(project.as_str());
        let rows: Vec<DefinitionSqlRow> = self.db.fetch_all(&select).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn delete_llm_definition(
        &self,
        project: &ProjectId,
        kind: DefinitionKind,
        name: &str,
    ) -> StoreResult<bool> {
        let delete = Sql::text(format!(
            "DELETE FROM {} WHERE project_id = $1 AND name = $2",
            kind.table()
        ))
        .bind(project.as_str())
        .bind(name);
        Ok(self.db.execute(&delete).await? > 0)
    }
}
