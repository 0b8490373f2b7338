//! A span's input and output (wire-spec §3.7): the first rule that finds either wins. Strings
//! holding JSON become JSON. Not implemented: Semantic Kernel's legacy `gen_ai.content.*` events
//! (rule 7) and Logfire's `events` attribute (rule 11).

use opentelemetry_proto::tonic::trace::v1::span::Event;
use serde_json::{Map, Value, json};

use super::attributes::{Attributes, flatten, get_present, get_truthy, parse_json_text, truthy};

/// What a span says it consumed and produced; `None` when it says nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Io {
    pub input: Option<Value>,
    pub output: Option<Value>,
}

pub(super) const OBSERVATION_INPUT: &str = "langfuse.observation.input";
pub(super) const OBSERVATION_OUTPUT: &str = "langfuse.observation.output";
pub(super) const TRACE_INPUT: &str = "langfuse.trace.input";
pub(super) const TRACE_OUTPUT: &str = "langfuse.trace.output";

/// Attributes read as input or output, left out of `metadata.attributes`.
const CONSUMED_KEYS: &[&str] = &[
    TRACE_INPUT,
    TRACE_OUTPUT,
    OBSERVATION_INPUT,
    OBSERVATION_OUTPUT,
    "genkit:input",
    "genkit:output",
    "ai.prompt.messages",
    "ai.prompt",
    "ai.toolCall.args",
    "ai.response.text",
    "ai.result.text",
    "ai.toolCall.result",
    "ai.response.object",
    "ai.result.object",
    "ai.response.toolCalls",
    "ai.result.toolCalls",
    "flue.turn.input",
    "flue.tool.arguments",
    "flue.task.prompt",
    "flue.workflow.payload",
    "flue.turn.output",
    "flue.tool.result",
    "flue.task.result",
    "flue.operation.result",
    "flue.workflow.result",
    "gcp.vertex.agent.llm_request",
    "gcp.vertex.agent.llm_response",
    "gcp.vertex.agent.tool_call_args",
    "gcp.vertex.agent.tool_response",
    "prompt",
    "all_messages_events",
    "lk.input_text",
    "lk.user_transcript",
    "lk.chat_ctx",
    "lk.function_tool.output",
    "lk.response.text",
    "mlflow.spanInputs",
    "mlflow.spanOutputs",
    "traceloop.entity.input",
    "traceloop.entity.output",
    "input.value",
    "output.value",
    "input",
    "output",
    "pydantic_ai.all_messages",
    "final_result",
    "tool_arguments",
    "tool_response",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

const CONSUMED_PREFIXES: &[&str] = &[
    "gen_ai.prompt",
    "gen_ai.completion",
    "llm.input_messages",
    "llm.output_messages",
    "langfuse.trace.metadata",
    "langfuse.observation.metadata",
    "ai.telemetry.metadata",
];

/// Whether `key` was read as input, output or metadata (and so is not repeated in
/// `metadata.attributes`).
pub(super) fn is_consumed(key: &str) -> bool {
    CONSUMED_KEYS.contains(&key) || CONSUMED_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Rule 12's attribute pairs, in order.
const FRAMEWORK_PAIRS: &[(&str, &str)] = &[
    ("mlflow.spanInputs", "mlflow.spanOutputs"),
    ("traceloop.entity.input", "traceloop.entity.output"),
    ("input.value", "output.value"),
    ("input", "output"),
];

/// Most slots the flattened-message rebuild (rule 13) may allocate for one side.
const MAX_SLOTS: usize = 10_001;

pub(super) fn extract(attributes: &Attributes, events: &[Event], scope_name: &str) -> Io {
    let a = attributes;
    let scoped = |name: &str, rule: fn(&Attributes) -> Option<Io>| {
        if scope_name == name { rule(a) } else { None }
    };
    let pairs = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .find_map(|(input, output)| pair(a.get(*input), a.get(*output)))
    };
    langfuse(a)
        .or_else(|| scoped("genkit-tracer", genkit))
        .or_else(|| scoped("ai", |a| Some(vercel(a))))
        .or_else(|| scoped("@flue/opentelemetry", flue))
        .or_else(|| inference_details_event(events))
        .or_else(|| message_events(events))
        .or_else(|| google_adk(a))
        .or_else(|| pairs(&[("prompt", "all_messages_events")]))
        .or_else(|| livekit(a))
        .or_else(|| pairs(FRAMEWORK_PAIRS))
        .or_else(|| {
            scoped("pydantic-ai", |a| {
                pair(a.get("pydantic_ai.all_messages"), a.get("final_result"))
            })
        })
        .or_else(|| pairs(&[("tool_arguments", "tool_response")]))
        .or_else(|| flattened(a, "gen_ai.prompt", "gen_ai.completion"))
        .or_else(|| flattened(a, "llm.input_messages", "llm.output_messages"))
        .or_else(|| gen_ai_messages(a))
        .unwrap_or_default()
}

/// Both sides, when either is truthy.
fn pair(input: Option<&Value>, output: Option<&Value>) -> Option<Io> {
    let input = input.filter(|v| truthy(v)).map(parse_json_text);
    let output = output.filter(|v| truthy(v)).map(parse_json_text);
    (input.is_some() || output.is_some()).then_some(Io { input, output })
}

/// Rule 1: the Langfuse SDKs' own attributes, taken when either is not null.
fn langfuse(attributes: &Attributes) -> Option<Io> {
    let input = get_present(attributes, OBSERVATION_INPUT).map(parse_json_text);
    let output = get_present(attributes, OBSERVATION_OUTPUT).map(parse_json_text);
    (input.is_some() || output.is_some()).then_some(Io { input, output })
}

/// Rule 2: Genkit's input messages and output message.
fn genkit(attributes: &Attributes) -> Option<Io> {
    let Io { input, output } = pair(
        attributes.get("genkit:input"),
        attributes.get("genkit:output"),
    )?;
    let field = |value: Value, key: &str| match value.get(key) {
        Some(inner) => inner.clone(),
        None => value,
    };
    Some(Io {
        input: input.map(|value| field(value, "messages")),
        output: output.map(|value| field(value, "message")),
    })
}

/// Rule 3: the Vercel AI SDK, falling back to the OTel GenAI attributes.
fn vercel(attributes: &Attributes) -> Io {
    let present = |keys: &[&str]| keys.iter().find_map(|key| get_present(attributes, key));
    let input =
        present(&["ai.prompt.messages", "ai.prompt", "ai.toolCall.args"]).map(parse_json_text);
    let text = get_present(attributes, "ai.response.text");
    let tool_calls = get_present(attributes, "ai.response.toolCalls");
    let output = match (text, tool_calls) {
        (Some(text), Some(calls)) => Some(json!({
            "role": "assistant",
            "content": text,
            "tool_calls": parse_json_text(calls),
        })),
        _ => text
            .filter(|text| truthy(text))
            .or_else(|| {
                present(&[
                    "ai.result.text",
                    "ai.toolCall.result",
                    "ai.response.object",
                    "ai.result.object",
                    "ai.response.toolCalls",
                    "ai.result.toolCalls",
                ])
            })
            .map(parse_json_text),
    };
    if input.is_none() && output.is_none() {
        return gen_ai_messages(attributes).unwrap_or_default();
    }
    Io { input, output }
}

/// Rule 4: Flue.
fn flue(attributes: &Attributes) -> Option<Io> {
    let first = |keys: &[&str]| keys.iter().find_map(|key| get_present(attributes, key));
    let input = first(&[
        "flue.turn.input",
        "flue.tool.arguments",
        "flue.task.prompt",
        "flue.workflow.payload",
    ]);
    let output = first(&[
        "flue.turn.output",
        "flue.tool.result",
        "flue.task.result",
        "flue.operation.result",
        "flue.workflow.result",
    ]);
    pair(input, output)
}

/// Rule 5: GenAI semantic conventions ≥ 1.37 put the messages on one span event.
fn inference_details_event(events: &[Event]) -> Option<Io> {
    events
        .iter()
        .filter(|event| event.name == "gen_ai.client.inference.operation.details")
        .map(|event| flatten(&event.attributes))
        .find(|a| {
            a.contains_key("gen_ai.input.messages") || a.contains_key("gen_ai.output.messages")
        })
        .and_then(|attributes| gen_ai_messages(&attributes))
}

/// Rule 6: one span event per message; `gen_ai.choice` events are the output.
fn message_events(events: &[Event]) -> Option<Io> {
    let input: Vec<Value> = events
        .iter()
        .filter_map(|event| {
            let role = match event.name.as_str() {
                "gen_ai.system.message" => "system",
                "gen_ai.user.message" => "user",
                "gen_ai.assistant.message" => "assistant",
                "gen_ai.tool.message" => "tool",
                _ => return None,
            };
            let mut message = Map::new();
            message.insert("role".to_owned(), Value::from(role));
            message.extend(flatten(&event.attributes));
            Some(Value::Object(message))
        })
        .collect();
    let mut output: Vec<Value> = events
        .iter()
        .filter(|event| event.name == "gen_ai.choice")
        .map(|event| Value::Object(flatten(&event.attributes)))
        .collect();
    if input.is_empty() && output.is_empty() {
        return None;
    }
    Some(Io {
        input: (!input.is_empty()).then_some(Value::Array(input)),
        output: match output.len() {
            0 => None,
            1 => output.pop(),
            _ => Some(Value::Array(output)),
        },
    })
}

/// Rule 8: Google ADK; tool spans carry `{}` as the LLM request and response.
fn google_adk(attributes: &Attributes) -> Option<Io> {
    let usable = |key: &str| {
        attributes
            .get(key)
            .filter(|value| truthy(value) && value.as_str() != Some("{}"))
    };
    let input = usable("gcp.vertex.agent.llm_request")
        .or_else(|| attributes.get("gcp.vertex.agent.tool_call_args"));
    let output = usable("gcp.vertex.agent.llm_response")
        .or_else(|| attributes.get("gcp.vertex.agent.tool_response"));
    pair(input, output)
}

/// Rule 10: LiveKit.
fn livekit(attributes: &Attributes) -> Option<Io> {
    let input = ["lk.input_text", "lk.user_transcript", "lk.chat_ctx"]
        .iter()
        .find_map(|key| get_present(attributes, key));
    let output = get_truthy(attributes, "lk.function_tool.output")
        .or_else(|| attributes.get("lk.response.text"));
    pair(input, output)
}

/// Rule 13: messages flattened into `<prefix>.<i>.<field>` attributes, rebuilt.
fn flattened(attributes: &Attributes, input: &str, output: &str) -> Option<Io> {
    let mentioned = attributes
        .keys()
        .any(|key| key.starts_with(input) || key.starts_with(output));
    mentioned.then(|| Io {
        input: rebuild(attributes, input),
        output: rebuild(attributes, output),
    })
}

fn rebuild(attributes: &Attributes, prefix: &str) -> Option<Value> {
    if let Some(whole) = get_truthy(attributes, prefix) {
        return Some(parse_json_text(whole));
    }
    let mut root = Value::Null;
    let mut slots = 0;
    for (key, value) in attributes {
        let path = key
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'));
        if let Some(path) = path {
            insert(&mut root, path, value, &mut slots);
        }
    }
    (!root.is_null()).then_some(root)
}

/// Sets `value` at a dotted path; numeric segments index lists. A path that clashes with a
/// value already set, or would grow the lists beyond [`MAX_SLOTS`], is skipped.
fn insert(root: &mut Value, path: &str, value: &Value, slots: &mut usize) {
    let mut node = root;
    for segment in path.split('.') {
        match child(node, segment, slots) {
            Some(next) => node = next,
            None => return,
        }
    }
    if node.is_null() {
        *node = value.clone();
    }
}

fn child<'v>(node: &'v mut Value, segment: &str, slots: &mut usize) -> Option<&'v mut Value> {
    let index = segment
        .bytes()
        .all(|byte| byte.is_ascii_digit())
        .then(|| segment.parse::<usize>().ok())
        .flatten();
    if node.is_null() {
        *node = match index {
            Some(_) => Value::Array(Vec::new()),
            None => Value::Object(Map::new()),
        };
    }
    match (node, index) {
        (Value::Array(items), Some(index)) => {
            if index >= items.len() {
                let growth = index.checked_sub(items.len())?.checked_add(1)?;
                if growth > MAX_SLOTS.saturating_sub(*slots) {
                    return None;
                }
                *slots += growth;
                items.resize(index + 1, Value::Null);
            }
            items.get_mut(index)
        }
        (Value::Object(map), _) => Some(map.entry(segment.to_owned()).or_insert(Value::Null)),
        _ => None,
    }
}

