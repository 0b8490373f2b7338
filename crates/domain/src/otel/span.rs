//! One span → one observation patch and one trace patch (wire-spec §3.2, §3.4, §3.6).

use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::Value;

use super::attributes::{
    self, Attributes, first_text, flag, get_present, get_truthy, parse_json_text, text, unquote,
};
use super::experiment::{self, ExperimentAttributes};
use super::{generation, io, kind, metadata, usage};
use crate::ingest::environment::normalize_environment;
use crate::ingest::{Level, ObservationPatch, ObservationType, TracePatch};
use crate::time::Millis;

/// The instrumentation scope of a group of spans.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    pub name: String,
    pub version: String,
    pub attributes: Attributes,
}

impl Scope {
    pub(super) fn new(scope: Option<&InstrumentationScope>) -> Self {
        scope.map_or_else(Scope::default, |scope| Scope {
            name: scope.name.clone(),
            version: scope.version.clone(),
            attributes: attributes::flatten(&scope.attributes),
        })
    }

    /// The Langfuse SDKs' spans carry nothing worth repeating in `metadata.attributes`.
    pub(super) fn is_langfuse_sdk(&self) -> bool {
        self.name.starts_with("langfuse-sdk")
    }
}

pub(super) struct MappedSpan {
    pub observation: ObservationPatch,
    pub trace: TracePatch,
    /// A root span (no parent, or marked as a root by the SDK).
    pub is_root: bool,
    pub experiment: Option<ExperimentAttributes>,
}

/// LiveKit spans too chatty for the default level.
const LIVEKIT_DEBUG_SPANS: &[&str] = &[
    "user_speaking",
    "eou_detection",
    "llm_request_run",
    "tts_node",
    "tts_request",
    "tts_request_run",
    "tts_stream_adapter",
    "agent_speaking",
    "drain_agent_activity",
    "on_exit",
    "on_enter",
    "llm_fallback_adapter",
    "tts_fallback_adapter",
    "start_agent_activity",
];

const ENVIRONMENT_KEYS: &[&str] = &[
    "langfuse.environment",
    "deployment.environment.name",
    "deployment.environment",
];

pub(super) fn map_span(
    span: &Span,
    resource: &Attributes,
    scope: &Scope,
    now: Millis,
) -> MappedSpan {
    let attributes = attributes::flatten(&span.attributes);
    let trace_id = hex::encode(&span.trace_id);
    let parent = (!span.parent_span_id.is_empty()).then(|| hex::encode(&span.parent_span_id));
    let is_root = parent.is_none()
        || flag(&attributes, "langfuse.internal.as_root")
        || flag(&attributes, "langfuse.internal.is_app_root");
    let (start, end) = timestamps(span, now);
    let r#type = kind::observation_type(&attributes, resource, scope, &span.name);
    let name = span_name(&span.name, &attributes);
    let environment = environment(&attributes, resource);
    let io::Io { input, output } = io::extract(&attributes, &span.events, &scope.name);
    let (input, output) = (input.filter(non_null), output.filter(non_null));
    let version = first_text(&attributes, &["langfuse.version"])
        .or_else(|| first_text(resource, &["service.version"]));
    let release = first_text(&attributes, &["langfuse.release"])
        .or_else(|| first_text(resource, &["langfuse.release"]));
    let generation_fields = !generation::is_vercel_agent_span(&attributes, &scope.name);
    let from_root = |value: &Option<Value>| if is_root { value.clone() } else { None };

    let trace = TracePatch {
        id: trace_id.clone(),
        timestamp: Some(start),
        environment: environment.clone(),
        name: trace_name(&attributes, name.as_deref().filter(|_| is_root)),
        user_id: user_id(&attributes).map(Some),
        session_id: session_id(&attributes).map(Some),
        release: release.clone().map(Some),
        version: version.clone().map(Some),
        public: public(&attributes),
        tags: tags(&attributes),
        metadata: metadata::trace_metadata(&attributes, resource),
        input: trace_io(&attributes, io::TRACE_INPUT, from_root(&input)),
        output: trace_io(&attributes, io::TRACE_OUTPUT, from_root(&output)),
    };
    let observation = ObservationPatch {
        id: hex::encode(&span.span_id),
        trace_id: Some(trace_id),
        r#type,
        start_time: Some(start),
        environment: Some(environment.unwrap_or_else(|| normalize_environment(None))),
        name: Some(name),
        end_time: Some(Some(end)),
        completion_start_time: Some(generation::completion_start_time(&attributes, start)),
        parent_observation_id: Some(parent),
        level: Some(Some(level(&attributes, span, scope))),
        status_message: Some(status_message(&attributes, span)),
        version: Some(version),
        model: Some(
            generation_fields
                .then(|| generation::model_name(&attributes))
                .flatten(),
        ),
        model_parameters: Some(generation::model_parameters(&attributes)),
        metadata: Some(metadata::observation_metadata(&attributes, resource, scope)),
        input,
        output,
        usage_details: generation_fields
            .then(|| usage::span_usage(&attributes))
            .flatten(),
        cost_details: generation_fields
            .then(|| usage::span_cost(&attributes))
            .flatten(),
        prompt: (r#type == ObservationType::Generation)
            .then(|| generation::prompt(&attributes))
            .flatten(),
    };
    MappedSpan {
        observation,
        trace,
        is_root,
        experiment: experiment::extract(&attributes),
    }
}

fn non_null(value: &Value) -> bool {
    !value.is_null()
}

/// Start and end in milliseconds (sub-millisecond truncated); a missing side is copied from the
/// other, and `now` stands in for both.
fn timestamps(span: &Span, now: Millis) -> (Millis, Millis) {
    let millis = |nanos: u64| {
        // u64::MAX nanoseconds is about 1.8e13 ms, well inside i64.
        (nanos > 0).then(|| i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX))
    };
    let start = millis(span.start_time_unix_nano);
    let end = millis(span.end_time_unix_nano);
    let start_or = start.or(end).unwrap_or(now);
    (start_or, end.unwrap_or(start_or))
}

