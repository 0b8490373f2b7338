//! Batch events and OTel spans on the same trace (an app that moved to OTel but still sends a
//! `trace-create`, or two SDK generations side by side): the trace is folded from both, so a
//! batch `trace-create` or trace update merges with what spans set instead of overwriting it,
//! whichever arrives first, and however often either is delivered.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::TestApp;

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "a_trace_create_after_spans_keeps_what_spans_set",
            a_trace_create_after_spans_keeps_what_spans_set,
        ),
        backend_test(
            "spans_after_a_trace_create_merge_into_it",
            spans_after_a_trace_create_merge_into_it,
        ),
        backend_test(
            "repeated_deliveries_of_both_change_nothing",
            repeated_deliveries_of_both_change_nothing,
        ),
        backend_test(
            "an_observation_update_sent_before_its_create_folds_in",
            an_observation_update_sent_before_its_create_folds_in,
        ),
    ]
}

const TRACE_ID: &str = "5b8aa5a2d2c872e8321cf37308d69df2";

/// An OTLP/JSON export of one root span that sets trace-level data.
fn span_export() -> Value {
    let attribute = |key: &str, value: &str| json!({"key": key, "value": {"stringValue": value}});
    json!({"resourceSpans": [{
        "resource": {"attributes": [attribute("service.name", "svc")]},
        "scopeSpans": [{
            "scope": {"name": "langfuse-sdk"},
            "spans": [{
                "traceId": TRACE_ID,
                "spanId": "051581bf3cb55c13",
                "name": "root",
                "startTimeUnixNano": "1704067200000000000",
                "endTimeUnixNano": "1704067201000000000",
                "attributes": [
                    attribute("langfuse.trace.name", "from-span"),
                    attribute("user.id", "span-user"),
                    attribute("session.id", "span-session"),
                    attribute("langfuse.trace.input", "{\"question\": \"from span\"}"),
                    attribute("langfuse.trace.metadata.origin", "span"),
                ],
            }],
        }],
    }]})
}

/// A batch `trace-create` a second after the span started, naming the trace and tagging it.
fn trace_create(event_id: &str) -> Value {
    json!({"batch": [{
        "id": event_id,
        "type": "trace-create",
        "timestamp": "2024-01-01T00:00:01.000Z",
        "body": {
            "id": TRACE_ID,
            "name": "from-batch",
            "tags": ["batch"],
            "metadata": {"release": "r1"},
        },
    }]})
}

async fn send_spans(app: &TestApp, auth: &str) {
    let response = app
        .post_json("/api/public/otel/v1/traces", auth, &span_export())
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
}

async fn send_batch(app: &TestApp, auth: &str, event_id: &str) {
    let response = app
        .post_json("/api/public/ingestion", auth, &trace_create(event_id))
        .await;
    assert_eq!(
        response.status,
        StatusCode::MULTI_STATUS,
        "{}",
        response.body
    );
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
}

async fn read_trace(app: &TestApp, auth: &str) -> Value {
    let response = app
        .get(&format!("/api/public/traces/{TRACE_ID}"), Some(auth))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.body
}

/// What both orders must give: the batch event's name (it is the later write), the span's
/// user, session and input, tags and metadata from both.
fn assert_merged(trace: &Value) {
    assert_eq!(trace["name"], "from-batch", "{trace}");
    assert_eq!(trace["userId"], "span-user", "{trace}");
    assert_eq!(trace["sessionId"], "span-session", "{trace}");
    assert_eq!(trace["input"], json!({"question": "from span"}), "{trace}");
    assert_eq!(trace["tags"], json!(["batch"]), "{trace}");
    assert_eq!(trace["metadata"]["origin"], "span", "{trace}");
    assert_eq!(trace["metadata"]["release"], "r1", "{trace}");
    assert_eq!(trace["timestamp"], "2024-01-01T00:00:00.000Z", "{trace}");
    assert_eq!(trace["observations"].as_array().map(Vec::len), Some(1));
}

async fn a_trace_create_after_spans_keeps_what_spans_set(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "mixed").await;
    let auth = tenant.basic();
    send_spans(&app, &auth).await;
    send_batch(&app, &auth, "e1").await;
    assert_merged(&read_trace(&app, &auth).await);
}

async fn spans_after_a_trace_create_merge_into_it(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "mixed").await;
    let auth = tenant.basic();
    send_batch(&app, &auth, "e1").await;
    send_spans(&app, &auth).await;
    assert_merged(&read_trace(&app, &auth).await);
}

async fn repeated_deliveries_of_both_change_nothing(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "mixed").await;
    let auth = tenant.basic();
    send_spans(&app, &auth).await;
    send_batch(&app, &auth, "e1").await;
    let first = read_trace(&app, &auth).await;
    send_batch(&app, &auth, "e1").await;
    send_spans(&app, &auth).await;
    send_batch(&app, &auth, "e1").await;
    let again = read_trace(&app, &auth).await;
    assert_merged(&again);
    let strip = |mut trace: Value| {
        let map = trace.as_object_mut().unwrap();
        for key in ["updatedAt", "createdAt", "observations", "latency"] {
            map.remove(key);
        }
        trace
    };
    assert_eq!(strip(first), strip(again));
}

/// Separate requests, the update first: the observation is folded from both events whatever
/// the order, and a third delivery of the create changes nothing.
async fn an_observation_update_sent_before_its_create_folds_in(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "mixed").await;
    let auth = tenant.basic();
    let batch = |id: &str, kind: &str, timestamp: &str, body: Value| json!({"batch": [{"id": id, "type": kind, "timestamp": timestamp, "body": body}]});
    let update = batch(
        "u1",
        "span-update",
        "2024-01-01T00:00:02.000Z",
        json!({"id": "obs", "traceId": "t-obs", "output": {"answer": 42}}),
    );
    let create = batch(
        "c1",
        "span-create",
        "2024-01-01T00:00:01.000Z",
        json!({"id": "obs", "traceId": "t-obs", "name": "step", "input": "question",
               "startTime": "2024-01-01T00:00:01.000Z"}),
    );
    for body in [&update, &create, &create] {
        let response = app.post_json("/api/public/ingestion", &auth, body).await;
        assert_eq!(
            response.status,
            StatusCode::MULTI_STATUS,
            "{}",
            response.body
        );
    }
    let response = app.get("/api/public/observations/obs", Some(&auth)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let observation = response.body;
    assert_eq!(observation["name"], "step", "{observation}");
    assert_eq!(observation["input"], "question", "{observation}");
    assert_eq!(
        observation["output"],
        json!({"answer": 42}),
        "{observation}"
    );
    assert_eq!(
        observation["startTime"], "2024-01-01T00:00:01.000Z",
        "{observation}"
    );
}
