//! The `dashboard` scenario: seeds traces of five observations each (1,000,000 traces, so
//! 5,000,000 observations, by default) spread over the 30 days before seeding, with a score on
//! every tenth, through `POST /api/public/ingestion`; then times, through
//! `GET /api/public/metrics`, the queries of the home dashboard over the last 7 days of the data
//! (`crates/web/src/pages/dashboard.rs` asks these) and a custom query that only raw rows
//! answer.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::probe::{Check, Query, Target, encode};
use crate::seed::{envelope, ingestion_workload, payload, time, trace_name, user_id};
use crate::text::Rng;
use crate::workload::{Workload, build_parallel};

/// Observations per seeded trace.
pub const OBSERVATIONS_PER_TRACE: usize = 5;
/// The data spans this many days before seeding.
pub const DAYS: i64 = 30;
/// The dashboard's range: this many days up to the time of seeding.
pub const RANGE_DAYS: i64 = 7;
const USERS: u64 = 2_000;
const NAMES: u64 = 20;
const MODELS: [&str; 4] = [
    "gpt-4o",
    "gpt-4o-mini",
    "claude-3-5-sonnet-20241022",
    "gemini-1.5-pro",
];
const GENERATION_NAMES: [&str; 4] = ["plan", "answer", "classify", "summarize"];

const TARGET_DASHBOARD: Target = Target {
    percentile: 95.0,
    ms: 100.0,
};
const TARGET_RAW: Target = Target {
    percentile: 95.0,
    ms: 300.0,
};

/// The seeding requests: `traces` traces, `per_request` traces (with their observations and
/// scores) to a request.
pub fn seed_workload(
    traces: usize,
    per_request: usize,
    public_key: &str,
    seed: u64,
    now: DateTime<Utc>,
) -> Workload {
    let per_request = per_request.max(1);
    let requests = build_parallel(traces.div_ceil(per_request), |index| {
        let first = index * per_request;
        let events: Vec<Value> = (first..traces.min(first + per_request))
            .flat_map(|trace| trace_events(seed, now, trace))
            .collect();
        payload(public_key, events, Vec::new())
    });
    ingestion_workload("seed-dashboard", requests)
}

