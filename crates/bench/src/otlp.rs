//! The `otlp` scenario: OTLP/HTTP protobuf exports shaped like the Langfuse Python SDK's — one
//! resource and the `langfuse-sdk` scope per request, spans in the order they end (children
//! before their root), each trace a root span with three child spans and a `gpt-4o` generation.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::write::GzEncoder;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use serde_json::json;

use crate::text::Rng;
use crate::workload::{Expect, Payload, Workload, build_parallel};

pub const SPANS_PER_TRACE: usize = 5;
const SDK_VERSION: &str = "5.0.4";
const MS: u64 = 1_000_000;

pub struct OtlpShape {
    pub traces: usize,
    pub traces_per_request: usize,
    /// Input plus output text per span.
    pub payload_bytes: usize,
    pub gzip: bool,
    pub public_key: String,
    pub seed: u64,
}

pub fn workload(shape: &OtlpShape) -> Workload {
    let per_request = shape.traces_per_request.max(1);
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let requests = build_parallel(shape.traces.div_ceil(per_request), |index| {
        let count = per_request.min(shape.traces - index * per_request);
        export(shape, index as u64, count, now_ns)
    });
    let mut headers = vec![
        ("content-type", "application/x-protobuf".to_owned()),
        ("x-langfuse-ingestion-version", "4".to_owned()),
        ("x-langfuse-sdk-name", "python".to_owned()),
        ("x-langfuse-sdk-version", SDK_VERSION.to_owned()),
        ("x-langfuse-public-key", shape.public_key.clone()),
    ];
    if shape.gzip {
        headers.push(("content-encoding", "gzip".to_owned()));
    }
    Workload {
        name: "otlp",
        unit: "spans",
        path: "/api/public/otel/v1/traces",
        headers,
        expect: Expect::Ok,
        requests,
        gzip: shape.gzip,
    }
}

