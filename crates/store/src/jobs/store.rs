//! [`JobStore`] on the relational store. Claims are one `UPDATE … WHERE id IN (SELECT …)
//! RETURNING` statement, after a read that finds the queue not empty: on PostgreSQL the inner
//! select takes `FOR UPDATE SKIP LOCKED`, so concurrent claimers (replicas) skip each other's
//! rows; SQLite runs writes one at a time.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use super::model::{JOB_COLUMNS, JobSqlRow};
use super::{Job, JobStatus, JobStore, NewJob};
use crate::error::StoreResult;
use crate::sql::{Dialect, Sql, SqlStore, Tx};

fn insert(job: &NewJob) -> Sql {
    Sql::text(
        "INSERT INTO jobs (id, project_id, kind, payload, dedupe_key, status, attempts, \
           max_attempts, run_after, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $8, $8) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&job.id)
    .bind(job.project_id.as_ref().map(|p| p.as_str()))
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(&job.dedupe_key)
    .bind(job.max_attempts)
    .bind(job.run_after)
    .bind(job.created_at)
}

/// Enqueues jobs inside another module's transaction, so they commit (or not) with the change
/// that causes them. Returns how many were added (deduplicated ones are not).
pub(crate) async fn enqueue(tx: &mut Tx, jobs: &[NewJob]) -> StoreResult<u64> {
    let mut added = 0;
    for job in jobs {
        added += tx.execute(&insert(job)).await?;
    }
    Ok(added)
}

/// The condition on `jobs` of a job of one of `kinds` that can be claimed at `now`: queued and
/// due, or running on a lease that has run out.
fn claimable(sql: &mut Sql, kinds: &[&str], now: Millis) {
    sql.sql("kind IN (");
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            sql.sql(", ");
        }
        sql.arg(*kind);
    }
    sql.sql(") AND ((status = 'queued' AND run_after <= ")
        .arg(now)
        .sql(") OR (status = 'running' AND lease_until < ")
        .arg(now)
        .sql("))");
}

fn rows(rows: Vec<JobSqlRow>) -> StoreResult<Vec<Job>> {
    rows.into_iter().map(Job::try_from).collect()
}

#[async_trait]
impl JobStore for SqlStore {
    async fn enqueue_jobs(&self, jobs: &[NewJob]) -> StoreResult<u64> {
        let mut tx = self.db.begin().await?;
        let added = enqueue(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn claim_jobs(
        &self,
        kinds: &[&str],
        owner: &str,
        now: Millis,
        lease_ms: i64,
        limit: u64,
    ) -> StoreResult<Vec<Job>> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // A poll of an empty queue is answered by a read. The claim's UPDATE takes SQLite's
        // write lock even when it changes nothing, so every poll would queue behind the
        // ingestion writer (for seconds under sustained ingestion) and make it wait in turn.
        let mut probe = Sql::new();
        probe.sql("SELECT id FROM jobs WHERE ");
        claimable(&mut probe, kinds, now);
        probe.sql(" LIMIT 1");
        if self.db.fetch_optional::<(String,)>(&probe).await?.is_none() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new();
        sql.sql("UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ")
            .arg(owner)
            .sql(", lease_until = ")
            .arg(now + lease_ms)
            .sql(", updated_at = ")
            .arg(now)
            .sql(" WHERE id IN (SELECT id FROM jobs WHERE ");
        claimable(&mut sql, kinds, now);
        sql.sql(&format!(" ORDER BY run_after, id LIMIT {limit}"));
        if self.db.dialect() == Dialect::Postgres {
            sql.sql(" FOR UPDATE SKIP LOCKED");
        }
        sql.sql(&format!(") RETURNING {JOB_COLUMNS}"));
        let claimed: Vec<JobSqlRow> = self.db.fetch_all(&sql).await?;
        let mut jobs = rows(claimed)?;
        jobs.sort_by(|a, b| (a.run_after, &a.id).cmp(&(b.run_after, &b.id)));
        Ok(jobs)
    }

    async fn complete_job(&self, id: &str, owner: &str, now: Millis) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, \
             updated_at = $1 WHERE id = $2 AND status = 'running' AND lease_owner = $3",
        )
        .bind(now)
        .bind(id)
        .bind(owner);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn fail_job(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<bool> {
        // Queued again while attempts remain and a retry time is given; dead otherwise.
        let sql = Sql::text(
            "UPDATE jobs SET \
               status = CASE WHEN $1 >= 0 AND attempts < max_attempts THEN 'queued' ELSE 'dead' END, \
               run_after = CASE WHEN $1 >= 0 AND attempts < max_attempts THEN $1 ELSE run_after END, \
               lease_owner = NULL, lease_until = NULL, last_error = $2, updated_at = $3 \
             WHERE id = $4 AND status = 'running' AND lease_owner = $5",
        )
        .bind(retry_at.unwrap_or(-1))
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(owner);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn prune_jobs(
        &self,
        done_before: Millis,
        dead_before: Millis,
        limit: u64,
    ) -> StoreResult<u64> {
        let sql = Sql::text(format!(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE \
             (status = 'done' AND updated_at < $1) OR (status = 'dead' AND updated_at < $2) \
             LIMIT {limit})"
        ))
        .bind(done_before)
        .bind(dead_before);
        self.db.execute(&sql).await
    }

    async fn job(&self, id: &str) -> StoreResult<Option<Job>> {
        let sql = Sql::text(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")).bind(id);
        let row: Option<JobSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(Job::try_from).transpose()
    }

    async fn list_jobs(
        &self,
        project: &ProjectId,
        kind: Option<&str>,
        status: Option<JobStatus>,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Job>, u64)> {
        let condition = |sql: &mut Sql| {
            sql.sql(" WHERE project_id = ").arg(project.as_str());
            if let Some(kind) = kind {
                sql.sql(" AND kind = ").arg(kind);
            }
            if let Some(status) = status {
                sql.sql(" AND status = ").arg(status.as_str());
            }
        };
        let mut select = Sql::new();
        select.sql(&format!("SELECT {JOB_COLUMNS} FROM jobs"));
        condition(&mut select);
        select.sql(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ));
        let mut count = Sql::new();
        count.sql("SELECT COUNT(*) FROM jobs");
        condition(&mut count);
        let found: Vec<JobSqlRow> = self.db.fetch_all(&select).await?;
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((rows(found)?, total.max(0) as u64))
    }
}
