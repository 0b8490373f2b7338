//! The playground (`playground:execute`, MEMBER and up): up to ten windows side by side, each
//! with its own connection, model, parameters, messages, variables, placeholders, tools and
//! structured output, run one by one or all at once, streamed token by token and stoppable
//! (`assets/playground.js`). Windows open from a prompt version or a generation, and save as a
//! new chat prompt or a new version of one.
//!
//! `POST …/playground/run` takes a window as JSON (`services::playground::Run`). Streamed, it
//! answers `application/x-ndjson`: `{"type":"text","text"}` lines as the provider writes, then
//! `{"type":"done","usage","latencyMs"}` or `{"type":"error","message"}`. Otherwise one JSON
//! object `{content, toolCalls, structured, usage, latencyMs}`. Refusals are 400s with
//! `{"message"}`; provider errors carry the provider's status (502 when it gave none).

use std::convert::Infallible;
use std::time::Instant;

use askama::Template;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sightline_domain::ProjectId;
use sightline_domain::ProjectScope;
use sightline_domain::prompt::PromptType;
use sightline_domain::time::{Millis, now_ms};
use sightline_llm::{Adapter, LlmError, StreamEvent, Usage};
use sightline_server::AppState;
use sightline_server::services::llm_connections::{self, ConnectionError};
use sightline_server::services::playground::{self as service, Outcome, Prepared, RunError};
use sightline_server::services::prompts::{self as prompts, CreatePrompt};
use sightline_store::{
    DefinitionKind, LlmConnection, LlmDefinition, PromptListQuery, PromptSelector,
};

use crate::error::{WebError, WebResult};
use crate::pages::page;
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::Layout;

#[derive(Template)]
#[template(path = "playground.html")]
struct PlaygroundPage {
    layout: Layout,
    access: ProjectAccess,
    /// The page's data for the script (connections, models, the window to open), as JSON.
    init: String,
    has_connections: bool,
    settings_url: String,
    run_url: String,
    save_url: String,
    max_windows: usize,
    script_url: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct OpenQuery {
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    observation: Option<String>,
}

async fn access(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
) -> WebResult<ProjectAccess> {
    rbac::project_access(
        state.store(),
        &signed_in.user,
        project_id,
        ProjectScope::PlaygroundExecute,
    )
    .await
}

fn connection_json(connection: &LlmConnection) -> Value {
    let adapter = Adapter::parse(&connection.adapter);
    let defaults = adapter.map(Adapter::default_params).unwrap_or_default();
    json!({
        "provider": connection.provider,
        "adapter": connection.adapter,
        "callable": adapter.is_some_and(Adapter::is_callable),
        "models": llm_connections::offered_models(connection),
        "params": defaults,
        "maxTemperature": adapter.map_or(2.0, Adapter::max_temperature),
    })
}

/// The connection that offers `model`, for a window opened from a prompt or a generation.
fn provider_for(connections: &[LlmConnection], model: Option<&str>) -> Option<String> {
    let model = model?;
    connections
        .iter()
        .find(|c| {
            llm_connections::offered_models(c)
                .iter()
                .any(|m| m == model)
        })
        .map(|c| c.provider.clone())
}

/// Model parameters from a prompt config or a generation's `modelParameters`.
fn params_from(source: &Value) -> Value {
    let mut params = Map::new();
    for (from, to) in [
        ("temperature", "temperature"),
        ("max_tokens", "max_tokens"),
        ("maxTokens", "max_tokens"),
        ("max_completion_tokens", "max_tokens"),
        ("top_p", "top_p"),
        ("topP", "top_p"),
    ] {
        let number = match source.get(from) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse::<f64>().ok(),
            _ => None,
        };
        if let Some(n) = number {
            let value = if to == "max_tokens" {
                json!(n as u64)
            } else {
                json!(n)
            };
            params.insert(to.to_owned(), value);
        }
    }
    Value::Object(params)
}

