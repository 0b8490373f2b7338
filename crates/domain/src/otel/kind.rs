//! The observation type of a span (wire-spec §3.5): the first rule that recognises the span wins,
//! else `SPAN`.

use serde_json::Value;

use super::attributes::{Attributes, meaningful};
use super::span::Scope;
use crate::ingest::ObservationType;

use ObservationType as T;

pub(super) const LANGFUSE_TYPE: &str = "langfuse.observation.type";
pub(super) const LANGFUSE_MODEL: &str = "langfuse.observation.model.name";

const LANGFUSE_TYPES: &[(&str, ObservationType)] = &[
    ("span", T::Span),
    ("generation", T::Generation),
    ("event", T::Event),
    ("embedding", T::Embedding),
    ("agent", T::Agent),
    ("tool", T::Tool),
    ("chain", T::Chain),
    ("retriever", T::Retriever),
    ("guardrail", T::Guardrail),
    ("evaluator", T::Evaluator),
];

const OPENINFERENCE_KINDS: &[(&str, ObservationType)] = &[
    ("CHAIN", T::Chain),
    ("RETRIEVER", T::Retriever),
    ("LLM", T::Generation),
    ("EMBEDDING", T::Embedding),
    ("AGENT", T::Agent),
    ("TOOL", T::Tool),
    ("GUARDRAIL", T::Guardrail),
    ("EVALUATOR", T::Evaluator),
];

const GEN_AI_OPERATIONS: &[(&str, ObservationType)] = &[
    ("chat", T::Generation),
    ("completion", T::Generation),
    ("text_completion", T::Generation),
    ("generate_content", T::Generation),
    ("generate", T::Generation),
    ("embeddings", T::Embedding),
    ("invoke_agent", T::Agent),
    ("create_agent", T::Agent),
    ("execute_tool", T::Tool),
];

const GENKIT_SUBTYPES: &[(&str, ObservationType)] = &[
    ("model", T::Generation),
    ("background-model", T::Generation),
    ("embedder", T::Embedding),
    ("tool", T::Tool),
    ("tool.v2", T::Tool),
    ("retriever", T::Retriever),
    ("evaluator", T::Evaluator),
];

const VERCEL_GENERATIONS: &[&str] = &[
    "ai.generateText.doGenerate",
    "ai.streamText.doStream",
    "ai.generateObject.doGenerate",
    "ai.streamObject.doStream",
];
const VERCEL_EMBEDDINGS: &[&str] = &["ai.embedMany.doEmbed", "ai.embed.doEmbed"];

/// Attributes whose presence on a Python SDK ≤ 3.3 `span` means it was really a generation.
const GENERATION_ATTRIBUTES: &[&str] = &[
    LANGFUSE_MODEL,
    "langfuse.observation.cost_details",
    "langfuse.observation.usage_details",
    "langfuse.observation.completion_start_time",
    "langfuse.observation.model.parameters",
    "langfuse.observation.prompt.name",
    "langfuse.observation.prompt.version",
];

pub(super) fn observation_type(
    attributes: &Attributes,
    resource: &Attributes,
    scope: &Scope,
    span_name: &str,
) -> ObservationType {
    python_sdk_3_3_generation(attributes, resource, scope)
        .or_else(|| lookup(attributes, LANGFUSE_TYPE, LANGFUSE_TYPES))
        .or_else(|| lookup(attributes, "openinference.span.kind", OPENINFERENCE_KINDS))
        .or_else(|| lookup(attributes, "gen_ai.operation.name", GEN_AI_OPERATIONS))
        .or_else(|| lookup(attributes, "genkit:metadata:subtype", GENKIT_SUBTYPES))
        .or_else(|| vercel(attributes))
        .or_else(|| {
            any_meaningful(
                attributes,
                &["gen_ai.tool.name", "gen_ai.tool.call.id"],
                T::Tool,
            )
        })
        .or_else(|| {
            any_meaningful(
                attributes,
                &["flue.tool.name", "flue.tool.call_id"],
                T::Tool,
            )
        })
        .or_else(|| any_meaningful(attributes, &["flue.task.id", "flue.task.agent"], T::Agent))
        .or_else(|| livekit(scope, span_name))
        .or_else(|| any_meaningful(attributes, MODEL_ATTRIBUTES, T::Generation))
        .unwrap_or(T::Span)
}

/// Any of these names a model, which makes the span a generation (rule 10).
const MODEL_ATTRIBUTES: &[&str] = &[
    LANGFUSE_MODEL,
    "gen_ai.request.model",
    "gen_ai.response.model",
    "llm.model_name",
    "model",
];

fn lookup(
    attributes: &Attributes,
    key: &str,
    table: &[(&str, ObservationType)],
) -> Option<ObservationType> {
    let value = attributes.get(key)?.as_str()?;
    table
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, kind)| *kind)
}

fn any_meaningful(
    attributes: &Attributes,
    keys: &[&str],
    kind: ObservationType,
) -> Option<ObservationType> {
    keys.iter()
        .any(|key| attributes.get(*key).is_some_and(meaningful))
        .then_some(kind)
}

