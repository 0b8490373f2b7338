//! A local fake provider for tests: one HTTP server that speaks OpenAI Chat Completions
//! (and Azure deployment URLs), Anthropic Messages and Gemini `generateContent`, streamed or
//! not, checks the key each format sends, answers with a scripted reply, and records every
//! request it received.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::adapter::Adapter;

/// What the fake answers. By default, the text "Echo: " and the last user message.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// The answer's text; `None` echoes the last user message.
    pub text: Option<String>,
    /// A call of the first tool offered, with these arguments, when the request offers tools.
    pub tool_args: Option<Value>,
    /// The structured answer when the request asks for one (default `{"reasoning": …, "score": 1}`).
    pub json: Option<Value>,
    /// Answer with this status and message instead (the provider's error shape).
    pub error: Option<(u16, String)>,
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Fake {
    key: String,
    reply: Mutex<Reply>,
    /// Replies used once each, in order, before `reply`.
    next: Mutex<std::collections::VecDeque<Reply>>,
    /// Wait before answering.
    latency: Mutex<Duration>,
    requests: Mutex<Vec<Recorded>>,
    /// Pause between streamed pieces.
    delay: Mutex<Duration>,
}

pub struct FakeProvider {
    pub addr: SocketAddr,
    state: Arc<Fake>,
}

impl FakeProvider {
    /// Starts the fake on a free loopback port; it accepts `key` only.
    pub async fn start(key: &str) -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        FakeProvider::serve(listener, key)
    }

    /// Serves on a listener the caller bound (the `fake-llm` program binds a fixed port).
    pub fn serve(listener: tokio::net::TcpListener, key: &str) -> FakeProvider {
        let addr = listener.local_addr().expect("a bound listener");
        let state = Arc::new(Fake {
            key: key.to_owned(),
            reply: Mutex::new(Reply::default()),
            next: Mutex::new(Default::default()),
            latency: Mutex::new(Duration::ZERO),
            requests: Mutex::new(Vec::new()),
            delay: Mutex::new(Duration::from_millis(5)),
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeProvider { addr, state }
    }

    /// The base URL a connection of this adapter stores to reach the fake.
    pub fn base_url(&self, adapter: Adapter) -> String {
        match adapter {
            Adapter::OpenAi => format!("http://{}/v1", self.addr),
            Adapter::Azure => format!("http://{}/openai", self.addr),
            _ => format!("http://{}", self.addr),
        }
    }

    pub fn reply_with(&self, reply: Reply) {
        *self.state.reply.lock().unwrap() = reply;
    }

    /// Answers the next requests with these replies, one each, then with the usual reply.
    pub fn reply_next(&self, replies: Vec<Reply>) {
        self.state.next.lock().unwrap().extend(replies);
    }

    /// Waits this long before every answer (a slow provider).
    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().unwrap() = latency;
    }

    pub fn set_stream_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    OpenAi,
    Anthropic,
    Google,
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or_default().to_owned();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.requests.lock().unwrap().push(Recorded {
        path: if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{query}")
        },
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: body.clone(),
    });
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let (format, key) = if path.ends_with("/chat/completions") {
        let key = if path.contains("/deployments/") {
            header("api-key").to_owned()
        } else {
            header("authorization")
                .strip_prefix("Bearer ")
                .unwrap_or_default()
                .to_owned()
        };
        (Format::OpenAi, key)
    } else if path.ends_with("/v1/messages") {
        (Format::Anthropic, header("x-api-key").to_owned())
    } else if path.contains(":generateContent") || path.contains(":streamGenerateContent") {
        (Format::Google, header("x-goog-api-key").to_owned())
    } else {
        return error(Format::OpenAi, 404, &format!("no route {path}"));
    };
    if key != fake.key {
        return error(format, 401, "invalid api key");
    }
    let latency = *fake.latency.lock().unwrap();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let queued = fake.next.lock().unwrap().pop_front();
    let reply = queued.unwrap_or_else(|| fake.reply.lock().unwrap().clone());
    if let Some((status, message)) = &reply.error {
        return error(format, *status, message);
    }
    let stream = match format {
        Format::Google => path.contains(":streamGenerateContent"),
        _ => body["stream"] == json!(true),
    };
    let structured = match format {
        Format::OpenAi => body.get("response_format").is_some(),
        Format::Anthropic => body.get("tool_choice").is_some(),
        Format::Google => body
            .pointer("/generationConfig/responseJsonSchema")
            .is_some(),
    };
    let text = reply
        .text
        .clone()
        .unwrap_or_else(|| format!("Echo: {}", last_user_text(format, &body)));
    let tool = match format {
        Format::OpenAi => body.pointer("/tools/0/function/name"),
        Format::Anthropic => body.pointer("/tools/0/name"),
        Format::Google => body.pointer("/tools/0/functionDeclarations/0/name"),
    }
    .and_then(Value::as_str)
    .map(str::to_owned);
    let answer = if structured {
        Answer::Json(
            reply
                .json
                .clone()
                .unwrap_or(json!({"reasoning": "The fake judge always agrees.", "score": 1})),
        )
    } else if let (Some(tool), Some(args)) = (tool, reply.tool_args.clone()) {
        Answer::Tool(tool, args)
    } else {
        Answer::Text(text)
    };
    let delay = *fake.delay.lock().unwrap();
    if stream {
        let Answer::Text(text) = answer else {
            return error(format, 400, "the fake streams text only");
        };
        streamed(format, &text, delay)
    } else {
        axum::Json(whole(format, answer, &body)).into_response()
    }
}

