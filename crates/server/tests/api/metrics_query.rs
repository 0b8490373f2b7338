//! The metrics APIs as clients see them: `GET /api/public/metrics` (v1) and
//! `GET /api/public/v2/metrics` over seeded traces, observations and scores, with exact counts,
//! tokens, costs, percentiles, filled time buckets and Langfuse's 400s. Behaviour reference:
//! Langfuse's `packages/shared/src/features/query/` (`dataModel.ts`, `server/queryBuilder.ts`,
//! `validateQuery.ts`) and `web/src/features/public-api/types/metrics.ts`.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

fn trace(id: &str, at: &str, name: &str, user: &str) -> Value {
    json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": at,
        "body": {"id": id, "timestamp": at, "name": name, "userId": user}})
}

/// A generation of `seconds` from `start`, its first token half a second in.
fn generation(
    id: &str,
    trace: &str,
    start: &str,
    seconds: i64,
    model: &str,
    usage: Value,
    cost: Value,
) -> Value {
    let begin = chrono::DateTime::parse_from_rfc3339(start).expect("start");
    let end = (begin + chrono::Duration::seconds(seconds)).to_rfc3339();
    let first = (begin + chrono::Duration::milliseconds(500)).to_rfc3339();
    json!({"id": format!("e-{id}"), "type": "generation-create", "timestamp": start,
        "body": {"id": id, "traceId": trace, "name": "llm", "startTime": start, "endTime": end,
            "completionStartTime": first, "model": model, "usageDetails": usage,
            "costDetails": cost}})
}

fn score(id: &str, trace: &str, name: &str, value: Value, data_type: &str) -> Value {
    json!({"id": format!("e-{id}"), "type": "score-create", "timestamp": "2024-01-01T12:00:00Z",
        "body": {"id": id, "traceId": trace, "name": name, "value": value, "dataType": data_type,
            "timestamp": "2024-01-01T12:00:00Z"}})
}

