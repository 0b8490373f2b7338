//! The unstable dashboard API: `/api/public/unstable/dashboards` (list, create, get, update,
//! delete; placements added, moved and removed) and `/api/public/unstable/dashboard-widgets`
//! (list, create, get, update, delete), over `services/dashboards.rs`. Errors take the unstable
//! API's shape `{"message", "code", "details"?}` (Langfuse's
//! `web/src/features/public-api/server/unstable-public-api-error-contract.ts`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use sightline_domain::dashboard::{Dashboard, Placement, Widget, WidgetDimension, WidgetMetric};
use sightline_domain::time::to_iso;

use crate::auth::ProjectAuth;
use crate::extract::QueryPairs;
use crate::services::dashboards::{
    self as service, DashboardError, DashboardFields, NewPlacement, WidgetFields,
};
use crate::state::AppState;

use super::unstable::{UnstableError, UnstableResult, field, list_json, object, paging};

impl From<DashboardError> for UnstableError {
    fn from(error: DashboardError) -> Self {
        match error {
            DashboardError::Invalid(error) => UnstableError {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_request",
                details: Some(json!({"field": error.field, "message": error.message})),
                message: error.message,
            },
            DashboardError::NotFound(message) => UnstableError {
                status: StatusCode::NOT_FOUND,
                code: "resource_not_found",
                message,
                details: None,
            },
            DashboardError::Conflict(message) => UnstableError {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message,
                details: None,
            },
            DashboardError::Store(error) => error.into(),
        }
    }
}

fn dashboard_json(dashboard: &Dashboard) -> Value {
    json!({
        "id": dashboard.id,
        "createdAt": to_iso(dashboard.created_at),
        "updatedAt": to_iso(dashboard.updated_at),
        "name": dashboard.name,
        "description": dashboard.description,
        "definition": {"widgets": dashboard.placements},
        "filters": dashboard.filters,
    })
}

fn widget_json(widget: &Widget) -> Value {
    json!({
        "id": widget.id,
        "createdAt": to_iso(widget.created_at),
        "updatedAt": to_iso(widget.updated_at),
        "name": widget.name,
        "description": widget.description,
        "view": widget.view,
        "dimensions": widget.dimensions,
        "metrics": widget.metrics,
        "filters": widget.filters,
        "chartType": widget.chart_type,
        "chartConfig": widget.chart_config,
    })
}

fn widget_fields(object: &Map<String, Value>) -> UnstableResult<WidgetFields> {
    Ok(WidgetFields {
        name: field(object, "name", "a string")?,
        description: field(object, "description", "a string")?,
        view: field(object, "view", "a string")?,
        dimensions: field::<Vec<WidgetDimension>>(object, "dimensions", "an array of {field}")?,
        metrics: field::<Vec<WidgetMetric>>(object, "metrics", "an array of {measure, agg}")?,
        filters: field(object, "filters", "an array of filters")?,
        chart_type: field(object, "chartType", "a string")?,
        chart_config: object.get("chartConfig").filter(|v| !v.is_null()).cloned(),
    })
}

fn dashboard_fields(object: &Map<String, Value>) -> UnstableResult<DashboardFields> {
    let placements = match object.get("definition") {
        None | Some(Value::Null) => None,
        Some(definition) => Some(
            field::<Vec<Placement>>(
                definition.as_object().ok_or_else(|| {
                    UnstableError::body("definition", "Expected an object {widgets}")
                })?,
                "widgets",
                "an array of placements {type, id, widgetId or presetId, x, y, width, height}",
            )?
            .unwrap_or_default(),
        ),
    };
    Ok(DashboardFields {
        name: field(object, "name", "a string")?,
        description: field(object, "description", "a string")?,
        placements,
        filters: field(object, "filters", "an array of filters")?,
    })
}

/// Refuses an update that changes nothing.
fn not_empty(object: &Map<String, Value>, fields: &[&str]) -> UnstableResult<()> {
    if fields
        .iter()
        .any(|name| object.get(*name).is_some_and(|v| !v.is_null()))
    {
        Ok(())
    } else {
        Err(UnstableError::body(
            "body",
            format!("Provide at least one of: {}", fields.join(", ")),
        ))
    }
}

