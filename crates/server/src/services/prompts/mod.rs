//! Prompt management (wire-spec §6) as plain functions shared by the API handlers and the UI:
//! create, fetch (resolved, through [`PromptCache`]), relabel and delete prompt versions, and
//! the protected-label rule.
//!
//! Fast fetch: [`PromptCache`] (`cache.rs`); composition: `graph.rs`; usage of versions by
//! linked generations, pairing the metadata and event stores: `usage.rs`.

mod cache;
mod graph;
mod usage;

use std::collections::HashMap;

use axum::body::Bytes;
use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::prompt::{
    self, Label, PRODUCTION_LABEL, PromptContent, PromptName, PromptNode, PromptType,
};
use sightline_domain::time::now_ms;
use sightline_store::{
    NewPromptVersion, PromptSelector, PromptVersion, Store, StoreError, StoredObservation,
};

use crate::views;
use cache::CacheKey;
use graph::{blocking_dependents, resolve_node};

pub use cache::{COUNTER_TTL, PromptCache};
pub use graph::resolve_version;
pub use sightline_domain::prompt::can_change_label;
pub use usage::prompt_usage;

const COMMIT_MESSAGE_MAX_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// A request field that fails validation: 400 in zod's shape (`field` names it).
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    /// A request that breaks a rule: 400 `InvalidRequestError`.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// A stored prompt whose references no longer resolve: 409, as Langfuse answers.
    #[error("{0}")]
    Unresolvable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) type Result<T> = std::result::Result<T, PromptError>;

fn invalid(field: &'static str, message: impl Into<String>) -> PromptError {
    PromptError::InvalidField {
        field,
        message: message.into(),
    }
}

/// A new prompt version as a client sends it (`POST /v2/prompts`), not yet validated.
#[derive(Debug, Clone, Default)]
pub struct CreatePrompt {
    pub name: String,
    /// `text` when absent.
    pub r#type: Option<String>,
    pub prompt: Value,
    pub config: Option<Value>,
    pub labels: Vec<String>,
    pub tags: Option<Vec<String>>,
    pub commit_message: Option<String>,
    /// `API` for API keys, the user id for the UI.
    pub created_by: String,
}

