//! `POST /api/public/ingestion` bodies (wire-spec §2.1–2.3): the envelope, each event's
//! validation, and the conversion of valid events into patches. An invalid event becomes an
//! [`EventError`] for the 207 reply; it never stops the valid ones.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ingest::environment::normalize_environment;
use crate::ingest::merge::metadata_object;
use crate::ingest::score::{ScoreBody, validate_score};
use crate::ingest::serde_util::{datetime, field, validate_id};
use crate::ingest::{
    Field, Level, ObservationPatch, ObservationType, ScorePatch, TracePatch, UsageMap,
};
use crate::otel::{normalize_cost_details, normalize_usage_details};
use crate::time::Millis;

/// One valid event.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestEvent {
    pub event_id: String,
    pub event_type: String,
    pub timestamp: Millis,
    /// The body as received, with a generated entity id filled in where the event had none, so
    /// that [`parse_body`] gives the same patch again when the entity is refolded.
    pub body: Value,
    pub kind: EventKind,
}

// Most events are observations, and each lives only while its batch is parsed and written, so
// boxing the largest variant would only add an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Trace(TracePatch),
    Observation {
        patch: ObservationPatch,
        is_update: bool,
    },
    Score(ScorePatch),
    /// `sdk-log`: reported nowhere, stored nowhere.
    SdkLog,
    /// A `trace-create` without a body id: acknowledged but not processed, as Langfuse does.
    Ignored,
}

/// A rejected event, as the 207 reply lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub id: String,
    pub status: u16,
    pub message: String,
    pub error: String,
}

impl EventError {
    fn invalid(id: &str, error: impl Into<String>) -> Self {
        EventError {
            id: id.to_owned(),
            status: 400,
            message: "Invalid request data".into(),
            error: error.into(),
        }
    }
}

/// The whole request body was not `{"batch": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EnvelopeError(pub String);

/// Splits a request body into per-event results, in order.
pub fn parse_batch(body: &Value) -> Result<Vec<Result<IngestEvent, EventError>>, EnvelopeError> {
    let Some(object) = body.as_object() else {
        return Err(EnvelopeError(
            "Expected object, received ".to_owned() + type_name(body),
        ));
    };
    let batch = match object.get("batch") {
        Some(Value::Array(batch)) => batch,
        Some(other) => {
            return Err(EnvelopeError(format!(
                "batch: Expected array, received {}",
                type_name(other)
            )));
        }
        None => return Err(EnvelopeError("batch: Required".into())),
    };
    Ok(batch.iter().map(parse_event).collect())
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Parses one event envelope and its body.
pub fn parse_event(event: &Value) -> Result<IngestEvent, EventError> {
    let id = event
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| "unknown".to_owned());
    let envelope = event
        .as_object()
        .ok_or_else(|| EventError::invalid(&id, "event: expected an object"))?;
    if !matches!(envelope.get("id"), Some(Value::String(_))) {
        return Err(EventError::invalid(&id, "id: Required string"));
    }
    validate_id(&id, "id").map_err(|e| EventError::invalid(&id, e))?;
    let kind = envelope
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| EventError::invalid(&id, "type: Required"))?;
    let timestamp = envelope
        .get("timestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| EventError::invalid(&id, "timestamp: Required"))
        .and_then(|raw| {
            datetime::parse(raw).map_err(|e| EventError::invalid(&id, format!("timestamp: {e}")))
        })?;
    let body = envelope
        .get("body")
        .filter(|body| body.is_object())
        .ok_or_else(|| EventError::invalid(&id, "body: Expected object"))?;
    let event_type = kind.to_owned();
    let parsed = parse_body(kind, body, timestamp).map_err(|e| EventError::invalid(&id, e))?;
    let mut body = body.clone();
    if let (EventKind::Observation { patch, .. }, Value::Object(fields)) = (&parsed, &mut body) {
        fields
            .entry("id")
            .or_insert_with(|| Value::String(patch.id.clone()));
    }
    Ok(IngestEvent {
        event_id: id,
        event_type,
        timestamp,
        body,
        kind: parsed,
    })
}

