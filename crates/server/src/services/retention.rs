//! Data retention (`features.md` §6.3) and the queue's own housekeeping, run as jobs. Once a
//! day (UTC), the first worker to look enqueues one `retention` job per project whose retention
//! is set (deduplicated by project and day, so replicas enqueue it once) and one
//! `jobs.prune` job. A retention job re-reads the project's setting and deletes what is older
//! than it — traces by timestamp, observations by start time, scores by timestamp, with their
//! payloads and logged events; rollups and counters follow by trigger; then media created
//! before the cutoff, objects and records, and the project's audit entries — in batches of
//! [`BATCH`] per kind, each its own short transaction, followed by a pause of three times the
//! batch's own duration and at least [`MIN_PAUSE`]: ingestion keeps the database at least
//! three quarters of the time, and on SQLite the event writer, whose busy handler retries
//! every 100 ms when it has waited a while, always gets its turn. Prompts, datasets and other metadata are kept. The prune job
//! deletes done jobs after [`KEEP_DONE_MS`] and dead ones after [`KEEP_DEAD_MS`].

use std::time::Duration;

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;
use sightline_store::{NewJob, Store, StoreResult};

use crate::services::media::{self, MediaError};
use crate::state::AppState;

pub const RETENTION_JOB: &str = "retention";
pub const PRUNE_JOB: &str = "jobs.prune";
/// Rows of each kind deleted per transaction.
pub const BATCH: u64 = 500;
/// The shortest pause between batches: longer than SQLite's busy handler's longest sleep.
const MIN_PAUSE: Duration = Duration::from_millis(150);
/// A pause is this many times the batch's own duration.
const PAUSE_FACTOR: u32 = 3;

/// The pause after a batch that took `took`.
fn pause(took: Duration) -> Duration {
    (took * PAUSE_FACTOR).max(MIN_PAUSE)
}
pub const DAY_MS: i64 = 24 * 3600 * 1000;
pub const KEEP_DONE_MS: i64 = 7 * DAY_MS;
pub const KEEP_DEAD_MS: i64 = 30 * DAY_MS;

/// The UTC day of `at`: days since the Unix epoch.
fn day(at: Millis) -> i64 {
    at.div_euclid(DAY_MS)
}

fn job(kind: &str, project: Option<&ProjectId>, key: String, now: Millis) -> NewJob {
    NewJob {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project.cloned(),
        kind: kind.to_owned(),
        payload: json!({}),
        dedupe_key: Some(key),
        max_attempts: 10,
        run_after: now,
        created_at: now,
    }
}

/// Enqueues today's retention jobs (one per project with a retention) and the prune job,
/// unless they were enqueued today already; returns how many were new.
pub async fn schedule(state: &AppState, now: Millis) -> StoreResult<u64> {
    let metadata = state.store().metadata();
    let today = day(now);
    let mut jobs = vec![job(PRUNE_JOB, None, format!("prune:{today}"), now)];
    for project in metadata.list_projects(None).await? {
        if project.retention_days.is_some_and(|days| days > 0) {
            let key = format!("retention:{}:{today}", project.id.as_str());
            jobs.push(job(RETENTION_JOB, Some(&project.id), key, now));
        }
    }
    let added = metadata.enqueue_jobs(&jobs).await?;
    if added > 0 {
        state.eval_triggers().wake();
    }
    Ok(added)
}

/// Enqueues a retention job for the project now, beside the daily one (`sightline admin
/// project apply-retention`).
pub async fn enqueue_now(store: &Store, project: &ProjectId, now: Millis) -> StoreResult<()> {
    let mut now_job = job(RETENTION_JOB, Some(project), String::new(), now);
    now_job.dedupe_key = None;
    store.metadata().enqueue_jobs(&[now_job]).await?;
    Ok(())
}

/// Deletes what is older than the project's retention, batch by batch; returns the rows
/// deleted. Nothing happens when the project has no retention (any more).
pub async fn run(state: &AppState, project: &ProjectId, now: Millis) -> StoreResult<u64> {
    let Some(found) = state.store().metadata().project(project).await? else {
        return Ok(0);
    };
    let Some(days) = found.project.retention_days.filter(|days| *days > 0) else {
        return Ok(0);
    };
    let cutoff = now - days * DAY_MS;
    let mut deleted = 0;
    loop {
        let started = std::time::Instant::now();
        let batch = state
            .store()
            .events()
            .delete_older_than(project, cutoff, BATCH)
            .await?;
        deleted += batch;
        if batch == 0 {
            break;
        }
        tokio::time::sleep(pause(started.elapsed())).await;
    }
    loop {
        let started = std::time::Instant::now();
        let batch = match media::delete_older_than(state, project, cutoff, BATCH).await {
            Ok(batch) => batch,
            Err(MediaError::Store(error)) => return Err(error),
            Err(error) => {
                tracing::warn!(project = %project, %error, "retention kept media it could not delete");
                break;
            }
        };
        deleted += batch;
        if batch == 0 {
            break;
        }
        tokio::time::sleep(pause(started.elapsed())).await;
    }
    loop {
        let batch = state
            .store()
            .metadata()
            .delete_audit_entries_before(project, cutoff, BATCH)
            .await?;
        deleted += batch;
        if batch < BATCH {
            break;
        }
        tokio::time::sleep(MIN_PAUSE).await;
    }
    tracing::info!(project = %project, days, deleted, "retention applied");
    Ok(deleted)
}

/// Deletes old finished jobs, batch by batch, and the files of expired exports; returns how
/// many jobs went.
pub async fn prune(state: &AppState, now: Millis) -> StoreResult<u64> {
    crate::services::exports::delete_expired(state, now).await?;
    let mut pruned = 0;
    loop {
        let batch = state
            .store()
            .metadata()
            .prune_jobs(now - KEEP_DONE_MS, now - KEEP_DEAD_MS, BATCH)
            .await?;
        pruned += batch;
        if batch < BATCH {
            return Ok(pruned);
        }
        tokio::time::sleep(MIN_PAUSE).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_days() {
        assert_eq!(day(0), 0);
        assert_eq!(day(DAY_MS - 1), 0);
        assert_eq!(day(DAY_MS), 1);
    }
}
