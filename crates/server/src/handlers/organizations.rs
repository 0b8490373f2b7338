//! The admin API for organization keys (wire-spec §5.4; the OpenAPI document's
//! `/api/public/organizations/*` and `/api/public/projects*` routes): the organization's
//! projects (create, rename, set retention, delete), their API keys, the organization's
//! members and keys. Project keys are refused with 403 and Langfuse's message; another
//! organization's projects are 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::time::to_iso;
use sightline_domain::{Email, ProjectId, Role, UserId};
use sightline_store::{NewProject, Project};

use crate::auth::{OrgAuth, OrgCaller};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json as JsonBody;
use crate::services::identity;
use crate::state::AppState;

fn metadata(project: &Project) -> Value {
    serde_json::from_str(&project.metadata).unwrap_or_else(|_| json!({}))
}

fn org_project_json(project: &Project) -> Value {
    let mut body = json!({
        "id": project.id,
        "name": project.name,
        "metadata": metadata(project),
        "createdAt": to_iso(project.created_at),
        "updatedAt": to_iso(project.created_at),
    });
    if let Some(days) = project.retention_days.filter(|d| *d > 0) {
        body["retentionDays"] = json!(days);
    }
    body
}

async fn project_json(state: &AppState, project: &Project) -> ApiResult<Value> {
    let org = state
        .store()
        .metadata()
        .organization(&project.org_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Organization not found".into()))?;
    let mut body = json!({
        "id": project.id,
        "name": project.name,
        "organization": {"id": org.id, "name": org.name},
        "metadata": metadata(project),
    });
    if let Some(days) = project.retention_days.filter(|d| *d > 0) {
        body["retentionDays"] = json!(days);
    }
    Ok(body)
}

/// The project, when it belongs to the caller's organization.
async fn own_project(state: &AppState, caller: &OrgCaller, id: &str) -> ApiResult<Project> {
    let not_found = || ApiError::NotFound("Project not found".into());
    let id = ProjectId::parse(id).map_err(|_| not_found())?;
    state
        .store()
        .metadata()
        .project(&id)
        .await?
        .map(|found| found.project)
        .filter(|project| project.org_id == caller.org_id)
        .ok_or_else(not_found)
}

pub async fn get_org_projects(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
) -> ApiResult<Json<Value>> {
    let projects = state
        .store()
        .metadata()
        .list_projects(Some(&caller.org_id))
        .await?;
    Ok(Json(
        json!({"projects": projects.iter().map(org_project_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ProjectBody {
    name: String,
    #[serde(default)]
    retention: Option<i64>,
}

pub async fn post_project(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    JsonBody(body): JsonBody<ProjectBody>,
) -> ApiResult<Json<Value>> {
    let retention = body.retention.filter(|d| *d != 0);
    let project =
        identity::create_project(state.store(), &caller.org_id, None, &body.name, retention)
            .await?;
    Ok(Json(project_json(&state, &project).await?))
}

pub async fn put_project(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ProjectBody>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_field("name", "name must not be empty"));
    }
    if let Some(days) = body.retention {
        identity::set_retention(state.store(), &project.id, days).await?;
    }
    let retention_days = match body.retention {
        Some(days) => (days > 0).then_some(days),
        None => project.retention_days,
    };
    let updated = state
        .store()
        .metadata()
        .upsert_project(&NewProject {
            id: project.id.clone(),
            org_id: project.org_id.clone(),
            name: name.to_owned(),
            retention_days,
        })
        .await?;
    Ok(Json(project_json(&state, &updated).await?))
}

pub async fn delete_project(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let project = own_project(&state, &caller, &id).await?;
    identity::delete_project(state.store(), &project.id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"success": true, "message": "Project deleted"})),
    ))
}

fn key_json(
    id: &str,
    created_at: i64,
    last_used_at: Option<i64>,
    note: &Option<String>,
    public_key: &str,
    display: &str,
) -> Value {
    json!({
        "id": id,
        "createdAt": to_iso(created_at),
        "expiresAt": null,
        "lastUsedAt": last_used_at.map(to_iso),
        "note": note,
        "publicKey": public_key,
        "displaySecretKey": display,
    })
}

pub async fn get_project_keys(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let keys = state.store().metadata().list_api_keys(&project.id).await?;
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            key_json(
                k.id.as_str(),
                k.created_at,
                k.last_used_at,
                &k.note,
                &k.public_key,
                &k.display_secret_key,
            )
        })
        .collect();
    Ok(Json(json!({"apiKeys": keys})))
}

#[derive(Debug, Default, Deserialize)]
pub struct KeyBody {
    #[serde(default)]
    note: Option<String>,
}

pub async fn post_project_key(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<KeyBody>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let created =
        identity::create_api_key(state.store(), state.salt(), &project.id, body.note).await?;
    Ok(Json(json!({
        "id": created.key.id,
        "createdAt": to_iso(created.key.created_at),
        "publicKey": created.key.public_key,
        "secretKey": created.secret_key,
        "displaySecretKey": created.key.display_secret_key,
        "note": created.key.note,
    })))
}

