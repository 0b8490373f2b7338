//! Users: the list of the user ids traces name (trace count, tokens, cost, first and last seen;
//! search by id; a time range) and a user's page with those figures and their recent traces.
//! The page of users is chosen first and totals are read for that page only.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_store::{TotalsQuery, TraceGroup, TraceQuery, UsageTotals, UserQuery};

use crate::error::{WebError, WebResult};
use crate::pages::listing::{self, ListParams, PAGE_SIZE, Pager, TimeRange};
use crate::pages::page;
use crate::pages::payload;
use crate::pages::sessions::item_url;
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn, is_htmx};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

/// A user's figures as the list and the user's page show them.
pub struct UserFigures {
    pub user_id: String,
    pub href: String,
    pub traces: u64,
    pub observations: u64,
    pub tokens: String,
    pub cost: String,
    pub first_seen: TimeView,
    pub last_seen: TimeView,
}

fn figures(access: &ProjectAccess, totals: UsageTotals) -> UserFigures {
    UserFigures {
        href: item_url(access, "users", &totals.key),
        traces: totals.traces,
        observations: totals.observations,
        tokens: listing::tokens(totals.total_tokens),
        cost: listing::cost(totals.total_cost),
        first_seen: time(totals.first_seen),
        last_seen: time(totals.last_seen),
        user_id: totals.key,
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    access: ProjectAccess,
    list_url: String,
    search: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    range: TimeRange,
    rows: Vec<UserFigures>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "_users_table.html")]
struct UsersTable {
    rows: Vec<UserFigures>,
    pager: Pager,
}

pub async fn get_users(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let store = state.store();
    let range = params.range();
    let search = params.text("q");
    let (users, total) = store
        .events()
        .list_trace_users(
            &access.project.id,
            &UserQuery {
                search: search.clone(),
                from_timestamp: range.from(),
                to_timestamp: range.to(),
                limit: PAGE_SIZE,
                offset: params.offset(),
            },
        )
        .await?;
    let mut totals: HashMap<String, UsageTotals> = store
        .events()
        .usage_totals(
            &access.project.id,
            TraceGroup::User,
            &TotalsQuery {
                keys: users.iter().map(|user| user.user_id.clone()).collect(),
                from_timestamp: range.from(),
                to_timestamp: range.to(),
            },
        )
        .await?
        .into_iter()
        .map(|totals| (totals.key.clone(), totals))
        .collect();
    // In the order of the page (most recently seen first).
    let rows = users
        .into_iter()
        .filter_map(|user| totals.remove(&user.user_id))
        .map(|totals| figures(&access, totals))
        .collect();
    let list_url = urls::project_section(&access.project.id, "users");
    let pager = Pager::new(&list_url, &params, total);
    if is_htmx(&headers) {
        return page(&UsersTable { rows, pager });
    }
    let layout = Layout::for_project(store, &signed_in, &csrf, &access.project, "users").await?;
    page(&UsersPage {
        layout,
        access,
        list_url,
        search: search.unwrap_or_default(),
        ranges: range.options(),
        range,
        rows,
        pager,
    })
}

/// One of the user's recent traces.
pub struct UserTrace {
    pub id: String,
    pub href: String,
    pub name: String,
    pub time: TimeView,
    pub session: Option<(String, String)>,
    pub input: String,
    pub output: String,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    access: ProjectAccess,
    users_url: String,
    user: UserFigures,
    traces: Vec<UserTrace>,
    pager: Pager,
}

pub async fn get_user(
    State(state): State<WebState>,
    Path((project_id, user_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let store = state.store();
    let totals = store
        .events()
        .usage_totals(
            &access.project.id,
            TraceGroup::User,
            &TotalsQuery {
                keys: vec![user_id.clone()],
                ..TotalsQuery::default()
            },
        )
        .await?
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)?;
    let (traces, total) = store
        .events()
        .list_traces(
            &access.project.id,
            &TraceQuery {
                user_id: Some(user_id.clone()),
                limit: PAGE_SIZE,
                offset: params.offset(),
                ..TraceQuery::default()
            },
        )
        .await?;
    let trace_ids: Vec<String> = traces.iter().map(|t| t.row.id.clone()).collect();
    let mut costs: HashMap<String, f64> = HashMap::new();
    for summary in store
        .events()
        .observation_summaries(&access.project.id, &trace_ids)
        .await?
    {
        *costs.entry(summary.trace_id).or_default() += summary.total_cost.unwrap_or(0.0);
    }
    let traces = traces
        .into_iter()
        .map(|trace| {
            let row = trace.row;
            UserTrace {
                cost: costs
                    .get(&row.id)
                    .map(|cost| listing::cost(*cost))
                    .unwrap_or_default(),
                href: item_url(&access, "traces", &row.id),
                name: row.name.unwrap_or_default(),
                time: time(row.timestamp),
                session: row
                    .session_id
                    .map(|session| (item_url(&access, "sessions", &session), session)),
                input: payload::preview(row.input.as_ref()),
                output: payload::preview(row.output.as_ref()),
                id: row.id,
            }
        })
        .collect();
    let user = figures(&access, totals);
    let pager = Pager::new(&user.href, &params, total);
    let layout = Layout::for_project(store, &signed_in, &csrf, &access.project, "users").await?;
    page(&UserPage {
        layout,
        users_url: urls::project_section(&access.project.id, "users"),
        access,
        user,
        traces,
        pager,
    })
}
