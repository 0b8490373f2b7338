//! Anthropic Messages. Structured output is a forced tool whose input is the answer.

use serde_json::{Map, Value, json};

use crate::adapter::Connection;
use crate::chat::{ChatRequest, Completion, Message, Role, StreamEvent, ToolCall, Usage};
use crate::error::{ErrorKind, LlmError, LlmResult};
use crate::wire::{Prepared, merge_options, split_system};

const API_VERSION: &str = "2023-06-01";
/// Anthropic requires `max_tokens`; the UI default when a window leaves it off.
const DEFAULT_MAX_TOKENS: u32 = 4096;

pub(crate) fn prepare(
    connection: &Connection,
    request: &ChatRequest,
    stream: bool,
) -> LlmResult<Prepared> {
    let base = connection.base()?;
    let base = if base.ends_with("/v1") {
        base
    } else {
        format!("{base}/v1")
    };
    let (system, messages) = split_system(&request.messages);
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    if let Some(system) = system {
        body.insert("system".into(), json!(system));
    }
    body.insert(
        "messages".into(),
        Value::Array(messages.iter().map(message).collect()),
    );
    let params = &request.params;
    body.insert(
        "max_tokens".into(),
        json!(params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    if let Some(t) = params.temperature {
        body.insert("temperature".into(), json!(t));
    }
    // Anthropic takes temperature or top_p, not both; temperature wins.
    if let (Some(p), None) = (params.top_p, params.temperature) {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(budget) = params.max_reasoning_tokens.filter(|b| *b > 0) {
        body.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": budget}),
        );
    }
    let mut tools: Vec<Value> = request
        .tools
        .iter()
        .map(|tool| {
            json!({
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.parameters,
            })
        })
        .collect();
    if let Some(schema) = &request.output_schema {
        tools.push(json!({
            "name": schema.name,
            "description": if schema.description.is_empty() { "Answer in this shape." } else { schema.description.as_str() },
            "input_schema": schema.schema,
        }));
        body.insert(
            "tool_choice".into(),
            json!({"type": "tool", "name": schema.name}),
        );
    }
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
    }
    if stream {
        body.insert("stream".into(), json!(true));
    }
    merge_options(&mut body, params.provider_options.as_ref());

    let mut headers = vec![
        ("x-api-key".to_owned(), connection.secret_key.clone()),
        ("anthropic-version".to_owned(), API_VERSION.to_owned()),
    ];
    headers.extend(connection.extra_headers.iter().cloned());
    Ok(Prepared {
        url: format!("{base}/messages"),
        headers,
        body: Value::Object(body),
    })
}

fn message(m: &Message) -> Value {
    match m.role {
        Role::Tool => json!({
            "role": "user",
            "content": [{
                "type": "tool_result",
                "tool_use_id": m.tool_call_id.clone().unwrap_or_default(),
                "content": m.content,
            }],
        }),
        Role::Assistant if !m.tool_calls.is_empty() => {
            let mut blocks = Vec::new();
            if !m.content.is_empty() {
                blocks.push(json!({"type": "text", "text": m.content}));
            }
            for call in &m.tool_calls {
                blocks.push(json!({
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": call.args,
                }));
            }
            json!({"role": "assistant", "content": blocks})
        }
        Role::Assistant => json!({"role": "assistant", "content": m.content}),
        _ => json!({"role": "user", "content": m.content}),
    }
}

fn usage(value: &Value) -> Option<Usage> {
    Some(Usage::new(
        value.get("input_tokens")?.as_u64()?,
        value
            .get("output_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    ))
}

pub(crate) fn parse(body: &Value, request: &ChatRequest) -> LlmResult<Completion> {
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| LlmError::invalid_response("no content"))?;
    let mut completion = Completion {
        usage: body.get("usage").and_then(usage),
        ..Completion::default()
    };
    let schema_tool = request.output_schema.as_ref().map(|s| s.name.as_str());
    for block in blocks {
        match block["type"].as_str() {
            Some("text") => completion
                .text
                .push_str(block["text"].as_str().unwrap_or_default()),
            Some("tool_use") => {
                let name = block["name"].as_str().unwrap_or_default();
                if Some(name) == schema_tool {
                    completion.structured = Some(block["input"].clone());
                } else {
                    completion.tool_calls.push(ToolCall {
                        id: block["id"].as_str().unwrap_or_default().to_owned(),
                        name: name.to_owned(),
                        args: block["input"].clone(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(completion)
}

/// The input tokens of `message_start`, kept until `message_delta` reports the output tokens.
#[derive(Default)]
pub(crate) struct StreamState {
    input_tokens: u64,
}

pub(crate) fn stream_event(data: &str, state: &mut StreamState) -> LlmResult<Vec<StreamEvent>> {
    let event: Value = serde_json::from_str(data).map_err(LlmError::invalid_response)?;
    Ok(match event["type"].as_str() {
        Some("message_start") => {
            state.input_tokens = event
                .pointer("/message/usage/input_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            Vec::new()
        }
        Some("content_block_delta") => event
            .pointer("/delta/text")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(|t| vec![StreamEvent::Text(t.to_owned())])
            .unwrap_or_default(),
        Some("message_delta") => event
            .pointer("/usage/output_tokens")
            .and_then(Value::as_u64)
            .map(|output| vec![StreamEvent::Usage(Usage::new(state.input_tokens, output))])
            .unwrap_or_default(),
        Some("error") => {
            let message = event
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("stream error");
            let kind = if event.pointer("/error/type").and_then(Value::as_str)
                == Some("overloaded_error")
            {
                ErrorKind::Unavailable
            } else {
                ErrorKind::InvalidResponse
            };
            return Err(LlmError::new(
                kind,
                format!("the provider ended the stream: {message}"),
            ));
        }
        _ => Vec::new(),
    })
}