/// Validates and stores the next version of a prompt; references to other prompts must
/// resolve. Drops the project's cached prompts.
pub async fn create_prompt(
    store: &Store,
    cache: &PromptCache,
    project: &ProjectId,
    input: CreatePrompt,
) -> Result<PromptVersion> {
    let name = PromptName::parse(&input.name).map_err(|e| invalid("name", e))?;
    let r#type = match input.r#type.as_deref() {
        None => PromptType::Text,
        Some(raw) => raw.parse().map_err(|e| invalid("type", e))?,
    };
    let content = PromptContent::parse(r#type, input.prompt).map_err(|e| invalid("prompt", e))?;
    // As in Langfuse, naming `latest` on create is harmless: every new version gets it anyway.
    let named: Vec<String> = input
        .labels
        .into_iter()
        .filter(|label| label != prompt::LATEST_LABEL)
        .collect();
    let labels = Label::parse_list(&named).map_err(|e| invalid("labels", e))?;
    if let Some(message) = &input.commit_message
        && message.chars().count() > COMMIT_MESSAGE_MAX_CHARS
    {
        return Err(invalid(
            "commitMessage",
            format!("must be at most {COMMIT_MESSAGE_MAX_CHARS} characters"),
        ));
    }
    let latest = store
        .metadata()
        .prompt_version(
            project,
            name.as_str(),
            &PromptSelector::Label(prompt::LATEST_LABEL.into()),
        )
        .await?;
    if let Some(latest) = &latest
        && latest.r#type != r#type
    {
        return Err(PromptError::Invalid(
            "Previous versions have different prompt type. Create a new prompt with a different name."
                .into(),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let root = PromptNode {
        id: id.clone(),
        name: name.as_str().to_owned(),
        version: latest.as_ref().map_or(1, |latest| latest.version + 1),
        r#type,
        prompt: content.prompt.clone(),
    };
    resolve_node(store, project, &root)
        .await?
        .map_err(|e| PromptError::Invalid(e.to_string()))?;
    let new = NewPromptVersion {
        id,
        project_id: project.clone(),
        name: name.as_str().to_owned(),
        r#type,
        prompt: content.prompt,
        config: input
            .config
            .filter(|config| !config.is_null())
            .unwrap_or_else(|| json!({})),
        labels: labels.into_iter().map(Label::into_string).collect(),
        tags: input.tags,
        commit_message: input.commit_message,
        created_by: input.created_by,
        created_at: now_ms(),
    };
    let created = store
        .metadata()
        .create_prompt_version(&new)
        .await
        .map_err(|error| match error {
            // A type changed or a version taken by a concurrent write: Langfuse answers 400.
            StoreError::Conflict(message) => PromptError::Invalid(message),
            other => PromptError::Store(other),
        });
    cache.invalidate(project);
    created
}

/// Which version a fetch asks for: `version` or `label` (not both), else `production`.
pub fn selector(version: Option<i64>, label: Option<String>) -> Result<PromptSelector> {
    match (version, label) {
        (Some(_), Some(_)) => Err(PromptError::Invalid(
            "Cannot specify both version and label".into(),
        )),
        (Some(version), None) => Ok(PromptSelector::Version(version)),
        (None, Some(label)) => Ok(PromptSelector::Label(label)),
        (None, None) => Ok(PromptSelector::Label(PRODUCTION_LABEL.into())),
    }
}

fn not_found(name: &str, selector: &PromptSelector) -> PromptError {
    PromptError::NotFound(match selector {
        PromptSelector::Version(version) => {
            format!("Prompt not found: '{name}' with version {version}")
        }
        PromptSelector::Label(label) => format!("Prompt not found: '{name}' with label '{label}'"),
    })
}

/// The JSON of `GET /v2/prompts/{name}`: the version with its references resolved (from the
/// cache when it is current) or, with `resolve` false, as stored.
pub async fn fetch_prompt(
    store: &Store,
    cache: &PromptCache,
    project: &ProjectId,
    name: &str,
    selector: PromptSelector,
    resolve: bool,
) -> Result<Bytes> {
    if !resolve {
        let version = store
            .metadata()
            .prompt_version(project, name, &selector)
            .await?
            .ok_or_else(|| not_found(name, &selector))?;
        return Ok(to_bytes(&views::prompt_fetched(
            &version,
            &version.prompt,
            None,
        )));
    }
    let counter = cache.counter(store, project).await?;
    let key = CacheKey {
        project: project.clone(),
        name: name.to_owned(),
        selector,
    };
    let body = match cache.get(&key, counter) {
        Some(body) => body,
        None => {
            let body = match store
                .metadata()
                .prompt_version(project, name, &key.selector)
                .await?
            {
                None => None,
                Some(version) => {
                    let resolved = resolve_version(store, project, &version).await?;
                    Some(to_bytes(&views::prompt_fetched(
                        &version,
                        &resolved.prompt,
                        resolved.graph.as_ref(),
                    )))
                }
            };
            cache.put(key.clone(), counter, body.clone());
            body
        }
    };
    body.ok_or_else(|| not_found(name, &key.selector))
}

fn to_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("JSON values serialize"))
}

/// Adds labels to a version (`PATCH /v2/prompts/{name}/versions/{version}`), moving each from
/// the version that held it.
pub async fn add_labels(
    store: &Store,
    cache: &PromptCache,
    project: &ProjectId,
    name: &str,
    version: i64,
    new_labels: &[String],
) -> Result<PromptVersion> {
    let labels = Label::parse_list(new_labels).map_err(|e| invalid("newLabels", e))?;
    let labels: Vec<String> = labels.into_iter().map(Label::into_string).collect();
    let updated = store
        .metadata()
        .add_prompt_labels(project, name, version, &labels)
        .await;
    cache.invalidate(project);
    updated?.ok_or_else(|| {
        PromptError::NotFound(format!(
            "Prompt '{name}' version {version} not found in project"
        ))
    })
}

/// Takes labels off a version; `latest` cannot be taken off (it follows the newest version).
pub async fn remove_labels(
    store: &Store,
    cache: &PromptCache,
    project: &ProjectId,
    name: &str,
    version: i64,
    labels: &[String],
) -> Result<PromptVersion> {
    if labels.iter().any(|label| label == prompt::LATEST_LABEL) {
        return Err(PromptError::Invalid(
            "The latest label always marks the newest version and cannot be removed".into(),
        ));
    }
    let updated = store
        .metadata()
        .remove_prompt_labels(project, name, version, labels)
        .await;
    cache.invalidate(project);
    updated?.ok_or_else(|| {
        PromptError::NotFound(format!(
            "Prompt '{name}' version {version} not found in project"
        ))
    })
}

/// What a new version would hold, checked as [`create_prompt`] checks it but not stored: the
/// content, its `{{variables}}` and placeholders, and the content with its composition
/// references resolved (an error names a reference that does not resolve).
#[derive(Debug, Clone)]
pub struct Preview {
    pub content: PromptContent,
    pub variables: Vec<String>,
    pub placeholders: Vec<String>,
    pub resolved: std::result::Result<Value, String>,
}

pub async fn preview(
    store: &Store,
    project: &ProjectId,
    name: &str,
    r#type: PromptType,
    prompt: Value,
) -> Result<Preview> {
    let content = PromptContent::parse(r#type, prompt).map_err(|e| invalid("prompt", e))?;
    let root = PromptNode {
        id: String::new(),
        name: name.to_owned(),
        version: 0,
        r#type,
        prompt: content.prompt.clone(),
    };
    let resolved = resolve_node(store, project, &root)
        .await?
        .map(|resolved| resolved.prompt)
        .map_err(|error| error.to_string());
    let resolved_content = resolved
        .as_ref()
        .ok()
        .and_then(|prompt| PromptContent::parse(r#type, prompt.clone()).ok())
        .unwrap_or_else(|| content.clone());
    Ok(Preview {
        variables: resolved_content.variables(),
        placeholders: resolved_content.placeholders(),
        content,
        resolved,
    })
}

/// Deletes every version of a prompt, or the one a version or label names.
pub async fn delete_prompt(
    store: &Store,
    cache: &PromptCache,
    project: &ProjectId,
    name: &str,
    version: Option<i64>,
    label: Option<String>,
) -> Result<()> {
    let selector = match (version, label) {
        (Some(_), Some(_)) => {
            return Err(PromptError::Invalid(
                "Cannot specify both version and label".into(),
            ));
        }
        (Some(version), None) => Some(PromptSelector::Version(version)),
        (None, Some(label)) => Some(PromptSelector::Label(label)),
        (None, None) => None,
    };
    if let Some(message) = blocking_dependents(store, project, name, selector.as_ref()).await? {
        return Err(PromptError::Invalid(message));
    }
    let deleted = store
        .metadata()
        .delete_prompts(project, name, selector.as_ref())
        .await;
    cache.invalidate(project);
    if deleted? == 0 {
        return Err(PromptError::NotFound("Prompt not found".into()));
    }
    Ok(())
}

/// Replaces the project's protected labels (`latest` may be protected too).
pub async fn set_protected_labels(
    store: &Store,
    project: &ProjectId,
    labels: &[String],
) -> Result<Vec<String>> {
    let mut valid = Vec::with_capacity(labels.len());
    for raw in labels {
        let label = Label::parse_any(raw).map_err(|e| invalid("labels", e))?;
        if !valid.contains(&label) {
            valid.push(label);
        }
    }
    let valid: Vec<String> = valid.into_iter().map(Label::into_string).collect();
    store
        .metadata()
        .set_protected_prompt_labels(project, &valid)
        .await?;
    Ok(store.metadata().protected_prompt_labels(project).await?)
}

/// The labels among `labels` that a user with `role` may not set or remove on this project
/// (protected ones, unless OWNER or ADMIN; all of them for roles without `prompts:CUD`).
pub async fn labels_denied_to(
    store: &Store,
    project: &ProjectId,
    role: sightline_domain::Role,
    labels: &[String],
) -> Result<Vec<String>> {
    let protected = store.metadata().protected_prompt_labels(project).await?;
    Ok(labels
        .iter()
        .filter(|label| !can_change_label(role, label, &protected))
        .cloned()
        .collect())
}

/// The id of the prompt version each observation names (`None` when it names none or one that
/// does not exist), with one store query for all of them.
pub async fn prompt_ids_of(
    store: &Store,
    project: &ProjectId,
    observations: &[StoredObservation],
) -> std::result::Result<Vec<Option<String>>, StoreError> {
    let mut names: Vec<String> = observations
        .iter()
        .filter(|o| o.row.prompt_version.is_some())
        .filter_map(|o| o.row.prompt_name.clone())
        .collect();
    if names.is_empty() {
        return Ok(vec![None; observations.len()]);
    }
    names.sort();
    names.dedup();
    let ids: HashMap<(String, i64), String> = store
        .metadata()
        .prompt_ids(project, &names)
        .await?
        .into_iter()
        .map(|(name, version, id)| ((name, version), id))
        .collect();
    Ok(observations
        .iter()
        .map(
            |observation| match (&observation.row.prompt_name, observation.row.prompt_version) {
                (Some(name), Some(version)) => ids.get(&(name.clone(), version)).cloned(),
                _ => None,
            },
        )
        .collect())
}

/// Sets `promptId` in observation views whose observation names a prompt version that exists.
/// `views[i]` is the view of `observations[i]`; views without a `promptId` field (field groups
/// that leave it out) are left alone.
pub async fn link_prompt_ids(
    store: &Store,
    project: &ProjectId,
    observations: &[StoredObservation],
    views: &mut [Value],
) -> std::result::Result<(), StoreError> {
    let ids = prompt_ids_of(store, project, observations).await?;
    for (id, view) in ids.into_iter().zip(views.iter_mut()) {
        if let (Some(id), Some(field)) = (id, view.get_mut("promptId")) {
            *field = json!(id);
        }
    }
    Ok(())
}
