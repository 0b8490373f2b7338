//! The observations view: generations by default, newest first, with their trace, model,
//! tokens, cost, latency and level; filters on type, name, model, level, a time range and a
//! minimum latency or cost (the last two through the read API's `FilterCondition`s). Filters
//! answer htmx with the table fragment alone.

use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sightline_domain::ProjectScope;
use sightline_domain::annotation::QueueObjectType;
use sightline_domain::filter::{Comparison, FilterCondition, Test, TextOperator};
use sightline_domain::ingest::{Level, ObservationType};
use sightline_store::{ObservationQuery, StoredObservation};

use crate::error::WebResult;
use crate::pages::annotation_queues::Selection;
use crate::pages::listing::{self, ListParams, PAGE_SIZE, Pager, TimeRange};
use crate::pages::page;
use crate::pages::sessions::item_url;
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn, is_htmx};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

/// The filters as the form shows them back.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// An observation type, or `ALL`.
    pub kind: String,
    pub name: String,
    pub model: String,
    pub level: String,
    pub min_latency: String,
    pub min_cost: String,
    /// The prompt version the observations link to (from a prompt's page), kept as hidden
    /// fields of the form.
    pub prompt_name: String,
    pub prompt_version: String,
}

/// The observation query `params` ask for, and the filters to show back.
pub fn query(params: &ListParams) -> (ObservationQuery, Filters) {
    let mut query = ObservationQuery::default();
    let r#type = params.text("type").unwrap_or_else(|| "GENERATION".into());
    query.r#type = ObservationType::from_str(&r#type).ok();
    let r#type = query
        .r#type
        .map_or("ALL".to_owned(), |t| t.as_str().to_owned());
    query.name = params.text("name");
    query.level = params
        .text("level")
        .and_then(|level| Level::from_str(&level).ok());
    let range = params.range();
    query.from_start_time = range.from();
    query.to_start_time = range.to();
    query
        .filter
        .push(sightline_domain::ingest::environment::hide_internal());
    if let Some(model) = params.text("model") {
        query.filter.push(FilterCondition {
            column: "model".into(),
            key: None,
            test: Test::Text(TextOperator::Equal, model),
        });
    }
    let min_latency = params.number("min_latency").filter(|n| *n > 0.0);
    if let Some(seconds) = min_latency {
        query.filter.push(FilterCondition {
            column: "latency".into(),
            key: None,
            test: Test::Number(Comparison::GreaterOrEqual, seconds),
        });
    }
    let min_cost = params.number("min_cost").filter(|n| *n > 0.0);
    if let Some(usd) = min_cost {
        query.filter.push(FilterCondition {
            column: "totalCost".into(),
            key: None,
            test: Test::Number(Comparison::GreaterOrEqual, usd),
        });
    }
    let prompt_name = params.text("prompt_name");
    if let Some(name) = &prompt_name {
        query.filter.push(FilterCondition {
            column: "promptName".into(),
            key: None,
            test: Test::Text(TextOperator::Equal, name.clone()),
        });
    }
    let prompt_version = params.number("prompt_version");
    if let Some(version) = prompt_version {
        query.filter.push(FilterCondition {
            column: "promptVersion".into(),
            key: None,
            test: Test::Number(Comparison::Equal, version),
        });
    }
    let filters = Filters {
        kind: r#type,
        name: query.name.clone().unwrap_or_default(),
        model: params.text("model").unwrap_or_default(),
        level: query
            .level
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        min_latency: min_latency.map(|n| n.to_string()).unwrap_or_default(),
        min_cost: min_cost.map(|n| n.to_string()).unwrap_or_default(),
        prompt_name: prompt_name.unwrap_or_default(),
        prompt_version: prompt_version.map(|n| n.to_string()).unwrap_or_default(),
    };
    (query, filters)
}

/// An observation as the table shows it.
pub struct ObservationRow {
    pub id: String,
    pub start: TimeView,
    pub name: String,
    pub kind: &'static str,
    pub trace_id: String,
    pub trace_href: String,
    pub model: String,
    pub input_tokens: String,
    pub output_tokens: String,
    pub cost: String,
    pub latency: String,
    pub level: &'static str,
    pub status_message: String,
}