async fn seed(app: &TestApp, tenant: &Tenant) {
    let batch = json!({"batch": [
        trace("t1", "2024-01-01T10:00:00Z", "chat", "alice"),
        trace("t2", "2024-01-01T11:00:00Z", "chat", "bob"),
        trace("t3", "2024-01-03T09:00:00Z", "search", "alice"),
        generation("g1", "t1", "2024-01-01T10:00:00Z", 2, "gpt-4o",
            json!({"input": 10, "output": 5, "total": 15}), json!({"input": 0.25, "output": 0.5})),
        generation("g2", "t2", "2024-01-01T11:00:00Z", 4, "gpt-4o",
            json!({"input": 20, "output": 10, "total": 30}), json!({"input": 0.5, "output": 1.0})),
        generation("g3", "t3", "2024-01-03T09:00:00Z", 1, "claude-3",
            json!({"input": 5, "output": 5, "total": 10}), json!({"input": 0.125, "output": 0.125})),
        {"id": "e-s1", "type": "span-create", "timestamp": "2024-01-01T10:00:00Z",
            "body": {"id": "s1", "traceId": "t1", "name": "retrieve",
                "startTime": "2024-01-01T10:00:00Z", "endTime": "2024-01-01T10:00:03Z"}},
        score("q1", "t1", "quality", json!(0.75), "NUMERIC"),
        score("q2", "t2", "quality", json!(0.25), "NUMERIC"),
        score("h1", "t1", "helpful", json!(1), "BOOLEAN"),
        score("h3", "t3", "helpful", json!(0), "BOOLEAN"),
        score("c1", "t1", "tone", json!("polite"), "CATEGORICAL"),
        score("c2", "t2", "tone", json!("rude"), "CATEGORICAL"),
        score("c3", "t3", "tone", json!("polite"), "CATEGORICAL"),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
}

const FROM: &str = "2024-01-01T00:00:00Z";
const TO: &str = "2024-01-04T00:00:00Z";

/// `query` with the seeded range added where it names none.
fn ranged(mut query: Value) -> Value {
    if query.get("fromTimestamp").is_none() {
        query["fromTimestamp"] = json!(FROM);
    }
    if query.get("toTimestamp").is_none() {
        query["toTimestamp"] = json!(TO);
    }
    query
}

async fn ask(app: &TestApp, tenant: &Tenant, path: &str, query: &Value) -> (StatusCode, Value) {
    let encoded: String = form_urlencoded::byte_serialize(query.to_string().as_bytes()).collect();
    let response = app
        .get(&format!("{path}?query={encoded}"), Some(&tenant.basic()))
        .await;
    (response.status, response.body)
}

/// The rows of a query that must succeed.
async fn rows(app: &TestApp, tenant: &Tenant, path: &str, query: Value) -> Value {
    let query = ranged(query);
    let (status, body) = ask(app, tenant, path, &query).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["data"].clone()
}

const V1: &str = "/api/public/metrics";
const V2: &str = "/api/public/v2/metrics";

async fn metrics_answer_counts_tokens_cost_and_latency(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "metrics").await;
    seed(&app, &tenant).await;

    let count = json!([{"measure": "count", "aggregation": "count"}]);
    assert_eq!(
        rows(
            &app,
            &tenant,
            V1,
            json!({"view": "traces", "metrics": count})
        )
        .await,
        json!([{"count_count": 3}])
    );
    assert_eq!(
        rows(
            &app,
            &tenant,
            V1,
            json!({"view": "traces", "dimensions": [{"field": "name"}],
            "metrics": [{"measure": "totalCost", "aggregation": "sum"},
                {"measure": "observationsCount", "aggregation": "sum"}]})
        )
        .await,
        json!([
            {"name": "chat", "sum_totalCost": 2.25, "sum_observationsCount": 3},
            {"name": "search", "sum_totalCost": 0.25, "sum_observationsCount": 1},
        ])
    );
    for path in [V1, V2] {
        assert_eq!(
            rows(&app, &tenant, path, json!({"view": "observations",
                "dimensions": [{"field": "providedModelName"}],
                "metrics": [{"measure": "totalTokens", "aggregation": "sum"},
                    {"measure": "totalCost", "aggregation": "sum"},
                    {"measure": "inputTokens", "aggregation": "sum"},
                    {"measure": "outputCost", "aggregation": "sum"},
                    {"measure": "count", "aggregation": "count"}],
                "filters": [{"column": "type", "type": "string", "operator": "=", "value": "GENERATION"}]}))
            .await,
            json!([
                {"providedModelName": "gpt-4o", "sum_totalTokens": 45, "sum_totalCost": 2.25,
                    "sum_inputTokens": 30, "sum_outputCost": 1.5, "count_count": 2},
                {"providedModelName": "claude-3", "sum_totalTokens": 10, "sum_totalCost": 0.25,
                    "sum_inputTokens": 5, "sum_outputCost": 0.125, "count_count": 1},
            ]),
            "{path}"
        );
    }
    // Latencies of `llm`: 1, 2 and 4 s; percentiles interpolate between ranks.
    assert_eq!(
        rows(
            &app,
            &tenant,
            V2,
            json!({"view": "observations", "dimensions": [{"field": "name"}],
            "metrics": [{"measure": "latency", "aggregation": "p50"},
                {"measure": "latency", "aggregation": "p95"},
                {"measure": "latency", "aggregation": "max"},
                {"measure": "timeToFirstToken", "aggregation": "avg"},
                {"measure": "timeToFirstToken", "aggregation": "count"}],
            "orderBy": [{"field": "name", "direction": "asc"}]})
        )
        .await,
        json!([
            {"name": "llm", "p50_latency": 2000, "p95_latency": 3800, "max_latency": 4000,
                "avg_timeToFirstToken": 500, "count_timeToFirstToken": 3},
            {"name": "retrieve", "p50_latency": 3000, "p95_latency": 3000, "max_latency": 3000,
                "avg_timeToFirstToken": null, "count_timeToFirstToken": 0},
        ])
    );
    // Trace-level dimensions of observations, and a filter on one.
    assert_eq!(
        rows(
            &app,
            &tenant,
            V1,
            json!({"view": "observations", "dimensions": [{"field": "traceName"}],
            "metrics": count,
            "filters": [{"column": "userId", "type": "string", "operator": "=", "value": "alice"}]})
        )
        .await,
        json!([{"traceName": "chat", "count_count": 2}, {"traceName": "search", "count_count": 1}])
    );
    // No dimensions and an empty range: one row of zero.
    assert_eq!(
        rows(
            &app,
            &tenant,
            V2,
            json!({"view": "observations", "metrics": count,
            "fromTimestamp": "2023-01-01T00:00:00Z", "toTimestamp": "2023-02-01T00:00:00Z"})
        )
        .await,
        json!([{"count_count": 0}])
    );
    // An explicit order and row limit.
    assert_eq!(
        rows(
            &app,
            &tenant,
            V2,
            json!({"view": "observations", "dimensions": [{"field": "name"}],
            "metrics": count, "orderBy": [{"field": "count_count", "direction": "asc"}],
            "config": {"row_limit": 1}})
        )
        .await,
        json!([{"name": "retrieve", "count_count": 1}])
    );
}

async fn time_series_fill_empty_buckets(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "series").await;
    seed(&app, &tenant).await;

    let query = json!({"view": "observations", "timeDimension": {"granularity": "day"},
        "metrics": [{"measure": "count", "aggregation": "count"},
            {"measure": "totalCost", "aggregation": "sum"}]});
    for path in [V1, V2] {
        assert_eq!(
            rows(&app, &tenant, path, query.clone()).await,
            json!([
                {"time_dimension": "2024-01-01", "count_count": 3, "sum_totalCost": 2.25},
                {"time_dimension": "2024-01-02", "count_count": 0, "sum_totalCost": 0},
                {"time_dimension": "2024-01-03", "count_count": 1, "sum_totalCost": 0.25},
            ]),
            "{path}"
        );
    }
    // `auto` over a day picks hours; with an order there is no filling.
    assert_eq!(
        rows(
            &app,
            &tenant,
            V1,
            json!({"view": "traces", "timeDimension": {"granularity": "auto"},
            "metrics": [{"measure": "count", "aggregation": "count"}],
            "orderBy": [{"field": "time_dimension", "direction": "desc"}],
            "fromTimestamp": "2024-01-01T00:00:00Z", "toTimestamp": "2024-01-02T00:00:00Z"})
        )
        .await,
        json!([
            {"time_dimension": "2024-01-01T11:00:00Z", "count_count": 1},
            {"time_dimension": "2024-01-01T10:00:00Z", "count_count": 1},
        ])
    );
    // Weeks start on Monday (2024-01-01 was one); months on the first.
    for (granularity, label) in [("week", "2024-01-01"), ("month", "2024-01-01")] {
        assert_eq!(
            rows(
                &app,
                &tenant,
                V1,
                json!({"view": "traces", "timeDimension": {"granularity": granularity},
                "metrics": [{"measure": "count", "aggregation": "count"}]})
            )
            .await,
            json!([{"time_dimension": label, "count_count": 3}]),
            "{granularity}"
        );
    }
}

async fn score_views_aggregate_values(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "scores").await;
    seed(&app, &tenant).await;

    // Numeric scores include the booleans (as Langfuse's segment does).
    assert_eq!(
        rows(
            &app,
            &tenant,
            V2,
            json!({"view": "scores-numeric", "dimensions": [{"field": "name"}],
            "metrics": [{"measure": "value", "aggregation": "avg"},
                {"measure": "count", "aggregation": "count"}],
            "orderBy": [{"field": "name", "direction": "asc"}]})
        )
        .await,
        json!([
            {"name": "helpful", "avg_value": 0.5, "count_count": 2},
            {"name": "quality", "avg_value": 0.5, "count_count": 2},
        ])
    );
    assert_eq!(
        rows(
            &app,
            &tenant,
            V1,
            json!({"view": "scores-categorical",
            "dimensions": [{"field": "stringValue"}],
            "metrics": [{"measure": "count", "aggregation": "count"}]})
        )
        .await,
        json!([{"stringValue": "polite", "count_count": 2}, {"stringValue": "rude", "count_count": 1}])
    );
    assert_eq!(
        rows(
            &app,
            &tenant,
            V2,
            json!({"view": "scores-boolean",
            "dimensions": [{"field": "booleanValue"}],
            "metrics": [{"measure": "count", "aggregation": "count"},
                {"measure": "value", "aggregation": "avg"}],
            "orderBy": [{"field": "booleanValue", "direction": "desc"}]})
        )
        .await,
        json!([
            {"booleanValue": true, "count_count": 1, "avg_value": 1},
            {"booleanValue": false, "count_count": 1, "avg_value": 0},
        ])
    );
    // Score dimensions from the score's trace.
    assert_eq!(
        rows(
            &app,
            &tenant,
            V1,
            json!({"view": "scores-categorical",
            "dimensions": [{"field": "traceName"}],
            "metrics": [{"measure": "count", "aggregation": "count"}]})
        )
        .await,
        json!([{"traceName": "chat", "count_count": 2}, {"traceName": "search", "count_count": 1}])
    );
}

