//! Comments on traces, observations, sessions and prompts (wire-spec §5.8), project-scoped:
//! metadata store ([`CommentStore`]). Whether a comment's trace, observation or session exists
//! is a read of the event store ([`CommentTargetStore`], in `targets.rs`); the server's comment
//! service composes the two.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod model;
mod store;
mod targets;

pub use model::{Comment, CommentObjectType, CommentQuery, CommentTarget};
pub use targets::CommentTargetStore;

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
    /// Whether the prompt version a comment would reference exists (a prompt comment names one
    /// version by its id). Traces, observations and sessions are event-store objects:
    /// [`CommentTargetStore::comment_target_exists`].
    async fn comment_prompt_exists(
        &self,
        project: &ProjectId,
        prompt_id: &str,
    ) -> StoreResult<bool>;
}
