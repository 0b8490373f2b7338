//! A trace as the Langfuse Python SDK 5.x exports it: a root span with trace attributes and a
//! child generation, both carrying the propagated user and session.

use serde_json::json;

use super::*;
use crate::ingest::{Level, ObservationPatch, ObservationType, TracePatch, UsageMap};

const START: u64 = 1_704_067_200_123_456_789;
const END: u64 = 1_704_067_202_987_654_321;
const CHILD_START: u64 = 1_704_067_200_500_000_000;
const CHILD_END: u64 = 1_704_067_202_000_999_999;

fn python_resource() -> Vec<KeyValue> {
    vec![
        string("telemetry.sdk.language", "python"),
        string("telemetry.sdk.name", "opentelemetry"),
        string("telemetry.sdk.version", "1.33.1"),
        string("service.name", "unknown_service"),
        string("langfuse.environment", "production"),
        string("langfuse.release", "v1.2.3"),
    ]
}

fn python_scope() -> InstrumentationScope {
    scope(
        "langfuse-sdk",
        "5.0.4",
        vec![string("public_key", "pk-lf-1234")],
    )
}

fn python_trace() -> ExportTraceServiceRequest {
    let propagated = || {
        vec![
            string("user.id", "user-42"),
            string("session.id", "session-7"),
            string("langfuse.environment", "production"),
        ]
    };
    let mut root = propagated();
    root.extend([
        string("langfuse.observation.type", "span"),
        string("langfuse.trace.name", "support-chat"),
        strings("langfuse.trace.tags", &["prod", "chat"]),
        string("langfuse.trace.metadata.team", "\"search\""),
        string("langfuse.trace.metadata.priority", "2"),
        string(
            "langfuse.observation.input",
            "{\"question\": \"What is OTel?\"}",
        ),
        string(
            "langfuse.observation.output",
            "\"OpenTelemetry is a standard.\"",
        ),
        string("langfuse.observation.metadata.step", "\"answer\""),
    ]);
    let mut child = propagated();
    child.extend([
        string("langfuse.observation.type", "generation"),
        string("langfuse.observation.model.name", "gpt-4o"),
        string(
            "langfuse.observation.usage_details",
            "{\"input\": 10, \"output\": 5}",
        ),
        string("langfuse.observation.cost_details", "{\"total\": 0.0012}"),
        string(
            "langfuse.observation.model.parameters",
            "{\"temperature\": 0.2, \"max_tokens\": 256}",
        ),
        string(
            "langfuse.observation.input",
            "[{\"role\": \"user\", \"content\": \"What is OTel?\"}]",
        ),
        string(
            "langfuse.observation.output",
            "{\"role\": \"assistant\", \"content\": \"OpenTelemetry is a standard.\"}",
        ),
        string(
            "langfuse.observation.completion_start_time",
            "\"2024-01-01T00:00:00.750123+00:00\"",
        ),
        string("langfuse.observation.prompt.name", "qa-prompt"),
        int("langfuse.observation.prompt.version", 3),
        string("langfuse.observation.level", "warning"),
        string("langfuse.observation.status_message", "slow response"),
    ]);
    request(
        python_resource(),
        python_scope(),
        vec![
            span(ROOT_ID, None, "support-chat", (START, END), root),
            span(
                CHILD_ID,
                Some(ROOT_ID),
                "llm-call",
                (CHILD_START, CHILD_END),
                child,
            ),
        ],
    )
}

fn python_metadata(extra: serde_json::Value) -> serde_json::Value {
    let mut metadata = json!({
        "resourceAttributes": {
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": "1.33.1",
            "service.name": "unknown_service",
            "langfuse.environment": "production",
            "langfuse.release": "v1.2.3",
        },
        "scope": {"name": "langfuse-sdk", "version": "5.0.4", "attributes": {"public_key": "pk-lf-1234"}},
    });
    if let (Some(metadata), Some(extra)) = (metadata.as_object_mut(), extra.as_object()) {
        metadata.extend(extra.clone());
    }
    metadata
}

