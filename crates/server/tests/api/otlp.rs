//! `POST /api/public/otel/v1/traces`: protobuf (plain and gzip) and JSON exports as SDKs send
//! them, and every malformed request a 400 with `{"error"}`.

use std::io::Write;

use axum::http::{Method, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{TestApp, TestResponse};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const ROOT_ID: &str = "b7ad6b7169203331";
const CHILD_ID: &str = "00f067aa0ba902b7";
const START_NS: u64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z

fn attr(key: &str, value: Any) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    attr(key, Any::StringValue(value.into()))
}

fn span(
    id: &str,
    parent: Option<&str>,
    name: &str,
    offset_ms: u64,
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: hex::decode(TRACE_ID).unwrap(),
        span_id: hex::decode(id).unwrap(),
        parent_span_id: parent.map(|p| hex::decode(p).unwrap()).unwrap_or_default(),
        name: name.into(),
        start_time_unix_nano: START_NS + offset_ms * 1_000_000,
        end_time_unix_nano: START_NS + (offset_ms + 500) * 1_000_000,
        attributes,
        ..Default::default()
    }
}

/// A trace as the Langfuse Python SDK 5.x exports it: a root span and a child generation.
fn python_sdk_export() -> ExportTraceServiceRequest {
    let root = span(
        ROOT_ID,
        None,
        "handle-request",
        0,
        vec![
            text("langfuse.observation.type", "span"),
            text("langfuse.trace.name", "chat-request"),
            text("user.id", "user-1"),
            text("session.id", "session-1"),
            attr(
                "langfuse.trace.tags",
                Any::ArrayValue(opentelemetry_proto::tonic::common::v1::ArrayValue {
                    values: vec![AnyValue {
                        value: Some(Any::StringValue("prod".into())),
                    }],
                }),
            ),
            text("langfuse.trace.metadata.team", "\"search\""),
            text("langfuse.observation.input", "{\"question\": \"hi\"}"),
            text("langfuse.observation.output", "\"hello\""),
        ],
    );
    let child = span(
        CHILD_ID,
        Some(ROOT_ID),
        "llm-call",
        100,
        vec![
            text("langfuse.observation.type", "generation"),
            text("langfuse.observation.model.name", "gpt-4o"),
            text(
                "langfuse.observation.usage_details",
                "{\"input\": 1000, \"output\": 500}",
            ),
            text(
                "langfuse.observation.model.parameters",
                "{\"temperature\": 0.2}",
            ),
            text("user.id", "user-1"),
        ],
    );
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "app"),
                    text("telemetry.sdk.language", "python"),
                    text("langfuse.environment", "staging"),
                    text("langfuse.release", "v1"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "langfuse-sdk".into(),
                    version: "5.0.4".into(),
                    ..Default::default()
                }),
                spans: vec![root, child],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

