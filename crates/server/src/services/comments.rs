//! Comments: what a new comment may be attached to. Prompts are metadata and traces,
//! observations and sessions are events, so the check asks whichever store holds the object.

use sightline_domain::ProjectId;
use sightline_store::{CommentObjectType, Store, StoreError};

/// Whether the object a comment would be attached to exists in the project (a prompt comment
/// names one prompt version by its id).
pub async fn comment_object_exists(
    store: &Store,
    project: &ProjectId,
    object_type: CommentObjectType,
    object_id: &str,
) -> Result<bool, StoreError> {
    match object_type.event_target() {
        Some(target) => {
            store
                .events()
                .comment_target_exists(project, target, object_id)
                .await
        }
        None => {
            store
                .metadata()
                .comment_prompt_exists(project, object_id)
                .await
        }
    }
}
