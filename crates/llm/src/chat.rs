//! The one request and response shape every adapter speaks: messages, model parameters, tools,
//! structured output, and what comes back (text, tool calls, usage).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// One chat message. An assistant message may carry tool calls; a tool message answers the
/// call named by `tool_call_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self.role, Role::System | Role::Developer)
    }
}

/// A call the model asked for. Tools are definitions only: nothing is executed server-side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as the model produced them (a JSON object when it kept to the schema).
    pub args: Value,
}

/// A tool the model may call: a name, what it does, and its parameters as a JSON Schema object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parameters: Value,
}

/// A JSON Schema the answer must follow (the provider's native structured-output mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSchema {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub schema: Value,
}

/// Model parameters; `None` is not sent. Langfuse's `ModelConfig` wire names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// A thinking budget, for the models that take one (Anthropic, Gemini); 0 is off.
    #[serde(
        default,
        rename = "maxReasoningTokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_reasoning_tokens: Option<u32>,
    /// Provider options passed through into the request body as given.
    #[serde(
        default,
        rename = "providerOptions",
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_options: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub params: ModelParams,
    pub tools: Vec<Tool>,
    pub output_schema: Option<OutputSchema>,
}

impl ChatRequest {
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            messages,
            params: ModelParams::default(),
            tools: Vec::new(),
            output_schema: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub total: u64,
}

impl Usage {
    pub fn new(input: u64, output: u64) -> Usage {
        Usage {
            input,
            output,
            total: input + output,
        }
    }
}

/// A finished answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// The parsed answer when an output schema was requested.
    pub structured: Option<Value>,
    pub usage: Option<Usage>,
}

/// What a streamed answer yields, in order: text pieces, then usage when the provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Text(String),
    Usage(Usage),
}