/// A window's messages from a generation's input: ChatML messages (a list, or an object with
/// `messages`), or one system message for any other input.
fn messages_from_input(input: Option<&Value>) -> Vec<Value> {
    let list = match input {
        Some(Value::Array(items)) => Some(items),
        Some(Value::Object(map)) => map.get("messages").and_then(Value::as_array),
        _ => None,
    };
    if let Some(items) = list {
        let messages: Vec<Value> = items.iter().filter_map(chatml_message).collect();
        if !messages.is_empty() {
            return messages;
        }
    }
    match input {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => vec![json!({"role": "system", "content": text})],
        Some(other) => vec![json!({"role": "system", "content": other.to_string()})],
    }
}

fn chatml_message(item: &Value) -> Option<Value> {
    let role = item.get("role")?.as_str()?;
    let role = match role {
        "system" | "developer" | "user" | "assistant" | "tool" => role,
        "model" => "assistant",
        _ => return None,
    };
    let content = match item.get("content") {
        Some(Value::String(text)) => text.clone(),
        // Content parts: the text parts, joined.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    };
    let mut message = json!({"role": role, "content": content});
    if let Some(calls) = item.get("tool_calls").and_then(Value::as_array) {
        let calls: Vec<Value> = calls
            .iter()
            .map(|call| {
                let args = &call["function"]["arguments"];
                json!({
                    "id": call["id"],
                    "name": call["function"]["name"],
                    "args": args.as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_else(|| args.clone()),
                })
            })
            .collect();
        message["toolCalls"] = Value::Array(calls);
    }
    if let Some(id) = item.get("tool_call_id") {
        message["toolCallId"] = id.clone();
    }
    Some(message)
}

async fn opened_window(
    state: &WebState,
    access: &ProjectAccess,
    connections: &[LlmConnection],
    query: &OpenQuery,
) -> WebResult<Value> {
    if let Some(name) = query.prompt.as_deref() {
        let selector = match query.version {
            Some(version) => PromptSelector::Version(version),
            None => PromptSelector::Label("latest".to_owned()),
        };
        let version = state
            .store()
            .metadata()
            .prompt_version(&access.project.id, name, &selector)
            .await?
            .ok_or(WebError::NotFound)?;
        let messages = match version.r#type {
            PromptType::Text => {
                vec![
                    json!({"role": "system", "content": version.prompt.as_str().unwrap_or_default()}),
                ]
            }
            PromptType::Chat => version.prompt.as_array().cloned().unwrap_or_default(),
        };
        let model = version.config.get("model").and_then(Value::as_str);
        return Ok(json!({
            "source": format!("Prompt {} v{}", version.name, version.version),
            "provider": version.config.get("provider").and_then(Value::as_str).map(str::to_owned).or_else(|| provider_for(connections, model)),
            "model": model,
            "params": params_from(&version.config),
            "messages": messages,
        }));
    }
    if let Some(id) = query.observation.as_deref() {
        let observation = state
            .store()
            .events()
            .observation(&access.project.id, id)
            .await?
            .ok_or(WebError::NotFound)?;
        let row = observation.row;
        let model = row.model.as_deref();
        let params = row
            .model_parameters
            .as_ref()
            .map(params_from)
            .unwrap_or_else(|| json!({}));
        let tools = row
            .input
            .as_ref()
            .and_then(|input| input.get("tools"))
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| {
                        let f = t.get("function").unwrap_or(t);
                        Some(json!({
                            "name": f.get("name")?.as_str()?,
                            "description": f.get("description").and_then(Value::as_str).unwrap_or_default(),
                            "parameters": f.get("parameters").cloned().unwrap_or_else(|| json!({"type": "object"})),
                        }))
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        return Ok(json!({
            "source": format!("Generation {}", row.name.as_deref().unwrap_or(&row.id)),
            "provider": provider_for(connections, model),
            "model": model,
            "params": params,
            "messages": messages_from_input(row.input.as_ref()),
            "tools": tools,
        }));
    }
    Ok(Value::Null)
}

/// `GET …/playground[?prompt=NAME&version=N | ?observation=ID]`.
pub async fn get_playground(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    Query(query): Query<OpenQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id).await?;
    let (connections, _) = state
        .store()
        .metadata()
        .list_llm_connections(&access.project.id, 100, 0)
        .await?;
    let window = opened_window(&state, &access, &connections, &query).await?;
    let (chat_prompts, _) = state
        .store()
        .metadata()
        .list_prompts(
            &access.project.id,
            &PromptListQuery {
                limit: 1000,
                ..PromptListQuery::default()
            },
        )
        .await?;
    let metadata = state.store().metadata();
    let mut saved = Vec::new();
    for kind in [DefinitionKind::Tool, DefinitionKind::Schema] {
        let defs = metadata
            .list_llm_definitions(&access.project.id, kind)
            .await?;
        saved.push(defs.iter().map(definition_json).collect::<Vec<_>>());
    }
    let saved_schemas = saved.pop().unwrap_or_default();
    let saved_tools = saved.pop().unwrap_or_default();
    let init = json!({
        "projectId": access.project.id.as_str(),
        "savedTools": saved_tools,
        "savedSchemas": saved_schemas,
        "definitionsUrl": format!("{}/definitions", urls::project_section(&access.project.id, "playground")),
        "connections": connections.iter().map(connection_json).collect::<Vec<_>>(),
        "window": window,
        "chatPrompts": chat_prompts.iter().filter(|p| p.r#type == PromptType::Chat).map(|p| p.name.clone()).collect::<Vec<_>>(),
        "maxWindows": service::MAX_WINDOWS,
    });
    let layout = Layout::for_project(
        state.store(),
        &signed_in,
        &csrf,
        &access.project,
        "playground",
    )
    .await?;
    let base = urls::project_section(&access.project.id, "playground");
    page(&PlaygroundPage {
        layout,
        init: init.to_string(),
        has_connections: !connections.is_empty(),
        settings_url: urls::project_section(&access.project.id, "settings/llm-connections"),
        run_url: format!("{base}/run"),
        save_url: format!("{base}/save"),
        max_windows: service::MAX_WINDOWS,
        script_url: crate::assets::url("playground.js"),
        access,
    })
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

fn llm_refusal(error: &LlmError) -> Response {
    let status = error
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    refusal(status, &error.message)
}

fn run_refusal(error: RunError) -> WebResult<Response> {
    match error {
        RunError::Invalid(message) => Ok(refusal(StatusCode::BAD_REQUEST, &message)),
        RunError::Connection(ConnectionError::Store(error)) => Err(error.into()),
        RunError::Connection(ConnectionError::Provider(error)) => Ok(llm_refusal(&error)),
        RunError::Connection(other) => Ok(refusal(StatusCode::BAD_REQUEST, &other.to_string())),
    }
}

fn usage_json(usage: Option<Usage>) -> Value {
    match usage {
        Some(u) => json!({"input": u.input, "output": u.output, "total": u.total}),
        None => Value::Null,
    }
}

fn line(value: Value) -> Result<Bytes, Infallible> {
    let mut text = value.to_string();
    text.push('\n');
    Ok(Bytes::from(text))
}

/// `POST …/playground/run`: runs one window.
pub async fn post_run(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id).await?;
    let run: service::Run = match serde_json::from_str(&body) {
        Ok(run) => run,
        Err(e) => {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                &format!("Invalid run: {e}"),
            ));
        }
    };
    let prepared = match service::prepare(state.app(), &access.project.id, run).await {
        Ok(prepared) => prepared,
        Err(error) => return run_refusal(error),
    };
    let client = state.app().llm().client.clone();
    let started = Instant::now();
    let started_at = now_ms();
    tracing::info!(project = %access.project.id, adapter = prepared.connection.adapter.as_str(), stream = prepared.stream, "playground run");
    if !prepared.stream {
        let result = client
            .complete(&prepared.connection, &prepared.request)
            .await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let outcome = Outcome {
            output: match &result {
                Ok(c) if c.structured.is_some() => c.structured.clone().unwrap_or_default(),
                Ok(c) if !c.tool_calls.is_empty() => {
                    json!({"content": c.text, "tool_calls": c.tool_calls})
                }
                Ok(c) => Value::String(c.text.clone()),
                Err(_) => Value::Null,
            },
            usage: result.as_ref().ok().and_then(|c| c.usage),
            started_at,
            first_token_at: None,
            ended_at: now_ms(),
            error: result.as_ref().err().map(|e| e.message.clone()),
        };
        service::record(state.app(), &access.project.id, &prepared, outcome).await;
        return Ok(match result {
            Ok(completion) => Json(json!({
                "content": completion.text,
                "toolCalls": completion.tool_calls,
                "structured": completion.structured,
                "usage": usage_json(completion.usage),
                "latencyMs": latency_ms,
            }))
            .into_response(),
            Err(error) => llm_refusal(&error),
        });
    }
    let events = match client.stream(&prepared.connection, &prepared.request).await {
        Ok(events) => events,
        Err(error) => {
            let outcome = Outcome {
                output: Value::Null,
                usage: None,
                started_at,
                first_token_at: None,
                ended_at: now_ms(),
                error: Some(error.message.clone()),
            };
            service::record(state.app(), &access.project.id, &prepared, outcome).await;
            return Ok(llm_refusal(&error));
        }
    };
    // Text lines as they come, then one closing line. Dropping the body (the viewer stopped
    // the run or left) drops the provider stream, which closes its connection, and the
    // recorder, which records what came so far.
    let mut recorder = Recorder {
        state: state.app().clone(),
        project: access.project.id.clone(),
        prepared: Some(prepared),
        text: String::new(),
        usage: None,
        started_at,
        first_token_at: None,
        error: None,
        finished: false,
    };
    let body = events
        .map(Some)
        .chain(futures_util::stream::once(async { None }))
        .filter_map(move |event| {
            let out = if recorder.finished {
                None
            } else {
                match event {
                    Some(Ok(StreamEvent::Text(text))) => {
                        recorder.first_token_at.get_or_insert_with(now_ms);
                        recorder.text.push_str(&text);
                        Some(line(json!({"type": "text", "text": text})))
                    }
                    Some(Ok(StreamEvent::Usage(u))) => {
                        recorder.usage = Some(u);
                        None
                    }
                    Some(Err(error)) => {
                        recorder.finished = true;
                        recorder.error = Some(error.message.clone());
                        Some(line(json!({"type": "error", "message": error.message})))
                    }
                    None => {
                        recorder.finished = true;
                        Some(line(json!({
                            "type": "done",
                            "usage": usage_json(recorder.usage),
                            "latencyMs": started.elapsed().as_millis() as u64,
                            "firstTokenMs": recorder.first_token_at.map(|at| (at - started_at).max(0)),
                        })))
                    }
                }
            };
            async move { out }
        });
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(body))
        .expect("a valid response"))
}

