//! The job queue (`JobStore`): deduplicated enqueues, claims that respect `run_after`, kinds
//! and leases, reclaim after a lost lease, completion and failure only by the lease holder,
//! retries until dead, concurrent claimers that never share a job, and jobs going with their
//! project.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{JobStatus, NewJob, Store};

use super::org_and_project;

fn job(project: &ProjectId, id: &str, kind: &str, run_after: i64) -> NewJob {
    NewJob {
        id: id.into(),
        project_id: Some(project.clone()),
        kind: kind.into(),
        payload: json!({"n": id}),
        dedupe_key: None,
        max_attempts: 2,
        run_after,
        created_at: 1_000,
    }
}

async fn jobs_are_claimed_leased_retried_and_finished(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let jobs = store.metadata();
    let mut first = job(&project, "j1", "evaluation", 1_000);
    first.dedupe_key = Some("score:t1:helpfulness".into());
    let mut again = job(&project, "j1-again", "evaluation", 1_000);
    again.dedupe_key = first.dedupe_key.clone();
    assert_eq!(
        jobs.enqueue_jobs(&[
            first,
            job(&project, "j2", "evaluation", 5_000),
            job(&project, "j3", "export", 1_000)
        ])
        .await
        .unwrap(),
        3
    );
    assert_eq!(
        jobs.enqueue_jobs(&[again]).await.unwrap(),
        0,
        "the same effect is one job"
    );

    // Only due jobs of the asked kinds, leased to the claimer with an attempt counted.
    let claimed = jobs
        .claim_jobs(&["evaluation"], "w1", 2_000, 1_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let j1 = &claimed[0];
    assert_eq!(
        (j1.id.as_str(), j1.status, j1.attempts),
        ("j1", JobStatus::Running, 1)
    );
    assert_eq!(j1.lease_owner.as_deref(), Some("w1"));
    assert_eq!(j1.lease_until, Some(3_000));
    assert_eq!(j1.payload, json!({"n": "j1"}));
    assert!(
        jobs.claim_jobs(&["evaluation"], "w2", 2_500, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The lease runs out (its worker died): another worker takes it, a second attempt.
    let reclaimed = jobs
        .claim_jobs(&["evaluation"], "w2", 3_001, 1_000, 10)
        .await
        .unwrap();
    assert_eq!(reclaimed.len(), 1);
    assert_eq!((reclaimed[0].id.as_str(), reclaimed[0].attempts), ("j1", 2));
    // Only the lease holder finishes it.
    assert!(!jobs.complete_job("j1", "w1", 3_100).await.unwrap());
    assert!(
        !jobs
            .fail_job("j1", "w1", "late", Some(9_000), 3_100)
            .await
            .unwrap()
    );
    // Out of attempts (2 of 2): a failure with a retry time is still dead, with its error.
    assert!(
        jobs.fail_job("j1", "w2", "provider down", Some(9_000), 3_200)
            .await
            .unwrap()
    );
    let dead = jobs.job("j1").await.unwrap().unwrap();
    assert_eq!(dead.status, JobStatus::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("provider down"));
    assert_eq!(dead.lease_owner, None);

    // A failure with attempts left is queued again at its retry time.
    let j2 = jobs
        .claim_jobs(&["evaluation", "export"], "w1", 6_000, 1_000, 1)
        .await
        .unwrap();
    assert_eq!(j2[0].id, "j3", "oldest due first");
    let j2 = jobs
        .claim_jobs(&["evaluation"], "w1", 6_000, 1_000, 5)
        .await
        .unwrap();
    assert_eq!(j2[0].id, "j2");
    assert!(
        jobs.fail_job("j2", "w1", "rate limited", Some(8_000), 6_100)
            .await
            .unwrap()
    );
    let retried = jobs.job("j2").await.unwrap().unwrap();
    assert_eq!(
        (retried.status, retried.run_after),
        (JobStatus::Queued, 8_000)
    );
    assert!(
        jobs.claim_jobs(&["evaluation"], "w1", 7_999, 1_000, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let j2 = jobs
        .claim_jobs(&["evaluation"], "w1", 8_000, 1_000, 5)
        .await
        .unwrap();
    assert_eq!((j2[0].id.as_str(), j2[0].attempts), ("j2", 2));
    assert!(jobs.complete_job("j2", "w1", 8_100).await.unwrap());
    assert_eq!(
        jobs.job("j2").await.unwrap().unwrap().status,
        JobStatus::Done
    );
    assert!(
        jobs.claim_jobs(&["evaluation"], "w1", 99_000, 1_000, 5)
            .await
            .unwrap()
            .is_empty()
    );

    let (listed, total) = jobs
        .list_jobs(&project, Some("evaluation"), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(listed.len(), 2);
    let (dead_only, _) = jobs
        .list_jobs(&project, None, Some(JobStatus::Dead), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        dead_only.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        ["j1"]
    );
}

async fn concurrent_claimers_never_share_a_job(db: TestDb) {
    let store: Store = db.store.clone();
    let (_, project) = org_and_project(&store).await;
    let batch: Vec<NewJob> = (0..40)
        .map(|i| job(&project, &format!("c{i:02}"), "evaluation", 1_000))
        .collect();
    assert_eq!(store.metadata().enqueue_jobs(&batch).await.unwrap(), 40);
    let store = Arc::new(store);
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .metadata()
                    .claim_jobs(&["evaluation"], &owner, 2_000, 60_000, 3)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    break;
                }
                for job in claimed {
                    assert!(
                        store
                            .metadata()
                            .complete_job(&job.id, &owner, 2_001)
                            .await
                            .unwrap()
                    );
                    mine.push(job.id);
                }
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 40, "every job claimed once: {all:?}");
    assert_eq!(distinct.len(), 40);
}

async fn jobs_go_with_their_project(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let instance_wide = NewJob {
        project_id: None,
        ..job(&project, "global", "retention", 0)
    };
    store
        .metadata()
        .enqueue_jobs(&[job(&project, "p1", "export", 0), instance_wide])
        .await
        .unwrap();
    store.metadata().delete_project(&project).await.unwrap();
    assert!(store.metadata().job("p1").await.unwrap().is_none());
    assert!(store.metadata().job("global").await.unwrap().is_some());
}

/// Holds the database's write lock on a connection of its own (SQLite: a write transaction;
/// PostgreSQL: an `EXCLUSIVE` lock on `jobs`, which lets plain reads through), as the ingestion
/// writer does almost without pause under load. Dropping the connection lets go.
async fn hold_the_write_lock(url: &str) -> Box<dyn std::any::Any> {
    use sqlx::{Connection, Executor};
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        connection.execute("BEGIN IMMEDIATE").await.unwrap();
        Box::new(connection)
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        connection
            .execute("BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE")
            .await
            .unwrap();
        Box::new(connection)
    }
}

/// A poll of an empty (or not yet due) queue does not wait for the write lock: the workers poll
/// all the time, and each poll would otherwise queue behind the ingestion writer for seconds.
async fn an_empty_queue_is_polled_without_the_write_lock(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let jobs = store.metadata();
    jobs.enqueue_jobs(&[job(&project, "later", "evaluation", 50_000)])
        .await
        .unwrap();
    let held = hold_the_write_lock(&db.url).await;
    let polled = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        jobs.claim_jobs(&["evaluation", "export"], "w1", 2_000, 1_000, 10),
    )
    .await
    .expect("the poll waited for the write lock");
    assert!(polled.unwrap().is_empty());
    drop(held);
    let claimed = jobs
        .claim_jobs(&["evaluation"], "w1", 60_000, 1_000, 10)
        .await
        .unwrap();
    let ids: Vec<&str> = claimed.iter().map(|job| job.id.as_str()).collect();
    assert_eq!(ids, ["later"]);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "jobs_are_claimed_leased_retried_and_finished",
            jobs_are_claimed_leased_retried_and_finished,
        ),
        backend_test(
            "concurrent_claimers_never_share_a_job",
            concurrent_claimers_never_share_a_job,
        ),
        backend_test("jobs_go_with_their_project", jobs_go_with_their_project),
        backend_test(
            "an_empty_queue_is_polled_without_the_write_lock",
            an_empty_queue_is_polled_without_the_write_lock,
        ),
    ]
}
