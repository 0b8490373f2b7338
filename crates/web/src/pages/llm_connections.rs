//! LLM connections in the project settings (ADMIN and OWNER: `llmApiKeys:create`): the list
//! (name, adapter, base URL, masked key, models, header names), a form that creates or edits a
//! connection and tests it before saving, delete, and the project's default evaluation model.
//! Keys are never rendered: the form shows the masked preview, and an empty key or header value
//! on edit keeps the stored one (`services::llm_connections`, `SaveMode::Edit`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use sightline_domain::ProjectScope;
use sightline_domain::time::now_ms;
use sightline_llm::Adapter;
use sightline_server::services::llm_connections::{
    self as service, ConnectionError, ConnectionInput, SaveMode,
};
use sightline_store::{DefaultLlmModel, LlmConnection};

use crate::error::WebResult;
use crate::pages::{Fields, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs};

/// Adapters the form offers: the ones this server can call.
const FORM_ADAPTERS: [Adapter; 4] = [
    Adapter::OpenAi,
    Adapter::Anthropic,
    Adapter::Azure,
    Adapter::GoogleAiStudio,
];

pub struct ConnectionRow {
    pub id: String,
    pub provider: String,
    pub adapter: String,
    pub base_url: String,
    pub display_key: String,
    pub models: String,
    pub header_keys: String,
    pub edit_url: String,
    pub delete_url: String,
}

/// What the form holds: a connection being edited, or what was just submitted.
#[derive(Default)]
pub struct FormValues {
    pub editing: bool,
    pub provider: String,
    pub adapter: String,
    pub key_hint: String,
    pub base_url: String,
    pub custom_models: String,
    pub with_default_models: bool,
    pub headers: String,
}

#[derive(Template)]
#[template(path = "llm_connections.html")]
struct ConnectionsPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<ConnectionRow>,
    adapters: Vec<&'static str>,
    form: FormValues,
    page_url: String,
    default_url: String,
    /// Connection names for the default-model picker, and the current default.
    providers: Vec<String>,
    default_provider: String,
    default_model: String,
    model_options: Vec<String>,
    encryption_ready: bool,
    notice: Option<String>,
    error: Option<String>,
    tabs: SettingsTabs,
}

fn page_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "settings/llm-connections")
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
        ProjectScope::LlmApiKeysCreate,
    )
    .await
}

fn row(access: &ProjectAccess, connection: &LlmConnection) -> ConnectionRow {
    let base = page_url(access);
    let mut models = connection.custom_models.join(", ");
    if connection.with_default_models {
        let defaults = Adapter::parse(&connection.adapter).map_or(0, |a| a.default_models().len());
        if defaults > 0 {
            if !models.is_empty() {
                models.push_str(" + ");
            }
            models.push_str(&format!("{defaults} default models"));
        }
    }
    ConnectionRow {
        id: connection.id.clone(),
        provider: connection.provider.clone(),
        adapter: connection.adapter.clone(),
        base_url: connection.base_url.clone().unwrap_or_default(),
        display_key: connection.display_secret_key.clone(),
        models,
        header_keys: connection.extra_header_keys.join(", "),
        edit_url: format!("{base}?edit={}", connection.id),
        delete_url: format!("{base}/{}/delete", connection.id),
    }
}

impl FormValues {
    /// The form for a new connection: OpenAI, with the default models.
    fn blank() -> FormValues {
        FormValues {
            adapter: Adapter::OpenAi.as_str().to_owned(),
            with_default_models: true,
            ..FormValues::default()
        }
    }
}

fn form_for(connection: &LlmConnection) -> FormValues {
    FormValues {
        editing: true,
        provider: connection.provider.clone(),
        adapter: connection.adapter.clone(),
        key_hint: connection.display_secret_key.clone(),
        base_url: connection.base_url.clone().unwrap_or_default(),
        custom_models: connection.custom_models.join("\n"),
        with_default_models: connection.with_default_models,
        // Header values stay secret: the names are listed with empty values (kept on save).
        headers: connection
            .extra_header_keys
            .iter()
            .map(|k| format!("{k}: "))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

struct Outcome {
    form: FormValues,
    notice: Option<String>,
    error: Option<String>,
}

async fn connections_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    outcome: Outcome,
) -> WebResult<Response> {
    let metadata = state.store().metadata();
    let (connections, _) = metadata
        .list_llm_connections(&access.project.id, 100, 0)
        .await?;
    let default = metadata.default_llm_model(&access.project.id).await?;
    let default_connection = default
        .as_ref()
        .and_then(|d| connections.iter().find(|c| c.id == d.connection_id));
    let model_options = match default_connection.or(connections.first()) {
        Some(connection) => service::offered_models(connection),
        None => Vec::new(),
    };
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "settings").await?;
    let status = if outcome.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ConnectionsPage {
            layout,
            rows: connections.iter().map(|c| row(&access, c)).collect(),
            adapters: FORM_ADAPTERS.iter().map(|a| a.as_str()).collect(),
            form: outcome.form,
            page_url: page_url(&access),
            default_url: format!("{}/default-model", page_url(&access)),
            providers: connections.iter().map(|c| c.provider.clone()).collect(),
            default_provider: default_connection
                .map(|c| c.provider.clone())
                .unwrap_or_default(),
            default_model: default.map(|d| d.model).unwrap_or_default(),
            model_options,
            encryption_ready: state.app().llm().cipher.is_some(),
            notice: outcome.notice,
            error: outcome.error,
            tabs: SettingsTabs::of(&access),
            access,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    edit: Option<String>,
}

/// `GET …/settings/llm-connections[?edit=ID]`.
pub async fn get_connections(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    Query(query): Query<EditQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id).await?;
    let editing = match query.edit.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => state
            .store()
            .metadata()
            .llm_connection(&access.project.id, id)
            .await?
            .map(|c| form_for(&c)),
        None => None,
    };
    let form = editing.unwrap_or_else(FormValues::blank);
    let outcome = Outcome {
        form,
        notice: None,
        error: None,
    };
    connections_page(&state, &signed_in, &csrf, access, outcome).await
}

