//! Whole-export tests: realistic requests as the SDKs and instrumentations send them, mapped and
//! compared field by field; decoding of both encodings; robustness.

mod decoding;
mod frameworks;
mod python_sdk;

use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

use super::{ExportTraceServiceRequest, OtelBatch, map_export};
use crate::time::Millis;

/// Stands in for "now" in every mapping; no fixture span lacks timestamps unless it says so.
pub(super) const NOW: Millis = 1_900_000_000_000;

pub(super) const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub(super) const ROOT_ID: &str = "00f067aa0ba902b7";
pub(super) const CHILD_ID: &str = "b7ad6b7169203331";

pub(super) fn value(value: any_value::Value) -> Option<AnyValue> {
    Some(AnyValue { value: Some(value) })
}

pub(super) fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value,
        key_strindex: 0,
    }
}

pub(super) fn string(key: &str, text: &str) -> KeyValue {
    kv(key, value(any_value::Value::StringValue(text.to_owned())))
}

pub(super) fn int(key: &str, number: i64) -> KeyValue {
    kv(key, value(any_value::Value::IntValue(number)))
}

pub(super) fn double(key: &str, number: f64) -> KeyValue {
    kv(key, value(any_value::Value::DoubleValue(number)))
}

pub(super) fn boolean(key: &str, flag: bool) -> KeyValue {
    kv(key, value(any_value::Value::BoolValue(flag)))
}

pub(super) fn strings(key: &str, items: &[&str]) -> KeyValue {
    let values = items
        .iter()
        .map(|item| AnyValue {
            value: Some(any_value::Value::StringValue((*item).to_owned())),
        })
        .collect();
    kv(
        key,
        value(any_value::Value::ArrayValue(ArrayValue { values })),
    )
}

pub(super) fn bytes(hex_id: &str) -> Vec<u8> {
    hex::decode(hex_id).unwrap_or_default()
}

/// A span of [`TRACE_ID`] running from `start_ns` to `end_ns`.
pub(super) fn span(
    span_id: &str,
    parent: Option<&str>,
    name: &str,
    (start_ns, end_ns): (u64, u64),
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: bytes(TRACE_ID),
        span_id: bytes(span_id),
        parent_span_id: parent.map(bytes).unwrap_or_default(),
        name: name.to_owned(),
        kind: 1,
        start_time_unix_nano: start_ns,
        end_time_unix_nano: end_ns,
        attributes,
        status: Some(Status::default()),
        ..Span::default()
    }
}

/// One resource with one instrumentation scope holding `spans`.
pub(super) fn request(
    resource: Vec<KeyValue>,
    scope: InstrumentationScope,
    spans: Vec<Span>,
) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: resource,
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(scope),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

pub(super) fn scope(name: &str, version: &str, attributes: Vec<KeyValue>) -> InstrumentationScope {
    InstrumentationScope {
        name: name.to_owned(),
        version: version.to_owned(),
        attributes,
        dropped_attributes_count: 0,
    }
}

pub(super) fn map(request: &ExportTraceServiceRequest) -> OtelBatch {
    match map_export(request, NOW) {
        Ok(batch) => batch,
        Err(error) => panic!("the export should map: {error}"),
    }
}