/// Parses an event body of type `kind`; `timestamp` is the envelope's.
pub fn parse_body(kind: &str, body: &Value, timestamp: Millis) -> Result<EventKind, String> {
    let observation = |r#type: ObservationType, is_update: bool| -> Result<EventKind, String> {
        let parsed: ObservationBody = from_body(body)?;
        let patch = parsed.into_patch(Some(r#type), true)?;
        Ok(EventKind::Observation { patch, is_update })
    };
    match kind {
        "trace-create" => {
            let parsed: TraceBody = from_body(body)?;
            Ok(parsed
                .into_patch()?
                .map_or(EventKind::Ignored, EventKind::Trace))
        }
        "span-create" => observation(ObservationType::Span, false),
        "span-update" => observation(ObservationType::Span, true),
        "generation-create" => observation(ObservationType::Generation, false),
        "generation-update" => observation(ObservationType::Generation, true),
        "event-create" => observation(ObservationType::Event, false),
        "agent-create" => observation(ObservationType::Agent, false),
        "tool-create" => observation(ObservationType::Tool, false),
        "chain-create" => observation(ObservationType::Chain, false),
        "retriever-create" => observation(ObservationType::Retriever, false),
        "evaluator-create" => observation(ObservationType::Evaluator, false),
        "embedding-create" => observation(ObservationType::Embedding, false),
        "guardrail-create" => observation(ObservationType::Guardrail, false),
        "observation-create" | "observation-update" => {
            let parsed: ObservationBody = from_body(body)?;
            let patch = parsed.into_patch(None, false)?;
            Ok(EventKind::Observation {
                patch,
                is_update: kind == "observation-update",
            })
        }
        "score-create" => {
            let parsed: ScoreBody = from_body(body)?;
            validate_score(parsed, timestamp).map(EventKind::Score)
        }
        "sdk-log" => Ok(EventKind::SdkLog),
        other => Err(format!("type: unknown event type '{other}'")),
    }
}

fn from_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, String> {
    T::deserialize(body).map_err(|e| format!("body: {e}"))
}

/// A trace body (wire-spec §2.2 TraceBody).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceBody {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "datetime::optional")]
    pub timestamp: Option<Millis>,
    #[serde(default, deserialize_with = "field")]
    pub name: Field<String>,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default, deserialize_with = "field")]
    pub session_id: Field<String>,
    #[serde(default, deserialize_with = "field")]
    pub user_id: Field<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default, deserialize_with = "field")]
    pub release: Field<String>,
    #[serde(default, deserialize_with = "field")]
    pub version: Field<String>,
    #[serde(default)]
    pub public: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl TraceBody {
    /// `None` for a body without an id, which Langfuse acknowledges but drops.
    pub fn into_patch(self) -> Result<Option<TracePatch>, String> {
        let Some(id) = self.id else {
            return Ok(None);
        };
        validate_id(&id, "id")?;
        if let Some(Some(name)) = &self.name
            && name.chars().count() > 1000
        {
            return Err("name: must be at most 1000 characters".into());
        }
        Ok(Some(TracePatch {
            id,
            timestamp: self.timestamp,
            environment: Some(normalize_environment(self.environment.as_deref())),
            name: self.name,
            user_id: self.user_id,
            session_id: self.session_id,
            release: self.release,
            version: self.version,
            public: self.public,
            tags: self.tags,
            metadata: self
                .metadata
                .as_ref()
                .and_then(metadata_object)
                .map(Value::Object),
            input: self.input,
            output: self.output,
        }))
    }
}

/// Every observation body shape of wire-spec §2.2 (event, span, generation and the legacy
/// `observation-*` body with its `type`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationBody {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub r#type: Option<ObservationType>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default, deserialize_with = "field")]
    pub name: Field<String>,
    #[serde(default, deserialize_with = "datetime::optional")]
    pub start_time: Option<Millis>,
    #[serde(default, deserialize_with = "datetime::field")]
    pub end_time: Field<Millis>,
    #[serde(default, deserialize_with = "datetime::field")]
    pub completion_start_time: Field<Millis>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default, deserialize_with = "field")]
    pub level: Field<Level>,
    #[serde(default, deserialize_with = "field")]
    pub status_message: Field<String>,
    #[serde(default, deserialize_with = "field")]
    pub parent_observation_id: Field<String>,
    #[serde(default, deserialize_with = "field")]
    pub version: Field<String>,
    #[serde(default, deserialize_with = "field")]
    pub model: Field<String>,
    #[serde(default, deserialize_with = "field")]
    pub model_parameters: Field<Map<String, Value>>,
    #[serde(default)]
    pub usage: Option<Value>,
    #[serde(default)]
    pub usage_details: Option<Value>,
    #[serde(default)]
    pub cost_details: Option<Value>,
    #[serde(default)]
    pub prompt_name: Option<String>,
    #[serde(default)]
    pub prompt_version: Option<i64>,
}

