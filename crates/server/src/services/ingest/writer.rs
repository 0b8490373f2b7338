//! The group-commit writer: one task per process takes the ingestion writes of concurrent
//! requests and commits them together in one transaction, then answers each request. A request
//! is acknowledged only after its data is committed, so an acknowledged event is durable and
//! readable at once.
//!
//! Memory is bounded: each queued write holds permits worth its payload size from a fixed budget;
//! when the budget is spent, [`IngestWriter::submit`] fails with [`SubmitError::Busy`] at once
//! and the API answers 429 or 503 with `Retry-After`, so clients back off.

use std::sync::Arc;

use sightline_domain::time::{Millis, now_ms};
use sightline_store::{Store, StoreError, StoreResult};

use super::IngestionWrite;
use super::fold;
use super::rules::Rules;
use crate::services::evals::trigger::EvalTriggers;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Most requests committed in one transaction.
const MAX_GROUP: usize = 256;

/// A queued write holds about this many times its wire size (parsed values, column text).
const MEMORY_PER_WIRE_BYTE: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the ingestion queue is full")]
    Busy,
    #[error("the ingestion writer has stopped")]
    Stopped,
    #[error("write failed: {0}")]
    Failed(#[source] StoreError),
}

struct Job {
    write: IngestionWrite,
    reply: oneshot::Sender<Result<(), StoreError>>,
    _permit: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub struct IngestWriter {
    jobs: mpsc::UnboundedSender<Job>,
    budget: Arc<Semaphore>,
    budget_kib: u32,
}

impl IngestWriter {
    /// Starts the writer task. `budget_bytes` bounds the payload waiting to be committed.
    pub fn spawn(
        store: Store,
        rules: Arc<Rules>,
        triggers: Arc<EvalTriggers>,
        budget_bytes: usize,
    ) -> Self {
        let budget_kib = u32::try_from(budget_bytes / 1024)
            .unwrap_or(u32::MAX)
            .max(1);
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(queue, store, rules, triggers));
        IngestWriter {
            jobs,
            budget: Arc::new(Semaphore::new(budget_kib as usize)),
            budget_kib,
        }
    }

    /// Queues `write` (about `size_bytes` of payload) and waits until it is committed.
    pub async fn submit(
        &self,
        write: IngestionWrite,
        size_bytes: usize,
    ) -> Result<(), SubmitError> {
        if write.is_empty() {
            return Ok(());
        }
        let kib = u32::try_from(size_bytes.saturating_mul(MEMORY_PER_WIRE_BYTE) / 1024 + 1)
            .unwrap_or(u32::MAX)
            .min(self.budget_kib);
        let permit = self
            .budget
            .clone()
            .try_acquire_many_owned(kib)
            .map_err(|_| SubmitError::Busy)?;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                write,
                reply,
                _permit: permit,
            })
            .map_err(|_| SubmitError::Stopped)?;
        answer
            .await
            .map_err(|_| SubmitError::Stopped)?
            .map_err(SubmitError::Failed)
    }
}

async fn run(
    mut queue: mpsc::UnboundedReceiver<Job>,
    store: Store,
    rules: Arc<Rules>,
    triggers: Arc<EvalTriggers>,
) {
    let mut versions = Versions::default();
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let context = Context {
            store: &store,
            rules: rules.as_ref(),
            triggers: triggers.as_ref(),
        };
        commit_group(&context, &mut versions, jobs).await;
    }
}

/// The versions the writer gives its writes: the time in milliseconds, made to grow strictly.
#[derive(Default)]
struct Versions {
    last: Millis,
}

impl Versions {
    fn next(&mut self) -> Millis {
        self.last = now_ms().max(self.last + 1);
        self.last
    }
}

/// What a group commit uses.
struct Context<'a> {
    store: &'a Store,
    rules: &'a Rules,
    triggers: &'a EvalTriggers,
}

