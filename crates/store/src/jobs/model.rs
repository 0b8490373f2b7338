//! Job records: what is enqueued ([`NewJob`]) and what is stored ([`Job`]).

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub project_id: Option<ProjectId>,
    /// What to do (`evaluation`, `export`, …): workers claim the kinds they run.
    pub kind: String,
    pub payload: Value,
    /// The same key enqueued again is one job (an effect that must happen once).
    pub dedupe_key: Option<String>,
    pub max_attempts: i64,
    /// Not before this time (a delay, or a retry's backoff).
    pub run_after: Millis,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub project_id: Option<ProjectId>,
    pub kind: String,
    pub payload: Value,
    pub dedupe_key: Option<String>,
    pub status: JobStatus,
    /// Claims so far, this one included while running.
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_after: Millis,
    pub lease_owner: Option<String>,
    pub lease_until: Option<Millis>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

pub(super) const JOB_COLUMNS: &str = "id, project_id, kind, payload, dedupe_key, status, attempts, \
    max_attempts, run_after, lease_owner, lease_until, last_error, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct JobSqlRow {
    id: String,
    project_id: Option<String>,
    kind: String,
    payload: String,
    dedupe_key: Option<String>,
    status: String,
    attempts: i64,
    max_attempts: i64,
    run_after: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<JobSqlRow> for Job {
    type Error = StoreError;

    fn try_from(row: JobSqlRow) -> StoreResult<Self> {
        Ok(Job {
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| StoreError::Corrupt(format!("stored job payload: {e}")))?,
            status: JobStatus::parse(&row.status).ok_or_else(|| {
                StoreError::Corrupt(format!("stored job status '{}'", row.status))
            })?,
            project_id: row.project_id.map(ProjectId::from_trusted),
            id: row.id,
            kind: row.kind,
            dedupe_key: row.dedupe_key,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            run_after: row.run_after,
            lease_owner: row.lease_owner,
            lease_until: row.lease_until,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