/// The observation name (§3.4); an empty name is null.
fn span_name(span_name: &str, attributes: &Attributes) -> Option<String> {
    let named = first_text(
        attributes,
        &["gen_ai.tool.name", "genkit:name", "logfire.msg"],
    )
    .or_else(|| get_present(attributes, "ai.toolCall.name").map(text))
    .or_else(|| {
        let operation = get_present(attributes, "ai.operationId").map(text)?;
        match first_text(attributes, &["ai.telemetry.functionId"]) {
            Some(function) => Some(format!("{function}:{operation}")),
            None => Some(operation),
        }
    });
    named
        .or_else(|| Some(span_name.to_owned()))
        .filter(|name| !name.is_empty())
}

/// The environment the span or its resource names, normalized; `None` when neither does.
fn environment(attributes: &Attributes, resource: &Attributes) -> Option<String> {
    ENVIRONMENT_KEYS
        .iter()
        .find_map(|key| get_truthy(attributes, key).or_else(|| get_truthy(resource, key)))
        .map(|raw| normalize_environment(Some(&text(raw))))
}

fn level(attributes: &Attributes, span: &Span, scope: &Scope) -> Level {
    let named = attributes
        .get("langfuse.observation.level")
        .and_then(Value::as_str)
        .and_then(|raw| match raw.to_ascii_uppercase().as_str() {
            "DEBUG" | "TRACE" | "VERBOSE" => Some(Level::Debug),
            "DEFAULT" | "INFO" | "LOG" | "NOTICE" | "OK" | "SUCCESS" => Some(Level::Default),
            "WARNING" | "WARN" => Some(Level::Warning),
            "ERROR" | "FATAL" | "CRITICAL" => Some(Level::Error),
            _ => None,
        });
    if let Some(level) = named {
        return level;
    }
    if span.status.as_ref().is_some_and(|status| status.code == 2) {
        return Level::Error;
    }
    if scope.name == "livekit-agents" && LIVEKIT_DEBUG_SPANS.contains(&span.name.as_str()) {
        return Level::Debug;
    }
    Level::Default
}

fn status_message(attributes: &Attributes, span: &Span) -> Option<String> {
    get_present(attributes, "langfuse.observation.status_message")
        .map(text)
        .or_else(|| {
            let message = span.status.as_ref().map(|status| status.message.as_str())?;
            (!message.is_empty()).then(|| message.to_owned())
        })
}

/// `langfuse.trace.name`; a root span falls back to its own name.
fn trace_name(attributes: &Attributes, root_name: Option<&str>) -> crate::ingest::Field<String> {
    first_text(attributes, &["langfuse.trace.name"])
        .or_else(|| root_name.map(str::to_owned))
        .map(Some)
}

fn user_id(attributes: &Attributes) -> Option<String> {
    first_text(
        attributes,
        &[
            "langfuse.user.id",
            "user.id",
            "langfuse.observation.metadata.langfuse_user_id",
            "langfuse.trace.metadata.langfuse_user_id",
            "ai.telemetry.metadata.userId",
        ],
    )
    .map(unquote)
}

fn session_id(attributes: &Attributes) -> Option<String> {
    first_text(
        attributes,
        &[
            "langfuse.session.id",
            "session.id",
            "gen_ai.conversation.id",
            "langfuse.observation.metadata.langfuse_session_id",
            "langfuse.trace.metadata.langfuse_session_id",
            "ai.telemetry.metadata.sessionId",
        ],
    )
    .map(unquote)
}

fn public(attributes: &Attributes) -> Option<bool> {
    let value = get_present(attributes, "langfuse.trace.public")
        .or_else(|| get_present(attributes, "langfuse.public"))?;
    Some(value == &Value::Bool(true) || value == &Value::from("true"))
}

/// Tags: a list, a JSON list, comma-separated text or one tag. `None` when there are none.
fn tags(attributes: &Attributes) -> Option<Vec<String>> {
    let raw = [
        "langfuse.trace.tags",
        "langfuse.tags",
        "langfuse.observation.metadata.langfuse_tags",
        "langfuse.trace.metadata.langfuse_tags",
        "ai.telemetry.metadata.tags",
        "tag.tags",
    ]
    .iter()
    .find_map(|key| get_truthy(attributes, key))?;
    let tags: Vec<String> = match raw {
        Value::Array(items) => items.iter().map(text).collect(),
        Value::String(raw) => match serde_json::from_str::<Value>(raw.trim()) {
            Ok(Value::Array(items)) if raw.trim_start().starts_with('[') => {
                items.iter().map(text).collect()
            }
            _ if raw.contains(',') => raw.split(',').map(|tag| tag.trim().to_owned()).collect(),
            _ => vec![raw.clone()],
        },
        _ => Vec::new(),
    };
    (!tags.is_empty()).then_some(tags)
}

/// `langfuse.trace.input` / `.output` on any span; on a root span, the observation's own.
fn trace_io(attributes: &Attributes, key: &str, root_fallback: Option<Value>) -> Option<Value> {
    get_truthy(attributes, key)
        .map(parse_json_text)
        .filter(non_null)
        .or(root_fallback)
}