/// Rule 14: OTel GenAI messages (system instructions prepended when the input has no system
/// message), else a tool call's arguments and result.
fn gen_ai_messages(attributes: &Attributes) -> Option<Io> {
    let messages = pair(
        attributes.get("gen_ai.input.messages"),
        attributes.get("gen_ai.output.messages"),
    );
    let Some(Io { input, output }) = messages else {
        return pair(
            attributes.get("gen_ai.tool.call.arguments"),
            attributes.get("gen_ai.tool.call.result"),
        );
    };
    let instructions = get_truthy(attributes, "gen_ai.system_instructions");
    let input = match (input, instructions) {
        (Some(Value::Array(mut messages)), Some(instructions)) => {
            let has_system = messages
                .iter()
                .any(|message| message.get("role").and_then(Value::as_str) == Some("system"));
            if !has_system {
                let system = json!({"role": "system", "content": parse_json_text(instructions)});
                messages.insert(0, system);
            }
            Some(Value::Array(messages))
        }
        (input, _) => input,
    };
    Some(Io { input, output })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_of(attributes: Value, scope_name: &str) -> (Option<Value>, Option<Value>) {
        let attributes = attributes.as_object().cloned().unwrap_or_default();
        let Io { input, output } = extract(&attributes, &[], scope_name);
        (input, output)
    }

    #[test]
    fn langfuse_attributes_win_even_when_only_one_side_is_set() {
        let span = json!({OBSERVATION_OUTPUT: "\"done\"", "input.value": "ignored"});
        assert_eq!(io_of(span, "langfuse-sdk"), (None, Some(json!("done"))));
    }

    #[test]
    fn framework_pairs_apply_in_order() {
        let mlflow = json!({"mlflow.spanInputs": "{\"a\": 1}", "input": "later"});
        assert_eq!(io_of(mlflow, "mlflow"), (Some(json!({"a": 1})), None));
        let traceloop = json!({"traceloop.entity.input": "q", "traceloop.entity.output": "[1]"});
        assert_eq!(io_of(traceloop, "x"), (Some(json!("q")), Some(json!([1]))));
        let pydantic = json!({"pydantic_ai.all_messages": "[]", "final_result": "ok"});
        assert_eq!(
            io_of(pydantic.clone(), "pydantic-ai"),
            (Some(json!([])), Some(json!("ok")))
        );
        assert_eq!(io_of(pydantic, "other"), (None, None));
    }

    #[test]
    fn vercel_spans_join_text_and_tool_calls_or_fall_back_to_gen_ai() {
        let both = json!({
            "ai.prompt.messages": "[{\"role\":\"user\",\"content\":\"hi\"}]",
            "ai.response.text": "",
            "ai.response.toolCalls": "[{\"toolName\":\"search\"}]",
        });
        assert_eq!(
            io_of(both, "ai"),
            (
                Some(json!([{"role": "user", "content": "hi"}])),
                Some(
                    json!({"role": "assistant", "content": "", "tool_calls": [{"toolName": "search"}]})
                ),
            )
        );
        let gen_ai = json!({"gen_ai.output.messages": "[{\"role\":\"assistant\"}]"});
        assert_eq!(
            io_of(gen_ai, "ai"),
            (None, Some(json!([{"role": "assistant"}])))
        );
    }

    #[test]
    fn google_adk_tool_spans_use_tool_arguments() {
        let tool = json!({
            "gcp.vertex.agent.llm_request": "{}",
            "gcp.vertex.agent.llm_response": "{}",
            "gcp.vertex.agent.tool_call_args": "{\"city\": \"Paris\"}",
            "gcp.vertex.agent.tool_response": "{\"temp\": 21}",
        });
        assert_eq!(
            io_of(tool, "gcp.vertex.agent"),
            (Some(json!({"city": "Paris"})), Some(json!({"temp": 21})))
        );
    }

    #[test]
    fn consumed_keys_cover_io_and_metadata_prefixes() {
        assert!(is_consumed("input.value"));
        assert!(is_consumed("gen_ai.prompt.0.content"));
        assert!(is_consumed("langfuse.trace.metadata.k"));
        assert!(!is_consumed("gen_ai.request.model"));
    }
}
