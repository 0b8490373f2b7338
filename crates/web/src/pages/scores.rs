//! The scores table: every score of the project, newest first, filtered by name, source, data
//! type, value and time, each linked to its trace, observation or session. Reading needs
//! `project:read` (VIEWER).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_store::{ScoreQuery, ValueOperator};

use crate::error::WebResult;
use crate::pages::listing::{ListParams, PAGE_SIZE, Pager, TimeRange};
use crate::pages::page;
use crate::pages::payload;
use crate::pages::sessions::item_url;
use crate::pages::trace_detail::back_to;
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

const SOURCES: &[&str] = &["API", "ANNOTATION", "EVAL"];
const DATA_TYPES: &[&str] = &["NUMERIC", "CATEGORICAL", "BOOLEAN", "CORRECTION", "TEXT"];
const OPERATORS: &[&str] = &[">", ">=", "=", "<=", "<", "!="];

/// A score as the table shows it.
pub struct ScoreRowView {
    pub time: TimeView,
    pub name: String,
    pub value: String,
    pub source: &'static str,
    pub data_type: &'static str,
    /// (label, link) of what it scores.
    pub target: Option<(String, String)>,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "scores.html")]
struct ScoresPage {
    layout: Layout,
    /// The "Export" form with the table's filters.
    export: Option<crate::pages::exports::ExportButton>,
    access: ProjectAccess,
    action: String,
    analytics_url: String,
    name: String,
    /// (value, selected) of the source, data type and operator selects.
    sources: Vec<(&'static str, bool)>,
    data_types: Vec<(&'static str, bool)>,
    operators: Vec<(&'static str, bool)>,
    value: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    range: TimeRange,
    rows: Vec<ScoreRowView>,
    total: u64,
    pager: Pager,
}

fn choices(all: &'static [&'static str], chosen: &Option<String>) -> Vec<(&'static str, bool)> {
    all.iter()
        .map(|value| (*value, chosen.as_deref() == Some(*value)))
        .collect()
}

/// The score query of the table's parameters (also what its export reads).
pub fn score_query(params: &ListParams) -> ScoreQuery {
    let range = params.range();
    ScoreQuery {
        name: params.text("name"),
        source: params
            .text("source")
            .filter(|s| SOURCES.contains(&s.as_str())),
        data_type: params
            .text("data_type")
            .filter(|s| DATA_TYPES.contains(&s.as_str())),
        value: params
            .text("op")
            .as_deref()
            .filter(|s| OPERATORS.contains(s))
            .and_then(ValueOperator::parse)
            .zip(params.number("value")),
        from_timestamp: range.from(),
        to_timestamp: range.to(),
        limit: PAGE_SIZE,
        offset: params.offset(),
        ..ScoreQuery::default()
    }
}

/// `GET /ui/project/{project}/scores/all`: `?name=`, `source`, `data_type`, `op` with `value`,
/// `range`/`from`/`to`, `page`.
pub async fn get_scores(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
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
    let name = params.text("name");
    let source = params
        .text("source")
        .filter(|s| SOURCES.contains(&s.as_str()));
    let data_type = params
        .text("data_type")
        .filter(|s| DATA_TYPES.contains(&s.as_str()));
    let operator = params
        .text("op")
        .filter(|s| OPERATORS.contains(&s.as_str()));
    let value = params.number("value");
    let (scores, total) = store
        .events()
        .list_scores(&access.project.id, &score_query(&params))
        .await?;
    let rows = scores
        .iter()
        .map(|listed| {
            let score = &listed.score.score;
            let target = match (&score.trace_id, &score.observation_id, &score.session_id) {
                (Some(trace), Some(observation), _) => Some((
                    format!("observation {observation}"),
                    back_to(&access, trace, Some(observation)),
                )),
                (Some(trace), None, _) => {
                    Some((format!("trace {trace}"), back_to(&access, trace, None)))
                }
                (None, _, Some(session)) => Some((
                    format!("session {session}"),
                    item_url(&access, "sessions", session),
                )),
                _ => None,
            };
            ScoreRowView {
                time: time(score.timestamp),
                name: score.name.clone(),
                value: match (&score.string_value, score.value) {
                    (Some(text), _) => payload::truncate(text, 80),
                    (None, Some(value)) => value.to_string(),
                    (None, None) => String::new(),
                },
                source: score.source.as_str(),
                data_type: score.data_type.as_str(),
                target,
                comment: score.comment.clone().unwrap_or_default(),
            }
        })
        .collect();
    let action = urls::project_section(&access.project.id, "scores/all");
    let pager = Pager::new(&action, &params, total);
    let layout = Layout::for_project(store, &signed_in, &csrf, &access.project, "scores").await?;
    page(&ScoresPage {
        layout,
        export: crate::pages::exports::button(
            &access,
            "scores",
            &crate::pages::exports::query_string(&params),
        ),
        analytics_url: urls::project_section(&access.project.id, "scores"),
        name: name.unwrap_or_default(),
        sources: choices(SOURCES, &source),
        data_types: choices(DATA_TYPES, &data_type),
        operators: choices(OPERATORS, &operator),
        value: value.map(|v| v.to_string()).unwrap_or_default(),
        ranges: range.options(),
        range,
        rows,
        total,
        pager,
        action,
        access,
    })
}
