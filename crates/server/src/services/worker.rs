//! The workers: one task per process claims due jobs (evaluations, data retention, the
//! queue's housekeeping) with a lease and runs up to `concurrency` of them at once, each within
//! a time budget shorter than its lease. A job whose worker dies is claimed again when its
//! lease runs out; its effects are idempotent (deterministic execution and score ids; deletes
//! by age), so it happens once however often it runs. Every [`SCHEDULE_EVERY`] the loop also
//! enqueues the day's retention and prune jobs (`services/retention.rs`).

use std::sync::Arc;
use std::time::Duration;

use sightline_domain::time::now_ms;
use sightline_store::Job;
use tokio::sync::Semaphore;

use crate::services::batch_actions::{self, BATCH_ACTION_JOB};
use crate::services::blob_integrations::{self, BLOB_EXPORT_JOB};
use crate::services::evals::execute::{self, Outcome, RetryPolicy};
use crate::services::evals::trigger::{self, BackfillPayload, TriggerPayload};
use crate::services::evals::{BACKFILL_JOB, EXECUTE_JOB, EvalError, TRIGGER_JOB};
use crate::services::exports::{self, EXPORT_JOB};
use crate::services::retention::{self, PRUNE_JOB, RETENTION_JOB};
use crate::state::AppState;

/// Every kind of job the workers run.
pub const JOB_KINDS: [&str; 8] = [
    TRIGGER_JOB,
    BACKFILL_JOB,
    EXECUTE_JOB,
    RETENTION_JOB,
    PRUNE_JOB,
    EXPORT_JOB,
    BLOB_EXPORT_JOB,
    BATCH_ACTION_JOB,
];

/// How often a worker loop enqueues the day's scheduled jobs (deduplicated per day).
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once by this process.
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs (it is also woken when this process
    /// enqueues some).
    pub poll: Duration,
    /// How long a claimed job belongs to this worker; its run is cut off before that.
    pub lease: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 4,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(120),
            retry: RetryPolicy::default(),
        }
    }
}

/// Starts the workers; they stop when the state begins shutting down.
pub fn spawn(state: AppState, config: WorkerConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(state, config))
}

async fn run(state: AppState, config: WorkerConfig) {
    let owner = format!("worker-{}", uuid::Uuid::new_v4());
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let lease_ms = i64::try_from(config.lease.as_millis()).unwrap_or(i64::MAX);
    tracing::info!(owner = %owner, concurrency = config.concurrency, "job workers started");
    let mut scheduled: Option<std::time::Instant> = None;
    let mut integrations_scheduled: Option<std::time::Instant> = None;
    while !state.is_shutting_down() {
        if integrations_scheduled.is_none_or(|at| at.elapsed() >= blob_integrations::SCHEDULE_EVERY)
        {
            if let Err(error) = blob_integrations::schedule(&state, now_ms()).await {
                tracing::warn!(%error, "cannot enqueue blob storage exports");
            }
            integrations_scheduled = Some(std::time::Instant::now());
        }
        if scheduled.is_none_or(|at| at.elapsed() >= SCHEDULE_EVERY) {
            if let Err(error) = retention::schedule(&state, now_ms()).await {
                tracing::warn!(%error, "cannot enqueue the day's scheduled jobs");
            }
            scheduled = Some(std::time::Instant::now());
        }
        let free = slots.available_permits();
        if free == 0 {
            let _ = slots.clone().acquire_owned().await;
            continue;
        }
        let claimed = state
            .store()
            .metadata()
            .claim_jobs(&JOB_KINDS, &owner, now_ms(), lease_ms, free as u64)
            .await;
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(%error, "cannot claim jobs");
                tokio::time::sleep(config.poll).await;
                continue;
            }
        };
        if jobs.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
                _ = state.eval_triggers().woken() => {}
            }
            continue;
        }
        for job in jobs {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let state = state.clone();
            let owner = owner.clone();
            let config = config.clone();
            tokio::spawn(async move {
                run_job(&state, &owner, &config, job).await;
                drop(permit);
            });
        }
    }
}

async fn run_job(state: &AppState, owner: &str, config: &WorkerConfig, job: Job) {
    let budget = config
        .lease
        .saturating_sub(Duration::from_secs(5))
        .max(Duration::from_secs(1));
    let result = tokio::time::timeout(budget, dispatch(state, config, &job)).await;
    let jobs = state.store().metadata();
    let now = now_ms();
    let stored = match result {
        Ok(Ok(Outcome::Done)) => jobs.complete_job(&job.id, owner, now).await,
        Ok(Ok(Outcome::Retry { at, error })) => {
            jobs.fail_job(&job.id, owner, &error, Some(at), now).await
        }
        Ok(Err(error)) => {
            // A store outage or a bug: retried with exponential backoff until the job is dead.
            tracing::warn!(job = %job.id, kind = %job.kind, %error, "job failed");
            let backoff = 1000i64 << job.attempts.clamp(0, 10);
            jobs.fail_job(&job.id, owner, &error.to_string(), Some(now + backoff), now)
                .await
        }
        Err(_) => {
            tracing::warn!(job = %job.id, kind = %job.kind, "job ran out of time");
            jobs.fail_job(
                &job.id,
                owner,
                "the job ran out of time",
                Some(now + 1000),
                now,
            )
            .await
        }
    };
    if let Err(error) = stored {
        tracing::warn!(job = %job.id, %error, "cannot record the job's end");
    }
}

async fn dispatch(
    state: &AppState,
    config: &WorkerConfig,
    job: &Job,
) -> Result<Outcome, EvalError> {
    if job.kind == PRUNE_JOB {
        retention::prune(state, now_ms()).await?;
        return Ok(Outcome::Done);
    }
    let Some(project) = job.project_id.clone() else {
        return Ok(Outcome::Done);
    };
    let bad_payload = |e: serde_json::Error| {
        crate::services::evals::invalid("invalid_body", format!("job payload: {e}"))
    };
    match job.kind.as_str() {
        TRIGGER_JOB => {
            let payload: TriggerPayload =
                serde_json::from_value(job.payload.clone()).map_err(bad_payload)?;
            trigger::run_trigger(state, &project, payload).await?;
            Ok(Outcome::Done)
        }
        BACKFILL_JOB => {
            let payload: BackfillPayload =
                serde_json::from_value(job.payload.clone()).map_err(bad_payload)?;
            trigger::run_backfill(state, &project, payload).await?;
            Ok(Outcome::Done)
        }
        RETENTION_JOB => {
            retention::run(state, &project, now_ms()).await?;
            Ok(Outcome::Done)
        }
        BATCH_ACTION_JOB => {
            let id = job
                .payload
                .get("actionId")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            batch_actions::run(state, &project, &id).await?;
            Ok(Outcome::Done)
        }
        BLOB_EXPORT_JOB => {
            blob_integrations::run(state, &project).await?;
            Ok(Outcome::Done)
        }
        EXPORT_JOB => {
            let id = job
                .payload
                .get("exportId")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            exports::run(state, &project, &id).await?;
            Ok(Outcome::Done)
        }
        EXECUTE_JOB => {
            let id = job
                .payload
                .get("executionId")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            execute::run(state, &project, &id, job.attempts, &config.retry).await
        }
        _ => Ok(Outcome::Done),
    }
}
