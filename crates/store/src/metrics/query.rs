//! [`MetricsStore::query_metrics`] on the relational store: a metrics query (wire-spec §5.5) as
//! one statement over raw rows. The inner `SELECT` reads each row of the view in the range with
//! its dimensions, time bucket and measures; the outer one groups and aggregates:
//!
//! ```sql
//! SELECT d0, …, tb, SUM(m0), … FROM (SELECT <dimension> AS d0, …, <bucket> AS tb,
//!   <measure> AS m0, … FROM observations WHERE project_id = ? AND start_time BETWEEN ? AND ?
//!   AND <filters>) r GROUP BY d0, …, tb ORDER BY … LIMIT …
//! ```
//!
//! Every output column is cast to text, so one row type reads any query on both backends; the
//! view's types turn them back into JSON values. Percentiles interpolate linearly between the
//! closest ranks: PostgreSQL's `percentile_cont`, SQLite's `sightline_percentile` (registered
//! on every connection, `sql/sqlite.rs`).

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::metrics::{
    Aggregation, Granularity, MetricsQuery, MetricsVersion, json_number,
};
use sightline_domain::time::Millis;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row};

use super::rollups::{self, Rollup};
use super::views::{self, Dimension, View};
use super::{MetricsRow, MetricsStore};
use crate::error::{StoreError, StoreResult};
use crate::filter::{self, Kind};
use crate::sql::{Dialect, Sql, SqlStore, Where};

/// Validates `query` against its view, in Langfuse's order of checks; the error is the message
/// the client reads.
fn check(query: &MetricsQuery) -> Result<&'static View, String> {
    let view = views::view(&query.view).ok_or_else(|| format!("Invalid view {}", query.view))?;
    if query.version == MetricsVersion::V2 {
        check_cardinality(view, query)?;
    }
    for name in &query.dimensions {
        if view.dimension(name).is_none() {
            let known: Vec<&str> = view.all_dimensions().map(|d| d.column.id).collect();
            return Err(format!(
                "Invalid dimension {name}. Must be one of {}",
                known.join(", ")
            ));
        }
    }
    for metric in &query.metrics {
        let Some(measure) = view.measure(&metric.measure) else {
            let known: Vec<&str> = view.measures.iter().map(|m| m.name).collect();
            return Err(format!(
                "Invalid metric {}. Must be one of {}",
                metric.measure,
                known.join(", ")
            ));
        };
        let allowed =
            measure.numeric || matches!(metric.aggregation, Aggregation::Count | Aggregation::Uniq);
        if !allowed {
            return Err(format!(
                "Aggregation \"{}\" is not valid for measure \"{}\" (type: string). \
                 Valid aggregations: count, uniq",
                metric.aggregation.name(),
                metric.measure
            ));
        }
        if metric.aggregation == Aggregation::Histogram {
            return Err(format!(
                "Aggregation \"histogram\" is not supported by this server (measure \"{}\")",
                metric.measure
            ));
        }
    }
    for order in &query.order_by {
        let known = (order.field == "time_dimension" && query.granularity.is_some())
            || query.dimensions.contains(&order.field)
            || query.metrics.iter().any(|m| m.key() == order.field);
        if !known {
            return Err(format!(
                "Invalid orderBy field: {}. Must be one of the dimension or metric fields.",
                order.field
            ));
        }
    }
    Ok(view)
}

/// v2's rule for high-cardinality dimensions (Langfuse's
/// `packages/shared/src/features/query/validateQuery.ts`).
fn check_cardinality(view: &View, query: &MetricsQuery) -> Result<(), String> {
    let high: Vec<&str> = query
        .dimensions
        .iter()
        .filter_map(|name| view.dimension(name))
        .filter(|d| d.high_cardinality)
        .map(|d| d.column.id)
        .collect();
    if high.is_empty() {
        return Ok(());
    }
    let names = high.join(", ");
    if query.granularity.is_some() {
        return Err(format!(
            "High cardinality dimension(s) '{names}' cannot be used with timeDimension. Time \
             series queries with high cardinality dimensions produce unbounded result sets."
        ));
    }
    let descending: Vec<&str> = query
        .order_by
        .iter()
        .filter(|order| order.descending)
        .map(|order| order.field.as_str())
        .collect();
    if query.row_limit.is_none() || descending.is_empty() {
        return Err(format!(
            "High cardinality dimension(s) '{names}' require both 'config.row_limit' and \
             'orderBy' with direction 'desc' on a measure field."
        ));
    }
    let not_measures: Vec<&str> = descending
        .into_iter()
        .filter(|field| {
            !query
                .metrics
                .iter()
                .any(|m| *field == m.measure || field.ends_with(&format!("_{}", m.measure)))
        })
        .collect();
    if !not_measures.is_empty() {
        let verb = if not_measures.len() == 1 { "is" } else { "are" };
        return Err(format!(
            "High cardinality dimension(s) '{names}' require 'orderBy' with direction 'desc' on \
             a measure field. '{}' {verb} not a measure in this query.",
            not_measures.join(", ")
        ));
    }
    Ok(())
}

