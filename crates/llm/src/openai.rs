//! OpenAI Chat Completions, for OpenAI itself, any OpenAI-compatible server (vLLM, Ollama,
//! OpenRouter, a gateway) and Azure OpenAI deployments.

use serde_json::{Map, Value, json};

use crate::adapter::{Adapter, Connection};
use crate::chat::{ChatRequest, Completion, Role, StreamEvent, ToolCall, Usage};
use crate::error::{LlmError, LlmResult};
use crate::wire::{Prepared, merge_options, parse_args};

/// Azure's API version for deployment calls (the one Langfuse uses).
const AZURE_API_VERSION: &str = "2025-02-01-preview";

pub(crate) fn prepare(
    connection: &Connection,
    request: &ChatRequest,
    stream: bool,
) -> LlmResult<Prepared> {
    let base = connection.base()?;
    let (url, auth) = if connection.adapter == Adapter::Azure {
        // Anything from `/deployments` on is the deployment part; the model names the deployment.
        let root = match base.find("/deployments") {
            Some(at) => &base[..at],
            None => base.as_str(),
        };
        (
            format!(
                "{root}/deployments/{}/chat/completions?api-version={AZURE_API_VERSION}",
                request.model
            ),
            ("api-key".to_owned(), connection.secret_key.clone()),
        )
    } else {
        (
            format!(
                "{}/chat/completions",
                base.replace("{model}", &request.model)
            ),
            (
                "authorization".to_owned(),
                format!("Bearer {}", connection.secret_key),
            ),
        )
    };
    let native = connection.adapter == Adapter::Azure || base.contains("://api.openai.com");

    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert(
        "messages".into(),
        Value::Array(request.messages.iter().map(message).collect()),
    );
    let params = &request.params;
    if let Some(t) = params.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = params.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(max) = params.max_tokens {
        // OpenAI's own API deprecates `max_tokens` (reasoning models refuse it); compatible
        // servers mostly know only `max_tokens`.
        let name = if native {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(name.into(), json!(max));
    }
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    }
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(schema) = &request.output_schema {
        body.insert(
            "response_format".into(),
            json!({
                "type": "json_schema",
                "json_schema": {
                    "name": schema.name,
                    "description": schema.description,
                    "schema": schema.schema,
                    "strict": false,
                }
            }),
        );
    }
    if stream {
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    merge_options(&mut body, params.provider_options.as_ref());

    let mut headers = vec![auth];
    headers.extend(connection.extra_headers.iter().cloned());
    Ok(Prepared {
        url,
        headers,
        body: Value::Object(body),
    })
}

fn message(m: &crate::chat::Message) -> Value {
    let role = match m.role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    };
    let mut out = json!({"role": role, "content": m.content});
    if !m.tool_calls.is_empty() {
        out["tool_calls"] = m
            .tool_calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.args.to_string()},
                })
            })
            .collect();
    }
    if let Some(id) = &m.tool_call_id {
        out["tool_call_id"] = json!(id);
    }
    out
}

fn usage(value: &Value) -> Option<Usage> {
    let input = value.get("prompt_tokens")?.as_u64()?;
    let output = value
        .get("completion_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Some(Usage::new(input, output))
}

pub(crate) fn parse(body: &Value) -> LlmResult<Completion> {
    let message = body
        .pointer("/choices/0/message")
        .ok_or_else(|| LlmError::invalid_response("no choices[0].message"))?;
    let tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .map(|call| ToolCall {
                    id: call["id"].as_str().unwrap_or_default().to_owned(),
                    name: call["function"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    args: parse_args(&call["function"]["arguments"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Completion {
        text: message["content"].as_str().unwrap_or_default().to_owned(),
        tool_calls,
        structured: None,
        usage: body.get("usage").and_then(usage),
    })
}

/// One `data:` payload of the stream.
pub(crate) fn stream_event(data: &str) -> LlmResult<Vec<StreamEvent>> {
    if data.trim() == "[DONE]" {
        return Ok(Vec::new());
    }
    let chunk: Value = serde_json::from_str(data).map_err(LlmError::invalid_response)?;
    let mut events = Vec::new();
    if let Some(text) = chunk
        .pointer("/choices/0/delta/content")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        events.push(StreamEvent::Text(text.to_owned()));
    }
    if let Some(usage) = chunk.get("usage").and_then(usage) {
        events.push(StreamEvent::Usage(usage));
    }
    Ok(events)
}