/// What a streamed run has given so far; recorded as the run's trace when the stream ends or
/// is dropped (a stopped run is recorded with what it wrote, as an error "stopped").
struct Recorder {
    state: AppState,
    project: ProjectId,
    prepared: Option<Prepared>,
    text: String,
    usage: Option<Usage>,
    started_at: Millis,
    first_token_at: Option<Millis>,
    error: Option<String>,
    finished: bool,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let Some(prepared) = self.prepared.take() else {
            return;
        };
        let error = match (&self.error, self.finished) {
            (Some(error), _) => Some(error.clone()),
            (None, false) => Some("stopped before the answer was complete".to_owned()),
            (None, true) => None,
        };
        let outcome = Outcome {
            output: Value::String(std::mem::take(&mut self.text)),
            usage: self.usage,
            started_at: self.started_at,
            first_token_at: self.first_token_at,
            ended_at: now_ms(),
            error,
        };
        let (state, project) = (self.state.clone(), self.project.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                service::record(&state, &project, &prepared, outcome).await;
            });
        }
    }
}

fn definition_json(definition: &LlmDefinition) -> Value {
    json!({
        "name": definition.name,
        "description": definition.description,
        "schema": definition.schema,
    })
}

#[derive(Debug, Deserialize)]
pub struct DefinitionBody {
    kind: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    schema: Option<Value>,
    /// Delete the definition with this name instead of saving it.
    #[serde(default)]
    delete: bool,
}

