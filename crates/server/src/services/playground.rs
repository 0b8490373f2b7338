//! The playground's runs: a window's messages compiled (chat placeholders filled with message
//! lists, `{{variables}}` substituted, whitespace-tolerant) and sent through the project's
//! connection named by the window (`../shared/langfuse/features.md` §3). Each finished run is
//! recorded as a trace with one generation in the internal environment `langfuse-playground`
//! ([`record`]), priced like any generation, so its cost is visible; the traces and
//! observations tables leave internal environments out unless a filter names them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{Level, ObservationRow, ObservationType, TracePatch};
use sightline_domain::prompt::is_variable_name;
use sightline_domain::time::Millis;
use sightline_llm::{
    ChatRequest, Connection, Message, ModelParams, OutputSchema, Role, Tool, ToolCall, Usage,
};

use crate::services::ingest::IngestionWrite;
use crate::services::llm_connections::{self, ConnectionError};
use crate::state::AppState;

static SLOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([^{}]*?)\s*\}\}").expect("valid regex"));
static TOOL_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9._-]+$").expect("valid regex"));

/// The environment of the traces that record playground runs.
pub const PLAYGROUND_ENVIRONMENT: &str = "langfuse-playground";

/// The most windows a playground holds (Langfuse's `MULTI_WINDOW_CONFIG`).
pub const MAX_WINDOWS: usize = 10;

/// One message of a window: a chat message, or a placeholder filled at run time.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WindowMessage {
    Placeholder {
        #[serde(rename = "type")]
        kind: PlaceholderTag,
        name: String,
    },
    Message(Message),
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceholderTag {
    Placeholder,
}

/// What a window sends to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub provider: String,
    pub model: String,
    pub messages: Vec<WindowMessage>,
    #[serde(default)]
    pub params: ModelParams,
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub structured_output: Option<OutputSchema>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Placeholder name → a JSON list of `{role, content}` messages.
    #[serde(default)]
    pub placeholders: BTreeMap<String, Value>,
    #[serde(default = "yes")]
    pub stream: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

fn invalid(message: impl Into<String>) -> RunError {
    RunError::Invalid(message.into())
}

/// A run ready to call: the decrypted connection and the compiled request.
pub struct Prepared {
    /// The connection's name in the project.
    pub provider: String,
    pub connection: Connection,
    pub request: ChatRequest,
    /// Streamed only when asked and possible (tools and structured output are not streamed).
    pub stream: bool,
}

/// Checks a window's run and compiles its messages.
pub async fn prepare(
    state: &AppState,
    project: &ProjectId,
    run: Run,
) -> Result<Prepared, RunError> {
    let stored = state
        .store()
        .metadata()
        .llm_connection_by_provider(project, &run.provider)
        .await
        .map_err(ConnectionError::from)?
        .ok_or_else(|| {
            invalid(format!(
                "No {} API key found in project. Please add one in the project settings.",
                run.provider
            ))
        })?;
    if run.model.trim().is_empty() {
        return Err(invalid("Choose a model."));
    }
    if !run.tools.is_empty() && run.structured_output.is_some() {
        return Err(invalid(
            "Cannot use both tools and structured output at the same time",
        ));
    }
    for tool in &run.tools {
        if !TOOL_NAME.is_match(&tool.name) {
            return Err(invalid(format!(
                "Tool name '{}' may hold only letters, digits, '.', '_' and '-'",
                tool.name
            )));
        }
        if !tool.parameters.is_object() {
            return Err(invalid(format!(
                "The parameters of tool '{}' must be a JSON Schema object",
                tool.name
            )));
        }
    }
    if let Some(schema) = &run.structured_output
        && (schema.name.trim().is_empty() || !schema.schema.is_object())
    {
        return Err(invalid(
            "Structured output needs a name and a JSON Schema object",
        ));
    }
    let messages = compile(&run.messages, &run.variables, &run.placeholders)?;
    if messages.is_empty() {
        return Err(invalid("Add a message to run."));
    }
    let connection = llm_connections::call_connection(state, &stored)?;
    let max_temperature = connection.adapter.max_temperature();
    if run
        .params
        .temperature
        .is_some_and(|t| !(0.0..=max_temperature).contains(&t))
    {
        return Err(invalid(format!(
            "Temperature must be between 0 and {max_temperature} for {}",
            connection.adapter.as_str()
        )));
    }
    let stream = run.stream && run.tools.is_empty() && run.structured_output.is_none();
    Ok(Prepared {
        provider: run.provider,
        connection,
        request: ChatRequest {
            model: run.model.trim().to_owned(),
            messages,
            params: run.params,
            tools: run.tools,
            output_schema: run.structured_output,
        },
        stream,
    })
}

