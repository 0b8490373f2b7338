//! OTLP attribute values as JSON (wire-spec §3.3) and the small lookups every mapper shares.

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use serde_json::{Map, Value};

use crate::time::Millis;

/// One attribute list flattened to `{key: value}`; a repeated key keeps its last value.
pub(super) type Attributes = Map<String, Value>;

pub(super) fn flatten(list: &[KeyValue]) -> Attributes {
    list.iter()
        .map(|pair| {
            let value = pair.value.as_ref().map(to_json).unwrap_or(Value::Null);
            (pair.key.clone(), value)
        })
        .collect()
}

/// Strings, booleans, numbers and arrays map to their JSON counterparts; a double that is not
/// finite becomes the string JavaScript would print; key-value lists and bytes become their
/// OTLP/JSON text, as Langfuse stores them (so does a profiling string-table index); an empty
/// value is null.
pub(super) fn to_json(value: &AnyValue) -> Value {
    use any_value::Value as Any;
    match &value.value {
        None => Value::Null,
        Some(Any::StringValue(text)) => Value::String(text.clone()),
        Some(Any::BoolValue(flag)) => Value::Bool(*flag),
        Some(Any::IntValue(number)) => Value::from(*number),
        Some(Any::DoubleValue(number)) => double(*number),
        Some(Any::ArrayValue(array)) => Value::Array(array.values.iter().map(to_json).collect()),
        Some(Any::KvlistValue(_) | Any::BytesValue(_) | Any::StringValueStrindex(_)) => {
            Value::String(serde_json::to_string(value).unwrap_or_default())
        }
    }
}

fn double(number: f64) -> Value {
    match serde_json::Number::from_f64(number) {
        Some(number) => Value::Number(number),
        None if number.is_nan() => Value::from("NaN"),
        None if number > 0.0 => Value::from("Infinity"),
        None => Value::from("-Infinity"),
    }
}

/// JavaScript truthiness: null, false, 0, NaN and "" are false; arrays and objects are true.
pub(super) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Not null, "", [] or {} (Langfuse's `hasMeaningfulValue`).
pub(super) fn meaningful(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// The attribute under `key` when it is truthy.
pub(super) fn get_truthy<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a Value> {
    attributes.get(key).filter(|value| truthy(value))
}

/// The attribute under `key` unless it is absent or null.
pub(super) fn get_present<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a Value> {
    attributes.get(key).filter(|value| !value.is_null())
}

/// A string as itself, anything else as its JSON text.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The first truthy attribute among `keys`, as text.
pub(super) fn first_text(attributes: &Attributes, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|key| get_truthy(attributes, key))
        .map(text)
}

/// A string holding JSON becomes that JSON; anything else is returned unchanged.
pub(super) fn parse_json_text(value: &Value) -> Value {
    match value {
        Value::String(raw) => serde_json::from_str(raw).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

/// A JSON string literal (`"\"abc\""`) loses its quotes; other text is returned unchanged.
pub(super) fn unquote(raw: String) -> String {
    match serde_json::from_str::<Value>(&raw) {
        Ok(Value::String(inner)) => inner,
        _ => raw,
    }
}

/// A number, or a string holding one.
pub(super) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|number| number.is_finite())
}

/// `true` or `"true"`.
pub(super) fn flag(attributes: &Attributes, key: &str) -> bool {
    match attributes.get(key) {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text == "true",
        _ => false,
    }
}

/// An ISO-8601 timestamp (with offset, or naive and read as UTC), possibly JSON-quoted.
pub(super) fn parse_iso(raw: &str) -> Option<Millis> {
    let raw = raw.trim();
    if let Some(time) = crate::time::parse_iso(raw) {
        return Some(time);
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::String(inner)) if inner != raw => parse_iso(&inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};
    use serde_json::json;

    fn any(value: any_value::Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }

    #[test]
    fn values_decode_like_langfuse() {
        use any_value::Value as Any;
        assert_eq!(to_json(&any(Any::StringValue("a".into()))), json!("a"));
        assert_eq!(to_json(&any(Any::IntValue(-7))), json!(-7));
        assert_eq!(to_json(&any(Any::DoubleValue(0.5))), json!(0.5));
        assert_eq!(to_json(&any(Any::DoubleValue(f64::NAN))), json!("NaN"));
        assert_eq!(
            to_json(&any(Any::DoubleValue(f64::NEG_INFINITY))),
            json!("-Infinity")
        );
        assert_eq!(to_json(&any(Any::BoolValue(true))), json!(true));
        let array = Any::ArrayValue(ArrayValue {
            values: vec![any(Any::StringValue("x".into())), any(Any::IntValue(1))],
        });
        assert_eq!(to_json(&any(array)), json!(["x", 1]));
        let list = Any::KvlistValue(KeyValueList {
            values: vec![KeyValue {
                key: "k".into(),
                value: Some(any(Any::StringValue("v".into()))),
                key_strindex: 0,
            }],
        });
        assert_eq!(
            to_json(&any(list)),
            json!(r#"{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}"#)
        );
        assert_eq!(to_json(&AnyValue { value: None }), Value::Null);
    }

    #[test]
    fn json_text_is_parsed_and_plain_text_kept() {
        assert_eq!(parse_json_text(&json!(r#"{"a":1}"#)), json!({"a": 1}));
        assert_eq!(parse_json_text(&json!("\"hi\"")), json!("hi"));
        assert_eq!(parse_json_text(&json!("hello world")), json!("hello world"));
        assert_eq!(unquote("\"u-1\"".into()), "u-1");
        assert_eq!(unquote("u-1".into()), "u-1");
    }

    #[test]
    fn iso_timestamps_parse_with_or_without_offset_and_quotes() {
        assert_eq!(
            parse_iso("2024-01-01T00:00:00.123Z"),
            Some(1_704_067_200_123)
        );
        assert_eq!(
            parse_iso("2024-01-01T01:00:00.123456+01:00"),
            Some(1_704_067_200_123)
        );
        assert_eq!(
            parse_iso("\"2024-01-01T00:00:00.123Z\""),
            Some(1_704_067_200_123)
        );
        assert_eq!(parse_iso("2024-01-01T00:00:00.5"), Some(1_704_067_200_500));
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("\"\\\"\""), None);
    }
}
