//! The `reads` scenario's data set, sent through `POST /api/public/ingestion`: many small traces
//! spread over users, names, tags, sessions, environments and the last 30 days (every 20th with a
//! score), and two traces with many observations.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::text::Rng;
use crate::workload::{Expect, Payload, Workload, build_parallel};

pub const USERS: u64 = 10_000;
pub const NAMES: usize = 50;
/// Traces are spread over this many days before the seeding started.
pub const DAYS: i64 = 30;
/// Input plus output text per seeded trace.
pub const TRACE_PAYLOAD_BYTES: usize = 200;
/// Input plus output text per observation of the large traces.
pub const OBSERVATION_PAYLOAD_BYTES: usize = 500;
/// Every this many traces one gets a score.
pub const SCORE_EVERY: usize = 20;

#[rustfmt::skip]
pub const TAGS: [&str; 20] = [
    "prod", "beta", "internal", "customer", "eval", "regression", "rag", "agent", "chat",
    "search", "billing", "support", "onboarding", "mobile", "web", "api", "batch", "experiment",
    "vip", "flagged",
];

const NAME_STEMS: [&str; 10] = [
    "chat",
    "search",
    "summarize",
    "classify",
    "extract",
    "translate",
    "agent",
    "rag-answer",
    "review",
    "route",
];
const NAME_VARIANTS: [&str; 5] = ["v1", "v2", "eu", "us", "beta"];

/// User number `n` (`0..USERS`).
pub fn user_id(n: u64) -> String {
    format!("user-{n:05}")
}

/// Trace name number `n` (`0..NAMES`).
pub fn trace_name(n: usize) -> String {
    format!(
        "{}-{}",
        NAME_STEMS[n / NAME_VARIANTS.len() % NAME_STEMS.len()],
        NAME_VARIANTS[n % NAME_VARIANTS.len()]
    )
}

pub struct SeedShape {
    pub traces: usize,
    /// Traces per request (each with its score, when it has one).
    pub traces_per_request: usize,
    pub public_key: String,
    pub seed: u64,
}

/// The small traces and their scores.
pub fn traces_workload(shape: &SeedShape, now: DateTime<Utc>) -> Workload {
    let per_request = shape.traces_per_request.max(1);
    let requests = build_parallel(shape.traces.div_ceil(per_request), |index| {
        let first = index * per_request;
        let events: Vec<Value> = (first..shape.traces.min(first + per_request))
            .flat_map(|trace| trace_events(shape, now, trace))
            .collect();
        payload(&shape.public_key, events, Vec::new())
    });
    ingestion_workload("seed", requests)
}

/// The `trace-create` body seeding sent for trace number `trace` of `traces` (its timestamp
/// aside), so queries can ask for values the data set holds.
pub fn seeded_trace(seed: u64, traces: usize, trace: usize) -> Value {
    let shape = SeedShape {
        traces,
        traces_per_request: 1,
        public_key: String::new(),
        seed,
    };
    let mut events = trace_events(&shape, Utc::now(), trace);
    events.swap_remove(0)["body"].take()
}

