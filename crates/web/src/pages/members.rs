//! An organization's members (MEMBER and up may see them; ADMIN and up manage): roles,
//! per-project overrides, removal, and invitations by email.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sightline_domain::{Email, OrgScope, ProjectId, Role, UserId};

use crate::accounts::{self, AccountError};
use crate::error::{WebError, WebResult};
use crate::pages::{Form, non_empty, render, see_other};
use crate::rbac::{self, Need, OrgAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::Layout;

pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// `project name: ROLE` of each override.
    pub overrides: Vec<String>,
    pub is_self: bool,
}

pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub project: String,
}

pub struct ProjectOption {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    access: OrgAccess,
    members_url: String,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    projects: Vec<ProjectOption>,
    roles: Vec<Role>,
    can_manage: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn members_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: OrgAccess,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> WebResult<Response> {
    let store = state.store();
    let projects = store.metadata().list_projects(Some(&access.org.id)).await?;
    let overrides = store
        .metadata()
        .project_role_overrides(&access.org.id)
        .await?;
    let project_name = |id: &ProjectId| {
        projects
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let members = store
        .metadata()
        .list_org_members(&access.org.id)
        .await?
        .into_iter()
        .map(|member| MemberRow {
            overrides: overrides
                .iter()
                .filter(|o| o.user_id == member.user.id)
                .map(|o| format!("{}: {}", project_name(&o.project_id), o.role))
                .collect(),
            is_self: member.user.id == signed_in.user.id,
            user_id: member.user.id.to_string(),
            email: member.user.email.to_string(),
            name: member.user.name.unwrap_or_default(),
            role: member.role,
        })
        .collect();
    let invitations = store
        .metadata()
        .list_invitations(&access.org.id)
        .await?
        .into_iter()
        .map(|invitation| InvitationRow {
            project: invitation
                .project
                .as_ref()
                .map(|(id, role)| format!("{}: {role}", project_name(id)))
                .unwrap_or_default(),
            id: invitation.id,
            email: invitation.email.to_string(),
            role: invitation.org_role,
        })
        .collect();
    let layout = Layout::signed_in(store, signed_in, csrf, Some(&access.org.id), None)
        .await?
        .with_org_sections(
            &access.org.id,
            "members",
            true,
            access.can(OrgScope::AuditLogsRead),
        );
    render(
        status,
        &MembersPage {
            layout,
            members_url: urls::org_members(&access.org.id),
            members,
            invitations,
            projects: projects
                .iter()
                .map(|p| ProjectOption {
                    id: p.id.to_string(),
                    name: p.name.clone(),
                })
                .collect(),
            roles: Role::ALL
                .into_iter()
                .filter(|role| role.rank() <= access.role.rank())
                .collect(),
            can_manage: access.can(OrgScope::MembersCud),
            access,
            error,
            notice,
        },
    )
}

pub async fn get_members(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::org_access(
        state.store(),
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::MembersRead),
    )
    .await?;
    members_page(
        &state,
        &signed_in,
        &csrf,
        access,
        StatusCode::OK,
        None,
        None,
    )
    .await
}

fn parse_role(raw: &str) -> WebResult<Role> {
    raw.parse()
        .map_err(|e: sightline_domain::InvalidRole| WebError::BadRequest(e.to_string()))
}

/// Answers a management action: back to the list, or the list with the error.
async fn finish(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: OrgAccess,
    result: Result<Option<String>, AccountError>,
) -> WebResult<Response> {
    match result {
        Ok(None) => Ok(see_other(&urls::org_members(&access.org.id))),
        Ok(Some(notice)) => {
            members_page(
                state,
                signed_in,
                csrf,
                access,
                StatusCode::OK,
                None,
                Some(notice),
            )
            .await
        }
        Err(AccountError::Invalid(message)) => {
            members_page(
                state,
                signed_in,
                csrf,
                access,
                StatusCode::BAD_REQUEST,
                Some(message),
                None,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

async fn manager(state: &WebState, signed_in: &SignedIn, org_id: &str) -> WebResult<OrgAccess> {
    rbac::org_access(
        state.store(),
        &signed_in.user,
        org_id,
        Need::Org(OrgScope::MembersCud),
    )
    .await
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    role: String,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    project_role: Option<String>,
}

pub async fn post_invitation(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<InviteForm>,
) -> WebResult<Response> {
    let access = manager(&state, &signed_in, &org_id).await?;
    let role = parse_role(&form.role)?;
    let project = match (
        non_empty(form.project_id.as_deref()),
        non_empty(form.project_role.as_deref()),
    ) {
        (Some(project), Some(project_role)) => Some((
            ProjectId::parse(project).map_err(|_| WebError::NotFound)?,
            parse_role(project_role)?,
        )),
        _ => None,
    };
    let result = match Email::parse(&form.email) {
        Err(error) => Err(AccountError::Invalid(error.to_string())),
        Ok(email) => accounts::invite(
            state.store(),
            &access,
            &signed_in.user,
            &email,
            role,
            project,
        )
        .await
        .map(|invited| {
            Some(match invited {
                accounts::Invited::Added => format!("{email} was added."),
                accounts::Invited::Pending => format!(
                    "{email} is invited: they join when they sign up or sign in with this address."
                ),
            })
        }),
    };
    finish(&state, &signed_in, &csrf, access, result).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn post_member_role(
    State(state): State<WebState>,
    Path((org_id, user_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<RoleForm>,
) -> WebResult<Response> {
    let access = manager(&state, &signed_in, &org_id).await?;
    let role = parse_role(&form.role)?;
    let target = UserId::parse(&user_id).map_err(|_| WebError::NotFound)?;
    let result = accounts::set_member_role(state.store(), &access, &target, role)
        .await
        .map(|()| None);
    finish(&state, &signed_in, &csrf, access, result).await
}

pub async fn post_member_remove(
    State(state): State<WebState>,
    Path((org_id, user_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = manager(&state, &signed_in, &org_id).await?;
    let target = UserId::parse(&user_id).map_err(|_| WebError::NotFound)?;
    let result = accounts::remove_member(state.store(), &access, &target)
        .await
        .map(|()| None);
    finish(&state, &signed_in, &csrf, access, result).await
}

#[derive(Deserialize)]
pub struct ProjectRoleForm {
    project_id: String,
    /// A role, or `INHERIT` to remove the override.
    role: String,
}

pub async fn post_member_project_role(
    State(state): State<WebState>,
    Path((org_id, user_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<ProjectRoleForm>,
) -> WebResult<Response> {
    let access = manager(&state, &signed_in, &org_id).await?;
    let target = UserId::parse(&user_id).map_err(|_| WebError::NotFound)?;
    let project = ProjectId::parse(&form.project_id).map_err(|_| WebError::NotFound)?;
    let role = match form.role.as_str() {
        "INHERIT" => None,
        raw => Some(parse_role(raw)?),
    };
    let result = accounts::set_project_role(state.store(), &access, &project, &target, role)
        .await
        .map(|()| None);
    finish(&state, &signed_in, &csrf, access, result).await
}

pub async fn post_invitation_delete(
    State(state): State<WebState>,
    Path((org_id, invitation_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = manager(&state, &signed_in, &org_id).await?;
    if !state
        .store()
        .metadata()
        .delete_invitation(&access.org.id, &invitation_id)
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(see_other(&urls::org_members(&access.org.id)))
}
