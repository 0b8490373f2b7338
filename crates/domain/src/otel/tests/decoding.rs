//! Both encodings: what the JavaScript exporter writes decodes to what the protobuf encodes, the
//! lenient forms Langfuse accepts, whole-export rejections, and no input makes decoding panic.

use proptest::prelude::*;
use prost::Message;
use serde_json::json;

use super::*;
use crate::otel::{OtelError, decode_json, decode_protobuf};

/// A trace from the Langfuse JS SDK as `@opentelemetry/exporter-trace-otlp-http` serialises it.
const JS_EXPORT: &str = r#"{"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"langfuse-js-app"}},
  {"key":"telemetry.sdk.language","value":{"stringValue":"nodejs"}},
  {"key":"telemetry.sdk.name","value":{"stringValue":"opentelemetry"}},
  {"key":"telemetry.sdk.version","value":{"stringValue":"2.0.1"}}],"droppedAttributesCount":0},
 "scopeSpans":[{"scope":{"name":"langfuse-sdk","version":"4.2.0","attributes":[
   {"key":"public_key","value":{"stringValue":"pk-lf-1234"}}]},
  "spans":[
   {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"handle-request",
    "kind":1,"startTimeUnixNano":"1704067200123456789","endTimeUnixNano":"1704067201000000000",
    "attributes":[
     {"key":"langfuse.observation.type","value":{"stringValue":"span"}},
     {"key":"langfuse.trace.name","value":{"stringValue":"js-trace"}},
     {"key":"langfuse.trace.tags","value":{"arrayValue":{"values":[{"stringValue":"js"}]}}},
     {"key":"langfuse.trace.public","value":{"boolValue":true}},
     {"key":"langfuse.observation.input","value":{"stringValue":"{\"q\":\"hi\"}"}},
     {"key":"langfuse.environment","value":{"stringValue":"langfuse-dev"}}],
    "droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":0},"links":[],
    "droppedLinksCount":0},
   {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"b7ad6b7169203331",
    "parentSpanId":"00f067aa0ba902b7","name":"llm","kind":1,"flags":257,
    "startTimeUnixNano":"1704067200200000000","endTimeUnixNano":"1704067200900000000",
    "attributes":[
     {"key":"langfuse.observation.type","value":{"stringValue":"generation"}},
     {"key":"langfuse.observation.model.name","value":{"stringValue":"gpt-4o"}},
     {"key":"langfuse.observation.usage_details","value":{"stringValue":"{\"input\":10,\"output\":5}"}},
     {"key":"langfuse.observation.prompt.version","value":{"intValue":2}},
     {"key":"retries","value":{"intValue":"3"}},
     {"key":"score","value":{"doubleValue":0.25}}],
    "droppedAttributesCount":0,
    "events":[{"attributes":[{"key":"exception.message","value":{"stringValue":"boom"}}],
      "name":"exception","timeUnixNano":"1704067200300000000","droppedAttributesCount":0}],
    "droppedEventsCount":0,"status":{"code":2,"message":"boom"},"links":[],"droppedLinksCount":0}
  ]}]}]}"#;

/// [`JS_EXPORT`], built directly.
fn js_request() -> ExportTraceServiceRequest {
    let root = span(
        ROOT_ID,
        None,
        "handle-request",
        (1_704_067_200_123_456_789, 1_704_067_201_000_000_000),
        vec![
            string("langfuse.observation.type", "span"),
            string("langfuse.trace.name", "js-trace"),
            strings("langfuse.trace.tags", &["js"]),
            boolean("langfuse.trace.public", true),
            string("langfuse.observation.input", "{\"q\":\"hi\"}"),
            string("langfuse.environment", "langfuse-dev"),
        ],
    );
    let mut child = span(
        CHILD_ID,
        Some(ROOT_ID),
        "llm",
        (1_704_067_200_200_000_000, 1_704_067_200_900_000_000),
        vec![
            string("langfuse.observation.type", "generation"),
            string("langfuse.observation.model.name", "gpt-4o"),
            string(
                "langfuse.observation.usage_details",
                "{\"input\":10,\"output\":5}",
            ),
            int("langfuse.observation.prompt.version", 2),
            int("retries", 3),
            double("score", 0.25),
        ],
    );
    child.flags = 257;
    child.status = Some(Status {
        message: "boom".to_owned(),
        code: 2,
    });
    child.events = vec![opentelemetry_proto::tonic::trace::v1::span::Event {
        time_unix_nano: 1_704_067_200_300_000_000,
        name: "exception".to_owned(),
        attributes: vec![string("exception.message", "boom")],
        dropped_attributes_count: 0,
    }];
    request(
        vec![
            string("service.name", "langfuse-js-app"),
            string("telemetry.sdk.language", "nodejs"),
            string("telemetry.sdk.name", "opentelemetry"),
            string("telemetry.sdk.version", "2.0.1"),
        ],
        scope(
            "langfuse-sdk",
            "4.2.0",
            vec![string("public_key", "pk-lf-1234")],
        ),
        vec![root, child],
    )
}

