//! Protected prompt labels in the project settings: labels (such as `production`) that only
//! ADMIN and OWNER may set on or take off a version, in the UI. API keys are not bound by them,
//! as in Langfuse. Reading is `prompts:read`; changing the list is
//! `promptProtectedLabels:CUD` (ADMIN).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_server::services::prompts as service;

use crate::error::WebResult;
use crate::pages::{Fields, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs};

#[derive(Template)]
#[template(path = "protected_labels.html")]
struct ProtectedLabelsPage {
    layout: Layout,
    access: ProjectAccess,
    labels: Vec<String>,
    can_edit: bool,
    page_url: String,
    error: Option<String>,
    tabs: SettingsTabs,
}

fn page_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "settings/protected-labels")
}

async fn labels_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    error: Option<String>,
) -> WebResult<Response> {
    let labels = state
        .store()
        .metadata()
        .protected_prompt_labels(&access.project.id)
        .await?;
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "settings").await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ProtectedLabelsPage {
            layout,
            labels,
            can_edit: access.can(ProjectScope::PromptProtectedLabelsCud),
            page_url: page_url(&access),
            error,
            tabs: SettingsTabs::of(&access),
            access,
        },
    )
}

/// `GET …/settings/protected-labels`.
pub async fn get_protected_labels(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
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
    labels_page(&state, &signed_in, &csrf, access, None).await
}

/// `POST …/settings/protected-labels`: protects `label`; with `remove`, stops protecting it.
pub async fn post_protected_labels(
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
        ProjectScope::PromptProtectedLabelsCud,
    )
    .await?;
    let fields = Fields::parse(&body);
    let label = fields.one("label").unwrap_or_default().trim().to_owned();
    let mut labels = state
        .store()
        .metadata()
        .protected_prompt_labels(&access.project.id)
        .await?;
    if fields.one("remove").is_some() {
        labels.retain(|held| *held != label);
    } else {
        labels.push(label);
    }
    match service::set_protected_labels(state.store(), &access.project.id, &labels).await {
        Ok(_) => Ok(see_other(&page_url(&access))),
        Err(service::PromptError::Store(error)) => Err(error.into()),
        Err(other) => labels_page(&state, &signed_in, &csrf, access, Some(other.to_string())).await,
    }
}