/// The aggregate of column `column` of the inner select.
fn aggregate(dialect: Dialect, aggregation: Aggregation, column: &str) -> String {
    match aggregation {
        Aggregation::Sum => format!("COALESCE(SUM({column}), 0)"),
        Aggregation::Avg => format!("AVG({column})"),
        Aggregation::Count => format!("COUNT({column})"),
        Aggregation::Max => format!("MAX({column})"),
        Aggregation::Min => format!("MIN({column})"),
        Aggregation::Uniq => format!("COUNT(DISTINCT {column})"),
        Aggregation::Percentile(p) => dialect.percentile(column, f64::from(p) / 100.0),
        // Refused by `check`.
        Aggregation::Histogram => "NULL".to_owned(),
    }
}

/// Whether the query fills the empty time buckets after the fact: Langfuse does when it has a
/// time dimension and no explicit order. The row limit then applies after the filling.
pub fn fills_gaps(query: &MetricsQuery) -> bool {
    query.granularity.is_some() && query.order_by.is_empty()
}

/// The statement of a checked query: on the rows of `rollup` for its whole hours where one
/// answers it ([`rollups::plan`]), on raw rows otherwise.
fn statement(
    dialect: Dialect,
    project: &ProjectId,
    view: &View,
    query: &MetricsQuery,
    rollup: Option<(&Rollup, (Millis, Millis))>,
) -> StoreResult<Sql> {
    let dimensions: Vec<&Dimension> = query
        .dimensions
        .iter()
        .filter_map(|name| view.dimension(name))
        .collect();
    let mut inner: Vec<String> = Vec::new();
    for (index, dimension) in dimensions.iter().enumerate() {
        inner.push(format!(
            "{} AS d{index}",
            dimension.column.expr.sql(dialect)
        ));
    }
    if let Some(granularity) = query.granularity {
        inner.push(format!(
            "{} AS tb",
            dialect.time_bucket(view.time, granularity)
        ));
    }
    let mut aggregates: Vec<String> = Vec::new();
    match rollup {
        Some((rollup, _)) => {
            inner.extend(rollup.parts().map(|part| part.name.to_owned()));
            for metric in &query.metrics {
                aggregates.push((rollup.metric)(dialect, metric).ok_or_else(|| {
                    StoreError::InvalidQuery(format!("Invalid metric {}", metric.measure))
                })?);
            }
        }
        None => {
            for (index, metric) in query.metrics.iter().enumerate() {
                let measure = view.measure(&metric.measure).ok_or_else(|| {
                    StoreError::InvalidQuery(format!("Invalid metric {}", metric.measure))
                })?;
                inner.push(format!("{} AS m{index}", (measure.sql)(dialect)));
                aggregates.push(aggregate(dialect, metric.aggregation, &format!("m{index}")));
            }
        }
    }
    if inner.is_empty() {
        inner.push("1 AS m".to_owned());
    }

    let mut conditions = Where::new(dialect);
    let source = match rollup {
        Some((rollup, hours)) => rollup_union(dialect, project, view, query, rollup, hours),
        None => {
            conditions.push(
                &format!("{}.project_id = {{}}", view.table),
                project.as_str(),
            );
            conditions.push(&format!("{} >= {{}}", view.time), query.from);
            conditions.push(&format!("{} <= {{}}", view.time), query.to);
            Sql::text(view.table)
        }
    };
    if let Some(segment) = view.segment {
        conditions.push_const(segment);
    }
    filter::apply(&mut conditions, &view.filter_columns(), &query.filters)?;

    let mut outer: Vec<String> = Vec::new();
    let mut group: Vec<String> = Vec::new();
    for index in 0..dimensions.len() {
        outer.push(format!("CAST(d{index} AS TEXT)"));
        group.push(format!("d{index}"));
    }
    if query.granularity.is_some() {
        outer.push("CAST(tb AS TEXT)".to_owned());
        group.push("tb".to_owned());
    }
    outer.extend(aggregates.iter().map(|a| format!("CAST({a} AS TEXT)")));
    if query.metrics.is_empty() {
        // Langfuse answers a query without metrics with its row count under `count`.
        let count = if rollup.is_some() {
            "COALESCE(SUM(n), 0)"
        } else {
            "COUNT(*)"
        };
        outer.push(format!("CAST({count} AS TEXT)"));
    }

    let mut order: Vec<String> = Vec::new();
    for entry in &query.order_by {
        let direction = if entry.descending { "DESC" } else { "ASC" };
        let expression = if entry.field == "time_dimension" {
            "tb".to_owned()
        } else if let Some(index) = query.dimensions.iter().position(|d| *d == entry.field) {
            format!("d{index}")
        } else if let Some(index) = query.metrics.iter().position(|m| m.key() == entry.field) {
            aggregates[index].clone()
        } else {
            continue;
        };
        order.push(format!("{expression} {direction}"));
    }
    if order.is_empty() {
        if query.granularity.is_some() {
            order.push("tb ASC".to_owned());
        } else if let Some(first) = aggregates.first() {
            order.push(format!("{first} DESC"));
        } else if !dimensions.is_empty() {
            order.push("d0 ASC".to_owned());
        }
    }
    // A stable order for ties: the groups themselves.
    order.extend(group.iter().map(|column| format!("{column} ASC")));

    let mut sql = Sql::new();
    sql.sql(&format!(
        "SELECT {} FROM (SELECT {} FROM ",
        outer.join(", "),
        inner.join(", "),
    ))
    .append(source)
    .sql(" WHERE ")
    .append(conditions.to_sql())
    .sql(") r");
    if !group.is_empty() {
        sql.sql(&format!(" GROUP BY {}", group.join(", ")));
        if rollup.is_some() {
            // A rollup row whose rows all changed key or went counts 0: its group is gone.
            sql.sql(" HAVING SUM(n) > 0");
        }
    }
    if !order.is_empty() {
        sql.sql(&format!(" ORDER BY {}", order.join(", ")));
    }
    if let Some(limit) = query.limit().filter(|_| !fills_gaps(query)) {
        sql.sql(&format!(" LIMIT {limit}"));
    }
    Ok(sql)
}