pub async fn delete_project_key(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path((id, key_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let keys = state.store().metadata().list_api_keys(&project.id).await?;
    if !keys.iter().any(|k| k.id.as_str() == key_id) {
        return Err(ApiError::NotFound("API key not found".into()));
    }
    state.revoke_api_key(&key_id).await?;
    Ok(Json(json!({"success": true})))
}

fn membership_json(user_id: &UserId, role: Role, email: &str, name: &Option<String>) -> Value {
    json!({
        "userId": user_id,
        "role": role.to_string(),
        "email": email,
        "name": name.clone().unwrap_or_default(),
    })
}

pub async fn get_org_memberships(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
) -> ApiResult<Json<Value>> {
    let members = state
        .store()
        .metadata()
        .list_org_members(&caller.org_id)
        .await?;
    let memberships: Vec<Value> = members
        .iter()
        .map(|m| membership_json(&m.user.id, m.role, m.user.email.as_str(), &m.user.name))
        .collect();
    Ok(Json(json!({"memberships": memberships})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipBody {
    user_id: String,
    role: String,
}

pub async fn put_org_membership(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    JsonBody(body): JsonBody<MembershipBody>,
) -> ApiResult<Json<Value>> {
    let role = parse_role(&body.role)?;
    let user_id = user_id(&body.user_id)?;
    let user = state
        .store()
        .metadata()
        .user(&user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("User not found".into()))?;
    let email = Email::parse(user.email.as_str())
        .map_err(|_| ApiError::NotFound("User not found".into()))?;
    identity::set_membership(state.store(), &caller.org_id, &email, role, None).await?;
    Ok(Json(membership_json(
        &user.id,
        role,
        user.email.as_str(),
        &user.name,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMemberBody {
    user_id: String,
}

fn user_id(raw: &str) -> ApiResult<UserId> {
    UserId::parse(raw).map_err(|_| ApiError::NotFound("User not found".into()))
}

pub async fn delete_org_membership(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    JsonBody(body): JsonBody<RemoveMemberBody>,
) -> ApiResult<Json<Value>> {
    let user = user_id(&body.user_id)?;
    if !identity::remove_member(state.store(), &caller.org_id, &user).await? {
        return Err(ApiError::NotFound("Membership not found".into()));
    }
    Ok(Json(
        json!({"message": "Membership deleted", "userId": body.user_id}),
    ))
}

/// The organization's members with their role on the project (its override, else their
/// organization role).
pub async fn get_project_memberships(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let metadata = state.store().metadata();
    let members = metadata.list_org_members(&caller.org_id).await?;
    let overrides = metadata.project_role_overrides(&caller.org_id).await?;
    let memberships: Vec<Value> = members
        .iter()
        .map(|m| {
            let role = overrides
                .iter()
                .find(|o| o.project_id == project.id && o.user_id == m.user.id)
                .map_or(m.role, |o| o.role);
            membership_json(&m.user.id, role, m.user.email.as_str(), &m.user.name)
        })
        .collect();
    Ok(Json(json!({"memberships": memberships})))
}

pub async fn put_project_membership(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<MembershipBody>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let role = parse_role(&body.role)?;
    let user = user_id(&body.user_id)?;
    let metadata = state.store().metadata();
    let member = metadata
        .list_org_members(&caller.org_id)
        .await?
        .into_iter()
        .find(|m| m.user.id == user)
        .ok_or_else(|| {
            ApiError::NotFound("User is not a member of the project's organization".into())
        })?;
    metadata
        .set_project_role(&project.id, &user, Some(role))
        .await?;
    Ok(Json(membership_json(
        &member.user.id,
        role,
        member.user.email.as_str(),
        &member.user.name,
    )))
}

pub async fn delete_project_membership(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RemoveMemberBody>,
) -> ApiResult<Json<Value>> {
    let project = own_project(&state, &caller, &id).await?;
    let user = user_id(&body.user_id)?;
    state
        .store()
        .metadata()
        .set_project_role(&project.id, &user, None)
        .await?;
    Ok(Json(
        json!({"message": "Project membership deleted", "userId": body.user_id}),
    ))
}

fn parse_role(raw: &str) -> ApiResult<Role> {
    raw.parse()
        .map_err(|_| ApiError::invalid_field("role", "role must be OWNER, ADMIN, MEMBER or VIEWER"))
}

pub async fn get_org_api_keys(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
) -> ApiResult<Json<Value>> {
    let keys = state
        .store()
        .metadata()
        .list_org_api_keys(&caller.org_id)
        .await?;
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            key_json(
                &k.id,
                k.created_at,
                k.last_used_at,
                &k.note,
                &k.public_key,
                &k.display_secret_key,
            )
        })
        .collect();
    Ok(Json(json!({"apiKeys": keys})))
}
