//! Trace deletion shared by the API and the UI: the traces with their observations, scores and
//! logged events (event store), then the media no remaining trace or dataset item references
//! (`features.md` §6.4).

use sightline_domain::ProjectId;
use sightline_store::StoreResult;

use crate::services::media::{self, MediaError};
use crate::state::AppState;

/// Deletes the traces; returns how many existed. A media object that cannot be removed from
/// blob storage is logged and left (its record stays for retention to retry).
pub async fn delete_traces(
    state: &AppState,
    project: &ProjectId,
    ids: &[String],
) -> StoreResult<u64> {
    let deleted = state.store().events().delete_traces(project, ids).await?;
    match media::forget_traces(state, project, ids).await {
        Ok(_) => {}
        Err(MediaError::Store(error)) => return Err(error),
        Err(error) => tracing::warn!(project = %project, %error, "media of deleted traces kept"),
    }
    Ok(deleted)
}
