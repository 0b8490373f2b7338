//! Score configs (wire-spec §5.7), project-scoped: metadata store ([`ScoreConfigStore`]). The
//! config and its check of a score are in `model.rs`, the SQL in `store.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod model;
mod store;

pub use model::{ConfigCategory, ScoreConfig};

/// Score configs (wire-spec §5.7), project-scoped.
#[async_trait]
pub trait ScoreConfigStore: Send + Sync {
    async fn insert_score_config(&self, config: &ScoreConfig) -> StoreResult<()>;
    /// Stores every field but the id, project, data type and creation time; returns whether the
    /// config exists.
    async fn update_score_config(&self, config: &ScoreConfig) -> StoreResult<bool>;
    /// A page of configs, newest first, and the number of all.
    async fn list_score_configs(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<ScoreConfig>, u64)>;
    /// The configs with these ids (those that exist).
    async fn score_configs_by_id(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<ScoreConfig>>;
}