async fn post(
    app: &TestApp,
    auth: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> TestResponse {
    let mut headers = vec![("authorization", auth), ("content-type", content_type)];
    if let Some(encoding) = encoding {
        headers.push(("content-encoding", encoding));
    }
    app.request(Method::POST, "/api/public/otel/v1/traces", &headers, body)
        .await
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn assert_python_trace_stored(app: &TestApp, auth: &str) {
    let trace = app
        .get(&format!("/api/public/traces/{TRACE_ID}"), Some(auth))
        .await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.body);
    let trace = trace.body;
    assert_eq!(trace["name"], "chat-request");
    assert_eq!(trace["userId"], "user-1");
    assert_eq!(trace["sessionId"], "session-1");
    assert_eq!(trace["tags"], json!(["prod"]));
    assert_eq!(trace["environment"], "staging");
    assert_eq!(trace["release"], "v1");
    assert_eq!(
        trace["metadata"]["team"], "search",
        "Python v5's JSON-encoded metadata reads back unquoted"
    );
    assert_eq!(trace["input"], json!({"question": "hi"}));
    assert_eq!(trace["output"], "hello");
    assert_eq!(trace["timestamp"], "2024-01-01T00:00:00.000Z");
    assert_eq!(trace["latency"], 0.6);
    let observations = trace["observations"].as_array().unwrap();
    assert_eq!(observations.len(), 2);
    let root = observations.iter().find(|o| o["id"] == ROOT_ID).unwrap();
    assert_eq!(root["type"], "SPAN");
    assert_eq!(root["parentObservationId"], Value::Null);
    let generation = observations.iter().find(|o| o["id"] == CHILD_ID).unwrap();
    assert_eq!(generation["type"], "GENERATION");
    assert_eq!(generation["parentObservationId"], ROOT_ID);
    assert_eq!(generation["model"], "gpt-4o");
    assert_eq!(generation["modelParameters"]["temperature"], 0.2);
    assert_eq!(generation["startTime"], "2024-01-01T00:00:00.100Z");
    assert_eq!(generation["endTime"], "2024-01-01T00:00:00.600Z");
    assert_eq!(
        generation["usageDetails"],
        json!({"input": 1000, "output": 500, "total": 1500})
    );
    assert_eq!(generation["costDetails"]["total"], 0.0075);
    assert_eq!(trace["totalCost"], 0.0075);
}

async fn protobuf_and_gzip_exports_are_stored(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let body = python_sdk_export().encode_to_vec();
    let response = post(
        &app,
        &auth,
        "application/x-protobuf",
        Some("gzip"),
        gzip(&body),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/x-protobuf")
    );
    assert_python_trace_stored(&app, &auth).await;

    // The same export again (an exporter retry) changes nothing; plain protobuf works too.
    let again = post(&app, &auth, "application/x-protobuf", None, body).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_python_trace_stored(&app, &auth).await;
}

async fn json_exports_are_stored(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "js-app"}}]},
        "scopeSpans": [{
            "scope": {"name": "langfuse-sdk", "version": "5.10.1"},
            "spans": [{
                "traceId": TRACE_ID, "spanId": ROOT_ID, "name": "js-root",
                "startTimeUnixNano": "1704067200000000000", "endTimeUnixNano": "1704067201000000000",
                "attributes": [
                    {"key": "langfuse.trace.name", "value": {"stringValue": "from-js"}},
                    {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "20"}},
                    {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 10}},
                ],
                "status": {"code": 2, "message": "failed"},
            }],
        }],
    }]});
    let response = post(
        &app,
        &auth,
        "application/json; charset=utf-8",
        None,
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        (response.status, response.body.clone()),
        (StatusCode::OK, json!({}))
    );
    let trace = app
        .get(&format!("/api/public/traces/{TRACE_ID}"), Some(&auth))
        .await
        .body;
    assert_eq!(trace["name"], "from-js");
    let observation = &trace["observations"][0];
    assert_eq!(observation["type"], "GENERATION");
    assert_eq!(observation["level"], "ERROR");
    assert_eq!(observation["statusMessage"], "failed");
    assert_eq!(
        observation["usageDetails"],
        json!({"input": 20, "output": 10, "total": 30})
    );
    assert_eq!(observation["latency"], 1.0);

    let empty = post(&app, &auth, "application/json", None, b"{}".to_vec()).await;
    assert_eq!(empty.status, StatusCode::OK);
    let metrics = app
        .post_json("/api/public/otel/v1/metrics", &auth, &json!({}))
        .await;
    assert_eq!(
        (metrics.status, metrics.body),
        (StatusCode::OK, json!({"message": "OK"}))
    );
}

