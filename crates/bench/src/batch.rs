//! The `batch` scenario: `POST /api/public/ingestion` bodies as the Langfuse SDKs before OTel
//! sent them — per trace a `trace-create` and the create/update events of five observations (a
//! root span, three child spans, a `gpt-4o` generation with usage), ten events in all.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::text::Rng;
use crate::workload::{Expect, Payload, Workload, build_parallel};

pub const EVENTS_PER_TRACE: usize = 10;

pub struct BatchShape {
    /// Rounded up to whole traces.
    pub events: usize,
    pub events_per_request: usize,
    /// Input or output text per event.
    pub payload_bytes: usize,
    pub public_key: String,
    pub seed: u64,
}

pub fn workload(shape: &BatchShape) -> Workload {
    let traces = shape.events.div_ceil(EVENTS_PER_TRACE);
    let total = traces * EVENTS_PER_TRACE;
    let per_request = shape.events_per_request.max(1);
    let now = Utc::now();
    let requests = build_parallel(total.div_ceil(per_request), |index| {
        let first = index * per_request;
        request(shape, now, first..total.min(first + per_request))
    });
    Workload {
        name: "batch",
        unit: "events",
        path: "/api/public/ingestion",
        headers: vec![("content-type", "application/json".to_owned())],
        expect: Expect::MultiStatus,
        requests,
        gzip: false,
    }
}

/// The request holding events `range` of the whole run.
fn request(shape: &BatchShape, now: DateTime<Utc>, range: std::ops::Range<usize>) -> Payload {
    let first_trace = range.start / EVENTS_PER_TRACE;
    let last_trace = (range.end - 1) / EVENTS_PER_TRACE;
    let mut batch = Vec::with_capacity(range.len());
    let mut trace_ids = Vec::new();
    for trace in first_trace..=last_trace {
        let (trace_id, events) = trace_events(shape, now, trace);
        let offset = trace * EVENTS_PER_TRACE;
        let from = range.start.max(offset) - offset;
        let to = range.end.min(offset + EVENTS_PER_TRACE) - offset;
        batch.extend(events.into_iter().skip(from).take(to - from));
        // A trace belongs to the request that carries its last event.
        if to == EVENTS_PER_TRACE {
            trace_ids.push(trace_id);
        }
    }
    let items = batch.len();
    let body = json!({
        "batch": batch,
        "metadata": {
            "batch_size": items,
            "sdk_name": "python",
            "sdk_version": "2.60.0",
            "public_key": shape.public_key,
        },
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    Payload {
        raw_bytes: body.len(),
        body,
        items,
        trace_ids,
    }
}

/// Trace number `trace`: its id and its ten events, the same every time it is asked for.
fn trace_events(shape: &BatchShape, now: DateTime<Utc>, trace: usize) -> (String, Vec<Value>) {
    let mut rng = Rng::new(shape.seed ^ (trace as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let size = shape.payload_bytes;
    let trace_id = rng.uuid();
    let [root, retrieve, rerank, generation, format] = [(); 5].map(|()| rng.uuid());
    let start = now - chrono::Duration::milliseconds(60_000 - rng.below(58_000) as i64);
    let at = |ms: i64| {
        (start + chrono::Duration::milliseconds(ms)).to_rfc3339_opts(SecondsFormat::Millis, true)
    };
    let child = |id: &str, name: &str| {
        let mut body = json!({"id": id, "traceId": trace_id, "name": name});
        body["parentObservationId"] = json!(root);
        body
    };
    let bodies = [
        (
            "trace-create",
            json!({
                "id": trace_id, "timestamp": at(0), "name": "support-chat",
                "userId": format!("user-{}", rng.below(1_000)),
                "sessionId": format!("session-{}", rng.below(5_000)),
                "release": "v1.2.3", "version": "1", "environment": "production",
                "tags": ["bench", "chat"], "metadata": {"team": "search"},
                "input": {"question": rng.prose(size)},
            }),
        ),
        (
            "span-create",
            json!({"id": root, "traceId": trace_id, "name": "support-chat", "startTime": at(0),
                   "environment": "production", "input": {"question": rng.prose(size)}}),
        ),
        (
            "span-create",
            merge(
                child(&retrieve, "retrieve-documents"),
                json!({"startTime": at(10), "input": {"query": rng.prose(size)}}),
            ),
        ),
        (
            "span-update",
            json!({"id": retrieve, "traceId": trace_id, "endTime": at(300),
                   "output": [{"id": "doc-1", "content": rng.prose(size)}]}),
        ),
        (
            "span-create",
            merge(
                child(&rerank, "rerank"),
                json!({"startTime": at(300), "input": {"candidates": [rng.prose(size)]}}),
            ),
        ),
        (
            "span-update",
            json!({"id": rerank, "traceId": trace_id, "endTime": at(400),
                   "output": {"top": rng.prose(size)}}),
        ),
        (
            "generation-create",
            merge(
                child(&generation, "llm-call"),
                json!({
                    "startTime": at(400), "model": "gpt-4o",
                    "modelParameters": {"temperature": 0.2, "max_tokens": 512},
                    "input": [
                        {"role": "system", "content": "You answer support questions."},
                        {"role": "user", "content": rng.prose(size)},
                    ],
                    "usageDetails": {"input": size / 4 + 12, "output": size / 4},
                }),
            ),
        ),
        (
            "generation-update",
            json!({"id": generation, "traceId": trace_id, "endTime": at(1_800),
                   "completionStartTime": at(650),
                   "output": {"role": "assistant", "content": rng.prose(size)}}),
        ),
        (
            "span-create",
            merge(
                child(&format, "format-answer"),
                json!({"startTime": at(1_800), "endTime": at(1_950),
                       "input": rng.prose(size / 2), "output": rng.prose(size / 2)}),
            ),
        ),
        (
            "span-update",
            json!({"id": root, "traceId": trace_id, "endTime": at(2_000),
                   "output": rng.prose(size)}),
        ),
    ];
    let envelope_time = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    let events = bodies
        .into_iter()
        .map(|(kind, body)| {
            json!({"id": rng.uuid(), "type": kind, "timestamp": envelope_time, "body": body})
        })
        .collect();
    (trace_id, events)
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_straddling_requests_are_whole_and_counted_once() {
        let shape = BatchShape {
            events: 25,
            events_per_request: 7,
            payload_bytes: 64,
            public_key: "pk-lf-test".into(),
            seed: 3,
        };
        let workload = workload(&shape);
        assert_eq!((workload.items(), workload.traces()), (30, 3));
        assert_eq!(workload.requests.len(), 5);
        let events: Vec<Value> = workload
            .requests
            .iter()
            .flat_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                body["batch"].as_array().unwrap().clone()
            })
            .collect();
        let trace_creates = events
            .iter()
            .filter(|e| e["type"] == "trace-create")
            .count();
        assert_eq!(trace_creates, 3);
        assert_eq!(events[9]["body"]["traceId"], events[0]["body"]["id"]);
    }
}
