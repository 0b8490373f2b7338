//! Google AI Studio (the Gemini API): `generateContent` and `streamGenerateContent` over SSE.
//! Extra headers are not sent to Google, as in Langfuse.

use serde_json::{Map, Value, json};

use crate::adapter::Connection;
use crate::chat::{ChatRequest, Completion, Message, Role, StreamEvent, ToolCall, Usage};
use crate::error::{LlmError, LlmResult};
use crate::wire::{Prepared, merge_options, split_system, tool_name_for};

pub(crate) fn prepare(
    connection: &Connection,
    request: &ChatRequest,
    stream: bool,
) -> LlmResult<Prepared> {
    let base = connection.base()?;
    let base = if base.ends_with("/v1beta") {
        base
    } else {
        format!("{base}/v1beta")
    };
    let url = if stream {
        format!(
            "{base}/models/{}:streamGenerateContent?alt=sse",
            request.model
        )
    } else {
        format!("{base}/models/{}:generateContent", request.model)
    };
    let (system, messages) = split_system(&request.messages);
    let mut body = Map::new();
    if let Some(system) = system {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": [{"text": system}]}),
        );
    }
    body.insert(
        "contents".into(),
        Value::Array(
            messages
                .iter()
                .map(|m| content(m, &request.messages))
                .collect(),
        ),
    );
    let params = &request.params;
    let mut generation = Map::new();
    if let Some(t) = params.temperature {
        generation.insert("temperature".into(), json!(t));
    }
    if let Some(p) = params.top_p {
        generation.insert("topP".into(), json!(p));
    }
    if let Some(max) = params.max_tokens {
        generation.insert("maxOutputTokens".into(), json!(max));
    }
    if let Some(budget) = params.max_reasoning_tokens.filter(|b| *b > 0) {
        generation.insert("thinkingConfig".into(), json!({"thinkingBudget": budget}));
    }
    if let Some(schema) = &request.output_schema {
        generation.insert("responseMimeType".into(), json!("application/json"));
        generation.insert("responseJsonSchema".into(), schema.schema.clone());
    }
    merge_options(&mut generation, params.provider_options.as_ref());
    if !generation.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation));
    }
    if !request.tools.is_empty() {
        let declarations: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                })
            })
            .collect();
        body.insert(
            "tools".into(),
            json!([{"functionDeclarations": declarations}]),
        );
    }
    Ok(Prepared {
        url,
        headers: vec![("x-goog-api-key".to_owned(), connection.secret_key.clone())],
        body: Value::Object(body),
    })
}

fn content(m: &Message, all: &[Message]) -> Value {
    match m.role {
        Role::Tool => {
            let id = m.tool_call_id.clone().unwrap_or_default();
            json!({
                "role": "user",
                "parts": [{"functionResponse": {
                    "name": tool_name_for(all, &id),
                    "response": {"content": m.content},
                }}],
            })
        }
        Role::Assistant => {
            let mut parts = Vec::new();
            if !m.content.is_empty() {
                parts.push(json!({"text": m.content}));
            }
            for call in &m.tool_calls {
                parts.push(json!({"functionCall": {"name": call.name, "args": call.args}}));
            }
            json!({"role": "model", "parts": parts})
        }
        _ => json!({"role": "user", "parts": [{"text": m.content}]}),
    }
}

fn usage(value: &Value) -> Option<Usage> {
    let input = value.get("promptTokenCount")?.as_u64()?;
    let output = value
        .get("candidatesTokenCount")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        + value
            .get("thoughtsTokenCount")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    Some(Usage::new(input, output))
}

/// Text and function calls of the first candidate.
fn parts(body: &Value) -> (String, Vec<ToolCall>) {
    let mut text = String::new();
    let mut calls = Vec::new();
    let parts = body
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array);
    for part in parts.into_iter().flatten() {
        if part.get("thought").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(t) = part.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
        if let Some(call) = part.get("functionCall") {
            let name = call["name"].as_str().unwrap_or_default().to_owned();
            calls.push(ToolCall {
                id: format!("call_{}", calls.len()),
                name,
                args: call.get("args").cloned().unwrap_or(json!({})),
            });
        }
    }
    (text, calls)
}

pub(crate) fn parse(body: &Value) -> LlmResult<Completion> {
    if body.pointer("/candidates/0").is_none() {
        let reason = body
            .pointer("/promptFeedback/blockReason")
            .and_then(Value::as_str)
            .unwrap_or("no candidates");
        return Err(LlmError::invalid_response(reason));
    }
    let (text, tool_calls) = parts(body);
    Ok(Completion {
        text,
        tool_calls,
        structured: None,
        usage: body.get("usageMetadata").and_then(usage),
    })
}

pub(crate) fn stream_event(data: &str) -> LlmResult<Vec<StreamEvent>> {
    let chunk: Value = serde_json::from_str(data).map_err(LlmError::invalid_response)?;
    let (text, _) = parts(&chunk);
    let mut events = Vec::new();
    if !text.is_empty() {
        events.push(StreamEvent::Text(text));
    }
    // Every chunk repeats the running usage; the last one is the total.
    if chunk.pointer("/candidates/0/finishReason").is_some()
        && let Some(usage) = chunk.get("usageMetadata").and_then(usage)
    {
        events.push(StreamEvent::Usage(usage));
    }
    Ok(events)
}