/// Rule 0: Python SDK ≤ 3.3 sent generations as `span` (langfuse/langfuse#8682).
fn python_sdk_3_3_generation(
    attributes: &Attributes,
    resource: &Attributes,
    scope: &Scope,
) -> Option<ObservationType> {
    let applies = attributes.get(LANGFUSE_TYPE) == Some(&Value::from("span"))
        && scope.name == "langfuse-sdk"
        && resource.get("telemetry.sdk.language") == Some(&Value::from("python"));
    if !applies || is_newer_than_3_3(&scope.version) {
        return None;
    }
    GENERATION_ATTRIBUTES
        .iter()
        .any(|key| attributes.contains_key(*key))
        .then_some(T::Generation)
}

fn is_newer_than_3_3(version: &str) -> bool {
    let mut parts = version.split('.').map(|part| part.parse::<u64>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), _) if major > 3 => true,
        (Some(3), Some(minor)) => minor > 3,
        _ => false,
    }
}

/// Rules 5 and 6: Vercel AI SDK operations, named by `operation.name` (prefix) or
/// `ai.operationId` (exact).
fn vercel(attributes: &Attributes) -> Option<ObservationType> {
    let operation_name = attributes.get("operation.name").and_then(Value::as_str);
    let operation_id = attributes.get("ai.operationId").and_then(Value::as_str);
    let matches = |names: &[&str]| {
        names.iter().any(|name| {
            operation_name.is_some_and(|op| op.starts_with(name)) || operation_id == Some(*name)
        })
    };
    let has_model = [
        LANGFUSE_MODEL,
        "ai.model.id",
        "gen_ai.request.model",
        "gen_ai.response.model",
    ]
    .iter()
    .any(|key| attributes.get(*key).is_some_and(meaningful));
    if has_model && matches(VERCEL_GENERATIONS) {
        return Some(T::Generation);
    }
    if has_model && matches(VERCEL_EMBEDDINGS) {
        return Some(T::Embedding);
    }
    matches(&["ai.toolCall"]).then_some(T::Tool)
}

/// Rule 9: LiveKit agents name their spans.
fn livekit(scope: &Scope, span_name: &str) -> Option<ObservationType> {
    if scope.name != "livekit-agents" {
        return None;
    }
    match span_name {
        "agent_turn" | "start_agent_activity" => Some(T::Agent),
        "function_tool" => Some(T::Tool),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attributes(value: Value) -> Attributes {
        value.as_object().cloned().unwrap_or_default()
    }

    fn scope(name: &str, version: &str) -> Scope {
        Scope {
            name: name.into(),
            version: version.into(),
            attributes: Attributes::new(),
        }
    }

    fn kind_of(value: Value) -> ObservationType {
        observation_type(
            &attributes(value),
            &Attributes::new(),
            &scope("x", ""),
            "span",
        )
    }

    #[test]
    fn rules_apply_in_priority_order() {
        assert_eq!(kind_of(json!({})), T::Span);
        assert_eq!(
            kind_of(json!({"langfuse.observation.type": "agent"})),
            T::Agent
        );
        assert_eq!(
            kind_of(json!({"langfuse.observation.type": "tool", "gen_ai.request.model": "m"})),
            T::Tool
        );
        assert_eq!(
            kind_of(json!({"openinference.span.kind": "LLM"})),
            T::Generation
        );
        assert_eq!(
            kind_of(json!({"openinference.span.kind": "RETRIEVER"})),
            T::Retriever
        );
        assert_eq!(
            kind_of(json!({"gen_ai.operation.name": "chat"})),
            T::Generation
        );
        assert_eq!(
            kind_of(json!({"gen_ai.operation.name": "embeddings"})),
            T::Embedding
        );
        assert_eq!(
            kind_of(json!({"gen_ai.operation.name": "execute_tool"})),
            T::Tool
        );
        assert_eq!(kind_of(json!({"gen_ai.tool.name": "search"})), T::Tool);
        assert_eq!(
            kind_of(json!({"gen_ai.request.model": "gpt-4o"})),
            T::Generation
        );
        assert_eq!(kind_of(json!({"model": ""})), T::Span);
    }

    #[test]
    fn vercel_operations_need_a_model_to_be_generations() {
        let generation =
            json!({"operation.name": "ai.generateText.doGenerate my-fn", "ai.model.id": "gpt-4o"});
        assert_eq!(kind_of(generation), T::Generation);
        assert_eq!(
            kind_of(json!({"ai.operationId": "ai.embed.doEmbed", "ai.model.id": "e"})),
            T::Embedding
        );
        assert_eq!(
            kind_of(json!({"ai.operationId": "ai.generateText.doGenerate"})),
            T::Span
        );
        assert_eq!(kind_of(json!({"ai.operationId": "ai.toolCall"})), T::Tool);
    }

    #[test]
    fn old_python_sdk_generations_sent_as_spans_are_generations() {
        let span = attributes(
            json!({"langfuse.observation.type": "span", "langfuse.observation.model.name": "gpt-4o"}),
        );
        let python = attributes(json!({"telemetry.sdk.language": "python"}));
        let old = observation_type(&span, &python, &scope("langfuse-sdk", "3.3.0"), "s");
        let new = observation_type(&span, &python, &scope("langfuse-sdk", "3.4.1"), "s");
        assert_eq!((old, new), (T::Generation, T::Span));
    }

    #[test]
    fn livekit_spans_are_named() {
        let livekit = scope("livekit-agents", "1.0");
        let none = Attributes::new();
        assert_eq!(
            observation_type(&none, &none, &livekit, "agent_turn"),
            T::Agent
        );
        assert_eq!(
            observation_type(&none, &none, &livekit, "function_tool"),
            T::Tool
        );
    }
}
