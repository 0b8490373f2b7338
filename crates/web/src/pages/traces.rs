//! The traces table (`/ui/project/{project}/traces`, also the project's home): one page of the
//! project's traces, filtered by the query string (a GET form, so a filtered view is a URL to
//! share), sorted, paged, with the columns the user picked. Per-row latency, tokens, cost and
//! level come from the payload-free outlines of the page's observations and scores from one
//! score query: one page query plus per-page summaries, whatever the size of the project.
//! htmx requests aimed at `#traces-table` get only the table. Filters and columns are read by
//! `trace_filters.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_domain::annotation::QueueObjectType;
use sightline_domain::filter::{FilterCondition, Test, TextOperator};
use sightline_domain::ingest::Level;
use sightline_domain::time::{Millis, now_ms};
use sightline_store::{ObservationOutline, ScoreQuery, StoredTrace};

use crate::error::WebResult;
use crate::pages::annotation_queues::Selection;
use crate::pages::trace_filters::{
    COLUMNS_COOKIE, Columns, Filters, PAGE_SIZES, RANGES, columns, user_tag,
};
use crate::pages::{page, payload};
use crate::rbac::{self, ProjectAccess};
use crate::session::{self, CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

/// Text with a link (ids are URL-encoded into our own paths only).
#[derive(Debug, Clone)]
pub struct LinkText {
    pub text: String,
    pub href: String,
}

/// A row of the table, all text (escaped when rendered).
pub struct Row {
    pub id: String,
    /// The id cut for the table (the link carries all of it).
    pub short_id: String,
    pub href: String,
    pub time: TimeView,
    pub name: String,
    pub user: Option<LinkText>,
    pub session: Option<LinkText>,
    pub latency: String,
    pub input: String,
    pub output: String,
    pub tokens: String,
    pub cost: String,
    pub scores: Vec<String>,
    pub tags: Vec<String>,
    pub level: &'static str,
    pub environment: String,
}

pub fn trace_url(project: &ProjectAccess, trace_id: &str) -> String {
    format!(
        "{}/{}",
        urls::project_section(&project.project.id, "traces"),
        urls::segment(trace_id)
    )
}

pub fn user_link(project: &ProjectAccess, user_id: &str) -> LinkText {
    LinkText {
        text: user_id.to_owned(),
        href: format!(
            "{}/{}",
            urls::project_section(&project.project.id, "users"),
            urls::segment(user_id)
        ),
    }
}

pub fn session_link(project: &ProjectAccess, session_id: &str) -> LinkText {
    LinkText {
        text: session_id.to_owned(),
        href: format!(
            "{}/{}",
            urls::project_section(&project.project.id, "sessions"),
            urls::segment(session_id)
        ),
    }
}

/// Latency, tokens, cost and level of a set of observations.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub latency: String,
    pub tokens: String,
    pub cost: String,
    pub level: &'static str,
}

pub fn totals<'a>(outlines: impl Iterator<Item = &'a ObservationOutline>) -> Totals {
    let (mut start, mut end): (Option<Millis>, Option<Millis>) = (None, None);
    let (mut tokens, mut cost, mut level) = (0.0, None::<f64>, None::<Level>);
    for outline in outlines {
        start = Some(start.map_or(outline.start_time, |s| s.min(outline.start_time)));
        let finish = outline.end_time.unwrap_or(outline.start_time);
        end = Some(end.map_or(finish, |e| e.max(finish)));
        tokens += usage_total(&outline.usage_details);
        if let Some(c) = outline.total_cost {
            cost = Some(cost.unwrap_or(0.0) + c);
        }
        level = Some(level.map_or(outline.level, |l| l.max(outline.level)));
    }
    Totals {
        latency: match (start, end) {
            (Some(start), Some(end)) => seconds(end - start),
            _ => String::new(),
        },
        tokens: if tokens > 0.0 {
            format!("{tokens:.0}")
        } else {
            String::new()
        },
        cost: cost.map(dollars).unwrap_or_default(),
        level: level.map_or("", Level::as_str),
    }
}

pub fn usage_total(usage: &std::collections::BTreeMap<String, f64>) -> f64 {
    usage.get("total").copied().unwrap_or_else(|| {
        usage
            .iter()
            .filter(|(key, _)| key.starts_with("input") || key.starts_with("output"))
            .map(|(_, value)| value)
            .sum()
    })
}

pub fn seconds(ms: Millis) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

