//! `POST /api/public/ingestion` (and the legacy single-entity routes that wrap one event):
//! validate each event, commit the valid ones, report both (wire-spec §2.3).

use serde_json::Value;
use sightline_domain::ingest::batch::{EventError, EventKind, parse_batch};
use sightline_store::{Entity, LoggedEvent};

use super::{IngestError, IngestionWrite, ParseTurn};
use crate::auth::{AccessLevel, ApiCaller};
use crate::services::score_configs::apply_configs;
use crate::state::AppState;

/// What the 207 reply lists.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Event ids stored (or acknowledged without processing, like Langfuse).
    pub successes: Vec<String>,
    pub errors: Vec<EventError>,
}

/// Ingests a batch body. Returns after the valid events are committed; `turn` is given back
/// once the body is parsed, before the wait for the commit.
pub async fn ingest_batch(
    state: &AppState,
    caller: &ApiCaller,
    body: &Value,
    size_bytes: usize,
    turn: ParseTurn,
) -> Result<BatchOutcome, IngestError> {
    let events = parse_batch(body).map_err(|e| IngestError::Invalid(e.0))?;
    let mut outcome = BatchOutcome::default();
    let mut write = IngestionWrite::new(caller.project_id.clone());
    let mut scores = Vec::new();
    for event in events {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                outcome.errors.push(error);
                continue;
            }
        };
        if caller.access == AccessLevel::Scores && !matches!(event.kind, EventKind::Score(_)) {
            outcome.errors.push(EventError {
                id: event.event_id,
                status: 401,
                message: "Authentication error".into(),
                error: "Access Scope Denied".into(),
            });
            continue;
        }
        let logged = |entity, entity_id: &str| LoggedEvent {
            entity,
            entity_id: entity_id.to_owned(),
            event_id: event.event_id.clone(),
            event_type: event.event_type.clone(),
            timestamp: event.timestamp,
            body: event.body.clone(),
        };
        match &event.kind {
            EventKind::Trace(patch) => write.events.push(logged(Entity::Trace, &patch.id)),
            EventKind::Observation { patch, .. } => {
                write.events.push(logged(Entity::Observation, &patch.id));
            }
            EventKind::Score(score) => {
                // Checked against its config below, before it counts as a success.
                scores.push((event.event_id.clone(), score.clone()));
                continue;
            }
            EventKind::SdkLog => {
                tracing::debug!("sdk-log event received");
                continue;
            }
            EventKind::Ignored => {}
        }
        outcome.successes.push(event.event_id);
    }
    let (event_ids, patches): (Vec<String>, Vec<_>) = scores.into_iter().unzip();
    let checked = apply_configs(state.store(), &caller.project_id, patches)
        .await
        .map_err(|e| IngestError::Failed(super::writer::SubmitError::Failed(e)))?;
    for (event_id, checked) in event_ids.into_iter().zip(checked) {
        match checked {
            Ok(score) => {
                write.scores.push(score);
                outcome.successes.push(event_id);
            }
            Err(rejection) => outcome.errors.push(EventError {
                id: event_id,
                status: rejection.status,
                message: "Invalid request data".into(),
                error: rejection.message,
            }),
        }
    }
    drop(turn);
    state
        .writer()
        .submit(write, size_bytes)
        .await
        .map_err(IngestError::from)?;
    Ok(outcome)
}