async fn v2_limits_high_cardinality_dimensions(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "cardinality").await;
    seed(&app, &tenant).await;

    let by_user = json!({"view": "observations", "dimensions": [{"field": "userId"}],
        "metrics": [{"measure": "count", "aggregation": "count"}]});
    let (status, body) = ask(&app, &tenant, V2, &ranged(by_user.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "InvalidRequestError");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("'userId' require both 'config.row_limit'"),
        "{body}"
    );
    let mut limited = by_user.clone();
    limited["config"] = json!({"row_limit": 10});
    limited["orderBy"] = json!([{"field": "count_count", "direction": "desc"}]);
    assert_eq!(
        rows(&app, &tenant, V2, limited).await,
        json!([{"userId": "alice", "count_count": 3}, {"userId": "bob", "count_count": 1}])
    );
    // v1 has no such rule.
    assert_eq!(
        rows(&app, &tenant, V1, by_user)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn bad_metrics_queries_are_400s_naming_the_problem(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "bad").await;

    let response = app
        .get(&format!("{V1}?query=%7Bnot-json"), Some(&tenant.basic()))
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.body,
        json!({"message": "Invalid JSON in query parameter", "error": "InvalidRequestError"})
    );
    let response = app.get(V2, Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.body["message"], "Invalid request data");
    assert_eq!(response.body["error"][0]["path"], json!(["query"]));

    let count = json!([{"measure": "count", "aggregation": "count"}]);
    // Shape problems: zod-style issues at the field.
    let shapes: Vec<(&str, Value, Value)> = vec![
        (
            V1,
            json!({"view": "sessions", "metrics": count}),
            json!(["query", "view"]),
        ),
        (
            V2,
            json!({"view": "traces", "metrics": count}),
            json!(["query", "view"]),
        ),
        (
            V1,
            json!({"view": "traces", "metrics": [{"measure": "count", "aggregation": "median"}]}),
            json!(["query", "metrics", "0", "aggregation"]),
        ),
        (
            V2,
            json!({"view": "observations", "metrics": count, "fromTimestamp": null}),
            json!(["query", "fromTimestamp"]),
        ),
        (
            V1,
            json!({"view": "traces", "metrics": count, "timeDimension": {"granularity": "1h"}}),
            json!(["query", "timeDimension", "granularity"]),
        ),
        (
            V1,
            json!({"view": "traces", "metrics": count,
            "filters": [{"column": "name", "type": "string", "operator": "~", "value": "x"}]}),
            json!(["query", "filters", 0, "operator"]),
        ),
    ];
    for (path, query, at) in shapes {
        let mut query = ranged(query);
        if query["fromTimestamp"].is_null() {
            query.as_object_mut().unwrap().remove("fromTimestamp");
        }
        let (status, body) = ask(&app, &tenant, path, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["message"], "Invalid request data", "{query}: {body}");
        assert_eq!(body["error"][0]["path"], at, "{query}: {body}");
    }
    // What the view cannot answer: a message naming it.
    let refusals: Vec<(&str, Value, &str)> = vec![
        (
            V1,
            json!({"view": "traces", "metrics": [{"measure": "tokens", "aggregation": "sum"}]}),
            "Invalid metric tokens. Must be one of count, observationsCount",
        ),
        (
            V2,
            json!({"view": "observations", "metrics": count, "dimensions": [{"field": "model"}]}),
            "Invalid dimension model. Must be one of id, traceId",
        ),
        (
            V2,
            json!({"view": "observations", "metrics": [{"measure": "traceId", "aggregation": "sum"}]}),
            "Aggregation \"sum\" is not valid for measure \"traceId\" (type: string)",
        ),
        (
            V1,
            json!({"view": "traces", "metrics": count,
            "orderBy": [{"field": "sum_totalCost", "direction": "desc"}]}),
            "Invalid orderBy field: sum_totalCost.",
        ),
        (
            V1,
            json!({"view": "observations", "metrics": [{"measure": "latency", "aggregation": "histogram"}]}),
            "Aggregation \"histogram\" is not supported",
        ),
    ];
    for (path, query, message) in refusals {
        let (status, body) = ask(&app, &tenant, path, &ranged(query.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"], "InvalidRequestError", "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(message),
            "{query}: {body}"
        );
    }
    // A filter on a column the view does not have.
    let (status, body) = ask(
        &app,
        &tenant,
        V1,
        &ranged(json!({"view": "traces", "metrics": count,
        "filters": [{"column": "model", "type": "string", "operator": "=", "value": "x"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown filter column 'model'"),
        "{body}"
    );
}

/// Linear-interpolation percentile of sorted values, the definition the API follows.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

/// Random latencies and costs, aggregated by the server and by the test: the same figures,
/// percentiles included.
async fn aggregates_match_a_direct_computation_on_random_rows(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "random").await;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let names = ["a", "b", "c"];
    let mut expected: Vec<Vec<(f64, f64)>> = vec![Vec::new(); names.len()];
    let mut batch = vec![trace("t", "2024-01-01T00:00:00Z", "random", "u")];
    for index in 0..90 {
        let which = next(3) as usize;
        let latency_ms = next(10_000) as i64;
        let cost = next(1_000) as f64 / 8.0;
        let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T01:00:00Z").unwrap()
            + chrono::Duration::seconds(index);
        let end = start + chrono::Duration::milliseconds(latency_ms);
        batch.push(json!({"id": format!("e{index}"), "type": "span-create",
            "timestamp": start.to_rfc3339(),
            "body": {"id": format!("o{index}"), "traceId": "t", "name": names[which],
                "startTime": start.to_rfc3339(), "endTime": end.to_rfc3339(),
                "costDetails": {"total": cost}}}));
        expected[which].push((latency_ms as f64, cost));
    }
    let response = app
        .post_json(
            "/api/public/ingestion",
            &tenant.basic(),
            &json!({"batch": batch}),
        )
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);

    let aggregations = [
        "p50", "p75", "p90", "p95", "p99", "avg", "min", "max", "sum",
    ];
    let metrics: Vec<Value> = aggregations
        .iter()
        .map(|a| json!({"measure": "latency", "aggregation": a}))
        .chain([json!({"measure": "totalCost", "aggregation": "sum"})])
        .collect();
    let data = rows(
        &app,
        &tenant,
        V2,
        json!({"view": "observations", "dimensions": [{"field": "name"}],
        "metrics": metrics, "orderBy": [{"field": "name", "direction": "asc"}]}),
    )
    .await;
    for (index, name) in names.iter().enumerate() {
        let row = data
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == *name)
            .unwrap_or_else(|| panic!("{name} in {data}"));
        let mut latencies: Vec<f64> = expected[index].iter().map(|(l, _)| *l).collect();
        latencies.sort_by(f64::total_cmp);
        let figure = |aggregation: &str| -> f64 {
            match aggregation {
                "p50" => percentile(&latencies, 0.5),
                "p75" => percentile(&latencies, 0.75),
                "p90" => percentile(&latencies, 0.9),
                "p95" => percentile(&latencies, 0.95),
                "p99" => percentile(&latencies, 0.99),
                "avg" => latencies.iter().sum::<f64>() / latencies.len() as f64,
                "min" => latencies[0],
                "max" => latencies[latencies.len() - 1],
                _ => latencies.iter().sum::<f64>(),
            }
        };
        for aggregation in aggregations {
            let got = row[format!("{aggregation}_latency")]
                .as_f64()
                .expect("number");
            let want = figure(aggregation);
            assert!(
                (got - want).abs() < 1e-6,
                "{name} {aggregation}: {got} != {want}"
            );
        }
        let cost: f64 = expected[index].iter().map(|(_, c)| c).sum();
        let got = row["sum_totalCost"].as_f64().expect("cost");
        assert!((got - cost).abs() < 1e-9, "{name} cost: {got} != {cost}");
    }
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "metrics_answer_counts_tokens_cost_and_latency",
            metrics_answer_counts_tokens_cost_and_latency,
        ),
        backend_test(
            "time_series_fill_empty_buckets",
            time_series_fill_empty_buckets,
        ),
        backend_test("score_views_aggregate_values", score_views_aggregate_values),
        backend_test(
            "v2_limits_high_cardinality_dimensions",
            v2_limits_high_cardinality_dimensions,
        ),
        backend_test(
            "bad_metrics_queries_are_400s_naming_the_problem",
            bad_metrics_queries_are_400s_naming_the_problem,
        ),
        backend_test(
            "aggregates_match_a_direct_computation_on_random_rows",
            aggregates_match_a_direct_computation_on_random_rows,
        ),
    ]
}
