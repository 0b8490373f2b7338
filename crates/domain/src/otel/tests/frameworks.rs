//! Spans from instrumentations other than the Langfuse SDKs: OTel GenAI semantic conventions,
//! OpenInference, TraceLoop; and the span-level fallbacks (timestamps, status, environment).

use opentelemetry_proto::tonic::trace::v1::span::Event;
use serde_json::json;

use super::*;
use crate::ingest::{Level, ObservationType, UsageMap};

const START: u64 = 1_710_000_000_000_000_000;
const END: u64 = 1_710_000_001_500_000_000;

fn only(batch: &OtelBatch) -> (&crate::ingest::ObservationPatch, &crate::ingest::TracePatch) {
    assert_eq!((batch.observations.len(), batch.traces.len()), (1, 1));
    (&batch.observations[0], &batch.traces[0])
}

fn usage(pairs: &[(&str, f64)]) -> Option<UsageMap> {
    Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
}

#[test]
fn an_otel_gen_ai_chat_span_is_a_generation() {
    let attributes = vec![
        string("gen_ai.operation.name", "chat"),
        string("gen_ai.system", "openai"),
        string("gen_ai.request.model", "gpt-4o-mini"),
        string("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
        double("gen_ai.request.temperature", 0.5),
        int("gen_ai.usage.input_tokens", 20),
        int("gen_ai.usage.output_tokens", 8),
        string(
            "gen_ai.system_instructions",
            r#"[{"type": "text", "content": "Be brief."}]"#,
        ),
        string(
            "gen_ai.input.messages",
            r#"[{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]"#,
        ),
        string(
            "gen_ai.output.messages",
            r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}]"#,
        ),
        string("server.address", "api.openai.com"),
    ];
    let mut chat = span(
        CHILD_ID,
        Some(ROOT_ID),
        "chat gpt-4o-mini",
        (START, END),
        attributes,
    );
    chat.status = Some(Status {
        message: "rate limited".to_owned(),
        code: 2,
    });
    let export = request(
        vec![string("service.name", "rag-service")],
        scope("opentelemetry.instrumentation.openai_v2", "2.1b0", vec![]),
        vec![chat],
    );
    let batch = map(&export);
    let (observation, trace) = only(&batch);
    assert_eq!(observation.r#type, ObservationType::Generation);
    assert_eq!(observation.name, Some(Some("chat gpt-4o-mini".to_owned())));
    assert_eq!(
        observation.model,
        Some(Some("gpt-4o-mini-2024-07-18".to_owned()))
    );
    assert_eq!(
        observation.model_parameters,
        Some(Some(json!({"temperature": 0.5})))
    );
    assert_eq!(
        observation.usage_details,
        usage(&[("input", 20.0), ("output", 8.0)])
    );
    assert_eq!(observation.cost_details, None);
    assert_eq!(observation.level, Some(Some(Level::Error)));
    assert_eq!(
        observation.status_message,
        Some(Some("rate limited".to_owned()))
    );
    assert_eq!(observation.environment.as_deref(), Some("default"));
    assert_eq!(observation.start_time, Some(1_710_000_000_000));
    assert_eq!(observation.end_time, Some(Some(1_710_000_001_500)));
    assert_eq!(
        observation.input,
        Some(json!([
            {"role": "system", "content": [{"type": "text", "content": "Be brief."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Hi"}]},
        ]))
    );
    assert_eq!(
        observation.output,
        Some(
            json!([{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}])
        )
    );
    assert_eq!(
        observation.metadata,
        Some(json!({
            "attributes": {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.request.temperature": 0.5,
                "gen_ai.usage.input_tokens": 20,
                "gen_ai.usage.output_tokens": 8,
                "server.address": "api.openai.com",
            },
            "resourceAttributes": {"service.name": "rag-service"},
            "scope": {"name": "opentelemetry.instrumentation.openai_v2", "version": "2.1b0", "attributes": {}},
        }))
    );
    // A child span without trace attributes says only when the trace ran.
    assert_eq!(trace.id, TRACE_ID);
    assert_eq!(trace.timestamp, Some(1_710_000_000_000));
    assert_eq!(
        (
            &trace.name,
            &trace.environment,
            &trace.user_id,
            &trace.metadata,
            &trace.input
        ),
        (&None, &None, &None, &None, &None)
    );
}

#[test]
fn an_openinference_llm_span_reads_input_value_and_token_counts() {
    let attributes = vec![
        string("openinference.span.kind", "LLM"),
        string("llm.model_name", "gpt-4o"),
        string("llm.provider", "openai"),
        string(
            "input.value",
            r#"{"messages": [{"role": "user", "content": "2+2?"}]}"#,
        ),
        string("input.mime_type", "application/json"),
        string("output.value", "4"),
        string("output.mime_type", "text/plain"),
        string("llm.input_messages.0.message.role", "user"),
        string("llm.input_messages.0.message.content", "2+2?"),
        string(
            "llm.invocation_parameters",
            r#"{"temperature": 0, "stream": false}"#,
        ),
        int("llm.token_count.prompt", 12),
        int("llm.token_count.completion", 8),
        int("llm.token_count.total", 20),
        string("session.id", "conversation-1"),
    ];
    let export = request(
        vec![
            string("service.name", "agent"),
            string("deployment.environment", "Staging"),
        ],
        scope("openinference.instrumentation.langchain", "0.1.29", vec![]),
        vec![span(ROOT_ID, None, "ChatOpenAI", (START, END), attributes)],
    );
    let batch = map(&export);
    let (observation, trace) = only(&batch);
    assert_eq!(observation.r#type, ObservationType::Generation);
    assert_eq!(observation.model, Some(Some("gpt-4o".to_owned())));
    assert_eq!(
        observation.input,
        Some(json!({"messages": [{"role": "user", "content": "2+2?"}]}))
    );
    assert_eq!(observation.output, Some(json!(4)));
    assert_eq!(
        observation.model_parameters,
        Some(Some(json!({"temperature": 0, "stream": "false"})))
    );
    assert_eq!(
        observation.usage_details,
        usage(&[("input", 12.0), ("output", 8.0), ("total", 20.0)])
    );
    assert_eq!(observation.environment.as_deref(), Some("staging"));
    let kept = observation
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get("attributes"))
        .and_then(|attributes| attributes.as_object())
        .map(|attributes| attributes.keys().cloned().collect::<Vec<_>>());
    assert_eq!(
        kept,
        Some(
            // In the span's order.
            [
                "openinference.span.kind",
                "llm.model_name",
                "llm.provider",
                "input.mime_type",
                "output.mime_type",
                "llm.invocation_parameters",
                "llm.token_count.prompt",
                "llm.token_count.completion",
                "llm.token_count.total",
                "session.id",
            ]
            .map(str::to_owned)
            .to_vec()
        )
    );
    // A root span names the trace and gives it its input and output.
    assert_eq!(trace.name, Some(Some("ChatOpenAI".to_owned())));
    assert_eq!(trace.session_id, Some(Some("conversation-1".to_owned())));
    assert_eq!(trace.environment.as_deref(), Some("staging"));
    assert_eq!(trace.input, observation.input);
    assert_eq!(trace.output, Some(json!(4)));
}

#[test]
fn flattened_messages_are_rebuilt_into_lists() {
    let attributes = vec![
        string("llm.request.type", "chat"),
        string("gen_ai.prompt.0.role", "system"),
        string("gen_ai.prompt.0.content", "Be brief."),
        string("gen_ai.prompt.1.role", "user"),
        string("gen_ai.prompt.1.content", "Hi"),
        string("gen_ai.completion.0.role", "assistant"),
        string("gen_ai.completion.0.content", "Hello"),
        string("gen_ai.completion.0.tool_calls.0.name", "search"),
    ];
    let export = request(
        vec![],
        scope("opentelemetry.instrumentation.openai.v1", "0.40.0", vec![]),
        vec![span(ROOT_ID, None, "openai.chat", (START, END), attributes)],
    );
    let batch = map(&export);
    let (observation, _) = only(&batch);
    assert_eq!(
        observation.input,
        Some(
            json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
        )
    );
    assert_eq!(
        observation.output,
        Some(
            json!([{"role": "assistant", "content": "Hello", "tool_calls": [{"name": "search"}]}])
        )
    );
}

#[test]
fn huge_flattened_indices_are_capped() {
    let attributes = vec![
        string("llm.input_messages.0.message.content", "kept"),
        string("llm.input_messages.99999999999.message.content", "dropped"),
        string("llm.input_messages.18446744073709551615.x", "dropped"),
    ];
    let export = request(
        vec![],
        scope("x", "1", vec![]),
        vec![span(ROOT_ID, None, "s", (START, END), attributes)],
    );
    let batch = map(&export);
    assert_eq!(
        batch.observations[0].input,
        Some(json!([{"message": {"content": "kept"}}]))
    );
}

#[test]
fn gen_ai_message_events_become_input_and_output() {
    let event = |name: &str, attributes: Vec<KeyValue>| Event {
        time_unix_nano: START,
        name: name.to_owned(),
        attributes,
        dropped_attributes_count: 0,
    };
    let mut chat = span(
        ROOT_ID,
        None,
        "chat",
        (START, END),
        vec![string("gen_ai.operation.name", "chat")],
    );
    chat.events = vec![
        event(
            "gen_ai.system.message",
            vec![string("content", "Be brief.")],
        ),
        event("gen_ai.user.message", vec![string("content", "Hi")]),
        event(
            "gen_ai.choice",
            vec![int("index", 0), string("finish_reason", "stop")],
        ),
    ];
    let export = request(vec![], scope("semantic-kernel", "1", vec![]), vec![chat]);
    let batch = map(&export);
    assert_eq!(
        batch.observations[0].input,
        Some(
            json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
        )
    );
    assert_eq!(
        batch.observations[0].output,
        Some(json!({"index": 0, "finish_reason": "stop"}))
    );
}

#[test]
fn tool_spans_are_named_after_the_tool_and_carry_arguments() {
    let attributes = vec![
        string("gen_ai.operation.name", "execute_tool"),
        string("gen_ai.tool.name", "get_weather"),
        string("gen_ai.tool.call.arguments", r#"{"city": "Paris"}"#),
        string("gen_ai.tool.call.result", "sunny"),
    ];
    let export = request(
        vec![],
        scope("strands", "1", vec![]),
        vec![span(
            CHILD_ID,
            Some(ROOT_ID),
            "execute_tool",
            (START, END),
            attributes,
        )],
    );
    let batch = map(&export);
    let (observation, _) = only(&batch);
    assert_eq!(observation.r#type, ObservationType::Tool);
    assert_eq!(observation.name, Some(Some("get_weather".to_owned())));
    assert_eq!(observation.input, Some(json!({"city": "Paris"})));
    assert_eq!(observation.output, Some(json!("sunny")));
}

#[test]
fn missing_timestamps_are_copied_or_taken_from_now() {
    let only_end = span(ROOT_ID, None, "a", (0, END), vec![]);
    let only_start = span(CHILD_ID, None, "b", (START, 0), vec![]);
    let neither = span("1111111111111111", None, "c", (0, 0), vec![]);
    let export = request(
        vec![],
        scope("x", "", vec![]),
        vec![only_end, only_start, neither],
    );
    let batch = map(&export);
    let times: Vec<_> = batch
        .observations
        .iter()
        .map(|o| (o.start_time, o.end_time))
        .collect();
    assert_eq!(
        times,
        vec![
            (Some(1_710_000_001_500), Some(Some(1_710_000_001_500))),
            (Some(1_710_000_000_000), Some(Some(1_710_000_000_000))),
            (Some(NOW), Some(Some(NOW))),
        ]
    );
}

#[test]
fn trace_fields_come_from_metadata_and_tag_strings() {
    let attributes = vec![
        string("langfuse.trace.metadata.langfuse_user_id", "\"u-9\""),
        string("langfuse.observation.metadata.langfuse_session_id", "s-9"),
        string("tag.tags", "a, b"),
        string("langfuse.version", "2.0"),
        string("langfuse.public", "true"),
    ];
    let export = request(
        vec![string("service.version", "1.0")],
        scope("llama_index", "1", vec![]),
        vec![span(
            CHILD_ID,
            Some(ROOT_ID),
            "query",
            (START, END),
            attributes,
        )],
    );
    let batch = map(&export);
    let (observation, trace) = only(&batch);
    assert_eq!(trace.user_id, Some(Some("u-9".to_owned())));
    assert_eq!(trace.session_id, Some(Some("s-9".to_owned())));
    assert_eq!(trace.tags, Some(vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(trace.version, Some(Some("2.0".to_owned())));
    assert_eq!(trace.public, Some(true));
    assert_eq!(trace.metadata, Some(json!({"langfuse_user_id": "\"u-9\""})));
    assert_eq!(observation.version, Some(Some("2.0".to_owned())));
}

#[test]
fn ids_without_hex_are_rejected_by_map_export() {
    let mut broken = span(ROOT_ID, None, "x", (START, END), vec![]);
    broken.span_id.clear();
    let export = request(vec![], scope("logs", "1", vec![]), vec![broken]);
    assert!(matches!(
        map_export(&export, NOW),
        Err(crate::otel::OtelError::InvalidExport(message)) if message.contains("spanId:absent")
    ));
}

#[test]
fn the_environment_a_span_names_is_its_traces_in_the_whole_export() {
    /// The trace and observation environments of an export of a child, its root and a root of
    /// another trace, in that order (the child ends first, so a batch span processor exports it
    /// first). Only the root carries `attributes`; `resource` applies to all three.
    fn environments(
        resource: Vec<KeyValue>,
        attributes: Vec<KeyValue>,
    ) -> (Vec<Option<String>>, Vec<Option<String>>) {
        let child = span(CHILD_ID, Some(ROOT_ID), "step", (START, END), vec![]);
        let root = span(ROOT_ID, None, "run", (START, END), attributes);
        let mut other = span("2222222222222222", None, "other", (START, END), vec![]);
        other.trace_id = bytes("11111111111111111111111111111111");
        let export = request(
            resource,
            scope("app", "1", vec![]),
            vec![child, root, other],
        );
        let batch = map(&export);
        (
            batch.traces.into_iter().map(|t| t.environment).collect(),
            batch
                .observations
                .into_iter()
                .map(|o| o.environment)
                .collect(),
        )
    }
    let named = |name: &str| Some(name.to_owned());

    let (traces, observations) =
        environments(vec![], vec![string("langfuse.environment", "Production")]);
    assert_eq!(
        traces,
        [named("production"), named("production"), None],
        "every patch of the trace carries the environment its root names; another trace none"
    );
    assert_eq!(
        observations,
        [named("default"), named("production"), named("default")],
        "each observation keeps its own span's environment"
    );

    // Per key, the span attribute wins over the resource attribute, keys in Langfuse's order;
    // the child names only its resource's environment, and the trace takes its root's.
    let cases = [
        (
            vec![string("langfuse.environment", "staging")],
            vec![string("langfuse.environment", "langfuse-prod")],
            "prod",
        ),
        (
            vec![string("langfuse.environment", "qa")],
            vec![string("deployment.environment.name", "dev")],
            "qa",
        ),
        (
            vec![string("deployment.environment", "ops")],
            vec![string("deployment.environment.name", "Dev")],
            "dev",
        ),
        (
            vec![],
            vec![string("deployment.environment", "has space")],
            "default",
        ),
    ];
    for (resource, attributes, expected) in cases {
        let case = format!("{resource:?} {attributes:?}");
        let (traces, observations) = environments(resource, attributes);
        assert_eq!(traces[..2], [named(expected), named(expected)], "{case}");
        assert_eq!(observations[1], named(expected), "{case}");
    }
}
