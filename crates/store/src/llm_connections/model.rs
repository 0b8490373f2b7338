//! LLM connection records as stored: JSON lists and objects as text, secrets as ciphertext.

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// A project's connection to a model provider. `secret_key` and `extra_headers` are ciphertext
/// (`sightline_domain::secret`); `extra_headers` decrypts to a JSON object of header values.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConnection {
    pub id: String,
    pub project_id: ProjectId,
    /// The connection's name, unique in the project (`openai`, `my-gateway`).
    pub provider: String,
    pub adapter: String,
    pub secret_key: String,
    pub display_secret_key: String,
    pub base_url: Option<String>,
    pub custom_models: Vec<String>,
    pub with_default_models: bool,
    pub extra_headers: Option<String>,
    pub extra_header_keys: Vec<String>,
    pub config: Option<Value>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The project's default model for evaluations.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultLlmModel {
    pub connection_id: String,
    pub model: String,
    pub model_params: Value,
    pub updated_at: Millis,
}

/// The columns of `llm_connections`, in the order of [`LlmConnectionSqlRow`] and the insert.
pub(super) const CONNECTION_COLUMNS: &str = "project_id, id, provider, adapter, secret_key, \
    display_secret_key, base_url, custom_models, with_default_models, extra_headers, \
    extra_header_keys, config, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct LlmConnectionSqlRow {
    project_id: String,
    id: String,
    provider: String,
    adapter: String,
    secret_key: String,
    display_secret_key: String,
    base_url: Option<String>,
    custom_models: String,
    with_default_models: bool,
    extra_headers: Option<String>,
    extra_header_keys: String,
    config: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("stored LLM connection {what}: {error}"))
}

pub(super) fn list_text(items: &[String]) -> String {
    serde_json::to_string(items).expect("a list of strings serializes")
}

impl TryFrom<LlmConnectionSqlRow> for LlmConnection {
    type Error = StoreError;

    fn try_from(row: LlmConnectionSqlRow) -> StoreResult<Self> {
        let list = |what: &str, text: &str| -> StoreResult<Vec<String>> {
            serde_json::from_str(text).map_err(|e| corrupt(what, e))
        };
        Ok(LlmConnection {
            project_id: ProjectId::from_trusted(row.project_id),
            custom_models: list("custom models", &row.custom_models)?,
            extra_header_keys: list("header names", &row.extra_header_keys)?,
            config: row
                .config
                .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("config", e)))
                .transpose()?,
            id: row.id,
            provider: row.provider,
            adapter: row.adapter,
            secret_key: row.secret_key,
            display_secret_key: row.display_secret_key,
            base_url: row.base_url,
            with_default_models: row.with_default_models,
            extra_headers: row.extra_headers,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DefaultModelSqlRow {
    connection_id: String,
    model: String,
    model_params: String,
    updated_at: i64,
}

impl TryFrom<DefaultModelSqlRow> for DefaultLlmModel {
    type Error = StoreError;

    fn try_from(row: DefaultModelSqlRow) -> StoreResult<Self> {
        Ok(DefaultLlmModel {
            model_params: serde_json::from_str(&row.model_params)
                .map_err(|e| corrupt("default model parameters", e))?,
            connection_id: row.connection_id,
            model: row.model,
            updated_at: row.updated_at,
        })
    }
}
