//! LLM connections (a project's model-provider keys) and the project's default evaluation
//! model: metadata store ([`LlmConnectionStore`]). Secrets arrive and leave encrypted: the
//! store never sees a plain key. The records are in `model.rs`, the SQL in `store.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod model;
mod store;

pub use model::{DefaultLlmModel, LlmConnection};

#[async_trait]
pub trait LlmConnectionStore: Send + Sync {
    /// Creates the connection, or updates the one with its provider name (keeping that one's
    /// id and creation time); returns the stored connection and whether it was created.
    async fn upsert_llm_connection(
        &self,
        connection: &LlmConnection,
    ) -> StoreResult<(LlmConnection, bool)>;
    /// A page of connections, newest first, and the number of all.
    async fn list_llm_connections(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<LlmConnection>, u64)>;
    async fn llm_connection(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<LlmConnection>>;
    async fn llm_connection_by_provider(
        &self,
        project: &ProjectId,
        provider: &str,
    ) -> StoreResult<Option<LlmConnection>>;
    /// Deletes a connection (and the default model that used it); whether it existed.
    async fn delete_llm_connection(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
    async fn default_llm_model(&self, project: &ProjectId) -> StoreResult<Option<DefaultLlmModel>>;
    /// Sets the project's default model, or clears it with `None`.
    async fn set_default_llm_model(
        &self,
        project: &ProjectId,
        model: Option<&DefaultLlmModel>,
    ) -> StoreResult<()>;
}
