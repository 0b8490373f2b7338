//! Custom dashboards and their widgets (Langfuse's `/api/public/unstable/dashboards` and
//! `/api/public/unstable/dashboard-widgets`, `web/src/features/public-api/types/
//! unstable-dashboards.ts` and `unstable-dashboard-widgets.ts`): a widget is a saved metrics
//! query with a chart type; a dashboard places widgets (or the shipped presets) on a 12-column
//! grid and may add filters that apply to every widget on it.
//!
//! The JSON shapes here are the API's; the store keeps them as they are.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ProjectId;
use crate::filter::parse_filter;
use crate::time::Millis;

/// Columns of the dashboard grid.
pub const GRID_COLUMNS: u32 = 12;
/// A new tile's size when the request names none (half the width).
pub const DEFAULT_TILE: u32 = 6;

/// A tile of a dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Placement {
    Widget {
        id: String,
        #[serde(rename = "widgetId")]
        widget_id: String,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    Preset {
        id: String,
        #[serde(rename = "presetId")]
        preset_id: String,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
}

impl Placement {
    pub fn id(&self) -> &str {
        match self {
            Placement::Widget { id, .. } | Placement::Preset { id, .. } => id,
        }
    }

    /// The tile's box: (x, y, width, height).
    pub fn frame(&self) -> (u32, u32, u32, u32) {
        match *self {
            Placement::Widget {
                x,
                y,
                width,
                height,
                ..
            }
            | Placement::Preset {
                x,
                y,
                width,
                height,
                ..
            } => (x, y, width, height),
        }
    }

    /// Moves or resizes the tile; `None` keeps a value.
    pub fn set_frame(
        &mut self,
        new_x: Option<u32>,
        new_y: Option<u32>,
        new_width: Option<u32>,
        new_height: Option<u32>,
    ) {
        match self {
            Placement::Widget {
                x,
                y,
                width,
                height,
                ..
            }
            | Placement::Preset {
                x,
                y,
                width,
                height,
                ..
            } => {
                *x = new_x.unwrap_or(*x);
                *y = new_y.unwrap_or(*y);
                *width = new_width.unwrap_or(*width);
                *height = new_height.unwrap_or(*height);
            }
        }
    }

    /// The widget it shows, for a widget tile.
    pub fn widget_id(&self) -> Option<&str> {
        match self {
            Placement::Widget { widget_id, .. } => Some(widget_id),
            Placement::Preset { .. } => None,
        }
    }
}

/// The first grid row below every tile.
pub fn next_free_row(placements: &[Placement]) -> u32 {
    placements
        .iter()
        .map(|placement| {
            let (_, y, _, height) = placement.frame();
            y + height
        })
        .max()
        .unwrap_or(0)
}

/// A dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub id: String,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    pub placements: Vec<Placement>,
    /// Filters in the API's filter shape, applied to every widget on the dashboard.
    pub filters: Vec<Value>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A metric of a widget: a measure and its aggregation (`agg` in the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetMetric {
    pub measure: String,
    pub agg: String,
}

/// A dimension of a widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetDimension {
    pub field: String,
}

/// How a widget is drawn.
pub const CHART_TYPES: &[&str] = &[
    "LINE_TIME_SERIES",
    "AREA_TIME_SERIES",
    "BAR_TIME_SERIES",
    "HORIZONTAL_BAR",
    "VERTICAL_BAR",
    "PIE",
    "NUMBER",
    "HISTOGRAM",
    "PIVOT_TABLE",
];

/// Whether a chart type draws a time series (its query has a time dimension).
pub fn is_time_series(chart_type: &str) -> bool {
    chart_type.ends_with("_TIME_SERIES")
}

/// The views a widget may query (v2's).
pub const WIDGET_VIEWS: &[&str] = &[
    "observations",
    "scores-numeric",
    "scores-boolean",
    "scores-categorical",
];

/// A widget: a saved metrics query and how to draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Widget {
    pub id: String,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    pub view: String,
    pub dimensions: Vec<WidgetDimension>,
    pub metrics: Vec<WidgetMetric>,
    /// Filters in the API's filter shape.
    pub filters: Vec<Value>,
    pub chart_type: String,
    /// `{type, row_limit?, show_value_labels?, bins?, defaultSort?}`; `type` is the chart type.
    pub chart_config: Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A problem with a request body: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub field: String,
    pub message: String,
}

fn body_error(field: &str, message: impl Into<String>) -> BodyError {
    BodyError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Checks a list of filters in the API's shape (the same conditions as the lists' `filter`).
