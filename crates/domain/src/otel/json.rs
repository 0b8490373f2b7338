//! OTLP/JSON read leniently into the protobuf types (wire-spec §3.1).
//!
//! opentelemetry-proto's serde support reads what the JavaScript exporter writes, but it fails the
//! whole body on forms Langfuse accepts (`{high, low}` timestamps, `null` fields, ids as byte
//! arrays, `"NaN"` doubles, an `arrayValue` without `values`) and it cannot tell a malformed list
//! from bad JSON. So the body is walked here, once, collecting what Langfuse would reject.
//! Differences from Langfuse: an id must be hex (Langfuse stores any string verbatim), an empty
//! id counts as absent, a `resourceSpans` that is present but not a list rejects the export, and
//! span links are not read (nothing maps them).

use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{Map, Value};

use super::decode::Rejection;
use super::{ExportTraceServiceRequest, OtelError};

type Object = Map<String, Value>;

static EMPTY: std::sync::LazyLock<Object> = std::sync::LazyLock::new(Object::new);

pub(super) fn request_from_value(root: &Value) -> Result<ExportTraceServiceRequest, OtelError> {
    let root = match root {
        Value::Object(root) => root,
        Value::Null => return Err(OtelError::Json),
        _ => return Ok(ExportTraceServiceRequest::default()),
    };
    let mut rejection = Rejection::default();
    // Absent or null is an empty export; anything else that is not a list (a string, an object)
    // rejects the whole export like the other lists, rather than reading as empty.
    let resource_spans = list(root, "resourceSpans")
        .unwrap_or_else(|()| {
            rejection.malformed_collection("resourceSpans:not_an_array", "");
            &[]
        })
        .iter()
        .filter_map(Value::as_object)
        .map(|item| resource_spans(item, &mut rejection))
        .collect();
    rejection.into_result()?;
    Ok(ExportTraceServiceRequest { resource_spans })
}

/// A list field: `Ok` with the items (none when absent or null), `Err` when present but not a
/// list.
fn list<'a>(object: &'a Object, key: &str) -> Result<&'a [Value], ()> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(()),
    }
}

fn object<'a>(object: &'a Object, key: &str) -> Option<&'a Object> {
    object.get(key).and_then(Value::as_object)
}

