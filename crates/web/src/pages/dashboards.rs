//! Custom dashboards in the UI: the project's dashboards (create one, or clone a shipped
//! template: cost, latency, usage, scores), a dashboard's tiles on the 12-column grid (widgets
//! and presets; add, move, resize, remove; duplicate or delete the dashboard), and the widget
//! editor with its live preview. Changes go through `services/dashboards.rs`, the same rules as
//! the public API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use sightline_domain::dashboard::{
    CHART_TYPES, Placement, WIDGET_VIEWS, Widget, WidgetDimension, WidgetMetric, is_time_series,
};
use sightline_domain::filter::parse_filter;
use sightline_domain::metrics::Aggregation;
use sightline_domain::{ProjectId, ProjectScope};
use sightline_server::services::dashboards::{
    self as service, DashboardError, DashboardFields, NewPlacement, PRESETS, WidgetFields,
    widget_query,
};
use sightline_server::services::metrics::query_metrics;
use sightline_store::{EventStore, StoreError};

use crate::assets;
use crate::error::{WebError, WebResult};
use crate::pages::dashboard::{
    Chart, RANGES, Selection, breakdown, linked, preset_charts, script_json, time_series,
};
use crate::pages::listing::ListParams;
use crate::pages::{page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn, is_htmx};
use crate::state::WebState;
use crate::urls;
use crate::views::Layout;

/// The shipped dashboards, read-only templates to clone: (id, name, description, presets).
const TEMPLATES: &[(&str, &str, &str, &[&str])] = &[
    (
        "cost",
        "Cost",
        "What the project spends, by model and trace name, and its tokens.",
        &["cost-by-model", "cost-by-trace-name", "tokens"],
    ),
    (
        "latency",
        "Latency",
        "Generation latency percentiles by name and by model.",
        &["latency-by-name", "latency-by-model"],
    ),
    (
        "usage",
        "Usage",
        "Traces, observations, tokens, errors and warnings over time.",
        &["traces", "observations", "tokens", "errors"],
    ),
    (
        "scores",
        "Scores",
        "Score averages over time and categorical score values.",
        &["scores", "categorical-scores"],
    ),
];

fn refused(error: DashboardError) -> WebError {
    match error {
        DashboardError::Invalid(error) => {
            WebError::BadRequest(format!("{}: {}", error.field, error.message))
        }
        DashboardError::NotFound(_) => WebError::NotFound,
        DashboardError::Conflict(message) => WebError::BadRequest(message),
        DashboardError::Store(error) => error.into(),
    }
}

async fn access(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
    scope: ProjectScope,
) -> WebResult<ProjectAccess> {
    rbac::project_access(state.store(), &signed_in.user, project_id, scope).await
}

fn dashboard_url(project: &ProjectId, id: &str) -> String {
    format!(
        "{}/{}",
        urls::project_section(project, "dashboards"),
        urls::segment(id)
    )
}

struct DashboardItem {
    href: String,
    name: String,
    description: String,
    tiles: usize,
}

