//! The prompt editor: a new prompt, or a new version of one (prefilled from the version it
//! starts from). A text or chat editor (messages and placeholders), the config as JSON (checked
//! before anything is saved), labels, tags and a commit message; a live preview (htmx) shows
//! the `{{variables}}`, the placeholders and the content with its composition references
//! (`@@@langfusePrompt:…@@@`) resolved, or which reference does not resolve. Saving goes
//! through `services::prompts::create_prompt`, as `POST /api/public/v2/prompts` does.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::ProjectScope;
use sightline_domain::prompt::{LATEST_LABEL, PRODUCTION_LABEL, PromptType};
use sightline_server::services::prompts::{self as service, CreatePrompt, PromptError};
use sightline_store::PromptSelector;

use crate::error::WebResult;
use crate::pages::prompts::{ContentView, content_view, prompt_url, prompts_url, version_url};
use crate::pages::{Fields, page, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::views::Layout;

/// The roles a chat message may take in the editor; `placeholder` makes the row a slot.
const ROLES: &[&str] = &["system", "user", "assistant", "developer", "placeholder"];

/// What the editor's form holds, as typed.
#[derive(Debug, Clone, Default)]
pub struct EditorForm {
    pub name: String,
    pub chat: bool,
    pub text: String,
    /// (role, content); a `placeholder` row's content is the placeholder's name.
    pub messages: Vec<(String, String)>,
    pub config: String,
    pub production: bool,
    /// Other labels, comma-separated.
    pub labels: String,
    /// Comma-separated.
    pub tags: String,
    pub commit_message: String,
    /// Whether the name already has versions (its name and type are fixed).
    pub existing: bool,
}

impl EditorForm {
    fn parse(fields: &Fields) -> EditorForm {
        let mut form = EditorForm {
            name: fields.one("name").unwrap_or_default().trim().to_owned(),
            chat: fields.one("type") == Some("chat"),
            text: fields.one("text").unwrap_or_default().to_owned(),
            config: fields.one("config").unwrap_or_default().to_owned(),
            production: fields.all("label").iter().any(|l| l == PRODUCTION_LABEL),
            labels: fields.one("extra_labels").unwrap_or_default().to_owned(),
            tags: fields.one("tags").unwrap_or_default().to_owned(),
            commit_message: fields.one("commit_message").unwrap_or_default().to_owned(),
            existing: fields.one("existing").is_some(),
            messages: Vec::new(),
        };
        for (key, value) in fields.iter() {
            match key {
                "role" => form.messages.push((value.to_owned(), String::new())),
                "content" => {
                    if let Some(last) = form.messages.last_mut() {
                        last.1 = value.to_owned();
                    }
                }
                _ => {}
            }
        }
        form
    }

    fn r#type(&self) -> PromptType {
        if self.chat {
            PromptType::Chat
        } else {
            PromptType::Text
        }
    }

    /// The prompt as the API takes it: the text, or the messages (rows left empty are
    /// dropped).
    fn prompt(&self) -> Value {
        if !self.chat {
            return Value::String(self.text.clone());
        }
        Value::Array(
            self.messages
                .iter()
                .filter(|(_, content)| !content.trim().is_empty())
                .map(|(role, content)| {
                    if role == "placeholder" {
                        json!({"type": "placeholder", "name": content.trim()})
                    } else {
                        json!({"role": role, "content": content})
                    }
                })
                .collect(),
        )
    }

    /// The config: empty is `{}`; anything else must be a JSON object.
    fn config(&self) -> Result<Value, String> {
        if self.config.trim().is_empty() {
            return Ok(json!({}));
        }
        match serde_json::from_str::<Value>(&self.config) {
            Ok(Value::Object(map)) => Ok(Value::Object(map)),
            Ok(_) => Err("Config must be a JSON object, like {\"temperature\": 0.2}".into()),
            Err(error) => Err(format!("Config is not valid JSON: {error}")),
        }
    }

    fn label_list(&self) -> Vec<String> {
        let mut labels = split_list(&self.labels);
        if self.production && !labels.iter().any(|l| l == PRODUCTION_LABEL) {
            labels.insert(0, PRODUCTION_LABEL.to_owned());
        }
        labels
    }
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Template)]
#[template(path = "prompt_editor.html")]
struct EditorPage {
    layout: Layout,
    access: ProjectAccess,
    form: EditorForm,
    roles: &'static [&'static str],
    /// The version the editor started from, for the heading.
    from_version: Option<i64>,
    save_url: String,
    preview_url: String,
    cancel_url: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NewQuery {
    name: Option<String>,
    version: Option<i64>,
}

async fn editor_access(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
) -> WebResult<ProjectAccess> {
    rbac::project_access(
        state.store(),
        &signed_in.user,
        project_id,
        ProjectScope::PromptsCud,
    )
    .await
}

