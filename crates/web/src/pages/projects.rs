//! Project settings: name and retention (ADMIN and up), and deletion (OWNER), confirmed by
//! typing the project's name.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sightline_domain::ProjectScope;
use sightline_server::services::identity;

use crate::error::{WebError, WebResult};
use crate::pages::{Form, non_empty, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs};

#[derive(Template)]
#[template(path = "project_settings.html")]
struct ProjectSettingsPage {
    layout: Layout,
    access: ProjectAccess,
    tabs: SettingsTabs,
    retention: String,
    can_update: bool,
    can_delete: bool,
    error: Option<String>,
    saved: bool,
}

async fn settings_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    status: StatusCode,
    error: Option<String>,
    saved: bool,
) -> WebResult<Response> {
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "settings").await?;
    render(
        status,
        &ProjectSettingsPage {
            layout,
            tabs: SettingsTabs::of(&access),
            retention: access
                .project
                .retention_days
                .map(|days| days.to_string())
                .unwrap_or_default(),
            can_update: access.can(ProjectScope::ProjectUpdate),
            can_delete: access.can(ProjectScope::ProjectDelete),
            access,
            error,
            saved,
        },
    )
}

pub async fn get_project_settings(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    settings_page(
        &state,
        &signed_in,
        &csrf,
        access,
        StatusCode::OK,
        None,
        false,
    )
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    name: String,
    /// Days; empty for none. Data older than that is deleted daily (`services/retention.rs`).
    #[serde(default)]
    retention_days: Option<String>,
}

fn parse_retention(raw: Option<&str>) -> Result<Option<i64>, String> {
    match non_empty(raw) {
        None => Ok(None),
        Some(raw) => match raw.parse::<i64>() {
            Ok(0) => Ok(None),
            Ok(days) if days >= 3 => Ok(Some(days)),
            _ => Err("Retention must be empty (none) or at least 3 days.".into()),
        },
    }
}

pub async fn post_project_settings(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<SettingsForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectUpdate,
    )
    .await?;
    let name = form.name.trim();
    let retention = parse_retention(form.retention_days.as_deref());
    let problem = match (&retention, name.is_empty()) {
        (_, true) => Some("The name must not be empty.".to_owned()),
        (Err(message), _) => Some(message.clone()),
        _ => None,
    };
    if let Some(message) = problem {
        return settings_page(
            &state,
            &signed_in,
            &csrf,
            access,
            StatusCode::BAD_REQUEST,
            Some(message),
            false,
        )
        .await;
    }
    let retention = retention.unwrap_or_default();
    if !state
        .store()
        .metadata()
        .update_project(&access.project.id, name, retention)
        .await?
    {
        return Err(WebError::NotFound);
    }
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    settings_page(
        &state,
        &signed_in,
        &csrf,
        access,
        StatusCode::OK,
        None,
        true,
    )
    .await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm_name: String,
}

pub async fn post_project_delete(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<DeleteForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectDelete,
    )
    .await?;
    if form.confirm_name != access.project.name {
        return settings_page(
            &state,
            &signed_in,
            &csrf,
            access,
            StatusCode::BAD_REQUEST,
            Some("Type the project's name exactly to delete it.".into()),
            false,
        )
        .await;
    }
    identity::delete_project(state.store(), &access.project.id).await?;
    tracing::info!(project.id = %access.project.id, user.id = %signed_in.user.id, "project deleted");
    Ok(see_other(&urls::organization(&access.org.id)))
}

#[cfg(test)]
mod tests {
    use super::parse_retention;

    #[test]
    fn retention_is_empty_zero_or_at_least_three_days() {
        assert_eq!(parse_retention(None), Ok(None));
        assert_eq!(parse_retention(Some(" ")), Ok(None));
        assert_eq!(parse_retention(Some("0")), Ok(None));
        assert_eq!(parse_retention(Some("30")), Ok(Some(30)));
        assert!(parse_retention(Some("2")).is_err());
        assert!(parse_retention(Some("x")).is_err());
    }
}
