//! Prompts: the list (folders from names with `/`, search), a prompt's page (its versions, the
//! selected version's content, config, labels, tags, commit message and author, usage by linked
//! generations), moving and removing labels (protected labels only by ADMIN and OWNER), and
//! deleting or duplicating versions. The editor is `prompt_editor.rs`, the diff
//! `prompt_diff.rs`. Every change goes through `services::prompts`, as the API's do. Reading is
//! `prompts:read` (VIEWER), changing `prompts:CUD` (MEMBER).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use sightline_domain::prompt;
use sightline_domain::time::Millis;
use sightline_domain::{ProjectScope, UserId};
use sightline_server::services::prompts::{self as service, CreatePrompt, PromptError};
use sightline_store::{PromptListQuery, PromptSummary, PromptVersion, Store};

use crate::error::{WebError, WebResult};
use crate::pages::listing::{self, ListParams};
use crate::pages::payload::pretty;
use crate::pages::{Fields, page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

/// Prompts a list page shows.
const LIST_PAGE_SIZE: usize = 50;
/// Names read per store page while the list is built.
const STORE_PAGE: u64 = 500;

impl From<PromptError> for WebError {
    fn from(error: PromptError) -> Self {
        match error {
            PromptError::NotFound(_) => WebError::NotFound,
            PromptError::Store(error) => error.into(),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

/// The URL of the prompts list.
pub fn prompts_url(project: &sightline_domain::ProjectId) -> String {
    urls::project_section(project, "prompts")
}

/// The URL of a prompt's page. Names that equal a fixed path of the list (`new`, `preview`)
/// get their first character percent-encoded, so the route of the prompt matches, not the
/// fixed one.
pub fn prompt_url(project: &sightline_domain::ProjectId, name: &str) -> String {
    let segment = match name {
        "new" | "preview" => format!("%{:02X}{}", name.as_bytes()[0], &name[1..]),
        _ => urls::segment(name),
    };
    format!("{}/{segment}", prompts_url(project))
}

pub fn version_url(project: &sightline_domain::ProjectId, name: &str, version: i64) -> String {
    format!("{}?version={version}", prompt_url(project, name))
}

/// A row of the list: a folder or a prompt.
pub struct ListRow {
    pub folder: bool,
    /// The last part of the name (the folder's name for a folder).
    pub label: String,
    pub full_name: String,
    pub href: String,
    pub r#type: &'static str,
    pub latest_version: i64,
    /// Prompts inside, for a folder.
    pub count: usize,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    /// The last change (the newest inside, for a folder).
    pub updated_at: Millis,
}

impl ListRow {
    pub fn updated(&self) -> TimeView {
        time(self.updated_at)
    }
}

#[derive(Template)]
#[template(path = "prompts.html")]
struct PromptsPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<ListRow>,
    /// (name, href) from the root to the current folder.
    crumbs: Vec<(String, String)>,
    search: String,
    list_url: String,
    new_url: String,
    can_edit: bool,
    pager: listing::Pager,
}

/// Every prompt name of the project with its versions, labels and tags.
async fn all_prompts(store: &Store, access: &ProjectAccess) -> WebResult<Vec<PromptSummary>> {
    let mut all = Vec::new();
    loop {
        let query = PromptListQuery {
            limit: STORE_PAGE,
            offset: all.len() as u64,
            ..PromptListQuery::default()
        };
        let (page, total) = store
            .metadata()
            .list_prompts(&access.project.id, &query)
            .await?;
        let done = page.is_empty() || all.len() + page.len() >= total as usize;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// The rows of `folder` (`""` is the root): its prompts, and one row per sub-folder. With a
/// search, every prompt whose name holds it (any case), without folders.
fn list_rows(
    project: &sightline_domain::ProjectId,
    prompts: &[PromptSummary],
    folder: &str,
    search: &str,
) -> Vec<ListRow> {
    let needle = search.to_lowercase();
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut rows: Vec<ListRow> = Vec::new();
    for summary in prompts {
        let prompt_row = |label: &str| ListRow {
            folder: false,
            label: label.to_owned(),
            full_name: summary.name.clone(),
            href: prompt_url(project, &summary.name),
            r#type: summary.r#type.as_str(),
            latest_version: summary.versions.iter().copied().max().unwrap_or_default(),
            count: 0,
            labels: summary.labels.clone(),
            tags: summary.tags.clone(),
            updated_at: summary.last_updated_at,
        };
        if !needle.is_empty() {
            if summary.name.to_lowercase().contains(&needle) {
                rows.push(prompt_row(&summary.name));
            }
            continue;
        }
        let Some(rest) = summary.name.strip_prefix(&prefix) else {
            continue;
        };
        match rest.split_once('/') {
            None => rows.push(prompt_row(rest)),
            Some((sub, _)) => {
                let path = format!("{prefix}{sub}");
                match rows
                    .iter_mut()
                    .find(|row| row.folder && row.full_name == path)
                {
                    Some(row) => {
                        row.count += 1;
                        row.updated_at = row.updated_at.max(summary.last_updated_at);
                    }
                    None => rows.push(ListRow {
                        folder: true,
                        label: sub.to_owned(),
                        href: format!("{}?folder={}", prompts_url(project), urls::segment(&path)),
                        full_name: path,
                        r#type: "",
                        latest_version: 0,
                        count: 1,
                        labels: Vec::new(),
                        tags: Vec::new(),
                        updated_at: summary.last_updated_at,
                    }),
                }
            }
        }
    }
    // Folders first, each group by name (the store sorts prompts by name already).
    rows.sort_by(|a, b| b.folder.cmp(&a.folder).then(a.label.cmp(&b.label)));
    rows
}

/// The links from the root to `folder`.
fn crumbs(project: &sightline_domain::ProjectId, folder: &str) -> Vec<(String, String)> {
    let mut crumbs = vec![("Prompts".to_owned(), prompts_url(project))];
    let mut path = String::new();
    for part in folder.split('/').filter(|part| !part.is_empty()) {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
        crumbs.push((
            part.to_owned(),
            format!("{}?folder={}", prompts_url(project), urls::segment(&path)),
        ));
    }
    crumbs
}

/// `GET …/prompts`: `?folder=` a folder, `?q=` a search over names, `?page=`.
pub async fn get_prompts(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    params: ListParams,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::PromptsRead,
    )
    .await?;
    let prompts = all_prompts(state.store(), &access).await?;
    let folder = params.text("folder").unwrap_or_default();
    let folder = folder.trim_matches('/').to_owned();
    let search = params.text("q").unwrap_or_default();
    let rows = list_rows(&access.project.id, &prompts, &folder, &search);
    let list_url = prompts_url(&access.project.id);
    let pager = listing::Pager::new(&list_url, &params, rows.len() as u64);
    let rows = rows
        .into_iter()
        .skip(params.offset() as usize)
        .take(LIST_PAGE_SIZE)
        .collect();
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, "prompts").await?;
    page(&PromptsPage {
        layout,
        rows,
        crumbs: crumbs(&access.project.id, &folder),
        new_url: format!("{list_url}/new"),
        list_url,
        search,
        can_edit: access.can(ProjectScope::PromptsCud),
        pager,
        access,
    })
}

/// A chat message or placeholder as the page shows it.
pub struct MessageView {
    pub role: String,
    pub content: String,
    pub placeholder: bool,
}

/// A version's content: a text, or chat messages.
pub struct ContentView {
    pub text: Option<String>,
    pub messages: Vec<MessageView>,
}

pub fn content_view(prompt: &Value) -> ContentView {
    match prompt {
        Value::String(text) => ContentView {
            text: Some(text.clone()),
            messages: Vec::new(),
        },
        Value::Array(items) => ContentView {
            text: None,
            messages: items.iter().map(message_view).collect(),
        },
        other => ContentView {
            text: Some(pretty(other)),
            messages: Vec::new(),
        },
    }
}

fn message_view(item: &Value) -> MessageView {
    let field = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or_default();
    if field("type") == "placeholder" {
        return MessageView {
            role: "placeholder".into(),
            content: field("name").to_owned(),
            placeholder: true,
        };
    }
    MessageView {
        role: field("role").to_owned(),
        content: match item.get("content") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => pretty(other),
            None => String::new(),
        },
        placeholder: false,
    }
}

/// A label on the selected version.
pub struct LabelView {
    pub name: String,
    pub protected: bool,
    /// Whether this user may take it off (never `latest`).
    pub removable: bool,
}

/// A version in the list of versions.
pub struct VersionRow {
    pub version: i64,
    pub labels: Vec<String>,
    pub commit_message: String,
    pub author: String,
    pub created: TimeView,
    pub href: String,
    pub current: bool,
}

/// Per-version usage by linked generations.
pub struct UsageRow {
    pub version: i64,
    pub generations: u64,
    pub generations_href: String,
    pub median_latency: String,
    pub input_tokens: String,
    pub output_tokens: String,
    pub cost: String,
    /// "name: average (count)".
    pub scores: Vec<String>,
}

#[derive(Template)]
#[template(path = "prompt.html")]
struct PromptPage {
    layout: Layout,
    access: ProjectAccess,
    name: String,
    r#type: &'static str,
    tags: Vec<String>,
    versions: Vec<VersionRow>,
    selected: i64,
    content: ContentView,
    /// The content with its composition references resolved, when it has any.
    resolved: Option<Result<ContentView, String>>,
    variables: Vec<String>,
    placeholders: Vec<String>,
    config: String,
    labels: Vec<LabelView>,
    commit_message: String,
    author: String,
    created: TimeView,
    usage: Vec<UsageRow>,
    /// Labels any version holds, for the add-label suggestions.
    known_labels: Vec<String>,
    list_url: String,
    page_url: String,
    new_version_url: String,
    diff_url: String,
    /// "Open in playground" for the selected version, when the viewer may run the playground.
    playground_url: Option<String>,
    can_edit: bool,
    error: Option<String>,
}

/// Who created a version: `API`, or a user's email when the id is a user's.
async fn author(store: &Store, created_by: &str) -> WebResult<String> {
    let Ok(id) = UserId::parse(created_by) else {
        return Ok(created_by.to_owned());
    };
    Ok(store
        .metadata()
        .user(&id)
        .await?
        .map_or_else(|| created_by.to_owned(), |user| user.email.to_string()))
}

async fn versions_of(
    store: &Store,
    access: &ProjectAccess,
    name: &str,
) -> WebResult<Vec<PromptVersion>> {
    let versions = store
        .metadata()
        .prompt_versions(&access.project.id, name)
        .await?;
    if versions.is_empty() {
        return Err(WebError::NotFound);
    }
    Ok(versions)
}

/// The version `?version=` names, else the one labelled `production`, else the newest.
fn selected(versions: &[PromptVersion], wanted: Option<i64>) -> Option<&PromptVersion> {
    match wanted {
        Some(wanted) => versions.iter().find(|v| v.version == wanted),
        None => versions
            .iter()
            .find(|v| v.labels.iter().any(|l| l == prompt::PRODUCTION_LABEL))
            .or_else(|| versions.last()),
    }
}

fn usage_rows(
    project: &sightline_domain::ProjectId,
    name: &str,
    usage: Vec<sightline_store::PromptVersionUsage>,
) -> Vec<UsageRow> {
    let observations = urls::project_section(project, "observations");
    usage
        .into_iter()
        .rev()
        .map(|usage| UsageRow {
            version: usage.version,
            generations: usage.generations,
            generations_href: format!(
                "{observations}?type=ALL&range=all&prompt_name={}&prompt_version={}",
                urls::segment(name),
                usage.version
            ),
            median_latency: usage
                .median_latency_ms
                .map(|ms| listing::seconds(ms as i64))
                .unwrap_or_default(),
            input_tokens: listing::tokens(usage.input_tokens),
            output_tokens: listing::tokens(usage.output_tokens),
            cost: listing::cost(usage.total_cost),
            scores: usage
                .scores
                .iter()
                .map(|s| format!("{}: {:.2} ({})", s.name, s.average, s.count))
                .collect(),
        })
        .collect()
}

async fn prompt_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    name: &str,
    wanted: Option<i64>,
    error: Option<String>,
) -> WebResult<Response> {
    let store = state.store();
    let versions = versions_of(store, &access, name).await?;
    let version = selected(&versions, wanted)
        .ok_or(WebError::NotFound)?
        .clone();
    let protected = store
        .metadata()
        .protected_prompt_labels(&access.project.id)
        .await?;
    let can_edit = access.can(ProjectScope::PromptsCud);
    let labels = version
        .labels
        .iter()
        .map(|label| LabelView {
            name: label.clone(),
            protected: protected.contains(label),
            removable: can_edit
                && label != prompt::LATEST_LABEL
                && service::can_change_label(access.role, label, &protected),
        })
        .collect();
    let resolved = if prompt::dependency_refs(&version.prompt).is_empty() {
        None
    } else {
        Some(
            service::resolve_version(store, &access.project.id, &version)
                .await
                .map(|resolved| content_view(&resolved.prompt))
                .map_err(|error| error.to_string()),
        )
    };
    let content = sightline_domain::prompt::PromptContent {
        r#type: version.r#type,
        prompt: version.prompt.clone(),
    };
    let mut rows = Vec::with_capacity(versions.len());
    let mut known_labels: Vec<String> = Vec::new();
    for stored in versions.iter().rev() {
        for label in &stored.labels {
            if !known_labels.contains(label) && label != prompt::LATEST_LABEL {
                known_labels.push(label.clone());
            }
        }
        rows.push(VersionRow {
            version: stored.version,
            labels: stored.labels.clone(),
            commit_message: stored.commit_message.clone().unwrap_or_default(),
            author: author(store, &stored.created_by).await?,
            created: time(stored.created_at),
            href: version_url(&access.project.id, name, stored.version),
            current: stored.version == version.version,
        });
    }
    if !known_labels.iter().any(|l| l == prompt::PRODUCTION_LABEL) {
        known_labels.insert(0, prompt::PRODUCTION_LABEL.into());
    }
    let usage = service::prompt_usage(store, &access.project.id, name).await?;
    let page_url = prompt_url(&access.project.id, name);
    let previous = versions
        .iter()
        .rev()
        .find(|v| v.version < version.version)
        .map_or(version.version, |v| v.version);
    let layout = Layout::for_project(store, signed_in, csrf, &access.project, "prompts").await?;
    page(&PromptPage {
        layout,
        name: name.to_owned(),
        r#type: version.r#type.as_str(),
        tags: version.tags.clone(),
        selected: version.version,
        content: content_view(&version.prompt),
        resolved,
        variables: content.variables(),
        placeholders: content.placeholders(),
        config: pretty(&version.config),
        labels,
        commit_message: version.commit_message.clone().unwrap_or_default(),
        author: author(store, &version.created_by).await?,
        created: time(version.created_at),
        usage: usage_rows(&access.project.id, name, usage),
        versions: rows,
        known_labels,
        new_version_url: format!(
            "{}/new?name={}&version={}",
            prompts_url(&access.project.id),
            urls::segment(name),
            version.version
        ),
        diff_url: format!("{page_url}/diff?a={previous}&b={}", version.version),
        playground_url: access.can(ProjectScope::PlaygroundExecute).then(|| {
            format!(
                "{}?prompt={}&version={}",
                urls::project_section(&access.project.id, "playground"),
                urls::segment(name),
                version.version
            )
        }),
        list_url: prompts_url(&access.project.id),
        page_url,
        can_edit,
        error,
        access,
    })
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

/// `GET …/prompts/{name}`: `?version=` selects a version (default: `production`, else the
/// newest).
pub async fn get_prompt(
    State(state): State<WebState>,
    Path((project_id, name)): Path<(String, String)>,
    Query(query): Query<VersionQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::PromptsRead,
    )
    .await?;
    prompt_page(
        &state,
        &signed_in,
        &csrf,
        access,
        &name,
        query.version,
        None,
    )
    .await
}

/// The page again with `error`, as a 400, for a change that was refused.
async fn refused(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    name: &str,
    version: Option<i64>,
    error: String,
) -> WebResult<Response> {
    let mut response =
        prompt_page(state, signed_in, csrf, access, name, version, Some(error)).await?;
    *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(response)
}

/// Checks that the user may set or take off `labels`; the refusal names the protected ones.
async fn check_labels(
    store: &Store,
    access: &ProjectAccess,
    labels: &[String],
) -> WebResult<Result<(), String>> {
    let denied = service::labels_denied_to(store, &access.project.id, access.role, labels).await?;
    if denied.is_empty() {
        return Ok(Ok(()));
    }
    Ok(Err(format!(
        "Only admins and owners can change the protected label{} {}",
        if denied.len() == 1 { "" } else { "s" },
        denied.join(", ")
    )))
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

/// `POST …/prompts/{name}/versions/{version}/labels`: puts `label` on the version, taking it
/// off the version that held it.
pub async fn post_add_label(
    State(state): State<WebState>,
    Path((project_id, name, version)): Path<(String, String, i64)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let label = fields.one("label").unwrap_or_default().trim().to_owned();
    let store = state.store();
    let outcome = match check_labels(store, &access, std::slice::from_ref(&label)).await? {
        Err(message) => Err(message),
        Ok(()) => match service::add_labels(
            store,
            state.app().prompts(),
            &access.project.id,
            &name,
            version,
            std::slice::from_ref(&label),
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(PromptError::NotFound(_)) => return Err(WebError::NotFound),
            Err(PromptError::Store(error)) => return Err(error.into()),
            Err(other) => Err(other.to_string()),
        },
    };
    match outcome {
        Ok(()) => Ok(see_other(&version_url(&access.project.id, &name, version))),
        Err(message) => {
            refused(
                &state,
                &signed_in,
                &csrf,
                access,
                &name,
                Some(version),
                message,
            )
            .await
        }
    }
}

/// `POST …/prompts/{name}/versions/{version}/labels/remove`: takes `label` off the version.
pub async fn post_remove_label(
    State(state): State<WebState>,
    Path((project_id, name, version)): Path<(String, String, i64)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let label = fields.one("label").unwrap_or_default().trim().to_owned();
    let store = state.store();
    let outcome = match check_labels(store, &access, std::slice::from_ref(&label)).await? {
        Err(message) => Err(message),
        Ok(()) => match service::remove_labels(
            store,
            state.app().prompts(),
            &access.project.id,
            &name,
            version,
            std::slice::from_ref(&label),
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(PromptError::NotFound(_)) => return Err(WebError::NotFound),
            Err(PromptError::Store(error)) => return Err(error.into()),
            Err(other) => Err(other.to_string()),
        },
    };
    match outcome {
        Ok(()) => Ok(see_other(&version_url(&access.project.id, &name, version))),
        Err(message) => {
            refused(
                &state,
                &signed_in,
                &csrf,
                access,
                &name,
                Some(version),
                message,
            )
            .await
        }
    }
}

/// `POST …/prompts/{name}/versions/{version}/delete`: deletes one version, unless another
/// prompt depends on it (the API's check) or it holds a label the user may not change.
pub async fn post_delete_version(
    State(state): State<WebState>,
    Path((project_id, name, version)): Path<(String, String, i64)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let store = state.store();
    let versions = versions_of(store, &access, &name).await?;
    let held = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or(WebError::NotFound)?
        .labels
        .clone();
    let outcome = match check_labels(store, &access, &held).await? {
        Err(message) => Err(message),
        Ok(()) => delete(&state, &access, &name, Some(version)).await?,
    };
    match outcome {
        Ok(()) if versions.len() == 1 => Ok(see_other(&prompts_url(&access.project.id))),
        Ok(()) => Ok(see_other(&prompt_url(&access.project.id, &name))),
        Err(message) => {
            refused(
                &state,
                &signed_in,
                &csrf,
                access,
                &name,
                Some(version),
                message,
            )
            .await
        }
    }
}

/// `POST …/prompts/{name}/delete`: deletes every version, after the name is typed (`confirm`).
pub async fn post_delete_prompt(
    State(state): State<WebState>,
    Path((project_id, name)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let store = state.store();
    let versions = versions_of(store, &access, &name).await?;
    let held: Vec<String> = versions.iter().flat_map(|v| v.labels.clone()).collect();
    let outcome = if fields.one("confirm").map(str::trim) != Some(name.as_str()) {
        Err(format!("Type the prompt's name, {name}, to delete it"))
    } else {
        match check_labels(store, &access, &held).await? {
            Err(message) => Err(message),
            Ok(()) => delete(&state, &access, &name, None).await?,
        }
    };
    match outcome {
        Ok(()) => Ok(see_other(&prompts_url(&access.project.id))),
        Err(message) => refused(&state, &signed_in, &csrf, access, &name, None, message).await,
    }
}

/// Deletes through the service: `Err` carries the refusal (a dependent prompt) for the page.
async fn delete(
    state: &WebState,
    access: &ProjectAccess,
    name: &str,
    version: Option<i64>,
) -> WebResult<Result<(), String>> {
    match service::delete_prompt(
        state.store(),
        state.app().prompts(),
        &access.project.id,
        name,
        version,
        None,
    )
    .await
    {
        Ok(()) => Ok(Ok(())),
        Err(PromptError::NotFound(_)) => Err(WebError::NotFound),
        Err(PromptError::Store(error)) => Err(error.into()),
        Err(other) => Ok(Err(other.to_string())),
    }
}

/// `POST …/prompts/{name}/duplicate`: copies the selected version (`version`), or every
/// version with `all_versions`, to a new name (`new_name`). Labels a user may not set are
/// left off the copies.
pub async fn post_duplicate_prompt(
    State(state): State<WebState>,
    Path((project_id, name)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = editor_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let store = state.store();
    let versions = versions_of(store, &access, &name).await?;
    let wanted = fields.one("version").and_then(|v| v.trim().parse().ok());
    let new_name = fields.one("new_name").unwrap_or_default().trim().to_owned();
    let copies: Vec<PromptVersion> = if fields.one("all_versions").is_some() {
        versions.clone()
    } else {
        selected(&versions, wanted).into_iter().cloned().collect()
    };
    let outcome = duplicate(&state, &access, &signed_in, &new_name, copies).await?;
    match outcome {
        Ok(()) => Ok(see_other(&prompt_url(&access.project.id, &new_name))),
        Err(message) => refused(&state, &signed_in, &csrf, access, &name, wanted, message).await,
    }
}

async fn duplicate(
    state: &WebState,
    access: &ProjectAccess,
    signed_in: &SignedIn,
    new_name: &str,
    copies: Vec<PromptVersion>,
) -> WebResult<Result<(), String>> {
    let store = state.store();
    if new_name.is_empty() {
        return Ok(Err("Give the copy a name".into()));
    }
    let taken = store
        .metadata()
        .prompt_versions(&access.project.id, new_name)
        .await?;
    if !taken.is_empty() {
        return Ok(Err(format!("A prompt named {new_name} already exists")));
    }
    for copy in copies {
        let mut labels = Vec::new();
        for label in copy.labels.iter().filter(|l| *l != prompt::LATEST_LABEL) {
            if check_labels(store, access, std::slice::from_ref(label))
                .await?
                .is_ok()
            {
                labels.push(label.clone());
            }
        }
        let created = service::create_prompt(
            store,
            state.app().prompts(),
            &access.project.id,
            CreatePrompt {
                name: new_name.to_owned(),
                r#type: Some(copy.r#type.as_str().to_owned()),
                prompt: copy.prompt,
                config: Some(copy.config),
                labels,
                tags: Some(copy.tags),
                commit_message: copy.commit_message,
                created_by: signed_in.user.id.to_string(),
            },
        )
        .await;
        match created {
            Ok(_) => {}
            Err(PromptError::Store(error)) => return Err(error.into()),
            Err(other) => return Ok(Err(other.to_string())),
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_domain::ProjectId;
    use sightline_domain::prompt::PromptType;

    fn summary(name: &str, updated: i64) -> PromptSummary {
        PromptSummary {
            name: name.into(),
            r#type: PromptType::Text,
            versions: vec![1, 3, 2],
            labels: vec!["production".into()],
            tags: Vec::new(),
            last_updated_at: updated,
            last_config: Value::Null,
        }
    }

    #[test]
    fn folders_group_names_with_slashes() {
        let project = ProjectId::parse("p1").unwrap();
        let prompts = [
            summary("a/b/c", 1),
            summary("a/d", 5),
            summary("a/e/f", 2),
            summary("root", 3),
        ];
        let rows = list_rows(&project, &prompts, "", "");
        let shown: Vec<(bool, &str, usize)> = rows
            .iter()
            .map(|r| (r.folder, r.label.as_str(), r.count))
            .collect();
        assert_eq!(shown, [(true, "a", 3), (false, "root", 0)]);
        assert_eq!(rows[0].updated_at, 5, "the newest prompt inside");
        let rows = list_rows(&project, &prompts, "a", "");
        let shown: Vec<(bool, &str)> = rows.iter().map(|r| (r.folder, r.label.as_str())).collect();
        assert_eq!(shown, [(true, "b"), (true, "e"), (false, "d")]);
        assert_eq!(rows[2].latest_version, 3);
        assert_eq!(rows[2].href, "/ui/project/p1/prompts/a%2Fd");
        let found = list_rows(&project, &prompts, "", "E/F");
        assert_eq!(found.len(), 1, "search ignores folders and case");
        assert_eq!(found[0].label, "a/e/f");
    }

    #[test]
    fn reserved_names_still_reach_their_page() {
        let project = ProjectId::parse("p1").unwrap();
        assert_eq!(prompt_url(&project, "new"), "/ui/project/p1/prompts/%6Eew");
        assert_eq!(prompt_url(&project, "news"), "/ui/project/p1/prompts/news");
    }
}