pub async fn list_dashboards(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> UnstableResult<axum::Json<Value>> {
    let (page, limit) = paging(&query)?;
    let (dashboards, total) = state
        .store()
        .metadata()
        .list_dashboards(&caller.project_id, limit, (page - 1) * limit)
        .await
        .map_err(DashboardError::from)?;
    let data = dashboards.iter().map(dashboard_json).collect();
    Ok(axum::Json(list_json(data, page, limit, total)))
}

pub async fn post_dashboard(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let fields = dashboard_fields(&object(&body)?)?;
    let dashboard = service::create_dashboard(state.store(), &caller.project_id, fields).await?;
    Ok(axum::Json(dashboard_json(&dashboard)))
}

pub async fn get_dashboard(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    let dashboard = state
        .store()
        .metadata()
        .dashboard(&caller.project_id, &id)
        .await
        .map_err(DashboardError::from)?
        .ok_or_else(|| DashboardError::NotFound("Dashboard not found".into()))?;
    Ok(axum::Json(dashboard_json(&dashboard)))
}

pub async fn patch_dashboard(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let object = object(&body)?;
    not_empty(&object, &["name", "description", "definition", "filters"])?;
    let fields = dashboard_fields(&object)?;
    let dashboard =
        service::update_dashboard(state.store(), &caller.project_id, &id, fields).await?;
    Ok(axum::Json(dashboard_json(&dashboard)))
}

pub async fn delete_dashboard(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    service::delete_dashboard(state.store(), &caller.project_id, &id).await?;
    Ok(axum::Json(
        json!({"message": "Dashboard successfully deleted"}),
    ))
}

fn frame_field(object: &Map<String, Value>, name: &str) -> UnstableResult<Option<u32>> {
    field::<u32>(object, name, "a non-negative integer")
}

pub async fn post_placement(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(dashboard_id): Path<String>,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let object = object(&body)?;
    let target = match object.get("type").and_then(Value::as_str) {
        Some("widget") => Ok(field::<String>(&object, "widgetId", "a string")?
            .ok_or_else(|| UnstableError::body("widgetId", "Required"))?),
        Some("preset") => Err(field::<String>(&object, "presetId", "a string")?
            .ok_or_else(|| UnstableError::body("presetId", "Required"))?),
        _ => return Err(UnstableError::body("type", "Expected 'widget' or 'preset'")),
    };
    let new = NewPlacement {
        id: field(&object, "id", "a string")?,
        target,
        x: frame_field(&object, "x")?,
        y: frame_field(&object, "y")?,
        width: frame_field(&object, "width")?,
        height: frame_field(&object, "height")?,
    };
    let placement =
        service::add_placement(state.store(), &caller.project_id, &dashboard_id, new).await?;
    Ok(axum::Json(json!(placement)))
}

pub async fn patch_placement(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((dashboard_id, placement_id)): Path<(String, String)>,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let object = object(&body)?;
    not_empty(&object, &["x", "y", "width", "height"])?;
    let frame = (
        frame_field(&object, "x")?,
        frame_field(&object, "y")?,
        frame_field(&object, "width")?,
        frame_field(&object, "height")?,
    );
    let placement = service::update_placement(
        state.store(),
        &caller.project_id,
        &dashboard_id,
        &placement_id,
        frame,
    )
    .await?;
    Ok(axum::Json(json!(placement)))
}

pub async fn delete_placement(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((dashboard_id, placement_id)): Path<(String, String)>,
) -> UnstableResult<axum::Json<Value>> {
    service::delete_placement(
        state.store(),
        &caller.project_id,
        &dashboard_id,
        &placement_id,
    )
    .await?;
    Ok(axum::Json(
        json!({"message": "Placement successfully deleted"}),
    ))
}

pub async fn list_widgets(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> UnstableResult<axum::Json<Value>> {
    let (page, limit) = paging(&query)?;
    let (widgets, total) = state
        .store()
        .metadata()
        .list_widgets(&caller.project_id, limit, (page - 1) * limit)
        .await
        .map_err(DashboardError::from)?;
    let data = widgets.iter().map(widget_json).collect();
    Ok(axum::Json(list_json(data, page, limit, total)))
}

pub async fn post_widget(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let fields = widget_fields(&object(&body)?)?;
    let widget = service::create_widget(state.store(), &caller.project_id, fields).await?;
    Ok(axum::Json(widget_json(&widget)))
}

pub async fn get_widget(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    let widget = state
        .store()
        .metadata()
        .widget(&caller.project_id, &id)
        .await
        .map_err(DashboardError::from)?
        .ok_or_else(|| DashboardError::NotFound("Dashboard widget not found".into()))?;
    Ok(axum::Json(widget_json(&widget)))
}

pub async fn patch_widget(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let object = object(&body)?;
    not_empty(
        &object,
        &[
            "name",
            "description",
            "view",
            "dimensions",
            "metrics",
            "filters",
            "chartType",
            "chartConfig",
        ],
    )?;
    let fields = widget_fields(&object)?;
    let widget = service::update_widget(state.store(), &caller.project_id, &id, fields).await?;
    Ok(axum::Json(widget_json(&widget)))
}

pub async fn delete_widget(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    service::delete_widget(state.store(), &caller.project_id, &id).await?;
    Ok(axum::Json(
        json!({"message": "Dashboard widget successfully deleted"}),
    ))
}
