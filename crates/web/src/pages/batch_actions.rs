//! Large deletes as jobs (`features.md` §6.4): "Delete all matching" on the traces table queues
//! a batch action that deletes every trace the table's filters match (ADMIN and OWNER,
//! `traces:delete`), and Settings → Batch actions shows each action's progress.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_domain::time::now_ms;
use sightline_server::services::batch_actions;

use crate::error::{WebError, WebResult};
use crate::pages::{Fields, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs, TimeView, time};

/// The "Delete all matching" form of the traces table, when the user may delete traces.
#[derive(Debug, Clone)]
pub struct DeleteAllButton {
    pub action: String,
    pub query: String,
}

pub fn delete_all_button(access: &ProjectAccess, query: &str) -> Option<DeleteAllButton> {
    access
        .can(ProjectScope::TracesDelete)
        .then(|| DeleteAllButton {
            action: urls::project_section(&access.project.id, "traces/delete-all"),
            query: query.to_owned(),
        })
}

/// `POST /ui/project/{project}/traces/delete-all`: `query` (the table's query string).
pub async fn post_delete_all_traces(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::TracesDelete,
    )
    .await?;
    let fields = Fields::parse(&body);
    let query =
        crate::pages::trace_filters::table_query(fields.one("query").unwrap_or_default(), now_ms())
            .map_err(WebError::BadRequest)?;
    let action = batch_actions::delete_traces(
        state.app(),
        &access.project.id,
        Some(signed_in.user.id.as_str()),
        &query,
    )
    .await?;
    tracing::info!(project = %access.project.id, action = %action.id, total = action.total, "batch trace delete queued");
    Ok(see_other(&urls::project_section(
        &access.project.id,
        "settings/batch-actions",
    )))
}

struct ActionRow {
    kind: String,
    status: &'static str,
    processed: i64,
    total: i64,
    created: TimeView,
    log: String,
}

#[derive(Template)]
#[template(path = "batch_actions.html")]
struct BatchActionsPage {
    layout: Layout,
    access: ProjectAccess,
    actions: Vec<ActionRow>,
    pending: bool,
    tabs: SettingsTabs,
}

/// `GET /ui/project/{project}/settings/batch-actions`: the project's batch actions.
pub async fn get_batch_actions(
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
    let listed = state
        .store()
        .metadata()
        .list_batch_actions(&access.project.id, 100)
        .await?;
    let pending = listed.iter().any(|a| a.status.is_running());
    let actions = listed
        .into_iter()
        .map(|action| ActionRow {
            kind: action.kind,
            status: action.status.as_str(),
            processed: action.processed,
            total: action.total,
            created: time(action.created_at),
            log: action.log.unwrap_or_default(),
        })
        .collect();
    let layout = Layout::for_project(
        state.store(),
        &signed_in,
        &csrf,
        &access.project,
        "settings",
    )
    .await?;
    render(
        StatusCode::OK,
        &BatchActionsPage {
            layout,
            actions,
            pending,
            tabs: SettingsTabs::of(&access),
            access,
        },
    )
}