enum Answer {
    Text(String),
    Tool(String, Value),
    Json(Value),
}

fn last_user_text(format: Format, body: &Value) -> String {
    let list = match format {
        Format::Google => body["contents"].as_array(),
        _ => body["messages"].as_array(),
    };
    let last = list
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m["role"] == json!("user"));
    let Some(last) = last else {
        return String::new();
    };
    match format {
        Format::Google => last.pointer("/parts/0/text"),
        _ => last.get("content"),
    }
    .and_then(Value::as_str)
    .unwrap_or_default()
    .to_owned()
}

const INPUT_TOKENS: u64 = 11;

fn output_tokens(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn whole(format: Format, answer: Answer, request: &Value) -> Value {
    let (text, tool, json_answer) = match answer {
        Answer::Text(t) => (t, None, None),
        Answer::Tool(name, args) => (String::new(), Some((name, args)), None),
        Answer::Json(v) => (String::new(), None, Some(v)),
    };
    let output = output_tokens(&text).max(1);
    match format {
        Format::OpenAi => {
            let mut message = json!({"role": "assistant", "content": text});
            if let Some(v) = &json_answer {
                message["content"] = json!(v.to_string());
            }
            if let Some((name, args)) = tool {
                message["content"] = Value::Null;
                message["tool_calls"] = json!([{
                    "id": "call_fake_1",
                    "type": "function",
                    "function": {"name": name, "arguments": args.to_string()},
                }]);
            }
            json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": request["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": INPUT_TOKENS, "completion_tokens": output, "total_tokens": INPUT_TOKENS + output},
            })
        }
        Format::Anthropic => {
            let content = if let Some(v) = json_answer {
                let name = request["tool_choice"]["name"].clone();
                json!([{"type": "tool_use", "id": "toolu_fake_1", "name": name, "input": v}])
            } else if let Some((name, args)) = tool {
                json!([{"type": "tool_use", "id": "toolu_fake_1", "name": name, "input": args}])
            } else {
                json!([{"type": "text", "text": text}])
            };
            json!({
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": request["model"],
                "content": content,
                "stop_reason": "end_turn",
                "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": output},
            })
        }
        Format::Google => {
            let part = if let Some(v) = json_answer {
                json!({"text": v.to_string()})
            } else if let Some((name, args)) = tool {
                json!({"functionCall": {"name": name, "args": args}})
            } else {
                json!({"text": text})
            };
            json!({
                "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": output, "totalTokenCount": INPUT_TOKENS + output},
            })
        }
    }
}

/// Splits text into word-sized pieces (spaces kept), as providers stream tokens.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if c == ' ' {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn streamed(format: Format, text: &str, delay: Duration) -> Response {
    let output = output_tokens(text);
    let mut events: Vec<String> = Vec::new();
    let data = |v: Value| format!("data: {v}\n\n");
    match format {
        Format::OpenAi => {
            for piece in pieces(text) {
                events.push(data(
                    json!({"choices": [{"index": 0, "delta": {"content": piece}}]}),
                ));
            }
            events.push(data(
                json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
            ));
            events.push(data(json!({"choices": [], "usage": {"prompt_tokens": INPUT_TOKENS, "completion_tokens": output, "total_tokens": INPUT_TOKENS + output}})));
            events.push("data: [DONE]\n\n".to_owned());
        }
        Format::Anthropic => {
            let named = |name: &str, v: Value| format!("event: {name}\ndata: {v}\n\n");
            events.push(named("message_start", json!({"type": "message_start", "message": {"usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1}}})));
            events.push(named("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
            for piece in pieces(text) {
                events.push(named("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})));
            }
            events.push(named(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ));
            events.push(named("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": output}})));
            events.push(named("message_stop", json!({"type": "message_stop"})));
        }
        Format::Google => {
            let all = pieces(text);
            let last = all.len().saturating_sub(1);
            for (i, piece) in all.into_iter().enumerate() {
                let mut chunk = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": piece}]}}]});
                if i == last {
                    chunk["candidates"][0]["finishReason"] = json!("STOP");
                    chunk["usageMetadata"] = json!({"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": output, "totalTokenCount": INPUT_TOKENS + output});
                }
                events.push(data(chunk));
            }
        }
    }
    let body = futures_util::stream::iter(events).then(move |event| async move {
        tokio::time::sleep(delay).await;
        Ok::<_, Infallible>(Bytes::from(event))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .expect("a valid response")
}

fn error(format: Format, status: u16, message: &str) -> Response {
    let body = match format {
        Format::Anthropic => {
            json!({"type": "error", "error": {"type": "error", "message": message}})
        }
        Format::Google => json!({"error": {"code": status, "message": message, "status": "ERROR"}}),
        Format::OpenAi => {
            json!({"error": {"message": message, "type": "invalid_request_error", "code": null}})
        }
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response()
}