/// `Name: value` lines; a line without a colon is a name with an empty value.
fn parse_headers(raw: &str) -> BTreeMap<String, String> {
    raw.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once(':') {
            Some((name, value)) => (name.trim().to_owned(), value.trim().to_owned()),
            None => (line.to_owned(), String::new()),
        })
        .collect()
}

/// `POST …/settings/llm-connections`: creates or edits (by provider name) after a test call.
pub async fn post_connection(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let text = |name: &str| fields.one(name).unwrap_or_default().to_owned();
    let custom_models: Vec<String> = text("custom_models")
        .split(['\n', ','])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    let headers = parse_headers(&text("headers"));
    let input = ConnectionInput {
        provider: text("provider"),
        adapter: text("adapter"),
        secret_key: text("secret_key"),
        base_url: Some(text("base_url")),
        custom_models,
        with_default_models: fields.one("with_default_models").is_some(),
        extra_headers: (!headers.is_empty()).then_some(headers),
        config: None,
    };
    let submitted = FormValues {
        editing: fields.one("editing").is_some(),
        provider: input.provider.clone(),
        adapter: input.adapter.clone(),
        key_hint: text("key_hint"),
        base_url: text("base_url"),
        custom_models: text("custom_models"),
        with_default_models: input.with_default_models,
        headers: text("headers"),
    };
    match service::save(state.app(), &access.project.id, input, SaveMode::Edit).await {
        Ok((connection, created)) => {
            let verb = if created { "created" } else { "updated" };
            let outcome = Outcome {
                form: FormValues::blank(),
                notice: Some(format!(
                    "Connection '{}' tested and {verb}.",
                    connection.provider
                )),
                error: None,
            };
            connections_page(&state, &signed_in, &csrf, access, outcome).await
        }
        Err(ConnectionError::Store(error)) => Err(error.into()),
        Err(error) => {
            let message = match error {
                ConnectionError::Provider(e) => format!("The connection test failed: {e}"),
                other => other.to_string(),
            };
            let outcome = Outcome {
                form: submitted,
                notice: None,
                error: Some(message),
            };
            connections_page(&state, &signed_in, &csrf, access, outcome).await
        }
    }
}

/// `POST …/settings/llm-connections/{id}/delete`.
pub async fn post_delete(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::LlmApiKeysDelete,
    )
    .await?;
    match service::delete(state.app(), &access.project.id, &id).await {
        Ok(()) | Err(ConnectionError::NotFound) => Ok(see_other(&page_url(&access))),
        Err(ConnectionError::Store(error)) => Err(error.into()),
        Err(other) => Err(crate::error::WebError::BadRequest(other.to_string())),
    }
}

/// `POST …/settings/llm-connections/default-model`: sets (or, with no connection, clears) the
/// project's default evaluation model.
pub async fn post_default_model(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::LlmApiKeysUpdate,
    )
    .await?;
    let fields = Fields::parse(&body);
    let provider = fields.one("provider").unwrap_or_default().trim();
    let model = fields.one("model").unwrap_or_default().trim();
    let metadata = state.store().metadata();
    if provider.is_empty() {
        metadata
            .set_default_llm_model(&access.project.id, None)
            .await?;
        return Ok(see_other(&page_url(&access)));
    }
    let connection = metadata
        .llm_connection_by_provider(&access.project.id, provider)
        .await?;
    let error = match &connection {
        None => Some(format!("No connection named '{provider}'.")),
        Some(_) if model.is_empty() => Some("Choose a model for evaluations.".to_owned()),
        Some(c) if !service::offered_models(c).iter().any(|m| m == model) => Some(format!(
            "'{model}' is not offered by '{provider}': add it to the connection's models."
        )),
        Some(_) => None,
    };
    if let Some(error) = error {
        let outcome = Outcome {
            form: FormValues::blank(),
            notice: None,
            error: Some(error),
        };
        return connections_page(&state, &signed_in, &csrf, access, outcome).await;
    }
    let connection = connection.expect("checked above");
    let default = DefaultLlmModel {
        connection_id: connection.id,
        model: model.to_owned(),
        model_params: json!({}),
        updated_at: now_ms(),
    };
    metadata
        .set_default_llm_model(&access.project.id, Some(&default))
        .await?;
    Ok(see_other(&page_url(&access)))
}