/// The rows a rollup answer reads, named as the view's table: the rollup rows of the whole
/// `hours` (the daily rows of its whole days, where the rollup has them and the query no hourly
/// buckets) and the raw rows of the partial hours at either end of the range.
fn rollup_union(
    dialect: Dialect,
    project: &ProjectId,
    view: &View,
    query: &MetricsQuery,
    rollup: &Rollup,
    (first, end): (Millis, Millis),
) -> Sql {
    let hourly_buckets = matches!(
        query.granularity,
        Some(Granularity::Hour | Granularity::Minute)
    );
    let days = rollup
        .daily
        .filter(|_| !hourly_buckets)
        .zip(rollups::whole_days((first, end)));
    // (table, its time column, from, to): the rollup rows read.
    let mut ranges: Vec<(&str, &str, Millis, Millis)> = Vec::new();
    match days {
        Some((daily, (day_first, day_end))) => {
            ranges.push((rollup.table, "hour", first, day_first));
            ranges.push((daily, "day", day_first, day_end));
            ranges.push((rollup.table, "hour", day_end, end));
        }
        None => ranges.push((rollup.table, "hour", first, end)),
    }
    let mut sql = Sql::new();
    sql.sql("(");
    for (table, time, from, to) in ranges.into_iter().filter(|(_, _, from, to)| from < to) {
        let rolled: Vec<String> = rollup
            .parts()
            .map(|part| {
                // The rollup's time column is `hour`; a daily table's is `day`.
                let expression = if part.rollup == "hour" {
                    time
                } else {
                    part.rollup
                };
                format!("{expression} AS {}", part.name)
            })
            .collect();
        sql.sql(&format!("SELECT {} FROM {table} WHERE ", rolled.join(", ")))
            .push(
                &format!("project_id = {{}} AND {time} >= {{}} AND {time} < {{}}"),
                [project.as_str().into(), from.into(), to.into()],
            )
            .sql(" UNION ALL ");
    }
    let raw: Vec<String> = rollup
        .parts()
        .map(|part| format!("{} AS {}", (part.raw)(dialect, view), part.name))
        .collect();
    sql.sql(&format!(
        "SELECT {} FROM {} WHERE ",
        raw.join(", "),
        view.table
    ))
    .push(
        &format!(
            "{table}.project_id = {{}} AND (({time} >= {{}} AND {time} < {{}}) \
             OR ({time} >= {{}} AND {time} <= {{}}))",
            table = view.table,
            time = view.time
        ),
        [
            project.as_str().into(),
            query.from.into(),
            first.into(),
            end.into(),
            query.to.into(),
        ],
    )
    .sql(&format!(") {}", view.table));
    sql
}

