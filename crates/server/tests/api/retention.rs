//! Data retention as clients see it: with a retention of 3 days, back-dated traces,
//! observations and scores older than that disappear from every read API (and from the daily
//! metrics the rollups answer), newer ones stay; the day's jobs are enqueued once; the workers
//! run them. Reference: `features.md` §6.3 (Langfuse's `worker/src/ee/dataRetention`).

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::time::{now_ms, to_iso};
use sightline_domain::{OrgId, ProjectId};
use sightline_server::services::retention::{self, DAY_MS};
use sightline_server::services::worker::{self, WorkerConfig};
use sightline_store::NewProject;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{Tenant, TestApp};

/// A trace `id` at `at` with a generation and a score at the same time.
fn events(id: &str, at: i64) -> Vec<Value> {
    let time = to_iso(at);
    vec![
        json!({"id": format!("{id}-t"), "type": "trace-create", "timestamp": time,
            "body": {"id": id, "name": "kept?", "timestamp": time}}),
        json!({"id": format!("{id}-g"), "type": "generation-create", "timestamp": time,
            "body": {"id": format!("{id}-gen"), "traceId": id, "startTime": time, "input": "q", "output": "a"}}),
        json!({"id": format!("{id}-s"), "type": "score-create", "timestamp": time,
            "body": {"id": format!("{id}-score"), "traceId": id, "name": "quality", "value": 1, "timestamp": time}}),
    ]
}

async fn status(app: &TestApp, tenant: &Tenant, path: &str) -> StatusCode {
    app.tenant_request(tenant, Method::GET, &format!("/api/public{path}"), None)
        .await
        .status
}

async fn back_dated_data_older_than_the_retention_is_deleted(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "kept").await;
    let project = ProjectId::parse(&tenant.project_id).unwrap();
    let now = now_ms();
    let mut batch = events("old", now - 10 * DAY_MS);
    batch.extend(events("recent", now - DAY_MS));
    let response = app
        .post_json(
            "/api/public/ingestion",
            &tenant.basic(),
            &json!({"batch": batch}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::MULTI_STATUS,
        "{}",
        response.body
    );
    assert_eq!(status(&app, &tenant, "/traces/old").await, StatusCode::OK);

    // Without a retention nothing happens.
    assert_eq!(retention::run(&app.state, &project, now).await.unwrap(), 0);
    app.state
        .store()
        .metadata()
        .upsert_project(&NewProject {
            id: project.clone(),
            org_id: OrgId::parse(&tenant.org_id).unwrap(),
            name: "kept".into(),
            retention_days: Some(3),
        })
        .await
        .unwrap();
    // Today's jobs: one retention job for the project and the prune job, enqueued once.
    assert_eq!(retention::schedule(&app.state, now).await.unwrap(), 2);
    assert_eq!(retention::schedule(&app.state, now).await.unwrap(), 0);
    worker::spawn(
        app.state.clone(),
        WorkerConfig {
            poll: Duration::from_millis(50),
            ..WorkerConfig::default()
        },
    );
    for _ in 0..200 {
        if status(&app, &tenant, "/traces/old").await == StatusCode::NOT_FOUND {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status(&app, &tenant, "/traces/old").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app, &tenant, "/traces/recent").await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, &tenant, "/observations/old-gen").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app, &tenant, "/observations/recent-gen").await,
        StatusCode::OK
    );
    let scores = app
        .tenant_request(&tenant, Method::GET, "/api/public/v2/scores", None)
        .await;
    let ids: Vec<&str> = scores.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["recent-score"]);
    // The rollups behind the daily metrics lost the old day too.
    let daily = app
        .tenant_request(&tenant, Method::GET, "/api/public/metrics/daily", None)
        .await;
    let days: Vec<u64> = daily.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["countTraces"].as_u64().unwrap())
        .collect();
    assert_eq!(days.iter().sum::<u64>(), 1, "{}", daily.body);
    // Running it again deletes nothing more.
    assert_eq!(retention::run(&app.state, &project, now).await.unwrap(), 0);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "back_dated_data_older_than_the_retention_is_deleted",
        back_dated_data_older_than_the_retention_is_deleted,
    )]
}
