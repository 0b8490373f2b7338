//! Batch actions (`features.md` §6.4): large changes that run as jobs, with their progress. The
//! one action today is deleting every trace a traces table's filters match ("select all" in
//! Langfuse): the job deletes them 500 at a time through the same path as any trace delete
//! (observations, scores, media and tombstones included), recording how many went after each
//! batch, so the settings page shows its progress.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::time::now_ms;
use sightline_store::{BatchAction, ExportStatus, NewJob, StoreError, StoreResult, TraceQuery};

use crate::state::AppState;

pub const BATCH_ACTION_JOB: &str = "batch_action.run";
pub const TRACE_DELETE: &str = "trace-delete";
/// Traces deleted per batch.
pub const BATCH: u64 = 500;

/// Queues the deletion of every trace `query` matches; the job starts at once.
pub async fn delete_traces(
    state: &AppState,
    project: &ProjectId,
    user_id: Option<&str>,
    query: &TraceQuery,
) -> StoreResult<BatchAction> {
    let now = now_ms();
    let mut counting = query.clone();
    counting.limit = 1;
    counting.offset = 0;
    let (_, total) = state
        .store()
        .events()
        .list_traces(project, &counting)
        .await?;
    let action = BatchAction {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project.clone(),
        user_id: user_id.map(str::to_owned),
        kind: TRACE_DELETE.to_owned(),
        query: serde_json::to_string(query).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: ExportStatus::Queued,
        total: i64::try_from(total).unwrap_or(i64::MAX),
        processed: 0,
        log: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    let job = NewJob {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: Some(project.clone()),
        kind: BATCH_ACTION_JOB.to_owned(),
        payload: json!({ "actionId": action.id }),
        dedupe_key: Some(format!("batch-action:{}", action.id)),
        max_attempts: 5,
        run_after: now,
        created_at: now,
    };
    state
        .store()
        .metadata()
        .create_batch_action(&action, &job)
        .await?;
    state.eval_triggers().wake();
    Ok(action)
}

/// Runs the action; a failure of the store is recorded and returned (the job retries and goes
/// on where it stopped: deleted traces no longer match).
pub async fn run(state: &AppState, project: &ProjectId, id: &str) -> StoreResult<()> {
    let metadata = state.store().metadata();
    let Some(mut action) = metadata.batch_action(project, id).await? else {
        return Ok(());
    };
    if action.status == ExportStatus::Completed {
        return Ok(());
    }
    let mut query: TraceQuery =
        serde_json::from_str(&action.query).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    query.limit = BATCH;
    query.offset = 0;
    action.status = ExportStatus::Processing;
    action.updated_at = now_ms();
    metadata.update_batch_action(&action).await?;
    loop {
        let outcome = async {
            let traces = state
                .store()
                .events()
                .select_traces(project, &query)
                .await?;
            let ids: Vec<String> = traces.into_iter().map(|t| t.row.id).collect();
            crate::services::traces::delete_traces(state, project, &ids).await?;
            Ok::<usize, StoreError>(ids.len())
        }
        .await;
        match outcome {
            Ok(0) => break,
            Ok(deleted) => {
                action.processed += deleted as i64;
                action.total = action.total.max(action.processed);
                action.updated_at = now_ms();
                metadata.update_batch_action(&action).await?;
            }
            Err(error) => {
                action.log = Some(error.to_string());
                action.updated_at = now_ms();
                metadata.update_batch_action(&action).await?;
                return Err(error);
            }
        }
    }
    let now = now_ms();
    action.status = ExportStatus::Completed;
    action.log = None;
    action.finished_at = Some(now);
    action.updated_at = now;
    metadata.update_batch_action(&action).await?;
    tracing::info!(project = %project, action = %action.id, deleted = action.processed, "batch trace delete finished");
    Ok(())
}
