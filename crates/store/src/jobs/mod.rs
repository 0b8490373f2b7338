//! The durable job queue ([`JobStore`], metadata store): jobs are rows, enqueued on their own
//! or, through `store::enqueue` on a transaction, in the same transaction as the change that
//! causes them (the evaluators issue wires that in), and claimed by workers with a lease — `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so replicas never claim the same job; one statement on SQLite, whose writes are
//! serialized. A job whose lease runs out (its worker died) is claimed again; a failed job is
//! retried after the delay its worker chooses until it runs out of attempts, then kept as dead
//! with its error. Effects must be idempotent: a job may run again after a lost lease.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::StoreResult;

mod model;
mod store;

pub use model::{Job, JobStatus, NewJob};
pub(crate) use store::enqueue;

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Enqueues the jobs; a job whose `dedupe_key` is already queued or was ever enqueued is
    /// left out. Returns how many were added.
    async fn enqueue_jobs(&self, jobs: &[NewJob]) -> StoreResult<u64>;
    /// Leases up to `limit` jobs of these kinds that are due at `now` (queued and past their
    /// `run_after`, or running with a lease that ran out) to `owner` until `now + lease_ms`,
    /// counting an attempt for each; oldest due first.
    async fn claim_jobs(
        &self,
        kinds: &[&str],
        owner: &str,
        now: Millis,
        lease_ms: i64,
        limit: u64,
    ) -> StoreResult<Vec<Job>>;
    /// Marks a job done; `false` when `owner` no longer holds its lease.
    async fn complete_job(&self, id: &str, owner: &str, now: Millis) -> StoreResult<bool>;
    /// Records a failure: the job is queued again at `retry_at` while it has attempts left
    /// (and `retry_at` is given), else dead with `error`. `false` when `owner` no longer holds
    /// its lease.
    async fn fail_job(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<bool>;
    async fn job(&self, id: &str) -> StoreResult<Option<Job>>;
    /// Deletes up to `limit` finished jobs: done ones last updated before `done_before`, dead
    /// ones before `dead_before`. Returns how many went.
    async fn prune_jobs(
        &self,
        done_before: Millis,
        dead_before: Millis,
        limit: u64,
    ) -> StoreResult<u64>;
    /// A project's jobs, newest first (of one kind and status when given), and the number of
    /// all that match.
    async fn list_jobs(
        &self,
        project: &ProjectId,
        kind: Option<&str>,
        status: Option<JobStatus>,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Job>, u64)>;
}
