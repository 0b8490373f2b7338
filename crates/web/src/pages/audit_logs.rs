//! The audit log in the UI (`features.md` §6.5): the middleware that records every change a
//! signed-in user makes (a successful POST under a project or an organization: its resource
//! from the route, the submitted fields with secrets redacted), and the organization's
//! "Audit log" page, filterable by project, resource type, action and actor, for ADMIN and
//! OWNER (`auditLogs:read`). API changes are recorded by `sightline_server::services::audit`.

use askama::Template;
use axum::body::Body;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use sightline_domain::{OrgId, OrgScope, ProjectId};
use sightline_server::services::audit::{self, Actor, Change, MAX_RECORDED_BYTES};
use sightline_store::AuditQuery;

use crate::error::WebResult;
use crate::pages::listing::{ListParams, PAGE_SIZE, Pager};
use crate::pages::render;
use crate::rbac::{self, Need, OrgAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

/// Records the changes signed-in users make through the UI's forms.
pub async fn web_audit(State(state): State<WebState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (Some(signed_in), Some(route)) = (
        request.extensions().get::<SignedIn>().cloned(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(|path| path.as_str().to_owned()),
    ) else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(request.body()).exact());
    let small = length.is_some_and(|length| length <= MAX_RECORDED_BYTES as u64);
    let (request, fields) = if is_form && small {
        let (parts, body) = request.into_parts();
        match axum::body::to_bytes(body, MAX_RECORDED_BYTES).await {
            Ok(bytes) => {
                let fields = audit::form_fields(&bytes);
                (Request::from_parts(parts, Body::from(bytes)), Some(fields))
            }
            Err(_) => {
                return axum::response::IntoResponse::into_response(
                    crate::error::WebError::PayloadTooLarge,
                );
            }
        }
    } else {
        (request, None)
    };
    let response = next.run(request).await;
    let status = response.status();
    if (status.is_success() || status.is_redirection())
        && let Some(change) = web_change(&state, &signed_in, &route, &path, fields).await
    {
        audit::record(state.store(), change).await;
    }
    response
}

/// The change a successful form post under a project or organization made.
async fn web_change(
    state: &WebState,
    signed_in: &SignedIn,
    route: &str,
    path: &str,
    after: Option<serde_json::Value>,
) -> Option<Change> {
    let segments: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let values: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.len() < 3 || segments[0] != "ui" || segments.len() != values.len() {
        return None;
    }
    let (org_id, project_id) = match segments[1] {
        "project" => {
            let project = ProjectId::from_trusted(audit::path_value(values[2]));
            let found = state.store().metadata().project(&project).await.ok()??;
            (found.organization.id, Some(project))
        }
        "org" => (OrgId::from_trusted(audit::path_value(values[2])), None),
        _ => return None,
    };
    let rest: Vec<(&str, &str)> = segments[3..]
        .iter()
        .copied()
        .zip(values[3..].iter().copied())
        .filter(|(segment, _)| *segment != "settings")
        .collect();
    let resource = rest
        .iter()
        .find(|(segment, _)| !segment.starts_with('{'))
        .map_or(
            if project_id.is_some() {
                "project"
            } else {
                "organization"
            },
            |(s, _)| *s,
        );
    let resource_id = rest
        .iter()
        .rev()
        .find(|(segment, _)| segment.starts_with('{'))
        .map(|(_, value)| audit::path_value(value))
        .unwrap_or_else(|| {
            project_id
                .as_ref()
                .map_or(org_id.as_str().to_owned(), |p| p.as_str().to_owned())
        });
    let action = match rest.last() {
        Some((last, _)) if last.starts_with('{') => "update".to_owned(),
        Some((last, _)) if *last == resource => "create".to_owned(),
        Some((last, _)) => (*last).to_owned(),
        None => "update".to_owned(),
    };
    Some(Change {
        actor: Actor::User(signed_in.user.id.as_str().to_owned()),
        org_id,
        project_id,
        resource_type: audit::resource_name(resource),
        resource_id,
        action,
        after,
    })
}

struct EntryRow {
    time: TimeView,
    actor: String,
    project: String,
    resource_type: String,
    resource_id: String,
    action: String,
    after: String,
}

#[derive(Template)]
#[template(path = "audit_logs.html")]
struct AuditLogsPage {
    layout: Layout,
    access: OrgAccess,
    action_url: String,
    project: String,
    resource_type: String,
    action: String,
    actor: String,
    rows: Vec<EntryRow>,
    pager: Pager,
}

/// `GET /ui/org/{org}/audit-logs`: `project`, `resource_type`, `action`, `actor`, `page`.
pub async fn get_audit_logs(
    State(state): State<WebState>,
    Path(org_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let store = state.store();
    let access = rbac::org_access(
        store,
        &signed_in.user,
        &org_id,
        Need::Org(OrgScope::AuditLogsRead),
    )
    .await?;
    let query = AuditQuery {
        project_id: params.text("project"),
        resource_type: params.text("resource_type"),
        action: params.text("action"),
        actor: params.text("actor"),
        limit: PAGE_SIZE,
        offset: params.offset(),
    };
    let (entries, total) = store
        .metadata()
        .list_audit_entries(&access.org.id, &query)
        .await?;
    let users: std::collections::HashMap<String, String> = store
        .metadata()
        .list_users()
        .await?
        .into_iter()
        .map(|user| (user.id.as_str().to_owned(), user.email.to_string()))
        .collect();
    let rows = entries
        .into_iter()
        .map(|entry| EntryRow {
            time: time(entry.created_at),
            actor: match (&entry.user_id, &entry.api_key_id) {
                (Some(user), _) => users.get(user).cloned().unwrap_or_else(|| user.clone()),
                (None, Some(key)) => format!("API key {key}"),
                _ => String::new(),
            },
            project: entry
                .project_id
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            resource_type: entry.resource_type,
            resource_id: entry.resource_id,
            action: entry.action,
            after: entry.after.unwrap_or_default(),
        })
        .collect();
    let action_url = format!("{}/audit-logs", urls::organization(&access.org.id));
    let pager = Pager::new(&action_url, &params, total);
    let layout = Layout::signed_in(store, &signed_in, &csrf, Some(&access.org.id), None)
        .await?
        .with_org_sections(
            &access.org.id,
            "audit-logs",
            access.can(OrgScope::MembersRead),
            true,
        );
    render(
        StatusCode::OK,
        &AuditLogsPage {
            layout,
            access,
            action_url,
            project: query.project_id.unwrap_or_default(),
            resource_type: query.resource_type.unwrap_or_default(),
            action: query.action.unwrap_or_default(),
            actor: query.actor.unwrap_or_default(),
            rows,
            pager,
        },
    )
}
