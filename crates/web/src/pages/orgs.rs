//! Organizations: the list of the user's organizations (and creating one), an organization's
//! overview with its projects, and renaming it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sightline_domain::{OrgScope, Role};
use sightline_server::services::identity;

use crate::error::{WebError, WebResult};
use crate::pages::{Form, render, see_other};
use crate::rbac::{self, Need, OrgAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, Link};

#[derive(Template)]
#[template(path = "organizations.html")]
struct OrganizationsPage {
    layout: Layout,
    orgs: Vec<(Link, Role)>,
    error: Option<String>,
}

async fn organizations_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    status: StatusCode,
    error: Option<String>,
) -> WebResult<Response> {
    let orgs = state
        .store()
        .metadata()
        .organizations_of_user(&signed_in.user.id)
        .await?
        .into_iter()
        .map(|(org, role)| {
            let link = Link {
                href: urls::organization(&org.id),
                name: org.name,
                current: false,
            };
            (link, role)
        })
        .collect();
    render(
        status,
        &OrganizationsPage {
            layout: Layout::signed_in(state.store(), signed_in, csrf, None, None).await?,
            orgs,
            error,
        },
    )
}

pub async fn get_organizations(
    State(state): State<WebState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    organizations_page(&state, &signed_in, &csrf, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

/// Any signed-in user may create an organization; they become its owner.
pub async fn post_organization(
    State(state): State<WebState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<NameForm>,
) -> WebResult<Response> {
    match identity::create_organization(state.store(), None, &form.name).await {
        Ok(org) => {
            state
                .store()
                .metadata()
                .set_org_role(&org.id, &signed_in.user.id, Role::Owner)
                .await?;
            Ok(see_other(&urls::organization(&org.id)))
        }
        Err(identity::IdentityError::Invalid(message)) => {
            organizations_page(
                &state,
                &signed_in,
                &csrf,
                StatusCode::BAD_REQUEST,
                Some(message),
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationPage {
    layout: Layout,
    access: OrgAccess,
    projects: Vec<(Link, Role)>,
    org_url: String,
    members_url: String,
    can_create_projects: bool,
    can_rename: bool,
    can_delete: bool,
    can_read_members: bool,
    /// Organization API keys (OWNER: `organization:CRUD_apiKeys`), for the admin API.
    can_manage_keys: bool,
    keys: Vec<OrgKeyRow>,
    /// A key pair just created: its public and secret key, shown once.
    created_key: Option<(String, String)>,
    error: Option<String>,
}

pub struct OrgKeyRow {
    pub public_key: String,
    pub display_secret_key: String,
    pub note: String,
    pub created: crate::views::TimeView,
    pub delete_url: String,
}

async fn organization_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: OrgAccess,
    status: StatusCode,
    error: Option<String>,
) -> WebResult<Response> {
    organization_page_with(state, signed_in, csrf, access, status, error, None).await
}

async fn organization_page_with(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: OrgAccess,
    status: StatusCode,
    error: Option<String>,
    created_key: Option<(String, String)>,
) -> WebResult<Response> {
    let store = state.store();
    let can_manage_keys = access.can(OrgScope::ApiKeysCrud);
    let keys = if can_manage_keys {
        store
            .metadata()
            .list_org_api_keys(&access.org.id)
            .await?
            .into_iter()
            .map(|key| OrgKeyRow {
                delete_url: format!(
                    "{}/api-keys/{}/delete",
                    urls::organization(&access.org.id),
                    urls::segment(&key.id)
                ),
                public_key: key.public_key,
                display_secret_key: key.display_secret_key,
                note: key.note.unwrap_or_default(),
                created: crate::views::time(key.created_at),
            })
            .collect()
    } else {
        Vec::new()
    };
    let projects = rbac::readable_projects(store, &signed_in.user, &access.org.id)
        .await?
        .into_iter()
        .map(|(project, role)| {
            let link = Link {
                href: urls::project(&project.id),
                name: project.name,
                current: false,
            };
            (link, role)
        })
        .collect();
    let layout = Layout::signed_in(store, signed_in, csrf, Some(&access.org.id), None)
        .await?
        .with_org_sections(
            &access.org.id,
            "projects",
            access.can(OrgScope::MembersRead),
            access.can(OrgScope::AuditLogsRead),
        );
    render(
        status,
        &OrganizationPage {
            layout,
            projects,
            org_url: urls::organization(&access.org.id),
            members_url: urls::org_members(&access.org.id),
            can_create_projects: access.can(OrgScope::ProjectsCreate),
            can_rename: access.can(OrgScope::Update),
            can_delete: access.can(OrgScope::Delete),
            can_read_members: access.can(OrgScope::MembersRead),
            can_manage_keys,
            keys,
            created_key,
            access,
            error,
        },
    )
}

pub async fn get_organization(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access =
        rbac::org_access(state.store(), &signed_in.user, &org_id, Need::OrgMembership).await?;
    organization_page(&state, &signed_in, &csrf, access, StatusCode::OK, None).await
}

pub async fn post_organization_name(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<NameForm>,
) -> WebResult<Response> {
    let access = rbac::org_access(
        state.store(),
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::Update),
    )
    .await?;
    let name = form.name.trim();
    if name.is_empty() {
        return organization_page(
            &state,
            &signed_in,
            &csrf,
            access,
            StatusCode::BAD_REQUEST,
            Some("The name must not be empty.".into()),
        )
        .await;
    }
    if !state
        .store()
        .metadata()
        .rename_organization(&access.org.id, name)
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(see_other(&urls::organization(&access.org.id)))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm_name: String,
}

/// Deleting an organization needs `organization:delete` (OWNER) and its name typed exactly; it
/// takes every project of the organization with it.
pub async fn post_organization_delete(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<DeleteForm>,
) -> WebResult<Response> {
    let access = rbac::org_access(
        state.store(),
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::Delete),
    )
    .await?;
    if form.confirm_name != access.org.name {
        return organization_page(
            &state,
            &signed_in,
            &csrf,
            access,
            StatusCode::BAD_REQUEST,
            Some("Type the organization's name exactly to delete it.".into()),
        )
        .await;
    }
    identity::delete_organization(state.store(), &access.org.id).await?;
    tracing::info!(org.id = %access.org.id, user.id = %signed_in.user.id, "organization deleted");
    Ok(see_other(urls::ORGANIZATIONS))
}

/// Creating a project in an organization needs `projects:create` (ADMIN and up).
pub async fn post_project(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<NameForm>,
) -> WebResult<Response> {
    let access = rbac::org_access(
        state.store(),
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::ProjectsCreate),
    )
    .await?;
    match identity::create_project(state.store(), &access.org.id, None, &form.name, None).await {
        Ok(project) => Ok(see_other(&urls::project(&project.id))),
        Err(identity::IdentityError::Invalid(message)) => {
            organization_page(
                &state,
                &signed_in,
                &csrf,
                access,
                StatusCode::BAD_REQUEST,
                Some(message),
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    note: String,
}

/// Creating an organization API key needs `organization:CRUD_apiKeys` (OWNER); the secret is
/// shown once, on the page this answers with.
pub async fn post_org_api_key(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<KeyForm>,
) -> WebResult<Response> {
    let access = rbac::org_access(
        state.store(),
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::ApiKeysCrud),
    )
    .await?;
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let (key, secret) =
        identity::create_org_api_key(state.store(), state.app().salt(), &access.org.id, note)
            .await?;
    tracing::info!(org.id = %access.org.id, user.id = %signed_in.user.id, "organization key created");
    organization_page_with(
        &state,
        &signed_in,
        &csrf,
        access,
        StatusCode::OK,
        None,
        Some((key.public_key, secret)),
    )
    .await
}

/// Deleting an organization API key needs `organization:CRUD_apiKeys` (OWNER).
pub async fn post_org_api_key_delete(
    State(state): State<WebState>,
    Path((org_id, key_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::org_access(
        state.store(),
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::ApiKeysCrud),
    )
    .await?;
    if !state
        .store()
        .metadata()
        .delete_org_api_key(&access.org.id, &key_id)
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(see_other(&urls::organization(&access.org.id)))
}
