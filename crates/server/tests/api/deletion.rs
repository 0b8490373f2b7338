//! Deleted traces stay deleted: events of a deleted trace timestamped before its deletion (an
//! SDK's retry, a late OTLP export) are acknowledged and dropped; an event timestamped after
//! the deletion creates the trace again, from the new data only.

use axum::http::{Method, StatusCode};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{Tenant, TestApp};

fn iso(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn batch(trace: &str, at: chrono::DateTime<Utc>, suffix: &str, name: &str) -> Value {
    let at = iso(at);
    json!({"batch": [
        {"id": format!("t-{suffix}"), "type": "trace-create", "timestamp": at,
         "body": {"id": trace, "name": name, "timestamp": at}},
        {"id": format!("o-{suffix}"), "type": "span-create", "timestamp": at,
         "body": {"id": format!("span-{suffix}"), "traceId": trace, "startTime": at}},
        {"id": format!("s-{suffix}"), "type": "score-create", "timestamp": at,
         "body": {"id": format!("score-{suffix}"), "traceId": trace, "name": "quality", "value": 1, "timestamp": at}},
    ]})
}

async fn ingest(app: &TestApp, tenant: &Tenant, body: &Value) {
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), body)
        .await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
}

async fn trace(app: &TestApp, tenant: &Tenant, id: &str) -> (StatusCode, Value) {
    let response = app
        .tenant_request(
            tenant,
            Method::GET,
            &format!("/api/public/traces/{id}"),
            None,
        )
        .await;
    (response.status, response.body)
}

async fn late_events_do_not_resurrect_a_deleted_trace(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let earlier = Utc::now() - Duration::minutes(1);
    let first = batch("t-deleted", earlier, "1", "original");
    ingest(&app, &tenant, &first).await;
    assert_eq!(trace(&app, &tenant, "t-deleted").await.0, StatusCode::OK);
    let deleted = app
        .tenant_request(
            &tenant,
            Method::DELETE,
            "/api/public/traces/t-deleted",
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);

    // The SDK retries the same batch, and a late OTLP export of a span of that trace arrives.
    ingest(&app, &tenant, &first).await;
    let start = earlier.timestamp_nanos_opt().unwrap();
    app.export_spans(
        &tenant,
        vec![
            json!({"traceId": "0123456789abcdef0123456789abcdef", "spanId": "00f067aa0ba902b7",
            "name": "late-span", "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + 1_000_000).to_string(), "attributes": []}),
        ],
    )
    .await;
    let otlp_trace = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        trace(&app, &tenant, otlp_trace).await.0,
        StatusCode::OK,
        "never deleted"
    );
    assert_eq!(
        app.tenant_request(
            &tenant,
            Method::DELETE,
            &format!("/api/public/traces/{otlp_trace}"),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    app.export_spans(
        &tenant,
        vec![json!({"traceId": otlp_trace, "spanId": "00f067aa0ba902b8",
            "name": "later-export", "startTimeUnixNano": (start + 2_000_000).to_string(),
            "endTimeUnixNano": (start + 3_000_000).to_string(), "attributes": []})],
    )
    .await;
    assert_eq!(
        trace(&app, &tenant, otlp_trace).await.0,
        StatusCode::NOT_FOUND,
        "a span started before the delete does not bring the trace back"
    );
    let (status, _) = trace(&app, &tenant, "t-deleted").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "late events are dropped");
    let scores = app
        .tenant_request(
            &tenant,
            Method::GET,
            "/api/public/v2/scores?traceId=t-deleted",
            None,
        )
        .await;
    assert_eq!(scores.body["data"], json!([]));

    // New events after the delete create the trace again, from the new data only.
    let later = Utc::now() + Duration::seconds(1);
    ingest(&app, &tenant, &batch("t-deleted", later, "2", "recreated")).await;
    let (status, body) = trace(&app, &tenant, "t-deleted").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "recreated");
    let observations: Vec<&str> = body["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(observations, ["span-2"]);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "late_events_do_not_resurrect_a_deleted_trace",
        late_events_do_not_resurrect_a_deleted_trace,
    )]
}