/// Request `index`, holding `count` traces.
fn export(shape: &OtlpShape, index: u64, count: usize, now_ns: u64) -> Payload {
    let mut rng = Rng::new(shape.seed ^ index.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut spans = Vec::with_capacity(count * SPANS_PER_TRACE);
    let mut trace_ids = Vec::with_capacity(count);
    for _ in 0..count {
        let trace_id = rng.id_bytes::<16>();
        trace_ids.push(hex(&trace_id));
        // Traces of the last minute, like a busy application's.
        let start = now_ns - 60_000 * MS + rng.below(58_000) * MS;
        spans.extend(trace(&mut rng, trace_id, start, shape.payload_bytes));
    }
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    string("telemetry.sdk.language", "python"),
                    string("telemetry.sdk.name", "opentelemetry"),
                    string("telemetry.sdk.version", "1.33.1"),
                    string("service.name", "unknown_service"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "langfuse-sdk".to_owned(),
                    version: SDK_VERSION.to_owned(),
                    attributes: vec![string("public_key", &shape.public_key)],
                    dropped_attributes_count: 0,
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    let raw = request.encode_to_vec();
    let raw_bytes = raw.len();
    let body = if shape.gzip { gzip(&raw) } else { raw };
    Payload {
        body,
        raw_bytes,
        items: count * SPANS_PER_TRACE,
        trace_ids,
    }
}

/// One trace's spans in the order they end: retrieval, rerank, generation, formatting, root.
fn trace(rng: &mut Rng, trace_id: [u8; 16], start: u64, payload_bytes: usize) -> Vec<Span> {
    let half = payload_bytes / 2;
    let root_id = rng.id_bytes::<8>();
    let user = format!("user-{}", rng.below(1_000));
    let session = format!("session-{}", rng.below(5_000));
    let common = || {
        vec![
            string("user.id", &user),
            string("session.id", &session),
            string("langfuse.environment", "production"),
        ]
    };
    let child = |id, name: &str, kind: &str, (from, to): (u64, u64), mut attributes: Vec<_>| {
        let mut all = common();
        all.push(string("langfuse.observation.type", kind));
        all.append(&mut attributes);
        span(
            trace_id,
            id,
            Some(root_id),
            name,
            (start + from, start + to),
            all,
        )
    };
    let retrieve = child(
        rng.id_bytes(),
        "retrieve-documents",
        "span",
        (10 * MS, 300 * MS),
        vec![
            string(
                "langfuse.observation.input",
                &json!({"query": rng.prose(half)}).to_string(),
            ),
            string(
                "langfuse.observation.output",
                &json!([{"id": "doc-1", "content": rng.prose(half)}]).to_string(),
            ),
        ],
    );
    let rerank = child(
        rng.id_bytes(),
        "rerank",
        "span",
        (300 * MS, 400 * MS),
        vec![
            string(
                "langfuse.observation.input",
                &json!({"candidates": [rng.prose(half)]}).to_string(),
            ),
            string(
                "langfuse.observation.output",
                &json!({"top": rng.prose(half)}).to_string(),
            ),
        ],
    );
    let prompt = rng.prose(half);
    let completion = rng.prose(half);
    let usage = json!({"input": prompt.len() / 4 + 12, "output": completion.len() / 4});
    let first_token =
        chrono::DateTime::from_timestamp_nanos(i64::try_from(start + 650 * MS).unwrap_or(i64::MAX))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let generation = child(
        rng.id_bytes(),
        "llm-call",
        "generation",
        (400 * MS, 1_800 * MS),
        vec![
            string("langfuse.observation.model.name", "gpt-4o"),
            string(
                "langfuse.observation.model.parameters",
                "{\"temperature\": 0.2, \"max_tokens\": 512}",
            ),
            string("langfuse.observation.usage_details", &usage.to_string()),
            string(
                "langfuse.observation.completion_start_time",
                &json!(first_token).to_string(),
            ),
            string(
                "langfuse.observation.input",
                &json!([
                    {"role": "system", "content": "You answer support questions."},
                    {"role": "user", "content": prompt},
                ])
                .to_string(),
            ),
            string(
                "langfuse.observation.output",
                &json!({"role": "assistant", "content": completion}).to_string(),
            ),
        ],
    );
    let format = child(
        rng.id_bytes(),
        "format-answer",
        "span",
        (1_800 * MS, 1_950 * MS),
        vec![
            string(
                "langfuse.observation.input",
                &json!(rng.prose(half)).to_string(),
            ),
            string(
                "langfuse.observation.output",
                &json!(rng.prose(half)).to_string(),
            ),
        ],
    );
    let mut root_attributes = common();
    root_attributes.extend([
        string("langfuse.observation.type", "span"),
        string("langfuse.trace.name", "support-chat"),
        strings("langfuse.trace.tags", &["bench", "chat"]),
        string("langfuse.trace.metadata.team", "\"search\""),
        string(
            "langfuse.observation.input",
            &json!({"question": rng.prose(half)}).to_string(),
        ),
        string(
            "langfuse.observation.output",
            &json!(rng.prose(half)).to_string(),
        ),
    ]);
    let root = span(
        trace_id,
        root_id,
        None,
        "support-chat",
        (start, start + 2_000 * MS),
        root_attributes,
    );
    vec![retrieve, rerank, generation, format, root]
}

fn span(
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent: Option<[u8; 8]>,
    name: &str,
    (start, end): (u64, u64),
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: trace_id.to_vec(),
        span_id: span_id.to_vec(),
        parent_span_id: parent.map(|p| p.to_vec()).unwrap_or_default(),
        // What the Python exporter writes: sampled, with the remote-parent bit known.
        flags: 0x101,
        name: name.to_owned(),
        kind: 1,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        attributes,
        status: Some(Status::default()),
        ..Span::default()
    }
}

fn value(value: any_value::Value) -> Option<AnyValue> {
    Some(AnyValue { value: Some(value) })
}

fn string(key: &str, text: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value(any_value::Value::StringValue(text.to_owned())),
        ..KeyValue::default()
    }
}

fn strings(key: &str, items: &[&str]) -> KeyValue {
    let values = items
        .iter()
        .map(|item| AnyValue {
            value: Some(any_value::Value::StringValue((*item).to_owned())),
        })
        .collect();
    KeyValue {
        key: key.to_owned(),
        value: value(any_value::Value::ArrayValue(ArrayValue { values })),
        ..KeyValue::default()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(raw.len() / 3), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(raw);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_hold_the_asked_traces_with_five_spans_each() {
        let shape = OtlpShape {
            traces: 7,
            traces_per_request: 3,
            payload_bytes: 256,
            gzip: false,
            public_key: "pk-lf-test".into(),
            seed: 9,
        };
        let workload = workload(&shape);
        assert_eq!(workload.requests.len(), 3);
        assert_eq!((workload.traces(), workload.items()), (7, 35));
        let last = &workload.requests[2];
        let decoded = ExportTraceServiceRequest::decode(last.body.as_slice()).unwrap();
        let spans = &decoded.resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans.len(), 5);
        assert_eq!(hex(&spans[4].trace_id), last.trace_ids[0]);
        assert!(spans[4].parent_span_id.is_empty());
    }
}