/// Trace number `trace`: its `trace-create` event, and a `score-create` for every 20th.
fn trace_events(shape: &SeedShape, now: DateTime<Utc>, trace: usize) -> Vec<Value> {
    let mut rng = Rng::new(shape.seed ^ (trace as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let id = rng.uuid();
    let timestamp =
        now - chrono::Duration::milliseconds(rng.below(DAYS as u64 * 86_400_000) as i64);
    let mut tags: Vec<&str> = Vec::new();
    for _ in 0..=rng.below(3) {
        let tag = TAGS[rng.below(TAGS.len() as u64) as usize];
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let environment = match rng.below(10) {
        0..7 => "production",
        7..9 => "staging",
        _ => "development",
    };
    // About ten traces per session.
    let sessions = (shape.traces as u64 / 10).max(1);
    let half = TRACE_PAYLOAD_BYTES / 2;
    let body = json!({
        "id": id,
        "timestamp": time(timestamp),
        "name": trace_name(rng.below(NAMES as u64) as usize),
        "userId": user_id(rng.below(USERS)),
        "sessionId": format!("session-{}", rng.below(sessions)),
        "environment": environment,
        "release": format!("v1.{}", rng.below(8)),
        "tags": tags,
        "metadata": {"tier": if rng.below(4) == 0 { "pro" } else { "free" }},
        "input": {"question": rng.prose(half)},
        "output": {"answer": rng.prose(half)},
    });
    let mut events = vec![envelope(&mut rng, "trace-create", now, body)];
    if trace.is_multiple_of(SCORE_EVERY) {
        let score = json!({
            "id": rng.uuid(), "traceId": id, "name": "quality", "dataType": "NUMERIC",
            "value": rng.below(1_000) as f64 / 1_000.0, "environment": environment,
        });
        events.push(envelope(&mut rng, "score-create", now, score));
    }
    events
}

/// A trace of `observations` observations, an hour before the small traces' 30 days (a root span, then spans and every fifth a `gpt-4o`
/// generation, grouped under the root ten to a parent), `per_request` events to a request: its id
/// and its requests.
pub fn large_trace(
    public_key: &str,
    seed: u64,
    now: DateTime<Utc>,
    observations: usize,
    per_request: usize,
) -> (String, Vec<Payload>) {
    let mut rng = Rng::new(seed);
    let trace_id = rng.uuid();
    // Older than every small trace, so neither lands on the first pages of the trace list (whose
    // items carry their observations' ids).
    let start = now - chrono::Duration::days(DAYS) - chrono::Duration::hours(1);
    let at = |ms: usize| time(start + chrono::Duration::milliseconds(ms as i64));
    let half = OBSERVATION_PAYLOAD_BYTES / 2;
    let trace = json!({
        "id": trace_id, "timestamp": at(0), "name": format!("large-trace-{observations}"),
        "userId": user_id(0), "sessionId": "session-large", "environment": "production",
        "tags": ["large"], "input": {"question": rng.prose(half)},
    });
    let mut events = vec![envelope(&mut rng, "trace-create", now, trace)];
    let ids: Vec<String> = (0..observations).map(|_| rng.uuid()).collect();
    for (n, id) in ids.iter().enumerate() {
        let parent = match n {
            0 => None,
            n if n % 10 == 1 => Some(&ids[0]),
            n => Some(&ids[n - (n - 1) % 10]),
        };
        let generation = n % 5 == 4;
        let mut body = json!({
            "id": id, "traceId": trace_id, "parentObservationId": parent,
            "name": if generation { "llm-call" } else { "step" },
            "startTime": at(n), "endTime": at(n + 1), "environment": "production",
            "input": {"text": rng.prose(half)}, "output": {"text": rng.prose(half)},
        });
        if generation {
            body["model"] = json!("gpt-4o");
            body["usageDetails"] = json!({"input": 120, "output": 60});
        }
        let kind = if generation {
            "generation-create"
        } else {
            "span-create"
        };
        events.push(envelope(&mut rng, kind, now, body));
    }
    let per_request = per_request.max(1);
    let mut chunks: Vec<Vec<Value>> = Vec::new();
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        chunks.push(events.by_ref().take(per_request).collect());
    }
    let requests = chunks
        .into_iter()
        .map(|events| payload(public_key, events, vec![trace_id.clone()]))
        .collect();
    (trace_id, requests)
}

/// `POST /api/public/ingestion` requests, each answered `207` with every event a success.
pub fn ingestion_workload(name: &'static str, requests: Vec<Payload>) -> Workload {
    Workload {
        name,
        unit: "events",
        path: "/api/public/ingestion",
        headers: vec![("content-type", "application/json".to_owned())],
        expect: Expect::MultiStatus,
        requests,
        gzip: false,
    }
}

/// A `POST /api/public/ingestion` body of `batch`, as the SDKs send it.
pub fn payload(public_key: &str, batch: Vec<Value>, trace_ids: Vec<String>) -> Payload {
    let items = batch.len();
    let body = json!({
        "batch": batch,
        "metadata": {"batch_size": items, "sdk_name": "python", "sdk_version": "2.60.0",
                     "public_key": public_key},
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    Payload {
        raw_bytes: body.len(),
        body,
        items,
        trace_ids,
    }
}

/// A batch event of `kind` around `body`, sent at `now`.
pub fn envelope(rng: &mut Rng, kind: &str, now: DateTime<Utc>, body: Value) -> Value {
    json!({"id": rng.uuid(), "type": kind, "timestamp": time(now), "body": body})
}

/// ISO 8601 with milliseconds, as the SDKs send times.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(requests: &[Payload]) -> Vec<Value> {
        requests
            .iter()
            .flat_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                body["batch"].as_array().unwrap().clone()
            })
            .collect()
    }

    #[test]
    fn the_vocabulary_has_fifty_distinct_names() {
        let mut names: Vec<String> = (0..NAMES).map(trace_name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), NAMES);
        assert_eq!(user_id(42), "user-00042");
    }

    #[test]
    fn seeded_traces_are_small_varied_and_within_thirty_days() {
        let now = Utc::now();
        let shape = SeedShape {
            traces: 45,
            traces_per_request: 10,
            public_key: "pk-lf-test".into(),
            seed: 7,
        };
        let workload = traces_workload(&shape, now);
        assert_eq!(workload.requests.len(), 5);
        let events = events(&workload.requests);
        let traces: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "trace-create")
            .map(|e| &e["body"])
            .collect();
        assert_eq!(traces.len(), 45);
        // Traces 0, 20 and 40 have a score.
        assert_eq!(events.len(), 48);
        for trace in &traces {
            let tags = trace["tags"].as_array().unwrap();
            assert!((1..=3).contains(&tags.len()));
            let at: DateTime<Utc> = trace["timestamp"].as_str().unwrap().parse().unwrap();
            assert!(at <= now && now - at <= chrono::Duration::days(DAYS));
            let text = trace["input"].to_string().len() + trace["output"].to_string().len();
            assert!((200..300).contains(&text), "{text}");
        }
        let users: std::collections::HashSet<_> =
            traces.iter().map(|t| t["userId"].clone()).collect();
        assert!(users.len() > 40);
        let again = seeded_trace(7, 45, 12);
        assert_eq!(again["id"], traces[12]["id"]);
        assert_eq!(again["tags"], traces[12]["tags"]);
        // The same shape makes the same traces.
        let again = events_of(&traces_workload(&shape, now));
        assert_eq!(again, events_of(&workload));
    }

    fn events_of(workload: &Workload) -> Vec<Value> {
        events(&workload.requests)
    }

    #[test]
    fn a_large_trace_is_split_into_requests_of_one_tree() {
        let (id, requests) = large_trace("pk-lf-test", 1, Utc::now(), 100, 40);
        assert_eq!(requests.len(), 3);
        assert!(requests.iter().all(|r| r.trace_ids == [id.clone()]));
        let events = events(&requests);
        assert_eq!(events.len(), 101);
        let observations: Vec<&Value> = events[1..].iter().map(|e| &e["body"]).collect();
        assert!(observations.iter().all(|o| o["traceId"] == id.as_str()));
        let root = &observations[0]["id"];
        assert!(observations[0]["parentObservationId"].is_null());
        assert_eq!(&observations[1]["parentObservationId"], root);
        assert_eq!(
            observations[2]["parentObservationId"],
            observations[1]["id"]
        );
        assert_eq!(&observations[11]["parentObservationId"], root);
        let generations = events
            .iter()
            .filter(|e| e["type"] == "generation-create")
            .count();
        assert_eq!(generations, 20);
    }
}