fn usage(pairs: &[(&str, f64)]) -> Option<UsageMap> {
    Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
}

#[test]
fn the_root_span_becomes_a_complete_observation() {
    let batch = map(&python_trace());
    assert_eq!(batch.observations.len(), 2);
    assert_eq!(
        batch.observations[0],
        ObservationPatch {
            id: ROOT_ID.to_owned(),
            trace_id: Some(TRACE_ID.to_owned()),
            r#type: ObservationType::Span,
            start_time: Some(1_704_067_200_123),
            environment: Some("production".to_owned()),
            name: Some(Some("support-chat".to_owned())),
            end_time: Some(Some(1_704_067_202_987)),
            completion_start_time: Some(None),
            parent_observation_id: Some(None),
            level: Some(Some(Level::Default)),
            status_message: Some(None),
            version: Some(None),
            model: Some(None),
            model_parameters: Some(None),
            metadata: Some(python_metadata(json!({"step": "\"answer\""}))),
            input: Some(json!({"question": "What is OTel?"})),
            output: Some(json!("OpenTelemetry is a standard.")),
            usage_details: None,
            cost_details: None,
            prompt: None,
        }
    );
}

#[test]
fn the_child_generation_carries_model_usage_cost_and_prompt() {
    let batch = map(&python_trace());
    assert_eq!(
        batch.observations[1],
        ObservationPatch {
            id: CHILD_ID.to_owned(),
            trace_id: Some(TRACE_ID.to_owned()),
            r#type: ObservationType::Generation,
            start_time: Some(1_704_067_200_500),
            environment: Some("production".to_owned()),
            name: Some(Some("llm-call".to_owned())),
            end_time: Some(Some(1_704_067_202_000)),
            completion_start_time: Some(Some(1_704_067_200_750)),
            parent_observation_id: Some(Some(ROOT_ID.to_owned())),
            level: Some(Some(Level::Warning)),
            status_message: Some(Some("slow response".to_owned())),
            version: Some(None),
            model: Some(Some("gpt-4o".to_owned())),
            model_parameters: Some(Some(json!({"temperature": 0.2, "max_tokens": 256}))),
            metadata: Some(python_metadata(json!({}))),
            input: Some(json!([{"role": "user", "content": "What is OTel?"}])),
            output: Some(json!({"role": "assistant", "content": "OpenTelemetry is a standard."})),
            usage_details: usage(&[("input", 10.0), ("output", 5.0)]),
            cost_details: usage(&[("total", 0.0012)]),
            prompt: Some(("qa-prompt".to_owned(), 3)),
        }
    );
}

#[test]
fn both_spans_describe_the_trace_and_only_the_root_gives_its_io() {
    let batch = map(&python_trace());
    assert_eq!(
        batch.traces,
        vec![
            TracePatch {
                id: TRACE_ID.to_owned(),
                timestamp: Some(1_704_067_200_123),
                environment: Some("production".to_owned()),
                name: Some(Some("support-chat".to_owned())),
                user_id: Some(Some("user-42".to_owned())),
                session_id: Some(Some("session-7".to_owned())),
                release: Some(Some("v1.2.3".to_owned())),
                version: None,
                public: None,
                tags: Some(vec!["prod".to_owned(), "chat".to_owned()]),
                metadata: Some(json!({"team": "\"search\"", "priority": "2"})),
                input: Some(json!({"question": "What is OTel?"})),
                output: Some(json!("OpenTelemetry is a standard.")),
            },
            TracePatch {
                id: TRACE_ID.to_owned(),
                timestamp: Some(1_704_067_200_500),
                environment: Some("production".to_owned()),
                name: None,
                user_id: Some(Some("user-42".to_owned())),
                session_id: Some(Some("session-7".to_owned())),
                release: Some(Some("v1.2.3".to_owned())),
                version: None,
                public: None,
                tags: None,
                metadata: None,
                input: None,
                output: None,
            },
        ]
    );
    assert!(batch.experiments.is_empty());
}