fn string(object: &Object, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn count(object: &Object, key: &str) -> u32 {
    object
        .get(key)
        .and_then(Value::as_u64)
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn resource_spans(item: &Object, rejection: &mut Rejection) -> ResourceSpans {
    let resource = object(item, "resource").map(|resource| {
        let attributes = list(resource, "attributes").unwrap_or_else(|()| {
            rejection.malformed_collection("resource.attributes:not_an_array", "");
            &[]
        });
        Resource {
            attributes: key_values(attributes),
            dropped_attributes_count: count(resource, "droppedAttributesCount"),
            entity_refs: Vec::new(),
        }
    });
    let scope_spans = list(item, "scopeSpans")
        .unwrap_or_else(|()| {
            rejection.malformed_collection("scopeSpans:not_an_array", "");
            &[]
        })
        .iter()
        .map(|item| scope_spans(item.as_object().unwrap_or(&EMPTY), rejection))
        .collect();
    ResourceSpans {
        resource,
        scope_spans,
        schema_url: string(item, "schemaUrl"),
    }
}

fn scope_spans(item: &Object, rejection: &mut Rejection) -> ScopeSpans {
    let scope = object(item, "scope").map(|scope| {
        let name = string(scope, "name");
        let attributes = list(scope, "attributes").unwrap_or_else(|()| {
            rejection.malformed_collection("scope.attributes:not_an_array", &name);
            &[]
        });
        InstrumentationScope {
            version: string(scope, "version"),
            attributes: key_values(attributes),
            dropped_attributes_count: count(scope, "droppedAttributesCount"),
            name,
        }
    });
    let scope_name = scope
        .as_ref()
        .map(|scope| scope.name.as_str())
        .unwrap_or("");
    let spans = match list(item, "spans") {
        Ok(spans) => spans
            .iter()
            .map(|span| read_span(span.as_object().unwrap_or(&EMPTY), scope_name, rejection))
            .collect(),
        Err(()) => {
            rejection.malformed_collection("spans:not_an_array", scope_name);
            Vec::new()
        }
    };
    ScopeSpans {
        scope,
        spans,
        schema_url: string(item, "schemaUrl"),
    }
}

fn read_span(item: &Object, scope_name: &str, rejection: &mut Rejection) -> Span {
    let mut reasons = Vec::new();
    let mut required_id = |key: &str, [absent, not_an_id]: [&'static str; 2]| {
        id(item.get(key)).unwrap_or_else(|problem| {
            reasons.push(match problem {
                IdProblem::Absent => absent,
                IdProblem::NotAnId => not_an_id,
            });
            Vec::new()
        })
    };
    let trace_id = required_id("traceId", ["traceId:absent", "traceId:not_an_id"]);
    let span_id = required_id("spanId", ["spanId:absent", "spanId:not_an_id"]);
    let parent_span_id = match item.get("parentSpanId") {
        Some(value) if super::attributes::truthy(value) => id(Some(value)).unwrap_or_else(|_| {
            reasons.push("parentSpanId:not_an_id");
            Vec::new()
        }),
        _ => Vec::new(),
    };
    let attributes = list(item, "attributes").unwrap_or_else(|()| {
        reasons.push("attributes:not_an_array");
        &[]
    });
    let events = match list(item, "events") {
        Ok(events) => {
            let events: Vec<&Object> = events.iter().filter_map(Value::as_object).collect();
            if events
                .iter()
                .any(|event| list(event, "attributes").is_err())
            {
                reasons.push("event.attributes:not_an_array");
            }
            events.into_iter().map(event).collect()
        }
        Err(()) => {
            reasons.push("events:not_an_array");
            Vec::new()
        }
    };
    rejection.span(&reasons, scope_name);
    Span {
        trace_id,
        span_id,
        trace_state: string(item, "traceState"),
        parent_span_id,
        flags: count(item, "flags"),
        name: string(item, "name"),
        kind: span_kind(item.get("kind")),
        start_time_unix_nano: nanos(item.get("startTimeUnixNano")),
        end_time_unix_nano: nanos(item.get("endTimeUnixNano")),
        attributes: key_values(attributes),
        dropped_attributes_count: count(item, "droppedAttributesCount"),
        events,
        dropped_events_count: count(item, "droppedEventsCount"),
        links: Vec::new(),
        dropped_links_count: count(item, "droppedLinksCount"),
        status: object(item, "status").map(status),
    }
}

fn event(item: &Object) -> Event {
    Event {
        time_unix_nano: nanos(item.get("timeUnixNano")),
        name: string(item, "name"),
        attributes: key_values(list(item, "attributes").unwrap_or(&[])),
        dropped_attributes_count: count(item, "droppedAttributesCount"),
    }
}

fn status(item: &Object) -> Status {
    let code = match item.get("code") {
        Some(Value::Number(code)) => code.as_i64().and_then(|c| i32::try_from(c).ok()),
        Some(Value::String(name)) => match name.as_str() {
            "STATUS_CODE_UNSET" => Some(0),
            "STATUS_CODE_OK" => Some(1),
            "STATUS_CODE_ERROR" => Some(2),
            _ => None,
        },
        _ => None,
    };
    Status {
        message: string(item, "message"),
        code: code.unwrap_or(0),
    }
}

fn span_kind(value: Option<&Value>) -> i32 {
    match value {
        Some(Value::Number(kind)) => kind.as_i64().and_then(|k| i32::try_from(k).ok()),
        Some(Value::String(name)) => SpanKind::from_str_name(name).map(|kind| kind as i32),
        _ => None,
    }
    .unwrap_or(0)
}

#[derive(Debug, PartialEq)]
enum IdProblem {
    Absent,
    NotAnId,
}

/// A hex string, a list of bytes, or a Node `Buffer` as JSON (`{"type":"Buffer","data":[…]}`).
fn id(value: Option<&Value>) -> Result<Vec<u8>, IdProblem> {
    match value {
        None | Some(Value::Null) => Err(IdProblem::Absent),
        Some(Value::String(hex)) if hex.is_empty() => Err(IdProblem::Absent),
        Some(Value::String(hex)) => hex::decode(hex).map_err(|_| IdProblem::NotAnId),
        Some(Value::Array(items)) => bytes(items).ok_or(IdProblem::NotAnId),
        Some(Value::Object(buffer)) if buffer.get("type") == Some(&Value::from("Buffer")) => {
            match buffer.get("data") {
                Some(Value::Array(items)) => bytes(items).ok_or(IdProblem::NotAnId),
                _ => Err(IdProblem::NotAnId),
            }
        }
        Some(_) => Err(IdProblem::NotAnId),
    }
}

fn bytes(items: &[Value]) -> Option<Vec<u8>> {
    items
        .iter()
        .map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok()))
        .collect()
}