async fn editor(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    form: EditorForm,
    from_version: Option<i64>,
    error: Option<String>,
) -> WebResult<Response> {
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "prompts").await?;
    let list = prompts_url(&access.project.id);
    let cancel_url = if form.existing {
        prompt_url(&access.project.id, &form.name)
    } else {
        list.clone()
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &EditorPage {
            layout,
            form,
            roles: ROLES,
            from_version,
            save_url: list.clone(),
            preview_url: format!("{list}/preview"),
            cancel_url,
            error,
            access,
        },
    )
}

/// `GET …/prompts/new`: a blank editor, or with `?name=&version=` one prefilled from that
/// version (the newest when `version` is absent).
pub async fn get_new_prompt(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    Query(query): Query<NewQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let mut form = EditorForm {
        config: "{}".into(),
        messages: vec![
            ("system".into(), String::new()),
            ("user".into(), String::new()),
        ],
        ..EditorForm::default()
    };
    let mut from_version = None;
    if let Some(name) = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let selector = match query.version {
            Some(version) => PromptSelector::Version(version),
            None => PromptSelector::Label(LATEST_LABEL.into()),
        };
        if let Some(version) = state
            .store()
            .metadata()
            .prompt_version(&access.project.id, name, &selector)
            .await?
        {
            from_version = Some(version.version);
            form.existing = true;
            form.name = version.name.clone();
            form.chat = version.r#type == PromptType::Chat;
            form.config = serde_json::to_string_pretty(&version.config).unwrap_or_default();
            form.tags = version.tags.join(", ");
            match &version.prompt {
                Value::String(text) => form.text = text.clone(),
                Value::Array(_) => {
                    form.messages = content_view(&version.prompt)
                        .messages
                        .into_iter()
                        .map(|m| (m.role, m.content))
                        .collect();
                }
                _ => {}
            }
        } else {
            form.name = name.to_owned();
        }
    }
    editor(&state, &signed_in, &csrf, access, form, from_version, None).await
}

/// `POST …/prompts`: saves the editor's content as the next version of its name.
pub async fn post_prompt(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let form = EditorForm::parse(&Fields::parse(&body));
    match save(&state, &access, &signed_in, &form).await? {
        Ok(version) => Ok(see_other(&version_url(
            &access.project.id,
            &form.name,
            version,
        ))),
        Err(message) => editor(&state, &signed_in, &csrf, access, form, None, Some(message)).await,
    }
}

/// Checks and stores the version: `Err` is the message the form shows (nothing is saved).
async fn save(
    state: &WebState,
    access: &ProjectAccess,
    signed_in: &SignedIn,
    form: &EditorForm,
) -> WebResult<Result<i64, String>> {
    let config = match form.config() {
        Ok(config) => config,
        Err(message) => return Ok(Err(message)),
    };
    let labels = form.label_list();
    let store = state.store();
    let denied = service::labels_denied_to(store, &access.project.id, access.role, &labels).await?;
    if !denied.is_empty() {
        return Ok(Err(format!(
            "Only admins and owners can set the protected label{} {}",
            if denied.len() == 1 { "" } else { "s" },
            denied.join(", ")
        )));
    }
    let created = service::create_prompt(
        store,
        state.app().prompts(),
        &access.project.id,
        CreatePrompt {
            name: form.name.clone(),
            r#type: Some(form.r#type().as_str().to_owned()),
            prompt: form.prompt(),
            config: Some(config),
            labels,
            tags: Some(split_list(&form.tags)),
            commit_message: Some(form.commit_message.trim().to_owned())
                .filter(|message| !message.is_empty()),
            created_by: signed_in.user.id.to_string(),
        },
    )
    .await;
    match created {
        Ok(version) => Ok(Ok(version.version)),
        Err(PromptError::Store(error)) => Err(error.into()),
        Err(other) => Ok(Err(other.to_string())),
    }
}

#[derive(Template)]
#[template(path = "_prompt_preview.html")]
struct PreviewFragment {
    errors: Vec<String>,
    variables: Vec<String>,
    placeholders: Vec<String>,
    /// The resolved content when the prompt has composition references.
    resolved: Option<ContentView>,
}

/// `POST …/prompts/preview` (htmx): what saving the editor's content would store.
pub async fn post_prompt_preview(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let form = EditorForm::parse(&Fields::parse(&body));
    let mut fragment = PreviewFragment {
        errors: Vec::new(),
        variables: Vec::new(),
        placeholders: Vec::new(),
        resolved: None,
    };
    if let Err(message) = form.config() {
        fragment.errors.push(message);
    }
    let prompt = form.prompt();
    let has_references = !sightline_domain::prompt::dependency_refs(&prompt).is_empty();
    match service::preview(
        state.store(),
        &access.project.id,
        &form.name,
        form.r#type(),
        prompt,
    )
    .await
    {
        Ok(preview) => {
            fragment.variables = preview.variables;
            fragment.placeholders = preview.placeholders;
            match preview.resolved {
                Ok(resolved) if has_references => fragment.resolved = Some(content_view(&resolved)),
                Ok(_) => {}
                Err(message) => fragment.errors.push(message),
            }
        }
        Err(PromptError::Store(error)) => return Err(error.into()),
        Err(other) => fragment.errors.push(other.to_string()),
    }
    page(&fragment)
}
