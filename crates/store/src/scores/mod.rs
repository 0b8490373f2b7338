//! TODO(storage v2): module doc.

use async_trait::async_trait;
#[allow(unused_imports)]
use sightline_domain::cost::ModelDefinition;
#[allow(unused_imports)]
use sightline_domain::time::Millis;
#[allow(unused_imports)]
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

#[allow(unused_imports)]
use crate::*;

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