fn row(access: &ProjectAccess, observation: StoredObservation) -> ObservationRow {
    let row = observation.row;
    let usage = |key: &str| {
        row.usage_details
            .get(key)
            .map(|n| listing::tokens(*n))
            .unwrap_or_default()
    };
    ObservationRow {
        id: row.id.clone(),
        start: time(row.start_time),
        input_tokens: usage("input"),
        output_tokens: usage("output"),
        cost: row.total_cost.map(listing::cost).unwrap_or_default(),
        latency: row
            .end_time
            .map(|end| listing::seconds(end - row.start_time))
            .unwrap_or_default(),
        kind: row.r#type.as_str(),
        level: row.level.as_str(),
        trace_href: item_url(access, "traces", &row.trace_id),
        trace_id: row.trace_id,
        name: row.name.unwrap_or_default(),
        model: row.model.unwrap_or_default(),
        status_message: row.status_message.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "observations.html")]
struct ObservationsPage {
    layout: Layout,
    /// The "Export" form with the table's filters.
    export: Option<crate::pages::exports::ExportButton>,
    access: ProjectAccess,
    list_url: String,
    filters: Filters,
    /// (value, selected) of the type and level selects.
    types: Vec<(&'static str, bool)>,
    levels: Vec<(&'static str, bool)>,
    ranges: Vec<(&'static str, &'static str, bool)>,
    range: TimeRange,
    rows: Vec<ObservationRow>,
    pager: Pager,
    selection: Selection,
}

#[derive(Template)]
#[template(path = "_observations_table.html")]
struct ObservationsTable {
    rows: Vec<ObservationRow>,
    pager: Pager,
    selection: Selection,
}

pub async fn get_observations(
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
    let (observation_query, filters) = query(&params);
    let (observations, total) = store
        .events()
        .list_observations(
            &access.project.id,
            &observation_query,
            PAGE_SIZE,
            params.offset(),
        )
        .await?;
    let rows = observations
        .into_iter()
        .map(|observation| row(&access, observation))
        .collect();
    let list_url = urls::project_section(&access.project.id, "observations");
    let pager = Pager::new(&list_url, &params, total);
    let selection = Selection::of(&state, &access, &csrf, QueueObjectType::Observation).await?;
    if is_htmx(&headers) {
        return page(&ObservationsTable {
            rows,
            pager,
            selection,
        });
    }
    let layout =
        Layout::for_project(store, &signed_in, &csrf, &access.project, "observations").await?;
    page(&ObservationsPage {
        layout,
        export: crate::pages::exports::button(
            &access,
            "observations",
            &crate::pages::exports::query_string(&params),
        ),
        selection,
        access,
        list_url,
        types: ObservationType::ALL
            .iter()
            .map(|t| (t.as_str(), t.as_str() == filters.kind))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.as_str(), l.as_str() == filters.level))
            .collect(),
        ranges: params.range().options(),
        range: params.range(),
        filters,
        rows,
        pager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        ListParams(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn generations_by_default_and_conditions_for_thresholds() {
        let (query, filters) = super::query(&params(&[]));
        assert_eq!(query.r#type, Some(ObservationType::Generation));
        // Only the internal environments are left out by default.
        assert_eq!(
            query.filter,
            [sightline_domain::ingest::environment::hide_internal()]
        );
        assert_eq!(filters.kind, "GENERATION");
        let (query, filters) = super::query(&params(&[
            ("type", "ALL"),
            ("level", "ERROR"),
            ("model", "gpt-4o"),
            ("min_latency", "1.5"),
            ("min_cost", "-1"),
        ]));
        assert_eq!(query.r#type, None);
        assert_eq!(filters.kind, "ALL");
        assert_eq!(query.level, Some(Level::Error));
        assert_eq!(query.filter.len(), 3, "environments, model, latency");
        assert_eq!(filters.min_cost, "");
    }
}