/// A result row, every column as text.
struct TextRow(Vec<Option<String>>);

impl FromRow<'_, SqliteRow> for TextRow {
    fn from_row(row: &SqliteRow) -> sqlx::Result<Self> {
        (0..row.len())
            .map(|index| row.try_get::<Option<String>, _>(index))
            .collect::<sqlx::Result<_>>()
            .map(TextRow)
    }
}

impl FromRow<'_, PgRow> for TextRow {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        (0..row.len())
            .map(|index| row.try_get::<Option<String>, _>(index))
            .collect::<sqlx::Result<_>>()
            .map(TextRow)
    }
}

/// A dimension's text as the JSON value of its type.
fn dimension_value(kind: Kind, text: Option<String>) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    match kind {
        Kind::Tags => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Kind::Bool => Value::Bool(matches!(text.as_str(), "1" | "true" | "t")),
        Kind::Number => text.parse::<f64>().map_or(Value::String(text), json_number),
        _ => Value::String(text),
    }
}

#[async_trait::async_trait]
impl MetricsStore for SqlStore {
    async fn query_metrics(
        &self,
        project: &ProjectId,
        query: &MetricsQuery,
    ) -> StoreResult<Vec<MetricsRow>> {
        let view = check(query).map_err(StoreError::InvalidQuery)?;
        let dialect = self.db.dialect();
        let rollup = rollups::plan(dialect, query);
        let sql = statement(dialect, project, view, query, rollup)?;
        let rows: Vec<TextRow> = self.db.fetch_all(&sql).await?;
        let kinds: Vec<Kind> = query
            .dimensions
            .iter()
            .filter_map(|name| view.dimension(name))
            .map(|d| d.column.kind)
            .collect();
        rows.into_iter()
            .map(|TextRow(columns)| {
                let mut columns = columns.into_iter();
                let dimensions = kinds
                    .iter()
                    .map(|kind| dimension_value(*kind, columns.next().flatten()))
                    .collect();
                let bucket = match query.granularity {
                    Some(_) => Some(
                        columns
                            .next()
                            .flatten()
                            .and_then(|text| text.parse::<f64>().ok())
                            .map(|ms| ms as i64)
                            .ok_or_else(|| StoreError::Corrupt("metrics time bucket".into()))?,
                    ),
                    None => None,
                };
                let metrics = columns
                    .map(|text| text.and_then(|text| text.parse::<f64>().ok()))
                    .collect();
                Ok(MetricsRow {
                    dimensions,
                    bucket,
                    metrics,
                })
            })
            .collect()
    }

    async fn score_pairs(
        &self,
        project: &ProjectId,
        name: &str,
        sources: (&str, &str),
        range: (
            sightline_domain::time::Millis,
            sightline_domain::time::Millis,
        ),
    ) -> StoreResult<Vec<super::ScorePair>> {
        self.score_pairs_in_range(project, name, sources, range)
            .await
    }

    fn check_metrics_query(&self, query: &MetricsQuery) -> StoreResult<()> {
        let view = check(query).map_err(StoreError::InvalidQuery)?;
        let mut conditions = Where::new(self.db.dialect());
        filter::apply(&mut conditions, &view.filter_columns(), &query.filters)?;
        Ok(())
    }

    fn metrics_source(&self, query: &MetricsQuery) -> Option<&'static str> {
        rollups::plan(self.db.dialect(), query).map(|(rollup, _)| rollup.table)
    }

    async fn daily_metrics(
        &self,
        project: &ProjectId,
        query: &super::MetricsQuery,
    ) -> StoreResult<(Vec<super::DailyMetrics>, u64)> {
        self.daily_metrics_page(project, query).await
    }
}