/// How a run ended, for its trace.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The text, or the structured answer, or the tool calls.
    pub output: Value,
    pub usage: Option<Usage>,
    pub started_at: Millis,
    pub first_token_at: Option<Millis>,
    pub ended_at: Millis,
    /// The provider's error, or "stopped" when the viewer stopped the run.
    pub error: Option<String>,
}

/// Records a run as a trace with one generation in [`PLAYGROUND_ENVIRONMENT`], priced by the
/// project's and the built-in model prices. A failure to record is logged; the run stands.
pub async fn record(state: &AppState, project: &ProjectId, prepared: &Prepared, outcome: Outcome) {
    let request = &prepared.request;
    let trace_id = uuid::Uuid::new_v4().to_string();
    let input = serde_json::to_value(&request.messages).unwrap_or(Value::Null);
    let mut trace = TracePatch {
        id: trace_id.clone(),
        timestamp: Some(outcome.started_at),
        environment: Some(PLAYGROUND_ENVIRONMENT.to_owned()),
        name: Some(Some("playground".to_owned())),
        input: Some(input.clone()),
        output: Some(outcome.output.clone()),
        metadata: Some(serde_json::json!({"provider": prepared.provider})),
        ..TracePatch::default()
    };
    if outcome.output.is_null() {
        trace.output = None;
    }
    let mut row = ObservationRow::shallow(
        &uuid::Uuid::new_v4().to_string(),
        &trace_id,
        ObservationType::Generation,
        outcome.started_at,
        PLAYGROUND_ENVIRONMENT,
    );
    row.name = Some("playground".to_owned());
    row.end_time = Some(outcome.ended_at);
    row.completion_start_time = outcome.first_token_at;
    row.model = Some(request.model.clone());
    row.model_parameters = serde_json::to_value(&request.params).ok();
    row.input = Some(input);
    row.output = (!outcome.output.is_null()).then(|| outcome.output.clone());
    row.metadata.insert(
        "provider".to_owned(),
        Value::String(prepared.provider.clone()),
    );
    if let Some(usage) = outcome.usage {
        row.provided_usage_details = [
            ("input".to_owned(), usage.input as f64),
            ("output".to_owned(), usage.output as f64),
            ("total".to_owned(), usage.total as f64),
        ]
        .into();
    }
    if let Some(error) = outcome.error {
        row.level = Level::Error;
        row.status_message = Some(error);
    }
    state.rules().enrich(project, &mut row);
    let mut write = IngestionWrite::new(project.clone());
    write.trace_patches.push(trace);
    write.observations.push(row);
    let size = write_size(&write);
    if let Err(error) = state.writer().submit(write, size).await {
        tracing::warn!(project = %project, error = %error, "the playground run was not recorded");
    }
}

fn write_size(write: &IngestionWrite) -> usize {
    write
        .observations
        .iter()
        .map(|row| {
            row.input.as_ref().map_or(0, |v| v.to_string().len())
                + row.output.as_ref().map_or(0, |v| v.to_string().len())
        })
        .sum::<usize>()
        * 2
}

