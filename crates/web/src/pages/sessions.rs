//! Sessions: the list (id, creation, environment, trace count, duration, tokens, cost) and a
//! session's page, its traces in time order shown as a conversation of their inputs and outputs,
//! each linking to its trace. Filters answer htmx with the table fragment alone.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_domain::annotation::QueueObjectType;
use sightline_store::{
    ScoreQuery, SessionQuery, StoredTrace, TotalsQuery, TraceGroup, TraceOrderColumn, TraceQuery,
    UsageTotals,
};

use crate::error::{WebError, WebResult};
use crate::pages::annotation_queues::{self, Selection};
use crate::pages::listing::{self, ListParams, PAGE_SIZE, Pager, TimeRange};
use crate::pages::page;
use crate::pages::payload::{self, Payload};
use crate::pages::trace_detail::{self, ScoreView};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn, is_htmx};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

/// A session as the list shows it.
pub struct SessionRow {
    pub id: String,
    pub href: String,
    pub created: TimeView,
    pub environment: String,
    /// (link, user id) of the first few users; `more_users` counts the others.
    pub users: Vec<(String, String)>,
    pub more_users: usize,
    pub traces: u64,
    pub duration: String,
    pub tokens: String,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    layout: Layout,
    /// The "Export" form with the table's filters.
    export: Option<crate::pages::exports::ExportButton>,
    access: ProjectAccess,
    list_url: String,
    search: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    range: TimeRange,
    rows: Vec<SessionRow>,
    pager: Pager,
    selection: Selection,
}

#[derive(Template)]
#[template(path = "_sessions_table.html")]
struct SessionsTable {
    rows: Vec<SessionRow>,
    pager: Pager,
    selection: Selection,
}

/// How many of a session's users the list names.
const SHOWN_USERS: usize = 3;

/// The page of a session (or a trace, user, …) under `section`, its id percent-encoded.
pub(crate) fn item_url(access: &ProjectAccess, section: &str, id: &str) -> String {
    urls::project_section(
        &access.project.id,
        &format!("{section}/{}", urls::segment(id)),
    )
}

fn totals_by_key(totals: Vec<UsageTotals>) -> HashMap<String, UsageTotals> {
    totals
        .into_iter()
        .map(|totals| (totals.key.clone(), totals))
        .collect()
}

/// The session query of the table's parameters (also what its export reads).
pub fn session_query(params: &ListParams) -> SessionQuery {
    let range = params.range();
    SessionQuery {
        id: params.text("id"),
        from_timestamp: range.from(),
        to_timestamp: range.to(),
        limit: PAGE_SIZE,
        offset: params.offset(),
        ..SessionQuery::default()
    }
}

pub async fn get_sessions(
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
    let search = params.text("id");
    let (sessions, total) = store
        .events()
        .list_sessions(&access.project.id, &session_query(&params))
        .await?;
    let keys = sessions.iter().map(|session| session.id.clone()).collect();
    let mut totals = totals_by_key(
        store
            .events()
            .usage_totals(
                &access.project.id,
                TraceGroup::Session,
                &TotalsQuery {
                    keys,
                    ..TotalsQuery::default()
                },
            )
            .await?,
    );
    let rows = sessions
        .into_iter()
        .map(|session| {
            let totals = totals.remove(&session.id);
            let user_ids = totals
                .as_ref()
                .map(|t| t.user_ids.clone())
                .unwrap_or_default();
            SessionRow {
                more_users: user_ids.len().saturating_sub(SHOWN_USERS),
                users: user_ids
                    .into_iter()
                    .take(SHOWN_USERS)
                    .map(|user| (item_url(&access, "users", &user), user))
                    .collect(),
                href: item_url(&access, "sessions", &session.id),
                created: time(session.created_at),
                environment: session.environment,
                traces: totals.as_ref().map_or(0, |t| t.traces),
                duration: totals
                    .as_ref()
                    .map(|t| listing::seconds(t.last_seen - t.first_seen))
                    .unwrap_or_default(),
                tokens: listing::tokens(totals.as_ref().map_or(0.0, |t| t.total_tokens)),
                cost: listing::cost(totals.as_ref().map_or(0.0, |t| t.total_cost)),
                id: session.id,
            }
        })
        .collect();
    let list_url = urls::project_section(&access.project.id, "sessions");
    let pager = Pager::new(&list_url, &params, total);
    let selection = Selection::of(&state, &access, &csrf, QueueObjectType::Session).await?;
    if is_htmx(&headers) {
        return page(&SessionsTable {
            rows,
            pager,
            selection,
        });
    }
    let layout = Layout::for_project(store, &signed_in, &csrf, &access.project, "sessions").await?;
    page(&SessionsPage {
        layout,
        export: crate::pages::exports::button(
            &access,
            "sessions",
            &crate::pages::exports::query_string(&params),
        ),
        selection,
        access,
        list_url,
        search: search.unwrap_or_default(),
        ranges: range.options(),
        range,
        rows,
        pager,
    })
}

