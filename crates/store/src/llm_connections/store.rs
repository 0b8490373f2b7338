//! [`LlmConnectionStore`] on the relational store: the upsert on the provider name in one
//! transaction, the newest-first list, lookups, delete, and the default model.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::model::{CONNECTION_COLUMNS, DefaultModelSqlRow, LlmConnectionSqlRow, list_text};
use super::{DefaultLlmModel, LlmConnection, LlmConnectionStore};
use crate::error::{StoreResult, constraint};
use crate::sql::{Sql, SqlStore};

fn select(condition: &str) -> String {
    format!(
        "SELECT {CONNECTION_COLUMNS} FROM llm_connections WHERE project_id = $1 AND {condition}"
    )
}

#[async_trait]
impl LlmConnectionStore for SqlStore {
    async fn upsert_llm_connection(
        &self,
        connection: &LlmConnection,
    ) -> StoreResult<(LlmConnection, bool)> {
        let project = connection.project_id.as_str();
        let mut tx = self.db.begin().await?;
        let existing: Option<LlmConnectionSqlRow> = tx
            .fetch_optional(
                &Sql::text(select("provider = $2"))
                    .bind(project)
                    .bind(&connection.provider),
            )
            .await?;
        let config = connection.config.as_ref().map(ToString::to_string);
        let created = match existing {
            Some(row) => {
                let stored = LlmConnection::try_from(row)?;
                let update = Sql::text(
                    "UPDATE llm_connections SET adapter = $3, secret_key = $4, \
                     display_secret_key = $5, base_url = $6, custom_models = $7, \
                     with_default_models = $8, extra_headers = $9, extra_header_keys = $10, \
                     config = $11, updated_at = $12 WHERE project_id = $1 AND id = $2",
                )
                .bind(project)
                .bind(&stored.id)
                .bind(&connection.adapter)
                .bind(&connection.secret_key)
                .bind(&connection.display_secret_key)
                .bind(&connection.base_url)
                .bind(list_text(&connection.custom_models))
                .bind(connection.with_default_models)
                .bind(&connection.extra_headers)
                .bind(list_text(&connection.extra_header_keys))
                .bind(&config)
                .bind(connection.updated_at);
                tx.execute(&update).await?;
                false
            }
            None => {
                let insert = Sql::text(format!(
                    "INSERT INTO llm_connections ({CONNECTION_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                ))
                .bind(project)
                .bind(&connection.id)
                .bind(&connection.provider)
                .bind(&connection.adapter)
                .bind(&connection.secret_key)
                .bind(&connection.display_secret_key)
                .bind(&connection.base_url)
                .bind(list_text(&connection.custom_models))
                .bind(connection.with_default_models)
                .bind(&connection.extra_headers)
                .bind(list_text(&connection.extra_header_keys))
                .bind(&config)
                .bind(connection.created_at)
                .bind(connection.updated_at);
                tx.execute(&insert)
                    .await
                    .map_err(|e| constraint(e, "an LLM connection with this provider name"))?;
                true
            }
        };
        let stored: LlmConnectionSqlRow = tx
            .fetch_one(
                &Sql::text(select("provider = $2"))
                    .bind(project)
                    .bind(&connection.provider),
            )
            .await?;
        tx.commit().await?;
        Ok((stored.try_into()?, created))
    }

    async fn list_llm_connections(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<LlmConnection>, u64)> {
        let page = Sql::text(format!(
            "SELECT {CONNECTION_COLUMNS} FROM llm_connections WHERE project_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ))
        .bind(project.as_str());
        let rows: Vec<LlmConnectionSqlRow> = self.db.fetch_all(&page).await?;
        let count = Sql::text("SELECT COUNT(*) FROM llm_connections WHERE project_id = $1")
            .bind(project.as_str());
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        let connections = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?;
        Ok((connections, u64::try_from(total).unwrap_or(0)))
    }

    async fn llm_connection(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<LlmConnection>> {
        let sql = Sql::text(select("id = $2")).bind(project.as_str()).bind(id);
        let row: Option<LlmConnectionSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn llm_connection_by_provider(
        &self,
        project: &ProjectId,
        provider: &str,
    ) -> StoreResult<Option<LlmConnection>> {
        let sql = Sql::text(select("provider = $2"))
            .bind(project.as_str())
            .bind(provider);
        let row: Option<LlmConnectionSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn delete_llm_connection(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM llm_connections WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn default_llm_model(&self, project: &ProjectId) -> StoreResult<Option<DefaultLlmModel>> {
        let sql = Sql::text(
            "SELECT connection_id, model, model_params, updated_at FROM default_llm_models \
             WHERE project_id = $1",
        )
        .bind(project.as_str());
        let row: Option<DefaultModelSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn set_default_llm_model(
        &self,
        project: &ProjectId,
        model: Option<&DefaultLlmModel>,
    ) -> StoreResult<()> {
        let sql = match model {
            None => Sql::text("DELETE FROM default_llm_models WHERE project_id = $1")
                .bind(project.as_str()),
            Some(model) => Sql::text(
                "INSERT INTO default_llm_models \
                 (project_id, connection_id, model, model_params, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id) DO UPDATE SET \
                 connection_id = excluded.connection_id, model = excluded.model, \
                 model_params = excluded.model_params, updated_at = excluded.updated_at",
            )
            .bind(project.as_str())
            .bind(&model.connection_id)
            .bind(&model.model)
            .bind(model.model_params.to_string())
            .bind(model.updated_at),
        };
        self.db
            .execute(&sql)
            .await
            .map_err(|e| constraint(e, "the default model's connection"))?;
        Ok(())
    }
}