#[test]
fn trace_io_attributes_win_over_the_root_observations_io() {
    let mut export = python_trace();
    let spans = &mut export.resource_spans[0].scope_spans[0].spans;
    spans[0]
        .attributes
        .push(string("langfuse.trace.input", "{\"q\": \"trace\"}"));
    spans[1]
        .attributes
        .push(string("langfuse.trace.output", "\"from the child\""));
    spans[1]
        .attributes
        .push(boolean("langfuse.trace.public", true));
    let batch = map(&export);
    assert_eq!(batch.traces[0].input, Some(json!({"q": "trace"})));
    assert_eq!(
        batch.traces[0].output,
        Some(json!("OpenTelemetry is a standard."))
    );
    assert_eq!(batch.traces[1].input, None);
    assert_eq!(batch.traces[1].output, Some(json!("from the child")));
    assert_eq!(batch.traces[1].public, Some(true));
}

#[test]
fn as_root_makes_a_child_the_traces_root() {
    let mut export = python_trace();
    let child = &mut export.resource_spans[0].scope_spans[0].spans[1];
    child
        .attributes
        .push(boolean("langfuse.internal.as_root", true));
    let batch = map(&export);
    assert_eq!(batch.traces[1].name, Some(Some("llm-call".to_owned())));
    assert_eq!(
        batch.traces[1].input,
        Some(json!([{"role": "user", "content": "What is OTel?"}]))
    );
    // The parent link is kept; only the trace-level reading changes.
    assert_eq!(
        batch.observations[1].parent_observation_id,
        Some(Some(ROOT_ID.to_owned()))
    );
}

#[test]
fn experiment_spans_expose_their_attributes() {
    let mut export = python_trace();
    let root = &mut export.resource_spans[0].scope_spans[0].spans[0];
    root.attributes.extend([
        string("langfuse.environment", "sdk-experiment"),
        string("langfuse.experiment.id", "exp-1"),
        string("langfuse.experiment.name", "baseline"),
        string("langfuse.experiment.dataset.id", "ds-1"),
        string("langfuse.experiment.item.id", "item-9"),
        string("langfuse.experiment.item.root_observation_id", ROOT_ID),
        string("langfuse.experiment.item.expected_output", "\"42\""),
    ]);
    let batch = map(&export);
    assert_eq!(
        batch.observations[0].environment.as_deref(),
        Some("sdk-experiment")
    );
    assert_eq!(batch.experiments.len(), 1);
    let experiment = &batch.experiments[0];
    assert_eq!(
        (
            experiment.observation_id.as_str(),
            experiment.trace_id.as_str()
        ),
        (ROOT_ID, TRACE_ID)
    );
    assert_eq!(experiment.attributes.id.as_deref(), Some("exp-1"));
    assert_eq!(experiment.attributes.name.as_deref(), Some("baseline"));
    assert_eq!(experiment.attributes.dataset_id.as_deref(), Some("ds-1"));
    assert_eq!(experiment.attributes.item_id.as_deref(), Some("item-9"));
    assert_eq!(
        experiment.attributes.root_observation_id.as_deref(),
        Some(ROOT_ID)
    );
    assert_eq!(experiment.attributes.expected_output, Some(json!("42")));
}

#[test]
fn python_sdk_3_3_generations_sent_as_spans_are_generations() {
    let attributes = vec![
        string("langfuse.observation.type", "span"),
        string("langfuse.observation.model.name", "gpt-4o"),
    ];
    let export = request(
        python_resource(),
        scope("langfuse-sdk", "3.2.1", vec![]),
        vec![span(ROOT_ID, None, "old", (START, END), attributes)],
    );
    let batch = map(&export);
    assert_eq!(batch.observations[0].r#type, ObservationType::Generation);
}
