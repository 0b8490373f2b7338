//! The entry point (`/ui` goes to the user's first project) and a project's placeholder
//! sections (those without a page yet). A project's home is its traces table (`traces.rs`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use sightline_domain::ProjectScope;

use crate::error::{WebError, WebResult};
use crate::pages::{page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, MaybeSignedIn, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, PROJECT_SECTIONS};

/// `/` and `/ui`: the first project the user may read, else the organizations page; visitors go
/// to sign in.
pub async fn get_root(
    State(state): State<WebState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> WebResult<Response> {
    let Some(signed_in) = signed_in else {
        return Ok(see_other(urls::SIGN_IN));
    };
    let store = state.store();
    for (org, _) in store
        .metadata()
        .organizations_of_user(&signed_in.user.id)
        .await?
    {
        let projects = rbac::readable_projects(store, &signed_in.user, &org.id).await?;
        if let Some((project, _)) = projects.first() {
            return Ok(see_other(&urls::project(&project.id)));
        }
    }
    Ok(see_other(urls::ORGANIZATIONS))
}

#[derive(Template)]
#[template(path = "project_section.html")]
struct ProjectSectionPage {
    layout: Layout,
    access: ProjectAccess,
    title: &'static str,
}

/// Traces, Sessions, Users, Prompts, Datasets: placeholders with the project's navigation.
pub async fn get_project_section(
    State(state): State<WebState>,
    Path((project_id, section)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let (segment, title) = PROJECT_SECTIONS
        .iter()
        .find(|(segment, _)| *segment == section && *segment != "settings")
        .copied()
        .ok_or(WebError::NotFound)?;
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, segment).await?;
    page(&ProjectSectionPage {
        layout,
        access,
        title,
    })
}
