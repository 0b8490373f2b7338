//! Observation and trace metadata from span and resource attributes (wire-spec §3.8).

use serde_json::{Map, Value};

use super::attributes::{Attributes, get_truthy, parse_json_text};
use super::io::is_consumed;
use super::span::Scope;

/// Which entity a metadata attribute describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Domain {
    Observation,
    Trace,
}

impl Domain {
    fn prefix(self) -> &'static str {
        match self {
            Domain::Observation => "langfuse.observation.metadata",
            Domain::Trace => "langfuse.trace.metadata",
        }
    }
}

/// Vercel AI SDK attributes under `ai.telemetry.metadata.` that are trace fields, not metadata.
const VERCEL_TRACE_FIELDS: &[&str] = &[
    "ai.telemetry.metadata.userId",
    "ai.telemetry.metadata.sessionId",
    "ai.telemetry.metadata.tags",
    "ai.telemetry.metadata.langfusePrompt",
];

/// The metadata one domain's attributes carry: `langfuse.<domain>.metadata` (or
/// `langfuse.metadata`) as a JSON object spread at the top, then every
/// `langfuse.<domain>.metadata.<key>`, `langfuse.metadata.<key>` and
/// `ai.telemetry.metadata.<key>` as `<key>` (dots in `<key>` kept). Values are kept as sent:
/// Langfuse parses string values holding JSON when it reads metadata back (Python SDK 5 encodes
/// every value), and so does Sightline's read path, so parsing here would parse twice.
pub(super) fn domain_metadata(attributes: &Attributes, domain: Domain) -> Map<String, Value> {
    let prefix = domain.prefix();
    let mut metadata = Map::new();
    let whole =
        get_truthy(attributes, prefix).or_else(|| get_truthy(attributes, "langfuse.metadata"));
    if let Some(Value::Object(spread)) = whole.map(parse_json_text) {
        metadata.extend(spread);
    }
    for (key, value) in attributes {
        if VERCEL_TRACE_FIELDS.contains(&key.as_str()) {
            continue;
        }
        for prefix in [prefix, "langfuse.metadata", "ai.telemetry.metadata"] {
            let field = key
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'));
            if let Some(field) = field {
                metadata.insert(field.to_owned(), value.clone());
            }
        }
    }
    metadata
}

/// An observation's metadata: the span attributes not read as anything else (left out for the
/// Langfuse SDKs, whose attributes are all read), the resource attributes, the instrumentation
/// scope, then the resource's trace metadata and the span's observation metadata spread on top.
pub(super) fn observation_metadata(
    attributes: &Attributes,
    resource: &Attributes,
    scope: &Scope,
) -> Value {
    let mut metadata = Map::new();
    if !scope.is_langfuse_sdk() {
        let unread: Map<String, Value> = attributes
            .iter()
            .filter(|(key, _)| !is_consumed(key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        metadata.insert("attributes".to_owned(), Value::Object(unread));
    }
    metadata.insert(
        "resourceAttributes".to_owned(),
        Value::Object(resource.clone()),
    );
    let mut scope_object = Map::new();
    scope_object.insert("name".to_owned(), Value::from(scope.name.as_str()));
    scope_object.insert("version".to_owned(), Value::from(scope.version.as_str()));
    scope_object.insert(
        "attributes".to_owned(),
        Value::Object(scope.attributes.clone()),
    );
    metadata.insert("scope".to_owned(), Value::Object(scope_object));
    metadata.extend(domain_metadata(resource, Domain::Trace));
    metadata.extend(domain_metadata(attributes, Domain::Observation));
    Value::Object(metadata)
}

/// A trace's metadata from one span: the resource's trace metadata, then the span's.
pub(super) fn trace_metadata(attributes: &Attributes, resource: &Attributes) -> Option<Value> {
    let mut metadata = domain_metadata(resource, Domain::Trace);
    metadata.extend(domain_metadata(attributes, Domain::Trace));
    (!metadata.is_empty()).then_some(Value::Object(metadata))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attributes(value: Value) -> Attributes {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn whole_objects_and_single_keys_are_merged() {
        let span = attributes(json!({
            "langfuse.observation.metadata": "{\"a\": 1, \"b\": \"\\\"quoted\\\"\"}",
            "langfuse.observation.metadata.c": "\"v5 encodes every value\"",
            "langfuse.observation.metadata.nested.key": "{\"x\": true}",
            "langfuse.metadata.legacy": "plain",
            "ai.telemetry.metadata.userId": "u-1",
            "ai.telemetry.metadata.feature": "search",
            "langfuse.trace.metadata.t": "trace only",
        }));
        assert_eq!(
            Value::Object(domain_metadata(&span, Domain::Observation)),
            json!({
                "a": 1,
                "b": "\"quoted\"",
                "c": "\"v5 encodes every value\"",
                "nested.key": "{\"x\": true}",
                "legacy": "plain",
                "feature": "search",
            })
        );
        assert_eq!(
            trace_metadata(&span, &Attributes::new()),
            Some(json!({"t": "trace only", "legacy": "plain", "feature": "search"}))
        );
    }

    #[test]
    fn unparsable_or_non_object_metadata_is_dropped() {
        let span = attributes(json!({"langfuse.observation.metadata": "[1, 2]"}));
        assert!(domain_metadata(&span, Domain::Observation).is_empty());
        let span = attributes(json!({"langfuse.observation.metadata": "{not json"}));
        assert!(domain_metadata(&span, Domain::Observation).is_empty());
    }

    #[test]
    fn third_party_spans_keep_their_unread_attributes() {
        let span = attributes(json!({
            "http.method": "POST",
            "input.value": "{\"q\": 1}",
            "llm.input_messages.0.message.role": "user",
            "langfuse.observation.metadata.k": "v",
        }));
        let scope = Scope {
            name: "openinference.instrumentation.openai".into(),
            version: "0.1.0".into(),
            attributes: Attributes::new(),
        };
        let resource = attributes(json!({"service.name": "svc"}));
        assert_eq!(
            observation_metadata(&span, &resource, &scope),
            json!({
                "attributes": {"http.method": "POST"},
                "resourceAttributes": {"service.name": "svc"},
                "scope": {"name": "openinference.instrumentation.openai", "version": "0.1.0", "attributes": {}},
                "k": "v",
            })
        );
    }
}