impl ObservationBody {
    /// `r#type` is the type the event type implies; `None` for legacy bodies that carry it.
    /// `id_required` is false only for the legacy `observation-*` events.
    pub fn into_patch(
        self,
        r#type: Option<ObservationType>,
        id_required: bool,
    ) -> Result<ObservationPatch, String> {
        let r#type = match (r#type, self.r#type) {
            (Some(implied), _) => implied,
            (None, Some(given)) => given,
            (None, None) => return Err("type: Required".into()),
        };
        let id = match self.id {
            Some(id) => id,
            None if !id_required => uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
            None => return Err("id: Required".into()),
        };
        validate_id(&id, "id")?;
        if let Some(trace_id) = &self.trace_id {
            validate_id(trace_id, "traceId")?;
        }
        let prompt = match (self.prompt_name, self.prompt_version) {
            (Some(name), Some(version)) => Some((name, version)),
            (None, None) => None,
            _ => return Err("promptName and promptVersion must be set together".into()),
        };
        let (usage, legacy_cost) = legacy_usage(self.usage.as_ref());
        let usage_details = merge_maps(
            usage,
            self.usage_details
                .as_ref()
                .and_then(normalize_usage_details),
        );
        let cost_details = merge_maps(
            legacy_cost,
            self.cost_details.as_ref().and_then(normalize_cost_details),
        );
        Ok(ObservationPatch {
            id,
            trace_id: self.trace_id,
            r#type,
            start_time: self.start_time,
            environment: Some(normalize_environment(self.environment.as_deref())),
            name: self.name,
            end_time: self.end_time,
            completion_start_time: self.completion_start_time,
            parent_observation_id: self.parent_observation_id,
            level: self.level,
            status_message: self.status_message,
            version: self.version,
            model: self.model,
            model_parameters: self
                .model_parameters
                .map(|params| params.map(Value::Object)),
            metadata: self
                .metadata
                .as_ref()
                .and_then(metadata_object)
                .map(Value::Object),
            input: self.input,
            output: self.output,
            usage_details,
            cost_details,
            prompt,
        })
    }
}

/// The legacy `usage` object (`{input, output, total, unit, inputCost, outputCost, totalCost}` or
/// OpenAI's `{promptTokens, completionTokens, totalTokens}`) as usage and cost maps. When no
/// total is given, it is input + output.
fn legacy_usage(usage: Option<&Value>) -> (Option<UsageMap>, Option<UsageMap>) {
    let Some(usage) = usage.and_then(Value::as_object) else {
        return (None, None);
    };
    let number = |keys: &[&str]| {
        keys.iter()
            .find_map(|key| usage.get(*key).and_then(Value::as_f64))
            .filter(|value| value.is_finite() && *value >= 0.0)
    };
    let mut units = UsageMap::new();
    if let Some(input) = number(&["input", "promptTokens"]) {
        units.insert("input".into(), input);
    }
    if let Some(output) = number(&["output", "completionTokens"]) {
        units.insert("output".into(), output);
    }
    match number(&["total", "totalTokens"]) {
        Some(total) => {
            units.insert("total".into(), total);
        }
        None if !units.is_empty() => {
            let total = units.values().sum();
            units.insert("total".into(), total);
        }
        None => {}
    }
    let mut cost = UsageMap::new();
    for (key, name) in [
        ("inputCost", "input"),
        ("outputCost", "output"),
        ("totalCost", "total"),
    ] {
        if let Some(value) = number(&[key]) {
            cost.insert(name.into(), value);
        }
    }
    (
        Some(units).filter(|m| !m.is_empty()),
        Some(cost).filter(|m| !m.is_empty()),
    )
}