/// Folds and commits the writes' events, then the experiment runs they name (metadata store),
/// then the evaluation triggers of live rules (`services/evals/trigger.rs`). A request is
/// answered only after all three: acknowledged means committed, readable and seen by the
/// evaluation rules.
async fn commit_writes(
    context: &Context<'_>,
    version: Millis,
    writes: &mut [IngestionWrite],
) -> StoreResult<()> {
    let store = context.store;
    fold::commit(store.events(), context.rules, writes, version).await?;
    for write in writes.iter().filter(|write| !write.experiments.is_empty()) {
        store
            .metadata()
            .write_experiment_links(&write.project_id, &write.experiments)
            .await?;
    }
    context.triggers.after_commit(store, writes).await
}

async fn commit_group(context: &Context<'_>, versions: &mut Versions, jobs: Vec<Job>) {
    let (store, rules) = (context.store, context.rules);
    let started = std::time::Instant::now();
    // Permits stay held (inside `waiting`) until each request has its answer.
    let (mut writes, waiting): (Vec<IngestionWrite>, Vec<_>) = jobs
        .into_iter()
        .map(|job| (job.write, (job.reply, job._permit)))
        .unzip();
    if let Err(error) = rules
        .prepare(store.metadata(), fold::projects(&writes))
        .await
    {
        // Price with the models cached so far; the write below reports a database outage.
        tracing::warn!(%error, "cannot load project models");
    }
    let spans: usize = writes
        .iter()
        .map(|w| w.observations.len() + w.encoded_observations.len())
        .sum();
    let events: usize = writes.iter().map(|w| w.events.len()).sum();
    match commit_writes(context, versions.next(), &mut writes).await {
        Ok(()) => {
            // The bench reads these lines for the writer's busy time and group sizes.
            tracing::debug!(
                requests = writes.len(),
                spans,
                events,
                duration_ms = started.elapsed().as_secs_f64() * 1000.0,
                "ingestion group committed"
            );
            for (reply, _permit) in waiting {
                let _ = reply.send(Ok(()));
            }
        }
        Err(error) if writes.len() > 1 => {
            // One bad write must not fail the others: commit each on its own.
            tracing::warn!(%error, requests = writes.len(), "group commit failed; retrying one by one");
            for (write, (reply, _permit)) in writes.iter_mut().zip(waiting) {
                let version = versions.next();
                let result = commit_writes(context, version, std::slice::from_mut(write)).await;
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            if let Some((reply, _permit)) = waiting.into_iter().next() {
                let _ = reply.send(Err(error));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sightline_domain::ingest::ScorePatch;
    use sightline_store::testing::TestDb;

    use super::*;
    use crate::services::identity;

    fn score(id: &str) -> ScorePatch {
        sightline_store::testing::score_row(id, "t", "q", 1.0, 0)
    }

    #[tokio::test]
    async fn a_spent_budget_turns_writes_away_and_committed_writes_are_readable() {
        let db = TestDb::sqlite().await;
        let org = identity::create_organization(&db.store, None, "o")
            .await
            .unwrap();
        let project = identity::create_project(&db.store, &org.id, None, "p", None)
            .await
            .unwrap();
        let writer = IngestWriter::spawn(
            db.store.clone(),
            Arc::new(Rules::new()),
            Arc::default(),
            4 * 1024,
        );

        let mut write = IngestionWrite::new(project.id.clone());
        write.scores.push(score("s1"));
        writer.submit(write.clone(), 100).await.unwrap();
        let stored = db.store.events().score(&project.id, "s1").await.unwrap();
        assert!(stored.is_some(), "acknowledged means committed");

        let held = writer.budget.clone().try_acquire_many_owned(4).unwrap();
        let busy = writer.submit(write.clone(), 100).await;
        assert!(matches!(busy, Err(SubmitError::Busy)), "{busy:?}");
        drop(held);
        writer.submit(write, 100).await.unwrap();
    }
}