fn decoded_json(body: &str) -> ExportTraceServiceRequest {
    match decode_json(body.as_bytes()) {
        Ok(request) => request,
        Err(error) => panic!("the body should decode: {error}"),
    }
}

#[test]
fn the_js_exporters_json_decodes_to_the_equivalent_protobuf_request() {
    assert_eq!(decoded_json(JS_EXPORT), js_request());
    let body = js_request().encode_to_vec();
    assert_eq!(decode_protobuf(&body), Ok(js_request()));
    assert_eq!(map(&decoded_json(JS_EXPORT)), map(&js_request()));
}

#[test]
fn opentelemetry_protos_serde_support_reads_the_js_form_the_same_way() {
    let via_serde: Result<ExportTraceServiceRequest, _> = serde_json::from_str(JS_EXPORT);
    assert_eq!(via_serde.ok(), Some(js_request()));
    // …but it fails the whole body on forms Langfuse accepts, hence our own reader.
    let lenient = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736",
      "spanId":"00f067aa0ba902b7","name":null,"startTimeUnixNano":{"high":396976247,"low":-1052991488}}]}]}]}"#;
    assert!(serde_json::from_str::<ExportTraceServiceRequest>(lenient).is_err());
    let span = &decoded_json(lenient).resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(span.start_time_unix_nano, 1_705_000_001_395_793_920);
}

#[test]
fn the_js_export_maps_like_the_python_one() {
    let batch = map(&decoded_json(JS_EXPORT));
    let (root, child) = (&batch.observations[0], &batch.observations[1]);
    assert_eq!(root.environment.as_deref(), Some("dev"));
    assert_eq!(root.input, Some(json!({"q": "hi"})));
    assert_eq!(batch.traces[0].name, Some(Some("js-trace".to_owned())));
    assert_eq!(batch.traces[0].tags, Some(vec!["js".to_owned()]));
    assert_eq!(batch.traces[0].public, Some(true));
    assert_eq!(child.model, Some(Some("gpt-4o".to_owned())));
    assert_eq!(child.level, Some(Some(crate::ingest::Level::Error)));
    assert_eq!(child.status_message, Some(Some("boom".to_owned())));
    // A version without a name links no prompt.
    assert_eq!(child.prompt, None);
}

#[test]
fn lenient_json_forms_are_read() {
    let body = r#"{"resourceSpans":[{"resource":null,"scopeSpans":[{"scope":{"name":"x","version":null},"spans":[{
      "traceId":[75,249,47,53,119,179,77,166,163,206,146,157,14,14,71,54],
      "spanId":{"type":"Buffer","data":[0,240,103,170,11,169,2,183]},
      "parentSpanId":"","startTimeUnixNano":1704067200123456789,"endTimeUnixNano":null,
      "kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR"},
      "attributes":[
        {"key":"nan","value":{"doubleValue":"NaN"}},
        {"key":"big","value":{"intValue":{"high":0,"low":-1}}},
        {"key":"empty","value":{"arrayValue":{}}},
        {"key":"nothing","value":null},
        {"value":{"stringValue":"no key"}},
        {"key":"bytes","value":{"bytesValue":"AQID"}},
        {"key":"list","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}}]}]}]}]}"#;
    let request = decoded_json(body);
    let span = &request.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(hex::encode(&span.trace_id), TRACE_ID);
    assert_eq!(hex::encode(&span.span_id), ROOT_ID);
    assert!(span.parent_span_id.is_empty());
    assert_eq!(
        (span.kind, span.status.as_ref().map(|s| s.code)),
        (3, Some(2))
    );
    let batch = map(&request);
    let observation = &batch.observations[0];
    assert_eq!(observation.start_time, Some(1_704_067_200_123));
    assert_eq!(observation.end_time, Some(Some(1_704_067_200_123)));
    let attributes = observation
        .metadata
        .as_ref()
        .and_then(|m| m.get("attributes"));
    assert_eq!(
        attributes,
        Some(&json!({
            "nan": "NaN",
            "big": 4_294_967_295_i64,
            "empty": [],
            "nothing": null,
            "bytes": "{\"bytesValue\":\"AQID\"}",
            "list": "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"v\"}}]}}",
        }))
    );
}

#[test]
fn malformed_bodies_are_parse_errors() {
    assert_eq!(
        decode_protobuf(&[0xff, 0xff, 0xff]),
        Err(OtelError::Protobuf)
    );
    assert_eq!(decode_json(b"{not json"), Err(OtelError::Json));
    assert_eq!(decode_json(b"null"), Err(OtelError::Json));
    assert_eq!(
        OtelError::Protobuf.to_string(),
        "Failed to parse OTel Protobuf Trace"
    );
    assert_eq!(
        OtelError::Json.to_string(),
        "Failed to parse OTel JSON Trace"
    );
}

#[test]
fn empty_exports_decode_to_nothing() {
    for body in [
        "{}",
        r#"{"resourceSpans":[]}"#,
        r#"{"resourceSpans":null}"#,
        "[]",
    ] {
        assert_eq!(
            decoded_json(body),
            ExportTraceServiceRequest::default(),
            "{body}"
        );
    }
    assert_eq!(
        decode_protobuf(&[]),
        Ok(ExportTraceServiceRequest::default())
    );
    assert_eq!(
        map(&ExportTraceServiceRequest::default()),
        OtelBatch::default()
    );
}

fn rejection(result: Result<ExportTraceServiceRequest, OtelError>) -> String {
    match result {
        Err(OtelError::InvalidExport(message)) => message,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn spans_without_ids_reject_the_whole_export() {
    // An OTLP logs export sent to the traces endpoint decodes into spans without ids.
    let body = r#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"my-logger"},"spans":[
      {"spanId":"00f067aa0ba902b7","traceId":"4bf92f3577b34da6a3ce929d0e0e4736"},
      {"name":"log record","traceId":7}]}]}]}"#;
    let message = rejection(decode_json(body.as_bytes()));
    assert!(message.starts_with(
        "Invalid OTLP trace export: 1 of 2 span(s) cannot be processed (traceId:not_an_id, \
         spanId:absent). traceId and spanId are required on every span"
    ));
    assert!(message.contains("Instrumentation scopes: my-logger."));

    let mut logs = js_request();
    logs.resource_spans[0].scope_spans[0].spans[1]
        .trace_id
        .clear();
    let message = rejection(decode_protobuf(&logs.encode_to_vec()));
    assert!(message.contains("1 of 2 span(s) cannot be processed (traceId:absent)"));
}

