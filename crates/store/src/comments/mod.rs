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

/// Comments on traces, observations, sessions and prompts (wire-spec §5.8), project-scoped.
#[async_trait]
pub trait CommentStore: Send + Sync {
    async fn insert_comment(&self, comment: &Comment) -> StoreResult<()>;
    async fn comment(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Comment>>;
    /// A page of comments, newest first, and the number of all that match.
    async fn list_comments(
        &self,
        project: &ProjectId,
        query: &CommentQuery,
    ) -> StoreResult<(Vec<Comment>, u64)>;
    /// Whether the object a comment would reference exists (prompts are not checked).
    async fn comment_object_exists(
        &self,
        project: &ProjectId,
        object_type: CommentObjectType,
        object_id: &str,
    ) -> StoreResult<bool>;
}