/// Nanoseconds as a decimal string, a number or `{high, low}`; anything else is 0 (missing).
fn nanos(value: Option<&Value>) -> u64 {
    match value {
        Some(Value::String(text)) => {
            let text = text.trim();
            text.parse::<u64>()
                .ok()
                .or_else(|| positive_float(text.parse::<f64>().ok()?))
                .unwrap_or(0)
        }
        Some(Value::Number(number)) => number
            .as_u64()
            .or_else(|| positive_float(number.as_f64()?))
            .unwrap_or(0),
        Some(Value::Object(bits)) => match (bits.get("high"), bits.get("low")) {
            (Some(high), Some(low)) => match (int(high), int(low)) {
                // Each half is a signed or unsigned 32-bit word; keep its bits.
                (Some(high), Some(low)) => (u64::from(high as u32) << 32) | u64::from(low as u32),
                _ => 0,
            },
            _ => 0,
        },
        _ => 0,
    }
}

fn positive_float(number: f64) -> Option<u64> {
    // `as` saturates; only finite, non-negative numbers get here.
    (number.is_finite() && number >= 0.0).then_some(number as u64)
}

fn int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|n| n.is_finite() && n.fract() == 0.0)
            .map(|n| n as i64)
    })
}

fn key_values(items: &[Value]) -> Vec<KeyValue> {
    items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|item| {
            let key = item.get("key")?.as_str()?.to_owned();
            let value = item.get("value").and_then(Value::as_object).map(any_value);
            Some(KeyValue {
                key,
                value,
                key_strindex: 0,
            })
        })
        .collect()
}

fn any_value(item: &Object) -> AnyValue {
    use any_value::Value as Any;
    let value = if let Some(text) = item.get("stringValue").filter(|v| !v.is_null()) {
        Some(Any::StringValue(super::attributes::text(text)))
    } else if let Some(number) = item.get("doubleValue").filter(|v| !v.is_null()) {
        match number {
            Value::Number(number) => number.as_f64().map(Any::DoubleValue),
            Value::String(text) => Some(match text.trim().parse::<f64>() {
                Ok(number) => Any::DoubleValue(number),
                Err(_) => Any::StringValue(text.clone()),
            }),
            _ => None,
        }
    } else if let Some(flag) = item.get("boolValue").and_then(Value::as_bool) {
        Some(Any::BoolValue(flag))
    } else if let Some(array) = object(item, "arrayValue") {
        let values = list(array, "values").unwrap_or(&[]);
        let values = values
            .iter()
            .map(|v| any_value(v.as_object().unwrap_or(&EMPTY)));
        Some(Any::ArrayValue(ArrayValue {
            values: values.collect(),
        }))
    } else if let Some(number) = item.get("intValue").filter(|v| !v.is_null()) {
        int_value(number)
    } else if let Some(pairs) = object(item, "kvlistValue") {
        Some(Any::KvlistValue(KeyValueList {
            values: key_values(list(pairs, "values").unwrap_or(&[])),
        }))
    } else if let Some(encoded) = item.get("bytesValue").and_then(Value::as_str) {
        // opentelemetry-proto's serde support decodes the base64.
        let single = serde_json::json!({ "bytesValue": encoded });
        serde_json::from_value::<AnyValue>(single)
            .ok()
            .and_then(|v| v.value)
    } else {
        None
    };
    AnyValue { value }
}

fn int_value(number: &Value) -> Option<any_value::Value> {
    use any_value::Value as Any;
    match number {
        Value::Number(_) => match int(number) {
            Some(integer) => Some(Any::IntValue(integer)),
            None => number.as_f64().map(Any::DoubleValue),
        },
        Value::String(text) => text.trim().parse::<i64>().ok().map(Any::IntValue),
        Value::Object(bits) => {
            let high = int(bits.get("high")?)?;
            let low = int(bits.get("low")?)?;
            let unsigned = (u64::from(high as u32) << 32) | u64::from(low as u32);
            Some(Any::IntValue(unsigned as i64))
        }
        _ => None,
    }
}
