//! Score lists of the read API (`GET /scores`, `GET /v2/scores`, `GET /v3/scores`) and score
//! deletes: event store ([`ScoreReadStore`]). A listed score carries a summary of its trace,
//! joined from `traces` (both event tables). The list query is in `model.rs`, its SQL in
//! `read.rs`. Score configs are metadata: `crate::score_configs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod model;
mod read;

pub use model::{ScoreCursor, ScoreQuery, ScoreTrace, ScoreWithTrace, ValueOperator};
pub(crate) mod stored;
pub use stored::ScoreRow;

/// Lists and deletes of scores for the read API.
#[async_trait]
pub trait ScoreReadStore: Send + Sync {
    /// A page of scores, newest first, with their traces, and the number of all that match.
    async fn list_scores(
        &self,
        project: &ProjectId,
        query: &ScoreQuery,
    ) -> StoreResult<(Vec<ScoreWithTrace>, u64)>;
    /// A page of scores as [`ScoreReadStore::list_scores`] gives, without counting all that
    /// match (cursor lists: `query.after`, `offset` 0).
    async fn select_scores(
        &self,
        project: &ProjectId,
        query: &ScoreQuery,
    ) -> StoreResult<Vec<ScoreWithTrace>>;
    /// Deletes one score; returns whether it existed.
    async fn delete_score(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
}
