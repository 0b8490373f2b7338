//! [`TraceReadStore`] on the relational store: trace lists with their filters and counts, and
//! the observation summaries, payload-free observation outlines and score ids of a page of
//! traces. Deleting traces is in `delete.rs`. User input only ever reaches a query as a bound
//! value.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::{ObservationOutline, ObservationSummary, TraceOrderColumn, TraceQuery, TraceReadStore};
use crate::error::{StoreError, StoreResult};
use crate::filter;
use crate::sql::json::parse_usage;
use crate::sql::{Arg, Dialect, Sql, SqlStore, Where};
use crate::traces::stored::{StoredTrace, TRACE_COLUMNS, TraceSqlRow};

/// The conditions of a trace list on `traces`.
fn trace_filter(dialect: Dialect, project: &ProjectId, query: &TraceQuery) -> StoreResult<Where> {
    let mut conditions = Where::new(dialect);
    conditions.eq("project_id", project.as_str());
    for (column, value) in [
        ("user_id", &query.user_id),
        ("name", &query.name),
        ("session_id", &query.session_id),
        ("version", &query.version),
        ("release", &query.release),
    ] {
        if let Some(value) = value {
            conditions.eq(column, value);
        }
    }
    if let Some(from) = query.from_timestamp {
        conditions.push("timestamp >= {}", from);
    }
    if let Some(to) = query.to_timestamp {
        conditions.push("timestamp < {}", to);
    }
    filter::check_list("tags", query.tags.len())?;
    let tags = distinct(&query.tags);
    if let [tag] = tags.as_slice() {
        conditions.push(
            "EXISTS (SELECT 1 FROM trace_tags tt WHERE tt.project_id = traces.project_id \
             AND tt.tag = {} AND tt.timestamp = traces.timestamp AND tt.trace_id = traces.id)",
            *tag,
        );
    } else if !tags.is_empty() {
        // One condition for every tag, not one per tag: SQLite refuses expressions deeper
        // than 1,000 terms, and a list may name that many tags.
        let mut condition = Sql::new();
        condition
            .sql(
                "(SELECT COUNT(DISTINCT tt.tag) FROM trace_tags tt \
                 WHERE tt.project_id = traces.project_id AND tt.timestamp = traces.timestamp \
                 AND tt.trace_id = traces.id AND ",
            )
            .push_in("tt.tag", tags.iter().copied())
            .push(") = {}", [Arg::from(tags.len() as i64)]);
        conditions.push_sql(condition);
    }
    conditions.push_in("environment", &query.environments);
    filter::check_list("ids", query.ids.len())?;
    conditions.push_in("id", &query.ids);
    filter::apply(&mut conditions, filter::TRACE_COLUMNS, &query.filter)?;
    Ok(conditions)
}

fn direction(query: &TraceQuery) -> &'static str {
    if query.descending { "DESC" } else { "ASC" }
}

/// The page of a list read from `traces` in the list's order.
fn page_statement(conditions: &Sql, query: &TraceQuery) -> Sql {
    let direction = direction(query);
    let mut sql = Sql::new();
    sql.sql(&format!("SELECT {TRACE_COLUMNS} FROM traces WHERE "))
        .append(conditions.clone())
        .sql(&format!(
            " ORDER BY {} {direction}, id {direction} LIMIT {} OFFSET {}",
            query.order_by.column(),
            query.limit,
            query.offset,
        ));
    sql
}

/// The tags once each, sorted.
fn distinct(tags: &[String]) -> Vec<&str> {
    let mut tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    tags.dedup();
    tags
}

/// Whether anything but tags and the time range filters the list.
fn filters_beyond_tags(query: &TraceQuery) -> bool {
    query.user_id.is_some()
        || query.name.is_some()
        || query.session_id.is_some()
        || query.version.is_some()
        || query.release.is_some()
        || !query.environments.is_empty()
        || !query.ids.is_empty()
        || !query.filter.is_empty()
}