async fn malformed_exports_are_400s(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let body = python_sdk_export().encode_to_vec();
    let cases: Vec<(&str, Option<&str>, Vec<u8>, &str)> = vec![
        ("text/plain", None, body.clone(), "Invalid content type"),
        (
            "application/x-protobuf",
            None,
            b"\xff\xff\xff\xff garbage".to_vec(),
            "Failed to parse OTel Protobuf Trace",
        ),
        (
            "application/x-protobuf",
            Some("gzip"),
            b"not gzip at all".to_vec(),
            "Failed to decompress request body",
        ),
        (
            "application/json",
            None,
            b"{broken".to_vec(),
            "Failed to parse OTel JSON Trace",
        ),
    ];
    for (content_type, encoding, payload, message) in cases {
        let response = post(&app, &auth, content_type, encoding, payload).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["error"], message);
    }
    let missing_ids = json!({"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "no ids"}]}]}]});
    let response = post(
        &app,
        &auth,
        "application/json",
        None,
        missing_ids.to_string().into_bytes(),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response.body["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid OTLP trace export")
    );

    // A `resourceSpans` that is not a list is not an empty export: the same 400 as other lists.
    for wrong_shape in [
        json!({"resourceSpans": "not a list"}),
        json!({"resourceSpans": {"scopeSpans": []}}),
    ] {
        let response = post(
            &app,
            &auth,
            "application/json",
            None,
            wrong_shape.to_string().into_bytes(),
        )
        .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{wrong_shape}: {}",
            response.body
        );
        let message = response.body["error"].as_str().unwrap();
        assert!(
            message.starts_with(
                "Invalid OTLP trace export: 1 resource- or scope-level field(s) are present but \
                 not arrays (resourceSpans:not_an_array)."
            ),
            "{message}"
        );
        assert!(
            message.contains("The entire export was rejected"),
            "{message}"
        );
    }

    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/x-protobuf"),
        ("x-langfuse-ingestion-version", "5"),
    ];
    let version = app
        .request(
            Method::POST,
            "/api/public/otel/v1/traces",
            &headers,
            body.clone(),
        )
        .await;
    assert_eq!(version.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        version.body["error"],
        "Unsupported x-langfuse-ingestion-version: \"5\". Maximum supported: \"4\"."
    );

    let bearer = format!("Bearer {}", tenant.public_key);
    let forbidden = post(&app, &bearer, "application/x-protobuf", None, body).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/public/traces/{TRACE_ID}"), Some(&auth))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// An export of `spans` under a resource with `resource` attributes.
fn export(resource: Vec<KeyValue>, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: resource,
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

async fn span_environment_attributes_set_the_traces_environment(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let cases: Vec<(&str, Vec<KeyValue>, Vec<KeyValue>, &str)> = vec![
        (
            "a span attribute alone",
            vec![],
            vec![text("langfuse.environment", "Production")],
            "production",
        ),
        (
            "the span attribute wins over the resource's",
            vec![text("langfuse.environment", "staging")],
            vec![text("langfuse.environment", "langfuse-prod")],
            "prod",
        ),
        (
            "langfuse.environment on the resource wins over deployment.environment.name on the span",
            vec![text("langfuse.environment", "qa")],
            vec![text("deployment.environment.name", "dev")],
            "qa",
        ),
        (
            "deployment.environment on the span",
            vec![text("service.name", "app")],
            vec![text("deployment.environment", "Canary")],
            "canary",
        ),
    ];
    for (index, (case, resource, attributes, expected)) in cases.into_iter().enumerate() {
        let trace_id = format!("{:032x}", index + 1);
        let in_trace = |id: &str, parent: Option<&str>, offset: u64, attributes: Vec<KeyValue>| {
            let mut span = span(id, parent, "work", offset, attributes);
            span.trace_id = hex::decode(&trace_id).unwrap();
            span
        };
        // Only the root span says the environment, and the child (which ends first) comes
        // first in the export, as a batch span processor sends them.
        let spans = vec![
            in_trace(CHILD_ID, Some(ROOT_ID), 100, vec![]),
            in_trace(ROOT_ID, None, 0, attributes),
        ];
        let body = export(resource, spans).encode_to_vec();
        let response = post(&app, &auth, "application/x-protobuf", None, body).await;
        assert_eq!(response.status, StatusCode::OK, "{case}");
        let trace = app
            .get(&format!("/api/public/traces/{trace_id}"), Some(&auth))
            .await;
        assert_eq!(trace.status, StatusCode::OK, "{case}: {}", trace.body);
        let trace = trace.body;
        assert_eq!(trace["environment"], expected, "{case}: trace");
        let root = trace["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|observation| observation["id"] == ROOT_ID)
            .unwrap();
        assert_eq!(root["environment"], expected, "{case}: observation");
    }
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "span_environment_attributes_set_the_traces_environment",
            span_environment_attributes_set_the_traces_environment,
        ),
        backend_test(
            "protobuf_and_gzip_exports_are_stored",
            protobuf_and_gzip_exports_are_stored,
        ),
        backend_test("json_exports_are_stored", json_exports_are_stored),
        backend_test("malformed_exports_are_400s", malformed_exports_are_400s),
    ]
}