#[test]
fn attribute_maps_instead_of_lists_reject_the_whole_export() {
    let body = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736",
      "spanId":"00f067aa0ba902b7","attributes":{"user.id":"u"}}]}]}]}"#;
    let message = rejection(decode_json(body.as_bytes()));
    assert!(message.contains("(attributes:not_an_array)"));
    assert!(message.contains("OTLP attributes are a list of {key, value} entries"));
    let body = r#"{"resourceSpans":[{"scopeSpans":{"spans":[]}}]}"#;
    let message = rejection(decode_json(body.as_bytes()));
    assert!(message.contains("1 resource- or scope-level field(s) are present but not arrays"));
}

#[test]
fn a_resource_spans_that_is_not_a_list_rejects_the_whole_export() {
    for body in [
        r#"{"resourceSpans":"not a list"}"#,
        r#"{"resourceSpans":{"scopeSpans":[]}}"#,
        r#"{"resourceSpans":7}"#,
        r#"{"resourceSpans":false}"#,
    ] {
        let message = rejection(decode_json(body.as_bytes()));
        assert!(
            message.starts_with(
                "Invalid OTLP trace export: 1 resource- or scope-level field(s) are present but \
                 not arrays (resourceSpans:not_an_array)."
            ),
            "{body}: {message}"
        );
        assert!(
            message.contains("Instrumentation scopes: unknown."),
            "{body}"
        );
    }
}

/// Arbitrary JSON, at most a few levels deep.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 .:{}\\[\\]\"]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("stringValue".to_owned()),
                    Just("intValue".to_owned()),
                    Just("arrayValue".to_owned()),
                    Just("values".to_owned()),
                    Just("key".to_owned()),
                    Just("value".to_owned()),
                    "[a-z._]{1,24}",
                ],
                inner,
                0..5
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(request) = decode_protobuf(&body) {
            let _ = map_export(&request, NOW);
        }
        if let Ok(request) = decode_json(&body) {
            let _ = map_export(&request, NOW);
        }
    }

    #[test]
    fn arbitrary_json_in_an_otlp_shape_never_panics(
        attribute in any_json(),
        key in prop_oneof![Just("input.value".to_owned()), Just("llm.input_messages.0.x".to_owned()), "[a-z._]{1,30}"],
        time in any_json(),
        events in any_json(),
    ) {
        let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "s"}, "spans": [{
            "traceId": TRACE_ID, "spanId": ROOT_ID, "startTimeUnixNano": time, "events": events,
            "attributes": [{"key": key, "value": attribute}, {"key": "langfuse.observation.usage_details", "value": {"stringValue": "{\"input\": 1}"}}],
        }]}]}]});
        if let Ok(request) = decode_json(body.to_string().as_bytes()) {
            let _ = map_export(&request, NOW);
        }
    }
}