/// The conditions on `trace_tags a` of a list filtered by tags only (and perhaps a time
/// range); `None` when no tag or anything else filters.
fn tag_conditions(dialect: Dialect, project: &ProjectId, query: &TraceQuery) -> Option<Sql> {
    let tags = distinct(&query.tags);
    let (first, others) = tags.split_first().filter(|_| !filters_beyond_tags(query))?;
    let mut conditions = Where::new(dialect);
    conditions.eq("a.project_id", project.as_str());
    conditions.eq("a.tag", *first);
    if let Some(from) = query.from_timestamp {
        conditions.push("a.timestamp >= {}", from);
    }
    if let Some(to) = query.to_timestamp {
        conditions.push("a.timestamp < {}", to);
    }
    if !others.is_empty() {
        let mut condition = Sql::new();
        condition
            .sql(
                "(SELECT COUNT(DISTINCT b.tag) FROM trace_tags b \
                 WHERE b.project_id = a.project_id AND b.timestamp = a.timestamp \
                 AND b.trace_id = a.trace_id AND ",
            )
            .push_in("b.tag", others.iter().copied())
            .push(") = {}", [Arg::from(others.len() as i64)]);
        conditions.push_sql(condition);
    }
    Some(conditions.to_sql())
}

/// The page of a list filtered by tags only, newest or oldest first, chosen by walking the
/// tag index (whose rows carry the trace's timestamp) instead of every trace.
fn tag_page(dialect: Dialect, project: &ProjectId, query: &TraceQuery) -> Option<Sql> {
    if query.order_by != TraceOrderColumn::Timestamp {
        return None;
    }
    let conditions = tag_conditions(dialect, project, query)?;
    let direction = direction(query);
    let mut sql = Sql::new();
    // No ORDER BY here: with one, SQLite walks the timestamp index over every trace testing
    // membership; the caller sorts the page's rows.
    sql.sql(&format!("SELECT {TRACE_COLUMNS} FROM traces WHERE "))
        .push("project_id = {}", [Arg::from(project.as_str())])
        .sql(" AND id IN (SELECT a.trace_id FROM trace_tags a WHERE ")
        .append(conditions)
        .sql(&format!(
            " ORDER BY a.timestamp {direction}, a.trace_id {direction} LIMIT {} OFFSET {})",
            query.limit, query.offset
        ));
    Some(sql)
}

/// The count of a trace list read from the trigger-kept tables of migration 0007 instead of
/// from every matching trace: the project's counter when nothing filters, the tag index when
/// only tags (and a time range) do. `None`: count the traces.
fn trace_count(dialect: Dialect, project: &ProjectId, query: &TraceQuery) -> Option<Sql> {
    if let Some(conditions) = tag_conditions(dialect, project, query) {
        let mut sql = Sql::new();
        sql.sql("SELECT COUNT(*) FROM trace_tags a WHERE ")
            .append(conditions);
        return Some(sql);
    }
    let unfiltered = query.tags.is_empty()
        && !filters_beyond_tags(query)
        && query.from_timestamp.is_none()
        && query.to_timestamp.is_none();
    if !unfiltered {
        return None;
    }
    Some(
        Sql::text("SELECT COALESCE(MAX(a.traces), 0) FROM trace_counts a WHERE a.project_id = $1")
            .bind(project.as_str()),
    )
}

/// `SELECT <columns> FROM <table> WHERE project_id = … AND trace_id IN (…)`, with no
/// `ORDER BY`: with one, the planner may walk the project's whole start-time (or timestamp)
/// index instead of the rows of these traces; callers sort in memory.
fn of_traces(columns: &str, table: &str, project: &ProjectId, trace_ids: &[String]) -> Sql {
    let mut sql = Sql::new();
    sql.sql(&format!("SELECT {columns} FROM {table} WHERE "))
        .push("project_id = {} AND ", [Arg::from(project.as_str())])
        .push_in("trace_id", trace_ids);
    sql
}

type OutlineRow = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    Option<i64>,
    String,
    Option<String>,
    String,
    Option<f64>,
);

#[async_trait]
impl TraceReadStore for SqlStore {
    async fn list_traces(
        &self,
        project: &ProjectId,
        query: &TraceQuery,
    ) -> StoreResult<(Vec<StoredTrace>, u64)> {
        let traces = self.select_traces(project, query).await?;
        let dialect = self.db.dialect();
        let count = match trace_count(dialect, project, query) {
            Some(count) => count,
            None => {
                let mut sql = Sql::new();
                sql.sql("SELECT COUNT(*) FROM traces WHERE ")
                    .append(trace_filter(dialect, project, query)?.to_sql());
                sql
            }
        };
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((traces, u64::try_from(total).unwrap_or(0)))
    }