fn merge_maps(base: Option<UsageMap>, over: Option<UsageMap>) -> Option<UsageMap> {
    match (base, over) {
        (Some(mut base), Some(over)) => {
            base.extend(over);
            Some(base)
        }
        (base, over) => base.or(over),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, body: Value) -> Value {
        json!({"id": "e1", "type": kind, "timestamp": "2024-01-01T00:00:00.000Z", "body": body})
    }

    #[test]
    fn envelope_errors_are_whole_request_errors() {
        assert!(parse_batch(&json!([])).is_err());
        assert!(parse_batch(&json!({"batch": {}})).is_err());
        assert!(parse_batch(&json!({})).is_err());
        assert_eq!(parse_batch(&json!({"batch": []})).unwrap(), vec![]);
    }

    #[test]
    fn a_bad_event_does_not_stop_the_good_ones() {
        let results = parse_batch(&json!({"batch": [
            event("trace-create", json!({"id": "t1", "name": "ok"})),
            {"id": "e2", "type": "trace-create", "timestamp": "2024-01-01T00:00:00", "body": {"id": "t2"}},
            {"id": "e3", "type": "no-such-type", "timestamp": "2024-01-01T00:00:00Z", "body": {}},
            {"type": "trace-create", "timestamp": "2024-01-01T00:00:00Z", "body": {}},
            event("span-create", json!({"traceId": "t1"})),
        ]}))
        .unwrap();
        assert!(results[0].is_ok());
        let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 4);
        assert_eq!(errors[0].id, "e2");
        assert!(errors[0].error.contains("timestamp"), "{}", errors[0].error);
        assert_eq!(errors[2].id, "unknown");
        assert!(
            errors
                .iter()
                .all(|e| e.status == 400 && e.message == "Invalid request data")
        );
    }

    #[test]
    fn generation_usage_and_cost_are_collected() {
        let parsed = parse_event(&event(
            "generation-create",
            json!({
                "id": "g", "traceId": "t", "model": "gpt-4o",
                "usage": {"promptTokens": 10, "completionTokens": 5},
                "costDetails": {"input": 0.1, "bogus": "x"},
                "promptName": "p", "promptVersion": 2,
                "environment": "Langfuse-Prod", "level": "WARNING",
                "metadata": "plain",
            }),
        ))
        .unwrap();
        let EventKind::Observation { patch, is_update } = parsed.kind else {
            panic!()
        };
        assert!(!is_update);
        assert_eq!(patch.r#type, ObservationType::Generation);
        let usage = patch.usage_details.unwrap();
        assert_eq!(
            (usage["input"], usage["output"], usage["total"]),
            (10.0, 5.0, 15.0)
        );
        assert_eq!(
            patch.cost_details.unwrap().into_iter().collect::<Vec<_>>(),
            vec![("input".to_string(), 0.1)]
        );
        assert_eq!(patch.prompt, Some(("p".into(), 2)));
        assert_eq!(patch.environment.as_deref(), Some("prod"));
        assert_eq!(patch.level, Some(Some(Level::Warning)));
        assert_eq!(patch.metadata, Some(json!({"metadata": "plain"})));
    }

    #[test]
    fn prompt_fields_come_in_pairs_and_trace_without_id_is_ignored() {
        let lone = parse_event(&event(
            "generation-create",
            json!({"id": "g", "promptName": "p"}),
        ));
        assert!(lone.is_err());
        let ignored = parse_event(&event("trace-create", json!({"name": "no id"}))).unwrap();
        assert_eq!(ignored.kind, EventKind::Ignored);
        let log = parse_event(&event("sdk-log", json!({"log": "hello"}))).unwrap();
        assert_eq!(log.kind, EventKind::SdkLog);
    }

    #[test]
    fn legacy_observations_carry_their_type() {
        let parsed = parse_event(&event(
            "observation-create",
            json!({"type": "EVENT", "name": "e"}),
        ))
        .unwrap();
        let EventKind::Observation { patch, .. } = parsed.kind else {
            panic!()
        };
        assert_eq!(patch.r#type, ObservationType::Event);
        assert!(parse_event(&event("observation-create", json!({"name": "e"}))).is_err());
    }

    #[test]
    fn explicit_null_is_not_absent() {
        let parsed =
            parse_event(&event("span-update", json!({"id": "s", "endTime": null}))).unwrap();
        let EventKind::Observation { patch, is_update } = parsed.kind else {
            panic!()
        };
        assert!(is_update);
        assert_eq!(patch.end_time, Some(None));
        assert_eq!(patch.name, None);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_map(|n| json!(n)),
                "[a-zA-Z0-9:. -]{0,12}".prop_map(Value::String),
                prop_oneof![
                    Just("trace-create"),
                    Just("span-update"),
                    Just("generation-create"),
                    Just("score-create"),
                    Just("observation-create"),
                    Just("2024-01-01T00:00:00Z"),
                ]
                .prop_map(|s| Value::String(s.into())),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    proptest::collection::btree_map(
                        prop_oneof![
                            Just("id".to_string()),
                            Just("type".to_string()),
                            Just("timestamp".to_string()),
                            Just("body".to_string()),
                            Just("batch".to_string()),
                            Just("usage".to_string()),
                            Just("usageDetails".to_string()),
                            Just("value".to_string()),
                            Just("name".to_string()),
                            Just("traceId".to_string()),
                            "[a-z]{1,8}",
                        ],
                        inner,
                        0..6,
                    )
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn parsing_never_panics(body in json_value(), events in proptest::collection::vec(json_value(), 0..4)) {
                let _ = parse_batch(&body);
                let _ = parse_batch(&json!({"batch": events}));
                for event in &events {
                    let _ = parse_event(event);
                }
            }
        }
    }
}
