//! Whether the trace, observation or session a comment would be attached to exists: a read of
//! the event store, kept apart from [`super::CommentStore`] (metadata) so that the two stores
//! may live in different databases. The server's comment service asks both.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::CommentTarget;
use crate::error::StoreResult;
use crate::sql::{Sql, SqlStore};

/// The event-store side of commenting.
#[async_trait]
pub trait CommentTargetStore: Send + Sync {
    /// Whether the trace, observation or session `id` exists in the project.
    async fn comment_target_exists(
        &self,
        project: &ProjectId,
        target: CommentTarget,
        id: &str,
    ) -> StoreResult<bool>;
}

/// The event table that holds a target.
fn table(target: CommentTarget) -> &'static str {
    match target {
        CommentTarget::Trace => "traces",
        CommentTarget::Observation => "observations",
        CommentTarget::Session => "sessions",
    }
}

#[async_trait]
impl CommentTargetStore for SqlStore {
    async fn comment_target_exists(
        &self,
        project: &ProjectId,
        target: CommentTarget,
        id: &str,
    ) -> StoreResult<bool> {
        let table = table(target);
        let sql = Sql::text(format!(
            "SELECT COUNT(*) FROM {table} WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let (count,): (i64,) = self.db.fetch_one(&sql).await?;
        Ok(count > 0)
    }
}
