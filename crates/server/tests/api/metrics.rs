//! Daily metrics as clients see them: `GET /metrics/daily` over seeded traces and observations,
//! newest day first, with exact counts, costs and per-model usage.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

fn trace(id: &str, day: &str, user: &str, tags: Value, env: &str) -> Value {
    let timestamp = format!("2024-01-{day}T10:00:00Z");
    json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": timestamp,
        "body": {"id": id, "timestamp": timestamp, "userId": user, "tags": tags, "environment": env}})
}

fn generation(id: &str, trace: &str, day: &str, model: &str, usage: Value, cost: Value) -> Value {
    let timestamp = format!("2024-01-{day}T10:00:01Z");
    json!({"id": format!("e-{id}"), "type": "generation-create", "timestamp": timestamp,
        "body": {"id": id, "traceId": trace, "startTime": timestamp, "model": model,
            "usageDetails": usage, "costDetails": cost}})
}

async fn seed(app: &TestApp, tenant: &Tenant) {
    let batch = json!({"batch": [
        trace("t1", "01", "alice", json!(["a"]), "production"),
        trace("t2", "01", "bob", json!([]), "staging"),
        trace("t3", "02", "alice", json!(["a", "b"]), "production"),
        trace("t4", "03", "carol", json!([]), "production"),
        generation("g1", "t1", "01", "my-model",
            json!({"input": 10, "input_cached_tokens": 2, "output": 5, "total": 17}),
            json!({"input": 0.5, "output": 0.25})),
        {"id": "e-s1", "type": "span-create", "timestamp": "2024-01-01T10:00:01Z",
            "body": {"id": "s1", "traceId": "t1", "startTime": "2024-01-01T10:00:01Z"}},
        generation("g2", "t2", "01", "my-model",
            json!({"input": 12, "output": 5, "total": 17}),
            json!({"input": 0.5, "output": 0.25})),
        generation("g3", "t3", "02", "my-model",
            json!({"input": 1, "output": 1, "total": 2}),
            json!({"input": 0.125, "output": 0.125})),
        generation("g4", "t3", "02", "other-model",
            json!({"input": 4, "total": 4}),
            json!({"input": 0.5})),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
}

async fn daily(app: &TestApp, tenant: &Tenant, query: &str) -> Value {
    let response = app
        .get(
            &format!("/api/public/metrics/daily{query}"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{query}: {}",
        response.body
    );
    response.body
}

fn usage(model: Value, figures: [u64; 5], cost: f64) -> Value {
    let [input, output, total, traces, observations] = figures;
    json!({"model": model, "inputUsage": input, "outputUsage": output, "totalUsage": total,
        "countTraces": traces, "countObservations": observations, "totalCost": cost})
}

async fn daily_metrics_add_up_each_day(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let body = daily(&app, &tenant, "").await;
    assert_eq!(
        body["data"],
        json!([
            {"date": "2024-01-03", "countTraces": 1, "countObservations": 0, "totalCost": 0.0,
                "usage": []},
            {"date": "2024-01-02", "countTraces": 1, "countObservations": 2, "totalCost": 0.75,
                "usage": [
                    usage(json!("my-model"), [1, 1, 2, 1, 1], 0.25),
                    usage(json!("other-model"), [4, 0, 4, 1, 1], 0.5),
                ]},
            {"date": "2024-01-01", "countTraces": 2, "countObservations": 3, "totalCost": 1.5,
                "usage": [
                    usage(Value::Null, [0, 0, 0, 1, 1], 0.0),
                    usage(json!("my-model"), [24, 10, 34, 2, 2], 1.5),
                ]},
        ])
    );
    assert_eq!(
        body["meta"],
        json!({"page": 1, "limit": 50, "totalItems": 3, "totalPages": 1})
    );
}

async fn daily_metrics_filter_and_page(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let other = app.tenant("Other", "web").await;
    assert_eq!(daily(&app, &other, "").await["data"], json!([]));

    let dates = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|day| day["date"].as_str().unwrap().to_owned())
            .collect()
    };
    let alice = daily(&app, &tenant, "?userId=alice").await;
    assert_eq!(dates(&alice), ["2024-01-02", "2024-01-01"]);
    assert_eq!(alice["data"][1]["countTraces"], 1);
    assert_eq!(alice["data"][1]["countObservations"], 2);
    assert_eq!(alice["data"][1]["totalCost"], 0.75);

    let tagged = daily(&app, &tenant, "?tags=a&tags=b").await;
    assert_eq!(dates(&tagged), ["2024-01-02"]);
    let staging = daily(&app, &tenant, "?environment=staging").await;
    assert_eq!(dates(&staging), ["2024-01-01"]);
    assert_eq!(staging["data"][0]["usage"][0]["inputUsage"], 12);
    let ranged = daily(
        &app,
        &tenant,
        "?fromTimestamp=2024-01-02T00:00:00Z&toTimestamp=2024-01-03T00:00:00Z",
    )
    .await;
    assert_eq!(dates(&ranged), ["2024-01-02"]);

    let second = daily(&app, &tenant, "?limit=1&page=2").await;
    assert_eq!(dates(&second), ["2024-01-02"]);
    assert_eq!(second["data"][0]["countObservations"], 2);
    assert_eq!(
        second["meta"],
        json!({"page": 2, "limit": 1, "totalItems": 3, "totalPages": 3})
    );

    let bad = app
        .get(
            "/api/public/metrics/daily?fromTimestamp=yesterday",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "daily_metrics_add_up_each_day",
            daily_metrics_add_up_each_day,
        ),
        backend_test(
            "daily_metrics_filter_and_page",
            daily_metrics_filter_and_page,
        ),
    ]
}
