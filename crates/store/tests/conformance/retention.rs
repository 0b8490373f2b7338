//! Data retention's deletes (`delete_older_than`): exactly the traces, observations and scores
//! older than the cutoff go, batch by batch, with their payloads; newer rows, other projects
//! and the hourly rollups of what stays are untouched; old finished jobs are pruned.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_store::testing::{
    BackendTest, TestDb, backend_test, observation_row, put_rows, score_row, trace_row,
};
use sightline_store::{EventRows, NewJob, ScoreQuery, Store, TraceQuery};

use super::{new_project, org_and_project};

const DAY: i64 = 24 * 3600 * 1000;
const NOW: i64 = 1_800_000_000_000;

async fn seed(store: &Store, project: &ProjectId, prefix: &str) {
    let mut rows = EventRows::default();
    for (name, at) in [
        ("old", NOW - 10 * DAY),
        ("edge", NOW - 3 * DAY),
        ("new", NOW - DAY),
    ] {
        let trace = format!("{prefix}{name}");
        rows.traces.push(trace_row(&trace, at));
        for i in 0..3 {
            rows.observations
                .push(observation_row(&trace, &format!("{trace}-o{i}"), at + i));
        }
        rows.scores
            .push(score_row(&format!("{trace}-s"), &trace, "q", 1.0, at));
    }
    // A new observation of an old trace stays (observations go by their own start time).
    rows.observations.push(observation_row(
        &format!("{prefix}old"),
        &format!("{prefix}late"),
        NOW - DAY,
    ));
    put_rows(store, project, rows).await;
}

async fn ids(store: &Store, project: &ProjectId) -> (Vec<String>, usize, usize) {
    let query = TraceQuery {
        limit: 100,
        ..TraceQuery::default()
    };
    let (traces, _) = store.events().list_traces(project, &query).await.unwrap();
    let mut names: Vec<String> = traces.into_iter().map(|t| t.row.id).collect();
    names.sort();
    let (observations, _) = store
        .events()
        .list_observations(project, &Default::default(), 100, 0)
        .await
        .unwrap();
    let query = ScoreQuery {
        limit: 100,
        ..ScoreQuery::default()
    };
    let (scores, _) = store.events().list_scores(project, &query).await.unwrap();
    (names, observations.len(), scores.len())
}

async fn retention_deletes_exactly_what_is_older(db: TestDb) {
    let store: &Store = &db.store;
    let (org, project) = org_and_project(store).await;
    seed(store, &project, "").await;
    let other = store
        .metadata()
        .insert_project(&new_project(&org, "other"))
        .await
        .unwrap()
        .id;
    seed(store, &other, "x-").await;
    let cutoff = NOW - 3 * DAY;
    // Batches of 2: the 1 old trace, 3 old observations and 1 old score take several calls.
    let mut rounds = 0;
    loop {
        let deleted = store
            .events()
            .delete_older_than(&project, cutoff, 2)
            .await
            .unwrap();
        if deleted == 0 {
            break;
        }
        assert!(deleted <= 6, "at most the limit of each kind");
        rounds += 1;
    }
    assert!(rounds >= 2, "{rounds}");
    let (traces, observations, scores) = ids(store, &project).await;
    assert_eq!(traces, ["edge", "new"], "the trace at the cutoff stays");
    assert_eq!(observations, 3 + 3 + 1, "edge, new and the late one");
    assert_eq!(scores, 2);
    let late = store.events().observation(&project, "late").await.unwrap();
    assert_eq!(late.unwrap().row.output, Some(json!({"answer": 42})));
    assert!(
        store
            .events()
            .observation(&project, "old-o0")
            .await
            .unwrap()
            .is_none()
    );
    let (other_traces, other_observations, other_scores) = ids(store, &other).await;
    assert_eq!(other_traces.len(), 3, "another project keeps everything");
    assert_eq!((other_observations, other_scores), (10, 3));
}

async fn old_finished_jobs_are_pruned(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let jobs = store.metadata();
    let job = |id: &str| NewJob {
        id: id.into(),
        project_id: Some(project.clone()),
        kind: "k".into(),
        payload: json!({}),
        dedupe_key: None,
        max_attempts: 1,
        run_after: 0,
        created_at: 0,
    };
    jobs.enqueue_jobs(&[job("done"), job("dead"), job("queued")])
        .await
        .unwrap();
    for id in ["done", "dead"] {
        let claimed = jobs
            .claim_jobs(&["k"], "w", 1_000, 60_000, 1)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let claimed = &claimed[0].id;
        if id == "done" {
            jobs.complete_job(claimed, "w", 1_000).await.unwrap();
        } else {
            jobs.fail_job(claimed, "w", "boom", None, 1_000)
                .await
                .unwrap();
        }
    }
    // Done jobs before 2,000 go; dead ones are kept until their own horizon.
    assert_eq!(jobs.prune_jobs(2_000, 500, 100).await.unwrap(), 1);
    assert_eq!(jobs.prune_jobs(2_000, 2_000, 100).await.unwrap(), 1);
    let (left, _) = jobs.list_jobs(&project, None, None, 10, 0).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "queued");
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "retention_deletes_exactly_what_is_older",
            retention_deletes_exactly_what_is_older,
        ),
        backend_test("old_finished_jobs_are_pruned", old_finished_jobs_are_pruned),
    ]
}