pub fn check_filters(field: &str, filters: &[Value]) -> Result<(), BodyError> {
    parse_filter(&Value::Array(filters.to_vec()).to_string())
        .map(|_| ())
        .map_err(|error| body_error(field, error.message))
}

/// A name: non-empty after trimming.
pub fn check_name(name: &str) -> Result<(), BodyError> {
    if name.trim().is_empty() {
        return Err(body_error("name", "Name must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(body_error("name", "Name must be at most 200 characters"));
    }
    Ok(())
}

/// Checks a tile's box against the grid.
pub fn check_frame(x: u32, width: u32, height: u32) -> Result<(), BodyError> {
    if width == 0 || height == 0 {
        return Err(body_error(
            "width",
            "width and height must be positive integers",
        ));
    }
    if width > GRID_COLUMNS || x >= GRID_COLUMNS {
        return Err(body_error(
            "x",
            format!(
                "The grid has {GRID_COLUMNS} columns: x must be below {GRID_COLUMNS} and width at most {GRID_COLUMNS}"
            ),
        ));
    }
    Ok(())
}

/// Checks placements: boxes on the grid and unique ids.
pub fn check_placements(placements: &[Placement]) -> Result<(), BodyError> {
    let mut seen = std::collections::HashSet::new();
    for placement in placements {
        let (x, _, width, height) = placement.frame();
        check_frame(x, width, height)?;
        if !seen.insert(placement.id()) {
            return Err(body_error(
                "definition",
                format!("Placement ids must be unique; '{}' repeats", placement.id()),
            ));
        }
    }
    Ok(())
}

/// Checks a widget's chart type and config, and returns the config with its `type` set.
pub fn chart_config(chart_type: &str, config: Option<&Value>) -> Result<Value, BodyError> {
    if !CHART_TYPES.contains(&chart_type) {
        return Err(body_error(
            "chartType",
            format!("Expected one of: {}", CHART_TYPES.join(", ")),
        ));
    }
    let mut config = match config {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(config)) => config.clone(),
        Some(_) => return Err(body_error("chartConfig", "Expected an object")),
    };
    match config.get("type") {
        None | Some(Value::Null) => {}
        Some(Value::String(given)) if given == chart_type => {}
        Some(_) => {
            return Err(body_error(
                "chartConfig",
                "chartConfig.type must match chartType",
            ));
        }
    }
    for (field, max) in [("row_limit", 1_000), ("bins", 100)] {
        match config.get(field) {
            None | Some(Value::Null) => {}
            Some(value) if value.as_u64().is_some_and(|n| (1..=max).contains(&n)) => {}
            Some(_) => {
                return Err(body_error(
                    "chartConfig",
                    format!("chartConfig.{field} must be an integer from 1 to {max}"),
                ));
            }
        }
    }
    config.insert("type".into(), Value::from(chart_type));
    Ok(Value::Object(config))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn placements_read_and_write_the_api_shape() {
        let placement: Placement = serde_json::from_value(
            json!({"type": "widget", "id": "p1", "widgetId": "w1", "x": 0, "y": 6, "width": 6, "height": 4}),
        )
        .unwrap();
        assert_eq!(placement.widget_id(), Some("w1"));
        assert_eq!(next_free_row(std::slice::from_ref(&placement)), 10);
        assert_eq!(
            serde_json::to_value(&placement).unwrap(),
            json!({"type": "widget", "id": "p1", "widgetId": "w1", "x": 0, "y": 6, "width": 6, "height": 4})
        );
        let preset: Placement = serde_json::from_value(
            json!({"type": "preset", "id": "p2", "presetId": "traces", "x": 6, "y": 0, "width": 6, "height": 6}),
        )
        .unwrap();
        assert!(check_placements(&[placement.clone(), preset]).is_ok());
        assert!(check_placements(&[placement.clone(), placement]).is_err());
        assert!(check_frame(11, 6, 1).is_ok());
        assert!(check_frame(12, 1, 1).is_err());
        assert!(check_frame(0, 0, 1).is_err());
    }

    #[test]
    fn chart_configs_follow_their_chart_type() {
        assert_eq!(chart_config("PIE", None).unwrap(), json!({"type": "PIE"}));
        assert_eq!(
            chart_config("NUMBER", Some(&json!({"row_limit": 5}))).unwrap(),
            json!({"type": "NUMBER", "row_limit": 5})
        );
        assert!(chart_config("DONUT", None).is_err());
        assert!(chart_config("PIE", Some(&json!({"type": "NUMBER"}))).is_err());
        assert!(chart_config("HISTOGRAM", Some(&json!({"bins": 500}))).is_err());
    }
}
