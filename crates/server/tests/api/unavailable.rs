//! A database that cannot serve (closed pool, unreachable server, no free connection in time)
//! answers 503 with `Retry-After`, never a 500, on reads and on ingestion.

use axum::http::StatusCode;
use serde_json::json;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::TestApp;

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "a_closed_database_answers_503_with_retry_after",
        a_closed_database_answers_503_with_retry_after,
    )]
}

async fn a_closed_database_answers_503_with_retry_after(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "down").await;
    let auth = tenant.basic();
    // The first request verifies the key against the store and caches it.
    let ok = app.get("/api/public/traces", Some(&auth)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    app.state.store().close().await;
    let read = app.get("/api/public/traces", Some(&auth)).await;
    assert_eq!(
        read.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        read.body
    );
    assert_eq!(read.header("retry-after").as_deref(), Some("1"));
    assert_eq!(
        read.body["error"], "ServiceUnavailableError",
        "{}",
        read.body
    );
    // A trace detail too: its trace and its observations are read on different connections
    // (the pool, and SQLite's own readers), and the store closes them all.
    let detail = app.get("/api/public/traces/t-missing", Some(&auth)).await;
    assert_eq!(
        detail.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        detail.body
    );

    let batch = json!({"batch": [{
        "id": "e1",
        "type": "trace-create",
        "timestamp": "2024-01-01T00:00:00.000Z",
        "body": {"id": "t1", "name": "lost?"},
    }]});
    let write = app.post_json("/api/public/ingestion", &auth, &batch).await;
    assert_eq!(
        write.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        write.body
    );
    assert_eq!(write.header("retry-after").as_deref(), Some("1"));
}