/// `POST …/playground/definitions`: saves a tool (`kind: "tool"`, its parameters as `schema`)
/// or a structured-output schema (`kind: "schema"`) under its name for the whole project, or
/// with `delete` removes it; answers the project's saved definitions of that kind.
pub async fn post_definition(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let body: DefinitionBody = match serde_json::from_str(&body) {
        Ok(body) => body,
        Err(e) => {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                &format!("Invalid definition: {e}"),
            ));
        }
    };
    let (kind, scope) = match body.kind.as_str() {
        "tool" => (DefinitionKind::Tool, ProjectScope::LlmToolsCud),
        "schema" => (DefinitionKind::Schema, ProjectScope::LlmSchemasCud),
        other => {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                &format!("kind: expected 'tool' or 'schema', got '{other}'"),
            ));
        }
    };
    let access = rbac::project_access(state.store(), &signed_in.user, &project_id, scope).await?;
    let metadata = state.store().metadata();
    let name = body.name.trim();
    if body.delete {
        if !metadata
            .delete_llm_definition(&access.project.id, kind, name)
            .await?
        {
            return Err(WebError::NotFound);
        }
    } else {
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !valid_name {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                "Name: 1 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        let Some(schema) = body.schema.filter(Value::is_object) else {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                "The schema must be a JSON Schema object",
            ));
        };
        let now = now_ms();
        metadata
            .upsert_llm_definition(
                kind,
                &LlmDefinition {
                    project_id: access.project.id.clone(),
                    id: uuid::Uuid::new_v4().to_string(),
                    name: name.to_owned(),
                    description: body.description.trim().to_owned(),
                    schema,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
    }
    let saved = metadata
        .list_llm_definitions(&access.project.id, kind)
        .await?;
    Ok(
        Json(json!({"data": saved.iter().map(definition_json).collect::<Vec<_>>()}))
            .into_response(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveBody {
    name: String,
    messages: Vec<Value>,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    commit_message: Option<String>,
}

/// `POST …/playground/save`: a window as a new chat prompt, or a new version of one; answers
/// `{"url"}` of the prompt's page.
pub async fn post_save(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::PromptsCud,
    )
    .await?;
    let save: SaveBody = match serde_json::from_str(&body) {
        Ok(save) => save,
        Err(e) => {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                &format!("Invalid prompt: {e}"),
            ));
        }
    };
    // Chat prompts keep `{role, content}` and placeholders; tool calls are not part of them.
    let messages: Vec<Value> = save
        .messages
        .iter()
        .map(|m| match m.get("type").and_then(Value::as_str) {
            Some("placeholder") => json!({"type": "placeholder", "name": m["name"]}),
            _ => json!({"role": m["role"], "content": m["content"]}),
        })
        .collect();
    let input = CreatePrompt {
        name: save.name.trim().to_owned(),
        r#type: Some("chat".to_owned()),
        prompt: Value::Array(messages),
        config: save.config,
        labels: Vec::new(),
        tags: None,
        commit_message: save.commit_message.filter(|m| !m.trim().is_empty()),
        created_by: signed_in.user.id.to_string(),
    };
    match prompts::create_prompt(state.store(), state.app().prompts(), &access.project.id, input)
        .await
    {
        Ok(version) => Ok(Json(json!({
            "url": crate::pages::prompts::version_url(&access.project.id, &version.name, version.version),
            "version": version.version,
        }))
        .into_response()),
        Err(prompts::PromptError::Store(error)) => Err(error.into()),
        Err(other) => Ok(refusal(StatusCode::BAD_REQUEST, &other.to_string())),
    }
}