pub fn dollars(cost: f64) -> String {
    format!("${cost:.6}")
}

/// A score as one short line: `name: value`.
pub fn score_text(score: &sightline_domain::ingest::ScorePatch) -> String {
    let value = match (&score.string_value, score.value) {
        (Some(text), _) => payload::truncate(text, 40),
        (None, Some(value)) => format!("{}", (value * 1000.0).round() / 1000.0),
        (None, None) => String::new(),
    };
    format!("{}: {value}", payload::truncate(&score.name, 40))
}

fn rows(
    access: &ProjectAccess,
    traces: &[StoredTrace],
    outlines: &[ObservationOutline],
    scores: &HashMap<String, Vec<String>>,
) -> Vec<Row> {
    let mut by_trace: HashMap<&str, Vec<&ObservationOutline>> = HashMap::new();
    for outline in outlines {
        by_trace
            .entry(outline.trace_id.as_str())
            .or_default()
            .push(outline);
    }
    traces
        .iter()
        .map(|stored| {
            let trace = &stored.row;
            let totals = totals(
                by_trace
                    .get(trace.id.as_str())
                    .into_iter()
                    .flatten()
                    .copied(),
            );
            Row {
                href: trace_url(access, &trace.id),
                short_id: payload::truncate(&trace.id, 12),
                id: trace.id.clone(),
                time: time(trace.timestamp),
                name: trace.name.clone().unwrap_or_default(),
                user: trace.user_id.as_deref().map(|id| user_link(access, id)),
                session: trace
                    .session_id
                    .as_deref()
                    .map(|id| session_link(access, id)),
                latency: totals.latency,
                input: payload::preview(trace.input.as_ref()),
                output: payload::preview(trace.output.as_ref()),
                tokens: totals.tokens,
                cost: totals.cost,
                scores: scores.get(&trace.id).cloned().unwrap_or_default(),
                tags: trace.tags.clone(),
                level: totals.level,
                environment: trace.environment.clone(),
            }
        })
        .collect()
}

/// A header of a sortable column: its link and the arrow of the current order.
pub struct SortLink {
    pub href: String,
    pub arrow: &'static str,
}

#[derive(Template)]
#[template(path = "traces.html")]
struct TracesPage {
    layout: Layout,
    /// The "Export" form with the table's filters.
    export: Option<crate::pages::exports::ExportButton>,
    /// The "Delete all matching" form (ADMIN, OWNER).
    delete_all: Option<crate::pages::batch_actions::DeleteAllButton>,
    access: ProjectAccess,
    table: TracesTable,
    filters: Filters,
    ranges: Vec<(&'static str, &'static str)>,
    levels: Vec<&'static str>,
    page_sizes: Vec<u64>,
    base_url: String,
    keys_url: String,
    can_manage_keys: bool,
    /// The project has no traces at all: show how to send some.
    empty_project: bool,
}

/// The htmx answer to a filter change, a sort or a page: only the table.
#[derive(Template)]
#[template(path = "traces_table_partial.html")]
struct TracesTablePartial {
    table: TracesTable,
}

