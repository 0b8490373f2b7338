//! Scores that name a score config are checked against it (name, data type, range, category)
//! before they are written, whichever route they came by.

use sightline_domain::ProjectId;
use sightline_domain::ingest::ScorePatch;
use sightline_store::{Store, StoreResult};

/// Why a score was refused: the status Langfuse answers with, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRejection {
    pub status: u16,
    pub message: String,
}

/// Checks each score that has a `configId` against its config (and gives categorical scores
/// their category's value); scores without one pass unchanged.
pub async fn apply_configs(
    store: &Store,
    project: &ProjectId,
    scores: Vec<ScorePatch>,
) -> StoreResult<Vec<Result<ScorePatch, ScoreRejection>>> {
    let mut ids: Vec<String> = scores
        .iter()
        .filter_map(|score| score.config_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let configs = if ids.is_empty() {
        Vec::new()
    } else {
        store.metadata().score_configs_by_id(project, &ids).await?
    };
    Ok(scores
        .into_iter()
        .map(|mut score| {
            if let Some(id) = &score.config_id {
                let config = configs.iter().find(|config| &config.id == id).ok_or_else(|| ScoreRejection {
                    status: 404,
                    message: "The configId you provided does not match a valid config in this project".into(),
                })?;
                config
                    .apply_to(&mut score)
                    .map_err(|message| ScoreRejection { status: 400, message })?;
            }
            Ok(score)
        })
        .collect())
}