/// Fills placeholders with their message lists and substitutes variables. An unfilled
/// variable or placeholder is an error, as in Langfuse.
pub fn compile(
    window: &[WindowMessage],
    variables: &BTreeMap<String, String>,
    placeholders: &BTreeMap<String, Value>,
) -> Result<Vec<Message>, RunError> {
    let mut out = Vec::new();
    for item in window {
        match item {
            WindowMessage::Placeholder { name, .. } => {
                let value = placeholders
                    .get(name)
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| {
                        invalid(format!("Missing value for message placeholder '{name}'"))
                    })?;
                let list: Vec<Message> = match value {
                    Value::Array(items) => items
                        .iter()
                        .map(placeholder_message)
                        .collect::<Option<_>>(),
                    _ => None,
                }
                .ok_or_else(|| {
                    invalid(format!(
                        "The value of placeholder '{name}' must be a JSON list of {{\"role\", \"content\"}} messages"
                    ))
                })?;
                out.extend(list);
            }
            WindowMessage::Message(message) => {
                let mut message = message.clone();
                message.content = substitute(&message.content, variables)?;
                out.push(message);
            }
        }
    }
    Ok(out)
}

fn placeholder_message(value: &Value) -> Option<Message> {
    let role: Role = serde_json::from_value(value.get("role")?.clone()).ok()?;
    let content = match value.get("content")? {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut message = Message::new(role, content);
    if let Some(calls) = value.get("tool_calls").or_else(|| value.get("toolCalls")) {
        message.tool_calls = serde_json::from_value::<Vec<ToolCall>>(calls.clone()).ok()?;
    }
    message.tool_call_id = value
        .get("tool_call_id")
        .or_else(|| value.get("toolCallId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(message)
}

fn substitute(text: &str, variables: &BTreeMap<String, String>) -> Result<String, RunError> {
    let mut missing = false;
    let replaced = SLOT.replace_all(text, |captures: &regex::Captures| {
        let name = &captures[1];
        match variables.get(name) {
            Some(value) => value.clone(),
            None if is_variable_name(name) => {
                missing = true;
                String::new()
            }
            None => captures[0].to_owned(),
        }
    });
    if missing {
        return Err(invalid(
            "Error replacing variables. Please check your inputs.",
        ));
    }
    Ok(replaced.into_owned())
}

/// The variable names of a window's messages, for the variables panel (first seen first).
pub fn variables_of(window: &[WindowMessage]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for item in window {
        if let WindowMessage::Message(message) = item {
            for captures in SLOT.captures_iter(&message.content) {
                let name = captures[1].to_owned();
                if is_variable_name(&name) && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window(value: Value) -> Vec<WindowMessage> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn variables_are_substituted_whitespace_tolerant_and_placeholders_expand() {
        let messages = window(json!([
            {"role": "system", "content": "You answer in {{ language }}."},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{question}} {{not a variable}}"},
        ]));
        assert_eq!(variables_of(&messages), ["language", "question"]);
        let variables = BTreeMap::from([
            ("language".to_owned(), "French".to_owned()),
            ("question".to_owned(), "Why?".to_owned()),
        ]);
        let placeholders = BTreeMap::from([(
            "history".to_owned(),
            json!([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Salut"}]),
        )]);
        let compiled = compile(&messages, &variables, &placeholders).unwrap();
        let texts: Vec<(Role, &str)> = compiled
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (Role::System, "You answer in French."),
                (Role::User, "Hi"),
                (Role::Assistant, "Salut"),
                (Role::User, "Why? {{not a variable}}"),
            ]
        );
        let error = compile(&messages, &BTreeMap::new(), &placeholders).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Error replacing variables. Please check your inputs."
        );
        let error = compile(&messages, &variables, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Missing value for message placeholder 'history'"
        );
        let bad = BTreeMap::from([("history".to_owned(), json!("not a list"))]);
        assert!(compile(&messages, &variables, &bad).is_err());
    }
}