struct TracesTable {
    columns: Columns,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    sort_name: SortLink,
    sort_user: SortLink,
    sort_time: SortLink,
    filtered: bool,
    /// Filter values that could not be read (and were left out).
    problems: Vec<String>,
    base_url: String,
    /// The current filters, carried by the column picker's form (which is swapped with the
    /// table, so they stay current).
    hidden_filters: Vec<(&'static str, String)>,
    /// The columns were just chosen: keep the picker open.
    picker_open: bool,
    /// Rows selected for an annotation queue.
    selection: Selection,
}

fn sort_link(filters: &Filters, base: &str, column: &str) -> SortLink {
    let current = if filters.order.is_empty() {
        "timestamp"
    } else {
        filters.order.as_str()
    };
    let descending = filters.dir != "asc";
    let (dir, arrow) = match (current == column, descending) {
        (true, true) => ("asc", " ↓"),
        (true, false) => ("desc", " ↑"),
        (false, _) => ("desc", ""),
    };
    SortLink {
        href: filters.href(base, 1, Some((column, dir))),
        arrow,
    }
}

/// `GET /ui/project/{project}/traces` (and the project's home).
pub async fn get_traces(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
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
    let store = state.store();
    let project = &access.project.id;
    let filters = Filters::parse(raw.as_deref());
    let columns = columns(&filters, &headers, &signed_in);
    let (mut query, problems) = filters.query(now_ms());

    // Search: an exact trace id, else names containing the text.
    let mut found = None;
    if !filters.search.is_empty() {
        found = store.events().trace(project, &filters.search).await?;
        if found.is_none() {
            query.filter.push(FilterCondition {
                column: "name".into(),
                key: None,
                test: Test::Text(TextOperator::Contains, filters.search.clone()),
            });
        }
    }
    let (traces, total) = match found {
        Some(trace) => (vec![trace], 1),
        None => store.events().list_traces(project, &query).await?,
    };
    let ids: Vec<String> = traces.iter().map(|t| t.row.id.clone()).collect();
    let outlines = store
        .events()
        .trace_observation_outlines(project, &ids)
        .await?;
    let mut scores: HashMap<String, Vec<String>> = HashMap::new();
    if !ids.is_empty() {
        let score_query = ScoreQuery {
            trace_ids: ids.clone(),
            limit: 1000,
            ..ScoreQuery::default()
        };
        let (listed, _) = store.events().list_scores(project, &score_query).await?;
        for listed in listed.iter().rev() {
            let score = &listed.score.score;
            if let Some(trace_id) = &score.trace_id {
                scores
                    .entry(trace_id.clone())
                    .or_default()
                    .push(score_text(score));
            }
        }
    }

    let base = urls::project_section(project, "traces");
    let pages = total.div_ceil(filters.limit).max(1);
    let page_number = filters.page;
    let table = TracesTable {
        rows: rows(&access, &traces, &outlines, &scores),
        total,
        page: page_number,
        pages,
        prev: (page_number > 1).then(|| filters.href(&base, page_number - 1, None)),
        next: (page_number < pages).then(|| filters.href(&base, page_number + 1, None)),
        sort_name: sort_link(&filters, &base, "name"),
        sort_user: sort_link(&filters, &base, "userId"),
        sort_time: sort_link(&filters, &base, "timestamp"),
        filtered: filters.is_filtered(),
        problems,
        base_url: base.clone(),
        hidden_filters: filters.pairs(None),
        picker_open: filters.columns.is_some(),
        columns,
        selection: Selection::of(&state, &access, &csrf, QueueObjectType::Trace).await?,
    };
    let remember = filters.columns.as_ref().map(|chosen| {
        session::set_cookie(
            state.config().secure_cookies,
            COLUMNS_COOKIE,
            &format!("{}~{}", user_tag(&signed_in), chosen.join(".")),
            365 * 24 * 3600,
        )
    });
    let is_table = headers
        .get("hx-target")
        .is_some_and(|target| target == "traces-table");
    let mut response = if is_table {
        page(&TracesTablePartial { table })?
    } else {
        let layout =
            Layout::for_project(store, &signed_in, &csrf, &access.project, "traces").await?;
        page(&TracesPage {
            layout,
            export: crate::pages::exports::button(
                &access,
                "traces",
                raw.as_deref().unwrap_or_default(),
            ),
            delete_all: crate::pages::batch_actions::delete_all_button(
                &access,
                raw.as_deref().unwrap_or_default(),
            ),
            empty_project: total == 0 && !table.filtered,
            table,
            filters,
            ranges: RANGES.iter().map(|(id, label, _)| (*id, *label)).collect(),
            levels: Level::ALL.iter().map(|level| level.as_str()).collect(),
            page_sizes: PAGE_SIZES.to_vec(),
            base_url: base,
            keys_url: urls::project_section(project, "settings/api-keys"),
            can_manage_keys: access.can(ProjectScope::ApiKeysCud),
            access,
        })?
    };
    if let Some(cookie) = remember {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /ui/project/{project}/traces/delete`: deletes the selected traces (`object_id`, at most
/// 1,000) with their observations and scores, as `DELETE /api/public/traces` does; ADMIN and
/// OWNER (`traces:delete`).
pub async fn post_delete_traces(
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
    let ids = crate::pages::Fields::parse(&body).all("object_id");
    if ids.is_empty() || ids.len() > 1000 {
        return Err(crate::error::WebError::BadRequest(
            "Select 1 to 1000 traces to delete.".to_owned(),
        ));
    }
    let deleted =
        sightline_server::services::traces::delete_traces(state.app(), &access.project.id, &ids)
            .await?;
    tracing::info!(project = %access.project.id, traces = deleted, user = %signed_in.user.id, "traces deleted from the UI");
    Ok(crate::pages::see_other(&urls::project_section(
        &access.project.id,
        "traces",
    )))
}
