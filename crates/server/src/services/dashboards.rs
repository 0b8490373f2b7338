//! Custom dashboards and widgets: create, change and delete them with Langfuse's rules
//! (`web/src/features/widgets/server/public-dashboard-widget-service.ts` and the dashboard
//! routes under `web/src/pages/api/public/unstable/`): a widget's query must be one its view can
//! answer (the v2 views), a placement must name a widget of the project or a preset and fit the
//! 12-column grid, and a widget still placed on a dashboard cannot be deleted. Shared by the
//! public API and the web UI.

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::dashboard::{
    self, BodyError, Dashboard, Placement, Widget, WidgetDimension, WidgetMetric,
};
use sightline_domain::filter::parse_filter;
use sightline_domain::metrics::{
    Aggregation, Granularity, Metric, MetricsQuery, MetricsVersion, OrderBy,
};
use sightline_domain::time::{Millis, now_ms};
use sightline_store::{Store, StoreError};

/// Why a dashboard or widget change was refused.
#[derive(Debug)]
pub enum DashboardError {
    /// The body is malformed or breaks a rule; `field` names where.
    Invalid(BodyError),
    NotFound(String),
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for DashboardError {
    fn from(error: StoreError) -> Self {
        DashboardError::Store(error)
    }
}

impl From<BodyError> for DashboardError {
    fn from(error: BodyError) -> Self {
        DashboardError::Invalid(error)
    }
}

fn invalid(field: &str, message: impl Into<String>) -> DashboardError {
    DashboardError::Invalid(BodyError {
        field: field.to_owned(),
        message: message.into(),
    })
}

pub type DashboardResult<T> = Result<T, DashboardError>;

/// The presets a dashboard may place: the home dashboard's charts, by id.
pub const PRESETS: &[&str] = &[
    "traces",
    "observations",
    "cost-by-model",
    "cost-by-trace-name",
    "tokens",
    "latency-by-name",
    "latency-by-model",
    "errors",
    "scores",
    "categorical-scores",
];

/// The fields of a widget a create or an update sets (an update leaves `None` as it was).
#[derive(Debug, Clone, Default)]
pub struct WidgetFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub view: Option<String>,
    pub dimensions: Option<Vec<WidgetDimension>>,
    pub metrics: Option<Vec<WidgetMetric>>,
    pub filters: Option<Vec<Value>>,
    pub chart_type: Option<String>,
    pub chart_config: Option<Value>,
}