    async fn select_traces(
        &self,
        project: &ProjectId,
        query: &TraceQuery,
    ) -> StoreResult<Vec<StoredTrace>> {
        let dialect = self.db.dialect();
        let conditions = trace_filter(dialect, project, query)?.to_sql();
        let tag_page = tag_page(dialect, project, query);
        let sort_here = tag_page.is_some();
        let page = tag_page.unwrap_or_else(|| page_statement(&conditions, query));
        let rows: Vec<TraceSqlRow> = self.db.fetch_all(&page).await?;
        let mut traces = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<Vec<StoredTrace>>>()?;
        if sort_here {
            traces.sort_by(|a, b| {
                let order = (a.row.timestamp, &a.row.id).cmp(&(b.row.timestamp, &b.row.id));
                if query.descending {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        Ok(traces)
    }

    async fn observation_summaries(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<ObservationSummary>> {
        if trace_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Sorted here, not in SQL: with an ORDER BY the planner may walk the project's whole
        // start-time index instead of the observations of these traces.
        let sql = of_traces(
            "trace_id, id, start_time, end_time, total_cost",
            "observations",
            project,
            trace_ids,
        );
        let mut rows: Vec<(String, String, i64, Option<i64>, Option<f64>)> =
            self.db.fetch_all(&sql).await?;
        rows.sort_by(|a, b| (a.2, &a.1).cmp(&(b.2, &b.1)));
        Ok(rows
            .into_iter()
            .map(
                |(trace_id, id, start_time, end_time, total_cost)| ObservationSummary {
                    trace_id,
                    id,
                    start_time,
                    end_time,
                    total_cost,
                },
            )
            .collect())
    }

    async fn trace_observation_outlines(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<ObservationOutline>> {
        if trace_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Sorted here, not in SQL (see `observation_summaries`).
        let sql = of_traces(
            "trace_id, id, parent_observation_id, type, name, start_time, end_time, level, \
             model, usage_details, total_cost",
            "observations",
            project,
            trace_ids,
        );
        let rows: Vec<OutlineRow> = self.db.fetch_all(&sql).await?;
        let corrupt = StoreError::Corrupt;
        let mut outlines = rows
            .into_iter()
            .map(|row| {
                Ok(ObservationOutline {
                    trace_id: row.0,
                    id: row.1,
                    parent_observation_id: row.2,
                    r#type: row.3.parse().map_err(corrupt)?,
                    name: row.4,
                    start_time: row.5,
                    end_time: row.6,
                    level: row.7.parse().map_err(corrupt)?,
                    model: row.8,
                    usage_details: parse_usage(&row.9)?,
                    total_cost: row.10,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        outlines.sort_by(|a, b| (a.start_time, &a.id).cmp(&(b.start_time, &b.id)));
        Ok(outlines)
    }

    async fn trace_score_ids(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        if trace_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Sorted here, not in SQL (see `observation_summaries`).
        let sql = of_traces("trace_id, id, timestamp", "scores", project, trace_ids);
        let mut rows: Vec<(String, String, i64)> = self.db.fetch_all(&sql).await?;
        rows.sort_by(|a, b| (a.2, &a.1).cmp(&(b.2, &b.1)));
        Ok(rows
            .into_iter()
            .map(|(trace_id, id, _)| (trace_id, id))
            .collect())
    }

    async fn delete_traces(&self, project: &ProjectId, ids: &[String]) -> StoreResult<u64> {
        super::delete::delete_traces(&self.db, project, ids).await
    }

    async fn recent_events(
        &self,
        projects: &[ProjectId],
        from: sightline_domain::time::Millis,
        to: sightline_domain::time::Millis,
    ) -> StoreResult<(bool, bool)> {
        let mut found = [false, false];
        for chunk in projects.chunks(filter::MAX_LIST_VALUES) {
            for (index, (table, column)) in
                [("traces", "timestamp"), ("observations", "start_time")]
                    .into_iter()
                    .enumerate()
            {
                if found[index] {
                    continue;
                }
                let mut sql = Sql::new();
                sql.sql(&format!("SELECT id FROM {table} WHERE "))
                    .push_in("project_id", chunk.iter().map(ProjectId::as_str))
                    .push(
                        &format!(" AND {column} >= {{}} AND {column} <= {{}} LIMIT 1"),
                        [Arg::from(from), Arg::from(to)],
                    );
                let rows: Vec<(String,)> = self.db.fetch_all(&sql).await?;
                found[index] = !rows.is_empty();
            }
        }
        Ok((found[0], found[1]))
    }

    async fn delete_older_than(
        &self,
        project: &ProjectId,
        cutoff: sightline_domain::time::Millis,
        limit: u64,
    ) -> StoreResult<u64> {
        super::delete::delete_older_than(&self.db, project, cutoff, limit).await
    }

    async fn delete_project_events(&self, project: &ProjectId) -> StoreResult<()> {
        super::delete::delete_project_events(&self.db, project).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> ProjectId {
        ProjectId::from_trusted("p".to_owned())
    }

    fn tagged(tags: &[&str]) -> TraceQuery {
        TraceQuery {
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
            from_timestamp: Some(10),
            limit: 50,
            offset: 100,
            ..TraceQuery::default()
        }
    }

    #[test]
    fn a_tag_only_list_takes_its_page_and_count_from_the_tag_index() {
        let query = tagged(&["a", "b"]);
        let page = tag_page(Dialect::Postgres, &project(), &query).expect("a tag page");
        assert_eq!(
            page.render(Dialect::Postgres),
            format!(
                "SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = $1 AND id IN \
                 (SELECT a.trace_id FROM trace_tags a WHERE a.project_id = $2 AND a.tag = $3 \
                 AND a.timestamp >= $4 AND (SELECT COUNT(DISTINCT b.tag) FROM trace_tags b \
                 WHERE b.project_id = a.project_id AND b.timestamp = a.timestamp \
                 AND b.trace_id = a.trace_id AND b.tag IN ($5)) \
                 = $6 ORDER BY a.timestamp DESC, a.trace_id DESC LIMIT 50 OFFSET 100)"
            )
        );
        let count = trace_count(Dialect::Sqlite, &project(), &query).expect("a tag count");
        assert_eq!(
            count.render(Dialect::Sqlite),
            "SELECT COUNT(*) FROM trace_tags a WHERE a.project_id = ? AND a.tag = ? \
             AND a.timestamp >= ? AND (SELECT COUNT(DISTINCT b.tag) FROM trace_tags b \
             WHERE b.project_id = a.project_id AND b.timestamp = a.timestamp \
             AND b.trace_id = a.trace_id AND b.tag IN (?)) = ?"
        );
    }

    #[test]
    fn other_filters_or_orders_read_the_traces() {
        let mut query = tagged(&["a"]);
        query.name = Some("n".into());
        assert!(tag_page(Dialect::Sqlite, &project(), &query).is_none());
        assert!(trace_count(Dialect::Sqlite, &project(), &query).is_none());
        let mut query = tagged(&["a"]);
        query.order_by = TraceOrderColumn::Name;
        assert!(tag_page(Dialect::Sqlite, &project(), &query).is_none());
        assert!(trace_count(Dialect::Sqlite, &project(), &query).is_some());
        let conditions = trace_filter(Dialect::Sqlite, &project(), &query)
            .expect("a valid filter")
            .to_sql();
        assert_eq!(
            page_statement(&conditions, &query).render(Dialect::Sqlite),
            format!(
                "SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = ? AND timestamp >= ? \
                 AND EXISTS (SELECT 1 FROM trace_tags tt WHERE tt.project_id = traces.project_id \
                 AND tt.tag = ? AND tt.timestamp = traces.timestamp AND tt.trace_id = traces.id) \
                 ORDER BY name DESC, id DESC LIMIT 50 OFFSET 100"
            )
        );
    }

    #[test]
    fn an_unfiltered_list_reads_the_project_counter() {
        let count = trace_count(Dialect::Postgres, &project(), &TraceQuery::default())
            .expect("the counter");
        assert_eq!(
            count.render(Dialect::Postgres),
            "SELECT COALESCE(MAX(a.traces), 0) FROM trace_counts a WHERE a.project_id = $1"
        );
        let ranged = TraceQuery {
            to_timestamp: Some(5),
            ..TraceQuery::default()
        };
        assert!(trace_count(Dialect::Postgres, &project(), &ranged).is_none());
    }

    #[test]
    fn lookups_by_trace_carry_no_order() {
        let sql = of_traces("id", "scores", &project(), &["t1".into(), "t2".into()]);
        assert_eq!(
            sql.render(Dialect::Postgres),
            "SELECT id FROM scores WHERE project_id = $1 AND trace_id IN ($2, $3)"
        );
    }
}
