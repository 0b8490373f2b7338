//! [`DashboardStore`] on the relational store: one row per dashboard and per widget, their
//! structured parts as the API's JSON text.

use async_trait::async_trait;
use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::dashboard::{Dashboard, Widget};

use super::DashboardStore;
use crate::error::{StoreError, StoreResult};
use crate::sql::{Sql, SqlStore};

const DASHBOARD_COLUMNS: &str =
    "project_id, id, name, description, definition, filters, created_at, updated_at";
const WIDGET_COLUMNS: &str = "project_id, id, name, description, view, dimensions, metrics, \
    filters, chart_type, chart_config, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DashboardRow {
    project_id: String,
    id: String,
    name: String,
    description: String,
    definition: String,
    filters: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct WidgetRow {
    project_id: String,
    id: String,
    name: String,
    description: String,
    view: String,
    dimensions: String,
    metrics: String,
    filters: String,
    chart_type: String,
    chart_config: String,
    created_at: i64,
    updated_at: i64,
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored {what}: {e}")))
}

fn text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

impl TryFrom<DashboardRow> for Dashboard {
    type Error = StoreError;

    fn try_from(row: DashboardRow) -> StoreResult<Self> {
        Ok(Dashboard {
            placements: parse("dashboard definition", &row.definition)?,
            filters: parse::<Vec<Value>>("dashboard filters", &row.filters)?,
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            name: row.name,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<WidgetRow> for Widget {
    type Error = StoreError;

    fn try_from(row: WidgetRow) -> StoreResult<Self> {
        Ok(Widget {
            dimensions: parse("widget dimensions", &row.dimensions)?,
            metrics: parse("widget metrics", &row.metrics)?,
            filters: parse("widget filters", &row.filters)?,
            chart_config: parse("widget chart config", &row.chart_config)?,
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            name: row.name,
            description: row.description,
            view: row.view,
            chart_type: row.chart_type,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// `SELECT columns FROM table WHERE project_id = … [AND id = …]`, newest update first.
fn select(columns: &str, table: &str, project: &ProjectId, id: Option<&str>) -> Sql {
    let mut sql = Sql::new();
    sql.push(
        &format!("SELECT {columns} FROM {table} WHERE project_id = {{}}"),
        [project.as_str().into()],
    );
    if let Some(id) = id {
        sql.push(" AND id = {}", [id.into()]);
    }
    sql.sql(" ORDER BY updated_at DESC, id DESC");
    sql
}

async fn count(store: &SqlStore, table: &str, project: &ProjectId) -> StoreResult<u64> {
    let sql = Sql::text(format!(
        "SELECT COUNT(*) FROM {table} WHERE project_id = $1"
    ))
    .bind(project.as_str());
    let (total,): (i64,) = store.db.fetch_one(&sql).await?;
    Ok(u64::try_from(total).unwrap_or(0))
}

async fn delete(store: &SqlStore, table: &str, project: &ProjectId, id: &str) -> StoreResult<bool> {
    let sql = Sql::text(format!(
        "DELETE FROM {table} WHERE project_id = $1 AND id = $2"
    ))
    .bind(project.as_str())
    .bind(id);
    Ok(store.db.execute(&sql).await? > 0)
}

#[async_trait]
impl DashboardStore for SqlStore {
    async fn put_dashboard(&self, dashboard: &Dashboard) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO dashboards ({DASHBOARD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, definition = excluded.definition, \
             filters = excluded.filters, updated_at = excluded.updated_at"
        ))
        .bind(dashboard.project_id.as_str())
        .bind(&dashboard.id)
        .bind(&dashboard.name)
        .bind(&dashboard.description)
        .bind(text(&dashboard.placements))
        .bind(text(&dashboard.filters))
        .bind(dashboard.created_at)
        .bind(dashboard.updated_at);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn dashboard(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Dashboard>> {
        let row: Option<DashboardRow> = self
            .db
            .fetch_optional(&select(DASHBOARD_COLUMNS, "dashboards", project, Some(id)))
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_dashboards(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Dashboard>, u64)> {
        let mut sql = select(DASHBOARD_COLUMNS, "dashboards", project, None);
        sql.sql(&format!(" LIMIT {limit} OFFSET {offset}"));
        let rows: Vec<DashboardRow> = self.db.fetch_all(&sql).await?;
        let dashboards = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?;
        Ok((dashboards, count(self, "dashboards", project).await?))
    }

    async fn delete_dashboard(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        delete(self, "dashboards", project, id).await
    }

    async fn put_widget(&self, widget: &Widget) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO dashboard_widgets ({WIDGET_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, view = excluded.view, \
             dimensions = excluded.dimensions, metrics = excluded.metrics, \
             filters = excluded.filters, chart_type = excluded.chart_type, \
             chart_config = excluded.chart_config, updated_at = excluded.updated_at"
        ))
        .bind(widget.project_id.as_str())
        .bind(&widget.id)
        .bind(&widget.name)
        .bind(&widget.description)
        .bind(&widget.view)
        .bind(text(&widget.dimensions))
        .bind(text(&widget.metrics))
        .bind(text(&widget.filters))
        .bind(&widget.chart_type)
        .bind(text(&widget.chart_config))
        .bind(widget.created_at)
        .bind(widget.updated_at);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn widget(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Widget>> {
        let row: Option<WidgetRow> = self
            .db
            .fetch_optional(&select(
                WIDGET_COLUMNS,
                "dashboard_widgets",
                project,
                Some(id),
            ))
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_widgets(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Widget>, u64)> {
        let mut sql = select(WIDGET_COLUMNS, "dashboard_widgets", project, None);
        sql.sql(&format!(" LIMIT {limit} OFFSET {offset}"));
        let rows: Vec<WidgetRow> = self.db.fetch_all(&sql).await?;
        let widgets = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?;
        Ok((widgets, count(self, "dashboard_widgets", project).await?))
    }

    async fn delete_widget(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        delete(self, "dashboard_widgets", project, id).await
    }
}