#[derive(Template)]
#[template(path = "dashboards.html")]
struct DashboardsPage {
    layout: Layout,
    access: ProjectAccess,
    dashboards: Vec<DashboardItem>,
    templates: Vec<(&'static str, &'static str, &'static str)>,
    create_url: String,
    template_url: String,
    can_edit: bool,
    widgets_url: String,
}

pub async fn get_dashboards(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::DashboardsRead,
    )
    .await?;
    let project = access.project.id.clone();
    let (dashboards, _) = state
        .store()
        .metadata()
        .list_dashboards(&project, 200, 0)
        .await?;
    let layout = Layout::for_project(
        state.store(),
        &signed_in,
        &csrf,
        &access.project,
        "dashboards",
    )
    .await?;
    let base = urls::project_section(&project, "dashboards");
    page(&DashboardsPage {
        layout,
        dashboards: dashboards
            .into_iter()
            .map(|d| DashboardItem {
                href: dashboard_url(&project, &d.id),
                tiles: d.placements.len(),
                name: d.name,
                description: d.description,
            })
            .collect(),
        templates: TEMPLATES
            .iter()
            .map(|(id, name, text, _)| (*id, *name, *text))
            .collect(),
        create_url: base.clone(),
        template_url: format!("{base}/templates"),
        can_edit: access.can(ProjectScope::DashboardsCud),
        widgets_url: urls::project_section(&project, "widgets/new"),
        access,
    })
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn post_dashboard(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    Form(form): Form<NameForm>,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    let dashboard = service::create_dashboard(
        state.store(),
        &access.project.id,
        DashboardFields {
            name: Some(form.name.trim().to_owned()),
            description: Some(form.description.trim().to_owned()),
            ..DashboardFields::default()
        },
    )
    .await
    .map_err(refused)?;
    Ok(see_other(&dashboard_url(&access.project.id, &dashboard.id)))
}

/// Clones a shipped template into a dashboard of the project.
pub async fn post_template(
    State(state): State<WebState>,
    Path((project_id, template)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    let (_, name, description, presets) = TEMPLATES
        .iter()
        .find(|(id, ..)| *id == template)
        .ok_or(WebError::NotFound)?;
    let placements = presets
        .iter()
        .enumerate()
        .map(|(index, preset)| Placement::Preset {
            id: format!("{preset}-{index}"),
            preset_id: (*preset).to_owned(),
            x: if index % 2 == 0 { 0 } else { 6 },
            y: (index as u32 / 2) * 6,
            width: 6,
            height: 6,
        })
        .collect();
    let dashboard = service::create_dashboard(
        state.store(),
        &access.project.id,
        DashboardFields {
            name: Some((*name).to_owned()),
            description: Some((*description).to_owned()),
            placements: Some(placements),
            filters: None,
        },
    )
    .await
    .map_err(refused)?;
    Ok(see_other(&dashboard_url(&access.project.id, &dashboard.id)))
}

/// A tile as the page lays it out.
struct Tile {
    id: String,
    chart_id: String,
    title: String,
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    edit_url: Option<String>,
    /// A widget its view cannot draw any more, or a preset this version does not know.
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard_custom.html")]
struct CustomDashboardPage {
    layout: Layout,
    access: ProjectAccess,
    name: String,
    description: String,
    url: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    tiles: Vec<Tile>,
    charts_json: String,
    echarts_url: String,
    can_edit: bool,
    widgets: Vec<(String, String)>,
    presets: Vec<&'static str>,
    new_widget_url: String,
    sizes: Vec<u32>,
}

/// The chart of a widget over `selection`, with the dashboard's `filters`.
pub(crate) async fn widget_chart(
    events: &dyn EventStore,
    project: &ProjectId,
    selection: &Selection,
    chart_id: String,
    widget: &Widget,
    filters: &[Value],
) -> WebResult<Result<Chart, String>> {
    let query = match widget_query(widget, selection.from, selection.to, filters) {
        Ok(query) => query,
        Err(error) => return Ok(Err(error.message)),
    };
    let rows = match query_metrics(events, project, &query).await {
        Ok(rows) => rows,
        Err(StoreError::InvalidQuery(message)) => return Ok(Err(message)),
        Err(StoreError::InvalidFilter(error)) => return Ok(Err(error.message)),
        Err(other) => return Err(other.into()),
    };
    let names: Vec<String> = query
        .metrics
        .iter()
        .map(|m| format!("{} {}", m.aggregation.name(), m.measure))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let time = is_time_series(&widget.chart_type);
    let (x, series) = if time {
        time_series(&rows, &query, &names)
    } else if query.dimensions.is_empty() {
        (
            vec![String::new()],
            query
                .metrics
                .iter()
                .zip(&names)
                .map(|(m, name)| {
                    (
                        (*name).to_owned(),
                        vec![rows.first().and_then(|r| r[m.key()].as_f64())],
                    )
                })
                .collect(),
        )
    } else {
        breakdown(&rows, &query, &names)
    };
    let unit = match query.metrics.first().map(|m| m.measure.as_str()) {
        Some(m) if m.ends_with("Cost") => "usd",
        Some(m) if m.contains("atency") || m == "timeToFirstToken" => "ms",
        Some(m) if m.ends_with("Tokens") => "tokens",
        Some("value") => "score",
        _ => "count",
    };
    let kind = match widget.chart_type.as_str() {
        "LINE_TIME_SERIES" => "line",
        "AREA_TIME_SERIES" => "area",
        "BAR_TIME_SERIES" => "timebar",
        "HORIZONTAL_BAR" => "hbar",
        "PIE" => "pie",
        "NUMBER" => "number",
        "PIVOT_TABLE" => "table",
        _ => "bar",
    };
    let dimension = query.dimensions.first().cloned();
    let categories = x.clone();
    let link_to = |index: usize| -> String {
        let range = if time {
            crate::pages::dashboard::bucket_range(&query, index)
        } else {
            (selection.from, selection.to)
        };
        let mut extra: Vec<(&str, &str)> = vec![("type", "ALL")];
        if !time {
            match dimension.as_deref() {
                Some("providedModelName") => extra.push(("model", &categories[index])),
                Some("name") => extra.push(("name", &categories[index])),
                _ => {}
            }
        }
        if widget.view == "observations" {
            selection.observations_link(project, range, &extra)
        } else {
            selection.traces_link(project, range, &[])
        }
    };
    Ok(Ok(Chart {
        id: chart_id,
        title: widget.name.clone(),
        kind,
        unit,
        x,
        series: linked(series, |_, index| link_to(index)),
    }))
}

pub async fn get_dashboard(
    State(state): State<WebState>,
    Path((project_id, dashboard_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::DashboardsRead,
    )
    .await?;
    let project = access.project.id.clone();
    let store = state.store();
    let dashboard = store
        .metadata()
        .dashboard(&project, &dashboard_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let selection = Selection::read(&params);
    let wanted: Vec<&str> = dashboard
        .placements
        .iter()
        .filter_map(|p| match p {
            Placement::Preset { preset_id, .. } => Some(preset_id.as_str()),
            Placement::Widget { .. } => None,
        })
        .collect();
    let presets = preset_charts(store.events(), &project, &selection, |id| {
        wanted.contains(&id)
    })
    .await?;
    let mut charts: Vec<Chart> = Vec::new();
    let mut tiles = Vec::new();
    for placement in &dashboard.placements {
        let (x, y, width, height) = placement.frame();
        let chart_id = format!("tile-{}", urls::segment(placement.id()));
        let mut tile = Tile {
            id: placement.id().to_owned(),
            chart_id: chart_id.clone(),
            title: String::new(),
            x,
            y,
            width,
            height,
            edit_url: None,
            problem: None,
        };
        match placement {
            Placement::Preset { preset_id, .. } => {
                match presets.iter().find(|c| c.id == *preset_id) {
                    Some(preset) => {
                        tile.title = preset.title.clone();
                        charts.push(Chart {
                            id: chart_id,
                            ..preset.clone()
                        });
                    }
                    None => {
                        tile.title = preset_id.clone();
                        tile.problem = Some(format!("Unknown preset '{preset_id}'."));
                    }
                }
            }
            Placement::Widget { widget_id, .. } => {
                match store.metadata().widget(&project, widget_id).await? {
                    Some(widget) => {
                        tile.title = widget.name.clone();
                        tile.edit_url = Some(format!(
                            "{}/{}/edit?dashboard={}",
                            urls::project_section(&project, "widgets"),
                            urls::segment(&widget.id),
                            urls::segment(&dashboard.id)
                        ));
                        match widget_chart(
                            store.events(),
                            &project,
                            &selection,
                            chart_id,
                            &widget,
                            &dashboard.filters,
                        )
                        .await?
                        {
                            Ok(chart) => charts.push(chart),
                            Err(problem) => tile.problem = Some(problem),
                        }
                    }
                    None => {
                        tile.title = "Missing widget".into();
                        tile.problem = Some("This widget was deleted.".into());
                    }
                }
            }
        }
        tiles.push(tile);
    }
    let (widgets, _) = store.metadata().list_widgets(&project, 100, 0).await?;
    let layout =
        Layout::for_project(store, &signed_in, &csrf, &access.project, "dashboards").await?;
    page(&CustomDashboardPage {
        layout,
        url: dashboard_url(&project, &dashboard.id),
        name: dashboard.name,
        description: dashboard.description,
        ranges: RANGES
            .iter()
            .map(|(key, label, _)| (*key, *label, *key == selection.range_key))
            .collect(),
        tiles,
        charts_json: script_json(&charts),
        echarts_url: assets::url("echarts.min.js"),
        can_edit: access.can(ProjectScope::DashboardsCud),
        widgets: widgets.into_iter().map(|w| (w.id, w.name)).collect(),
        presets: PRESETS.to_vec(),
        new_widget_url: format!(
            "{}?dashboard={}",
            urls::project_section(&project, "widgets/new"),
            urls::segment(&dashboard.id)
        ),
        sizes: (1..=12).collect(),
        access,
    })
}

pub async fn post_duplicate(
    State(state): State<WebState>,
    Path((project_id, dashboard_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    let copy = service::duplicate_dashboard(state.store(), &access.project.id, &dashboard_id)
        .await
        .map_err(refused)?;
    Ok(see_other(&dashboard_url(&access.project.id, &copy.id)))
}

pub async fn post_delete(
    State(state): State<WebState>,
    Path((project_id, dashboard_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    service::delete_dashboard(state.store(), &access.project.id, &dashboard_id)
        .await
        .map_err(refused)?;
    Ok(see_other(&urls::project_section(
        &access.project.id,
        "dashboards",
    )))
}

#[derive(Deserialize)]
pub struct TileForm {
    /// `widget:<id>` or `preset:<id>`.
    target: String,
}

pub async fn post_tile(
    State(state): State<WebState>,
    Path((project_id, dashboard_id)): Path<(String, String)>,
    signed_in: SignedIn,
    Form(form): Form<TileForm>,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    let target = match form.target.split_once(':') {
        Some(("widget", id)) => Ok(id.to_owned()),
        Some(("preset", id)) => Err(id.to_owned()),
        _ => {
            return Err(WebError::BadRequest(
                "Choose a widget or a chart to add.".into(),
            ));
        }
    };
    service::add_placement(
        state.store(),
        &access.project.id,
        &dashboard_id,
        NewPlacement {
            id: None,
            target,
            x: None,
            y: None,
            width: None,
            height: None,
        },
    )
    .await
    .map_err(refused)?;
    Ok(see_other(&dashboard_url(&access.project.id, &dashboard_id)))
}

#[derive(Deserialize)]
pub struct FrameForm {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

pub async fn post_tile_frame(
    State(state): State<WebState>,
    Path((project_id, dashboard_id, tile_id)): Path<(String, String, String)>,
    signed_in: SignedIn,
    Form(form): Form<FrameForm>,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    service::update_placement(
        state.store(),
        &access.project.id,
        &dashboard_id,
        &tile_id,
        (
            Some(form.x),
            Some(form.y),
            Some(form.width),
            Some(form.height),
        ),
    )
    .await
    .map_err(refused)?;
    Ok(see_other(&dashboard_url(&access.project.id, &dashboard_id)))
}

pub async fn post_tile_delete(
    State(state): State<WebState>,
    Path((project_id, dashboard_id, tile_id)): Path<(String, String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    service::delete_placement(state.store(), &access.project.id, &dashboard_id, &tile_id)
        .await
        .map_err(refused)?;
    Ok(see_other(&dashboard_url(&access.project.id, &dashboard_id)))
}

/// The widget editor's fields, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WidgetForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    dimension: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    aggregation: String,
    #[serde(default)]
    chart_type: String,
    /// Filters as JSON, in the API's filter shape.
    #[serde(default)]
    filters: String,
    /// The dashboard to place a new widget on, and to return to.
    #[serde(default)]
    dashboard: String,
}

impl WidgetForm {
    fn from_widget(widget: &Widget, dashboard: String) -> WidgetForm {
        WidgetForm {
            name: widget.name.clone(),
            description: widget.description.clone(),
            view: widget.view.clone(),
            dimension: widget
                .dimensions
                .first()
                .map(|d| d.field.clone())
                .unwrap_or_default(),
            measure: widget
                .metrics
                .first()
                .map(|m| m.measure.clone())
                .unwrap_or_default(),
            aggregation: widget
                .metrics
                .first()
                .map(|m| m.agg.clone())
                .unwrap_or_default(),
            chart_type: widget.chart_type.clone(),
            filters: if widget.filters.is_empty() {
                String::new()
            } else {
                Value::Array(widget.filters.clone()).to_string()
            },
            dashboard,
        }
    }

    fn fields(&self) -> Result<WidgetFields, String> {
        let filters = if self.filters.trim().is_empty() {
            Vec::new()
        } else {
            parse_filter(&self.filters).map_err(|e| format!("Filters: {}", e.message))?;
            match serde_json::from_str::<Value>(&self.filters) {
                Ok(Value::Array(filters)) => filters,
                _ => return Err("Filters: expected a JSON array".into()),
            }
        };
        Ok(WidgetFields {
            name: Some(self.name.trim().to_owned()),
            description: Some(self.description.trim().to_owned()),
            view: Some(self.view.clone()),
            dimensions: Some(
                (!self.dimension.is_empty())
                    .then(|| WidgetDimension {
                        field: self.dimension.clone(),
                    })
                    .into_iter()
                    .collect(),
            ),
            metrics: Some(vec![WidgetMetric {
                measure: self.measure.clone(),
                agg: self.aggregation.clone(),
            }]),
            filters: Some(filters),
            chart_type: Some(self.chart_type.clone()),
            chart_config: None,
        })
    }

    /// The widget the form describes, unsaved (for the preview).
    fn draft(&self, project: &ProjectId) -> Result<Widget, String> {
        let fields = self.fields()?;
        Ok(Widget {
            id: "preview".into(),
            project_id: project.clone(),
            name: fields.name.unwrap_or_default(),
            description: String::new(),
            view: fields.view.unwrap_or_default(),
            dimensions: fields.dimensions.unwrap_or_default(),
            metrics: fields.metrics.unwrap_or_default(),
            filters: fields.filters.unwrap_or_default(),
            chart_type: fields.chart_type.unwrap_or_default(),
            chart_config: Value::Null,
            created_at: 0,
            updated_at: 0,
        })
    }
}

/// Dimensions and measures the editor offers per view (the metrics views' own names).
const EDITOR_DIMENSIONS: &[&str] = &[
    "",
    "name",
    "type",
    "level",
    "environment",
    "providedModelName",
    "traceName",
    "userId",
    "promptName",
    "source",
    "stringValue",
];
const EDITOR_MEASURES: &[&str] = &[
    "count",
    "totalCost",
    "inputCost",
    "outputCost",
    "totalTokens",
    "inputTokens",
    "outputTokens",
    "latency",
    "timeToFirstToken",
    "countScores",
    "value",
];
const EDITOR_AGGREGATIONS: &[&str] = &[
    "count", "sum", "avg", "min", "max", "p50", "p75", "p90", "p95", "p99", "uniq",
];

#[derive(Template)]
#[template(path = "widget_editor.html")]
struct WidgetEditorPage {
    layout: Layout,
    access: ProjectAccess,
    title: &'static str,
    action: String,
    preview_url: String,
    form: WidgetForm,
    views: Vec<&'static str>,
    dimensions: Vec<&'static str>,
    measures: Vec<&'static str>,
    aggregations: Vec<&'static str>,
    chart_types: Vec<&'static str>,
    /// The rendered [`WidgetPreview`].
    preview_html: String,
    echarts_url: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "_widget_preview.html")]
struct WidgetPreview {
    problem: Option<String>,
    charts_json: String,
}

async fn preview(
    events: &dyn EventStore,
    project: &ProjectId,
    form: &WidgetForm,
) -> WebResult<WidgetPreview> {
    let selection = Selection::read(&ListParams::default());
    let outcome = match form.draft(project) {
        Ok(widget) if Aggregation::parse(&form.aggregation).is_some() => {
            widget_chart(
                events,
                project,
                &selection,
                "widget-preview".into(),
                &widget,
                &[],
            )
            .await?
        }
        Ok(_) => Err("Choose an aggregation.".into()),
        Err(problem) => Err(problem),
    };
    Ok(match outcome {
        Ok(chart) => WidgetPreview {
            problem: None,
            charts_json: script_json(&vec![chart]),
        },
        Err(problem) => WidgetPreview {
            problem: Some(problem),
            charts_json: "[]".into(),
        },
    })
}

#[allow(clippy::too_many_arguments)]
async fn editor(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    form: WidgetForm,
    action: String,
    title: &'static str,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let project = access.project.id.clone();
    let preview = preview(state.store().events(), &project, &form).await?;
    let layout = Layout::for_project(
        state.store(),
        signed_in,
        csrf,
        &access.project,
        "dashboards",
    )
    .await?;
    let mut response = page(&WidgetEditorPage {
        layout,
        title,
        action,
        preview_url: urls::project_section(&project, "widgets/preview"),
        form,
        views: WIDGET_VIEWS.to_vec(),
        dimensions: EDITOR_DIMENSIONS.to_vec(),
        measures: EDITOR_MEASURES.to_vec(),
        aggregations: EDITOR_AGGREGATIONS.to_vec(),
        chart_types: CHART_TYPES
            .iter()
            .copied()
            .filter(|t| *t != "HISTOGRAM")
            .collect(),
        preview_html: preview.render().map_err(WebError::internal)?,
        echarts_url: assets::url("echarts.min.js"),
        error,
        access,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn get_new_widget(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    let form = WidgetForm {
        name: "New widget".into(),
        view: "observations".into(),
        dimension: "providedModelName".into(),
        measure: "totalCost".into(),
        aggregation: "sum".into(),
        chart_type: "VERTICAL_BAR".into(),
        dashboard: params.text("dashboard").unwrap_or_default(),
        ..WidgetForm::default()
    };
    let action = urls::project_section(&access.project.id, "widgets");
    editor(
        &state,
        &signed_in,
        &csrf,
        access,
        form,
        action,
        "New widget",
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn get_edit_widget(
    State(state): State<WebState>,
    Path((project_id, widget_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    let widget = state
        .store()
        .metadata()
        .widget(&access.project.id, &widget_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let form = WidgetForm::from_widget(&widget, params.text("dashboard").unwrap_or_default());
    let action = format!(
        "{}/{}",
        urls::project_section(&access.project.id, "widgets"),
        urls::segment(&widget.id)
    );
    editor(
        &state,
        &signed_in,
        &csrf,
        access,
        form,
        action,
        "Edit widget",
        None,
        StatusCode::OK,
    )
    .await
}

/// The live preview of the editor's current fields (an htmx fragment).
pub async fn get_widget_preview(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    headers: HeaderMap,
    axum::extract::Query(form): axum::extract::Query<WidgetForm>,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::DashboardsRead,
    )
    .await?;
    if !is_htmx(&headers) {
        return Err(WebError::NotFound);
    }
    page(&preview(state.store().events(), &access.project.id, &form).await?)
}

/// Where a saved widget leads: its dashboard (placing a new widget on it), or the dashboards.
async fn after_save(
    state: &WebState,
    project: &ProjectId,
    form: &WidgetForm,
    widget: &Widget,
    new: bool,
) -> WebResult<Response> {
    if form.dashboard.is_empty() {
        return Ok(see_other(&urls::project_section(project, "dashboards")));
    }
    if new {
        service::add_placement(
            state.store(),
            project,
            &form.dashboard,
            NewPlacement {
                id: None,
                target: Ok(widget.id.clone()),
                x: None,
                y: None,
                width: None,
                height: None,
            },
        )
        .await
        .map_err(refused)?;
    }
    Ok(see_other(&dashboard_url(project, &form.dashboard)))
}

/// Saves the editor's widget: a new one (`existing` `None`) or the one with that id; a refused
/// widget shows the editor again with what was typed and why.
async fn save_widget(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    form: WidgetForm,
    existing: Option<String>,
) -> WebResult<Response> {
    let project = access.project.id.clone();
    let widgets = urls::project_section(&project, "widgets");
    let (action, title) = match &existing {
        Some(id) => (format!("{widgets}/{}", urls::segment(id)), "Edit widget"),
        None => (widgets, "New widget"),
    };
    let saved = match (form.fields(), &existing) {
        (Ok(fields), Some(id)) => service::update_widget(state.store(), &project, id, fields).await,
        (Ok(fields), None) => service::create_widget(state.store(), &project, fields).await,
        (Err(problem), _) => Err(DashboardError::Invalid(
            sightline_domain::dashboard::BodyError {
                field: "filters".into(),
                message: problem,
            },
        )),
    };
    match saved {
        Ok(widget) => after_save(state, &project, &form, &widget, existing.is_none()).await,
        Err(DashboardError::Invalid(error)) => {
            let message = format!("{}: {}", error.field, error.message);
            editor(
                state,
                signed_in,
                csrf,
                access,
                form,
                action,
                title,
                Some(message),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(other) => Err(refused(other)),
    }
}

pub async fn post_widget(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<WidgetForm>,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    save_widget(&state, &signed_in, &csrf, access, form, None).await
}

pub async fn post_widget_update(
    State(state): State<WebState>,
    Path((project_id, widget_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<WidgetForm>,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::DashboardsCud).await?;
    save_widget(&state, &signed_in, &csrf, access, form, Some(widget_id)).await
}