/// One trace of a session: its input and output as a turn of the conversation.
pub struct Turn {
    pub trace_id: String,
    pub href: String,
    pub name: String,
    pub time: TimeView,
    pub user: Option<(String, String)>,
    pub cost: String,
    /// ("Input" | "Output", the payload).
    pub parts: Vec<(&'static str, Payload)>,
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    layout: Layout,
    access: ProjectAccess,
    session_id: String,
    sessions_url: String,
    totals: Option<SessionTotals>,
    turns: Vec<Turn>,
    pager: Pager,
    /// The annotation queues the session can be added to, and where that form posts.
    queues: Vec<(String, String)>,
    queue_url: String,
    /// The session's scores, and the manual scoring form (configs; MEMBER and up).
    scores: Vec<ScoreView>,
    configs: Vec<(String, String)>,
    can_score: bool,
    score_url: String,
}

pub struct SessionTotals {
    pub traces: u64,
    pub first: TimeView,
    pub duration: String,
    pub tokens: String,
    pub cost: String,
}

/// Longest text of one input or output (or one message) on a session page, in bytes; the
/// trace's page shows all of it.
const TURN_TEXT_BYTES: usize = 20_000;

fn cap(text: &mut String) {
    if text.len() > TURN_TEXT_BYTES {
        let mut end = TURN_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n… (cut here; the trace shows all of it)");
    }
}

/// A payload for the conversation, long texts cut. A single message (an output
/// `{role, content}`) shows as a message too.
fn shown(value: Option<&serde_json::Value>) -> Payload {
    let single = value
        .and_then(serde_json::Value::as_object)
        .filter(|object| object.contains_key("role") && object.contains_key("content"))
        .map(|object| serde_json::Value::Array(vec![serde_json::Value::Object(object.clone())]));
    let mut shown = payload::payload(single.as_ref().or(value));
    cap(&mut shown.text);
    for message in &mut shown.messages {
        cap(&mut message.content);
    }
    shown
}

fn turn(access: &ProjectAccess, trace: StoredTrace, cost: Option<f64>) -> Turn {
    let row = trace.row;
    Turn {
        href: item_url(access, "traces", &row.id),
        name: row.name.unwrap_or_default(),
        time: time(row.timestamp),
        user: row
            .user_id
            .map(|user| (item_url(access, "users", &user), user)),
        cost: cost.map(listing::cost).unwrap_or_default(),
        parts: vec![
            ("Input", shown(row.input.as_ref())),
            ("Output", shown(row.output.as_ref())),
        ],
        trace_id: row.id,
    }
}

pub async fn get_session(
    State(state): State<WebState>,
    Path((project_id, session_id)): Path<(String, String)>,
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
    let (traces, total) = store
        .events()
        .list_traces(
            &access.project.id,
            &TraceQuery {
                session_id: Some(session_id.clone()),
                order_by: TraceOrderColumn::Timestamp,
                descending: false,
                limit: PAGE_SIZE,
                offset: params.offset(),
                ..TraceQuery::default()
            },
        )
        .await?;
    if total == 0 {
        let (known, _) = store
            .events()
            .list_sessions(
                &access.project.id,
                &SessionQuery {
                    id: Some(session_id.clone()),
                    limit: 1,
                    ..SessionQuery::default()
                },
            )
            .await?;
        if known.is_empty() {
            return Err(WebError::NotFound);
        }
    }
    let totals = store
        .events()
        .usage_totals(
            &access.project.id,
            TraceGroup::Session,
            &TotalsQuery {
                keys: vec![session_id.clone()],
                ..TotalsQuery::default()
            },
        )
        .await?
        .into_iter()
        .next()
        .map(|t| SessionTotals {
            traces: t.traces,
            first: time(t.first_seen),
            duration: listing::seconds(t.last_seen - t.first_seen),
            tokens: listing::tokens(t.total_tokens),
            cost: listing::cost(t.total_cost),
        });
    let trace_ids: Vec<String> = traces.iter().map(|t| t.row.id.clone()).collect();
    let mut costs: HashMap<String, f64> = HashMap::new();
    for summary in store
        .events()
        .observation_summaries(&access.project.id, &trace_ids)
        .await?
    {
        *costs.entry(summary.trace_id).or_default() += summary.total_cost.unwrap_or(0.0);
    }
    let turns = traces
        .into_iter()
        .map(|trace| {
            let cost = costs.get(&trace.row.id).copied();
            turn(&access, trace, cost)
        })
        .collect();
    let sessions_url = urls::project_section(&access.project.id, "sessions");
    let pager = Pager::new(&item_url(&access, "sessions", &session_id), &params, total);
    let (session_scores, _) = store
        .events()
        .list_scores(
            &access.project.id,
            &ScoreQuery {
                session_ids: vec![session_id.clone()],
                limit: 100,
                ..ScoreQuery::default()
            },
        )
        .await?;
    let session_scores: Vec<&sightline_store::ScoreRow> =
        session_scores.iter().map(|s| &s.score).collect();
    let can_score = access.can(ProjectScope::ScoresCud);
    let configs = trace_detail::config_choices(&state, &access).await?;
    let layout = Layout::for_project(store, &signed_in, &csrf, &access.project, "sessions").await?;
    page(&SessionPage {
        layout,
        queues: annotation_queues::queue_choices(&state, &access).await?,
        queue_url: annotation_queues::add_url(&access),
        scores: trace_detail::score_views(&session_scores),
        configs,
        can_score,
        score_url: format!("{}/scores", item_url(&access, "sessions", &session_id)),
        access,
        session_id,
        sessions_url,
        totals,
        turns,
        pager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let long = serde_json::Value::String("é".repeat(TURN_TEXT_BYTES));
        let shown = shown(Some(&long));
        assert!(shown.text.len() < TURN_TEXT_BYTES + 100);
        assert!(shown.text.ends_with("the trace shows all of it)"));
        let short = serde_json::json!([{"role": "user", "content": "hi"}]);
        assert_eq!(super::shown(Some(&short)).messages[0].content, "hi");
        let single = serde_json::json!({"role": "assistant", "content": "yes"});
        let shown = super::shown(Some(&single));
        assert_eq!(
            (shown.kind, shown.messages[0].role.as_str()),
            ("chat", "assistant")
        );
    }
}