/// Trace number `trace`: a root span, two generations, a retrieval span and an event, and on
/// every tenth trace a score (numeric or categorical, alternately).
fn trace_events(seed: u64, now: DateTime<Utc>, trace: usize) -> Vec<Value> {
    let mut rng = Rng::new(seed ^ (trace as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let trace_id = rng.uuid();
    let start = now - Duration::milliseconds(rng.below(DAYS as u64 * 86_400_000) as i64);
    let environment = if rng.below(10) < 8 {
        "production"
    } else {
        "staging"
    };
    let body = json!({
        "id": trace_id, "timestamp": time(start),
        "name": trace_name(rng.below(NAMES) as usize), "userId": user_id(rng.below(USERS)),
        "environment": environment,
    });
    let mut events = vec![envelope(&mut rng, "trace-create", now, body)];
    let root = rng.uuid();
    // Latencies spread over two orders of magnitude, as model calls are.
    let latency = |rng: &mut Rng, base: u64| base + rng.below(base * 4) + rng.below(base * 20) / 10;
    let total = latency(&mut rng, 800);
    let level = match rng.below(100) {
        0..2 => "ERROR",
        2..7 => "WARNING",
        _ => "DEFAULT",
    };
    events.push(envelope(
        &mut rng,
        "span-create",
        now,
        json!({
            "id": root, "traceId": trace_id, "name": "request", "environment": environment,
            "startTime": time(start), "endTime": time(start + Duration::milliseconds(total as i64)),
            "level": level,
        }),
    ));
    let mut at = start + Duration::milliseconds(5);
    for step in 0..2 {
        let model = MODELS[rng.below(MODELS.len() as u64) as usize];
        let took = latency(&mut rng, 300);
        let input = 200 + rng.below(2_000);
        let output = 20 + rng.below(600);
        let name = GENERATION_NAMES[rng.below(GENERATION_NAMES.len() as u64) as usize];
        let body = json!({
            "id": format!("{root}-g{step}"), "traceId": trace_id, "parentObservationId": root,
            "name": name, "environment": environment, "model": model,
            "startTime": time(at), "endTime": time(at + Duration::milliseconds(took as i64)),
            "completionStartTime": time(at + Duration::milliseconds(took as i64 / 3)),
            "usageDetails": {"input": input, "output": output},
        });
        events.push(envelope(&mut rng, "generation-create", now, body));
        at += Duration::milliseconds(took as i64);
    }
    let took = latency(&mut rng, 40);
    events.push(envelope(
        &mut rng,
        "span-create",
        now,
        json!({
            "id": format!("{root}-r"), "traceId": trace_id, "parentObservationId": root,
            "name": "retrieve", "environment": environment, "startTime": time(at),
            "endTime": time(at + Duration::milliseconds(took as i64)),
        }),
    ));
    events.push(envelope(
        &mut rng,
        "event-create",
        now,
        json!({
            "id": format!("{root}-e"), "traceId": trace_id, "parentObservationId": root,
            "name": "feedback-shown", "environment": environment, "startTime": time(at),
        }),
    ));
    if trace.is_multiple_of(10) {
        let score = if trace.is_multiple_of(20) {
            json!({"name": "quality", "dataType": "NUMERIC",
                   "value": rng.below(1_000) as f64 / 1_000.0})
        } else {
            let value = ["positive", "neutral", "negative"][rng.below(3) as usize];
            json!({"name": "sentiment", "dataType": "CATEGORICAL", "value": value})
        };
        let mut body = score;
        body["id"] = json!(rng.uuid());
        body["traceId"] = json!(trace_id);
        body["environment"] = json!(environment);
        body["timestamp"] = json!(time(start));
        events.push(envelope(&mut rng, "score-create", now, body));
    }
    events
}

/// A metrics query over the dashboard's range.
fn metrics_query(
    seeded_at: DateTime<Utc>,
    view: &str,
    dimensions: &[&str],
    metrics: Value,
    filters: Value,
    granularity: Option<&str>,
    extra: Value,
) -> String {
    let mut query = json!({
        "view": view,
        "dimensions": dimensions.iter().map(|d| json!({"field": d})).collect::<Vec<_>>(),
        "metrics": metrics,
        "filters": filters,
        "fromTimestamp": time(seeded_at - Duration::days(RANGE_DAYS)),
        "toTimestamp": time(seeded_at),
    });
    if let Some(granularity) = granularity {
        query["timeDimension"] = json!({"granularity": granularity});
    }
    if let Value::Object(extra) = extra {
        for (key, value) in extra {
            query[key] = value;
        }
    }
    format!("/api/public/metrics?query={}", encode(&query.to_string()))
}

fn metric(measure: &str, aggregation: &str) -> Value {
    json!({"measure": measure, "aggregation": aggregation})
}

/// The home dashboard's queries over the last 7 days of the data (what
/// `crates/web/src/pages/dashboard.rs` asks for its default selection), then a custom query
/// that only raw rows answer; `requests` measured requests each.
pub fn queries(seeded_at: DateTime<Utc>, requests: usize) -> Vec<Query> {
    let generations = json!([{"column": "type", "operator": "=", "value": "GENERATION",
                               "type": "string"}]);
    let percentiles = json!([
        metric("latency", "p50"),
        metric("latency", "p95"),
        metric("latency", "p99")
    ]);
    let by_p95 = json!({"orderBy": [{"field": "p95_latency", "direction": "desc"}],
                        "config": {"row_limit": 15}});
    let home = [
        (
            "traces over time",
            metrics_query(
                seeded_at,
                "traces",
                &[],
                json!([metric("count", "count")]),
                json!([]),
                Some("hour"),
                json!(null),
            ),
        ),
        (
            "observations by type over time",
            metrics_query(
                seeded_at,
                "observations",
                &["type"],
                json!([metric("count", "count")]),
                json!([]),
                Some("hour"),
                json!(null),
            ),
        ),
        (
            "cost by model over time",
            metrics_query(
                seeded_at,
                "observations",
                &["providedModelName"],
                json!([metric("totalCost", "sum")]),
                json!([]),
                Some("hour"),
                json!(null),
            ),
        ),
        (
            "cost by trace name",
            metrics_query(
                seeded_at,
                "traces",
                &["name"],
                json!([metric("totalCost", "sum")]),
                json!([]),
                None,
                json!(null),
            ),
        ),
        (
            "tokens over time",
            metrics_query(
                seeded_at,
                "observations",
                &[],
                json!([metric("inputTokens", "sum"), metric("outputTokens", "sum")]),
                json!([]),
                Some("hour"),
                json!(null),
            ),
        ),
        (
            "latency by generation name",
            metrics_query(
                seeded_at,
                "observations",
                &["name"],
                percentiles.clone(),
                generations.clone(),
                None,
                by_p95.clone(),
            ),
        ),
        (
            "latency by model",
            metrics_query(
                seeded_at,
                "observations",
                &["providedModelName"],
                percentiles,
                generations,
                None,
                by_p95,
            ),
        ),
        (
            "levels over time",
            metrics_query(
                seeded_at,
                "observations",
                &["level"],
                json!([metric("count", "count")]),
                json!([]),
                Some("hour"),
                json!(null),
            ),
        ),
        (
            "score averages over time",
            metrics_query(
                seeded_at,
                "scores-numeric",
                &["name"],
                json!([metric("value", "avg")]),
                json!([]),
                Some("hour"),
                json!(null),
            ),
        ),
        (
            "categorical scores",
            metrics_query(
                seeded_at,
                "scores-categorical",
                &["name", "stringValue"],
                json!([metric("count", "count")]),
                json!([]),
                None,
                json!(null),
            ),
        ),
        (
            "top users",
            metrics_query(
                seeded_at,
                "traces",
                &["userId"],
                json!([metric("count", "count"), metric("totalCost", "sum")]),
                json!([{"column": "userId", "operator": "is not null", "value": "", "type": "null"}]),
                None,
                json!({"orderBy": [{"field": "count_count", "direction": "desc"}], "config": {"row_limit": 10}}),
            ),
        ),
    ];
    let mut queries: Vec<Query> = home
        .into_iter()
        .map(|(name, path)| Query {
            name: format!("dashboard: {name}"),
            target: Some(TARGET_DASHBOARD),
            paths: vec![path; requests],
            check: vec![Check::Rows],
        })
        .collect();
    // Generations per trace name, with their average tokens: the trace name and `avg` of a
    // token count are kept by no rollup.
    queries.push(Query {
        name: "custom: generations by trace name, raw rows".to_owned(),
        target: Some(TARGET_RAW),
        paths: vec![
            metrics_query(
                seeded_at,
                "observations",
                &["traceName"],
                json!([metric("count", "count"), metric("totalTokens", "avg")]),
                json!([{"column": "type", "operator": "=", "value": "GENERATION",
                        "type": "string"}]),
                None,
                json!(null),
            );
            requests
        ],
        check: vec![Check::Rows],
    });
    queries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_traces_have_five_observations_within_thirty_days() {
        let now = Utc::now();
        let workload = seed_workload(40, 15, "pk-lf-test", 3, now);
        assert_eq!(workload.requests.len(), 3);
        let events: Vec<Value> = workload
            .requests
            .iter()
            .flat_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                body["batch"].as_array().unwrap().clone()
            })
            .collect();
        let count = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
        assert_eq!(count("trace-create"), 40);
        assert_eq!(count("generation-create"), 80);
        assert_eq!(count("span-create") + count("event-create"), 120);
        assert_eq!(count("score-create"), 4);
        for event in &events {
            if let Some(at) = event["body"]["startTime"].as_str() {
                let at: DateTime<Utc> = at.parse().unwrap();
                assert!(at <= now + Duration::minutes(5) && now - at <= Duration::days(DAYS));
            }
        }
    }

    #[test]
    fn queries_cover_the_home_dashboard_and_a_raw_query() {
        let queries = queries(Utc::now(), 5);
        assert_eq!(queries.len(), 12);
        assert!(queries.iter().all(|q| q.paths.len() == 5));
        assert!(queries[0].paths[0].starts_with("/api/public/metrics?query="));
        assert_eq!(queries[11].target.unwrap().ms, 300.0);
    }
}