/// The metrics query of a widget over `from..=to`, with `extra` filters (a dashboard's) added;
/// `Err` names what its view cannot answer.
pub fn widget_query(
    widget: &Widget,
    from: Millis,
    to: Millis,
    extra: &[Value],
) -> Result<MetricsQuery, BodyError> {
    let body = |field: &str, message: String| BodyError {
        field: field.to_owned(),
        message,
    };
    let metrics = widget
        .metrics
        .iter()
        .map(|metric| {
            Aggregation::parse(&metric.agg)
                .map(|aggregation| Metric {
                    measure: metric.measure.clone(),
                    aggregation,
                })
                .ok_or_else(|| body("metrics", format!("Unknown aggregation '{}'", metric.agg)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut all_filters = widget.filters.clone();
    all_filters.extend(extra.iter().cloned());
    let filters = parse_filter(&Value::Array(all_filters).to_string())
        .map_err(|e| body("filters", e.message))?;
    let time = dashboard::is_time_series(&widget.chart_type);
    let row_limit = widget.chart_config["row_limit"]
        .as_u64()
        .map(|n| n as u32)
        .or((!time).then_some(100));
    // A breakdown shows its largest groups: ordered by its first metric when it has dimensions.
    let order_by = match (time, metrics.first(), widget.dimensions.is_empty()) {
        (false, Some(first), false) => vec![OrderBy {
            field: first.key(),
            descending: true,
        }],
        _ => Vec::new(),
    };
    Ok(MetricsQuery {
        version: MetricsVersion::V2,
        view: widget.view.clone(),
        dimensions: widget.dimensions.iter().map(|d| d.field.clone()).collect(),
        metrics,
        filters,
        granularity: time.then(|| Granularity::auto(from, to)),
        from,
        to,
        order_by,
        bins: 10,
        row_limit,
    })
}

/// Checks a widget: name, view, chart type and config, and that the metrics store can answer its
/// query.
fn check_widget(store: &Store, widget: &mut Widget) -> DashboardResult<()> {
    dashboard::check_name(&widget.name)?;
    if !dashboard::WIDGET_VIEWS.contains(&widget.view.as_str()) {
        return Err(invalid(
            "view",
            format!("Expected one of: {}", dashboard::WIDGET_VIEWS.join(", ")),
        ));
    }
    if widget.metrics.is_empty() {
        return Err(invalid("metrics", "At least one metric is required"));
    }
    widget.chart_config = dashboard::chart_config(&widget.chart_type, Some(&widget.chart_config))?;
    dashboard::check_filters("filters", &widget.filters)?;
    let now = now_ms();
    let mut query = widget_query(widget, now - 86_400_000, now, &[])?;
    // The v2 rule for high-cardinality dimensions is the API's, not a saved widget's.
    query.version = MetricsVersion::V1;
    match store.events().check_metrics_query(&query) {
        Ok(()) => Ok(()),
        Err(StoreError::InvalidQuery(message)) => Err(invalid("metrics", message)),
        Err(StoreError::InvalidFilter(error)) => Err(invalid("filters", error.message)),
        Err(other) => Err(other.into()),
    }
}

pub async fn create_widget(
    store: &Store,
    project: &ProjectId,
    fields: WidgetFields,
) -> DashboardResult<Widget> {
    let now = now_ms();
    let chart_type = fields
        .chart_type
        .ok_or_else(|| invalid("chartType", "Required"))?;
    let mut widget = Widget {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project.clone(),
        name: fields.name.ok_or_else(|| invalid("name", "Required"))?,
        description: fields.description.unwrap_or_default(),
        view: fields.view.ok_or_else(|| invalid("view", "Required"))?,
        dimensions: fields.dimensions.unwrap_or_default(),
        metrics: fields
            .metrics
            .ok_or_else(|| invalid("metrics", "Required"))?,
        filters: fields.filters.unwrap_or_default(),
        chart_config: fields.chart_config.unwrap_or(Value::Null),
        chart_type,
        created_at: now,
        updated_at: now,
    };
    check_widget(store, &mut widget)?;
    store.metadata().put_widget(&widget).await?;
    Ok(widget)
}

pub async fn update_widget(
    store: &Store,
    project: &ProjectId,
    id: &str,
    fields: WidgetFields,
) -> DashboardResult<Widget> {
    let mut widget = store
        .metadata()
        .widget(project, id)
        .await?
        .ok_or_else(|| DashboardError::NotFound("Dashboard widget not found".into()))?;
    let chart_type_changed = fields
        .chart_type
        .as_ref()
        .is_some_and(|t| *t != widget.chart_type);
    if let Some(name) = fields.name {
        widget.name = name;
    }
    if let Some(description) = fields.description {
        widget.description = description;
    }
    if let Some(view) = fields.view {
        widget.view = view;
    }
    if let Some(dimensions) = fields.dimensions {
        widget.dimensions = dimensions;
    }
    if let Some(metrics) = fields.metrics {
        widget.metrics = metrics;
    }
    if let Some(filters) = fields.filters {
        widget.filters = filters;
    }
    if let Some(chart_type) = fields.chart_type {
        widget.chart_type = chart_type;
    }
    match fields.chart_config {
        Some(config) => widget.chart_config = config,
        // A new chart type starts from its plain config.
        None if chart_type_changed => widget.chart_config = Value::Null,
        None => {}
    }
    widget.updated_at = now_ms().max(widget.updated_at);
    check_widget(store, &mut widget)?;
    store.metadata().put_widget(&widget).await?;
    Ok(widget)
}

/// Deletes a widget no dashboard places.
pub async fn delete_widget(store: &Store, project: &ProjectId, id: &str) -> DashboardResult<()> {
    if store.metadata().widget(project, id).await?.is_none() {
        return Err(DashboardError::NotFound(
            "Dashboard widget not found".into(),
        ));
    }
    let (dashboards, _) = store.metadata().list_dashboards(project, 10_000, 0).await?;
    if let Some(using) = dashboards
        .iter()
        .find(|d| d.placements.iter().any(|p| p.widget_id() == Some(id)))
    {
        return Err(DashboardError::Conflict(format!(
            "Dashboard widget is still placed on dashboard '{}'; remove it from the dashboard first",
            using.name
        )));
    }
    store.metadata().delete_widget(project, id).await?;
    Ok(())
}

/// Checks placements: the grid, unique ids, and that each names a widget of the project or a
/// preset.
async fn check_placements(
    store: &Store,
    project: &ProjectId,
    placements: &[Placement],
) -> DashboardResult<()> {
    dashboard::check_placements(placements)?;
    for placement in placements {
        match placement {
            Placement::Widget { widget_id, .. } => {
                if store.metadata().widget(project, widget_id).await?.is_none() {
                    return Err(invalid(
                        "definition",
                        format!("Widget '{widget_id}' does not exist in this project"),
                    ));
                }
            }
            Placement::Preset { preset_id, .. } => {
                if !PRESETS.contains(&preset_id.as_str()) {
                    return Err(invalid(
                        "definition",
                        format!(
                            "Unknown preset '{preset_id}'. Expected one of: {}",
                            PRESETS.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The fields of a dashboard a create or an update sets.
#[derive(Debug, Clone, Default)]
pub struct DashboardFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub placements: Option<Vec<Placement>>,
    pub filters: Option<Vec<Value>>,
}

pub async fn create_dashboard(
    store: &Store,
    project: &ProjectId,
    fields: DashboardFields,
) -> DashboardResult<Dashboard> {
    let now = now_ms();
    let dashboard = Dashboard {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project.clone(),
        name: fields.name.ok_or_else(|| invalid("name", "Required"))?,
        description: fields.description.unwrap_or_default(),
        placements: fields.placements.unwrap_or_default(),
        filters: fields.filters.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    save_dashboard(store, &dashboard).await?;
    Ok(dashboard)
}

async fn save_dashboard(store: &Store, dashboard: &Dashboard) -> DashboardResult<()> {
    dashboard::check_name(&dashboard.name)?;
    dashboard::check_filters("filters", &dashboard.filters)?;
    check_placements(store, &dashboard.project_id, &dashboard.placements).await?;
    store.metadata().put_dashboard(dashboard).await?;
    Ok(())
}

async fn existing(store: &Store, project: &ProjectId, id: &str) -> DashboardResult<Dashboard> {
    store
        .metadata()
        .dashboard(project, id)
        .await?
        .ok_or_else(|| DashboardError::NotFound("Dashboard not found".into()))
}

pub async fn update_dashboard(
    store: &Store,
    project: &ProjectId,
    id: &str,
    fields: DashboardFields,
) -> DashboardResult<Dashboard> {
    let mut dashboard = existing(store, project, id).await?;
    if let Some(name) = fields.name {
        dashboard.name = name;
    }
    if let Some(description) = fields.description {
        dashboard.description = description;
    }
    if let Some(placements) = fields.placements {
        dashboard.placements = placements;
    }
    if let Some(filters) = fields.filters {
        dashboard.filters = filters;
    }
    dashboard.updated_at = now_ms().max(dashboard.updated_at);
    save_dashboard(store, &dashboard).await?;
    Ok(dashboard)
}

pub async fn delete_dashboard(store: &Store, project: &ProjectId, id: &str) -> DashboardResult<()> {
    if !store.metadata().delete_dashboard(project, id).await? {
        return Err(DashboardError::NotFound("Dashboard not found".into()));
    }
    Ok(())
}

/// A copy of a dashboard under a new id and name; its widgets are shared.
pub async fn duplicate_dashboard(
    store: &Store,
    project: &ProjectId,
    id: &str,
) -> DashboardResult<Dashboard> {
    let source = existing(store, project, id).await?;
    create_dashboard(
        store,
        project,
        DashboardFields {
            name: Some(format!("{} (copy)", source.name)),
            description: Some(source.description),
            placements: Some(source.placements),
            filters: Some(source.filters),
        },
    )
    .await
}

/// A new tile: the widget or preset at the given box, or below every tile, 6 × 6 by default.
#[derive(Debug, Clone)]
pub struct NewPlacement {
    pub id: Option<String>,
    /// `Ok(widget id)` or `Err(preset id)`.
    pub target: Result<String, String>,
    pub x: Option<u32>,
    pub y: Option<u32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

pub async fn add_placement(
    store: &Store,
    project: &ProjectId,
    dashboard_id: &str,
    new: NewPlacement,
) -> DashboardResult<Placement> {
    let mut dashboard = existing(store, project, dashboard_id).await?;
    let id = new.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let (x, width, height) = (
        new.x.unwrap_or(0),
        new.width.unwrap_or(dashboard::DEFAULT_TILE),
        new.height.unwrap_or(dashboard::DEFAULT_TILE),
    );
    let y = new
        .y
        .unwrap_or_else(|| dashboard::next_free_row(&dashboard.placements));
    let placement = match new.target {
        Ok(widget_id) => Placement::Widget {
            id,
            widget_id,
            x,
            y,
            width,
            height,
        },
        Err(preset_id) => Placement::Preset {
            id,
            preset_id,
            x,
            y,
            width,
            height,
        },
    };
    if dashboard
        .placements
        .iter()
        .any(|p| p.id() == placement.id())
    {
        return Err(DashboardError::Conflict(format!(
            "Placement '{}' already exists on this dashboard",
            placement.id()
        )));
    }
    dashboard.placements.push(placement.clone());
    dashboard.updated_at = now_ms().max(dashboard.updated_at);
    save_dashboard(store, &dashboard).await?;
    Ok(placement)
}

pub async fn update_placement(
    store: &Store,
    project: &ProjectId,
    dashboard_id: &str,
    placement_id: &str,
    frame: (Option<u32>, Option<u32>, Option<u32>, Option<u32>),
) -> DashboardResult<Placement> {
    let mut dashboard = existing(store, project, dashboard_id).await?;
    let placement = dashboard
        .placements
        .iter_mut()
        .find(|p| p.id() == placement_id)
        .ok_or_else(|| DashboardError::NotFound("Placement not found".into()))?;
    placement.set_frame(frame.0, frame.1, frame.2, frame.3);
    let placement = placement.clone();
    dashboard.updated_at = now_ms().max(dashboard.updated_at);
    save_dashboard(store, &dashboard).await?;
    Ok(placement)
}

pub async fn delete_placement(
    store: &Store,
    project: &ProjectId,
    dashboard_id: &str,
    placement_id: &str,
) -> DashboardResult<()> {
    let mut dashboard = existing(store, project, dashboard_id).await?;
    let before = dashboard.placements.len();
    dashboard.placements.retain(|p| p.id() != placement_id);
    if dashboard.placements.len() == before {
        return Err(DashboardError::NotFound("Placement not found".into()));
    }
    dashboard.updated_at = now_ms().max(dashboard.updated_at);
    save_dashboard(store, &dashboard).await?;
    Ok(())
}
