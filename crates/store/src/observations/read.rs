//! [`ObservationReadStore`] on the relational store: the observation lists with their named
//! filters and the advanced `filter`, the v2 keyset cursor, and the traces of a page. User
//! input only ever reaches a query as a bound value.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::{ObservationCursor, ObservationQuery, ObservationReadStore};
use crate::error::StoreResult;
use crate::filter;
use crate::observations::stored::{OBSERVATION_COLUMNS, ObservationSqlRow, StoredObservation};
use crate::sql::{Arg, Dialect, Sql, SqlStore, Where};
use crate::traces::stored::{StoredTrace, TRACE_COLUMNS, TraceSqlRow};

/// The conditions of an observation list on `observations`.
fn observation_filter(
    dialect: Dialect,
    project: &ProjectId,
    query: &ObservationQuery,
) -> StoreResult<Where> {
    let mut conditions = Where::new(dialect);
    conditions.eq("project_id", project.as_str());
    let r#type = query.r#type.map(|t| t.as_str().to_owned());
    let level = query.level.map(|l| l.as_str().to_owned());
    for (column, value) in [
        ("type", &r#type),
        ("name", &query.name),
        ("level", &level),
        ("trace_id", &query.trace_id),
        ("version", &query.version),
        ("parent_observation_id", &query.parent_observation_id),
    ] {
        if let Some(value) = value {
            conditions.eq(column, value);
        }
    }
    // Through the observation's trace: both are event tables.
    for (column, value) in [
        ("user_id", &query.user_id),
        ("session_id", &query.session_id),
    ] {
        if let Some(value) = value {
            conditions.push_all(
                &format!(
                    "trace_id IN (SELECT id FROM traces WHERE project_id = {{}} \
                     AND {column} = {{}})"
                ),
                vec![Arg::from(project.as_str()), Arg::from(value)],
            );
        }
    }
    match query.is_root {
        Some(true) => conditions.push_const("parent_observation_id IS NULL"),
        Some(false) => conditions.push_const("parent_observation_id IS NOT NULL"),
        None => {}
    }
    filter::check_list("environment", query.environments.len())?;
    conditions.push_in("environment", &query.environments);
    if let Some(from) = query.from_start_time {
        conditions.push("start_time >= {}", from);
    }
    if let Some(to) = query.to_start_time {
        conditions.push("start_time < {}", to);
    }
    filter::check_list("ids", query.ids.len())?;
    conditions.push_in("id", &query.ids);
    filter::apply(&mut conditions, filter::OBSERVATION_COLUMNS, &query.filter)?;
    Ok(conditions)
}

/// The observations that match `conditions`, with `tail` (order and page) after them.
fn select(conditions: Sql, tail: &str) -> Sql {
    let mut sql = Sql::new();
    sql.sql(&format!(
        "SELECT {} FROM observations WHERE ",
        *OBSERVATION_COLUMNS
    ))
    .append(conditions)
    .sql(" ")
    .sql(tail);
    sql
}

impl SqlStore {
    async fn observations(&self, sql: &Sql) -> StoreResult<Vec<StoredObservation>> {
        let rows: Vec<ObservationSqlRow> = self.db.fetch_all(sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}

#[async_trait]
impl ObservationReadStore for SqlStore {
    async fn list_observations(
        &self,
        project: &ProjectId,
        query: &ObservationQuery,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<StoredObservation>, u64)> {
        let conditions = observation_filter(self.db.dialect(), project, query)?.to_sql();
        let page = select(
            conditions.clone(),
            &format!("ORDER BY start_time DESC, id DESC LIMIT {limit} OFFSET {offset}"),
        );
        let observations = self.observations(&page).await?;
        let mut count = Sql::new();
        count
            .sql("SELECT COUNT(*) FROM observations WHERE ")
            .append(conditions);
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((observations, u64::try_from(total).unwrap_or(0)))
    }

    async fn observations_after(
        &self,
        project: &ProjectId,
        query: &ObservationQuery,
        after: Option<&ObservationCursor>,
        limit: u64,
    ) -> StoreResult<Vec<StoredObservation>> {
        let mut conditions = observation_filter(self.db.dialect(), project, query)?;
        if let Some(after) = after {
            conditions.push_all(
                "(start_time < {} OR (start_time = {} AND (trace_id < {} \
                 OR (trace_id = {} AND id < {}))))",
                vec![
                    Arg::from(after.start_time),
                    Arg::from(after.start_time),
                    Arg::from(&after.trace_id),
                    Arg::from(&after.trace_id),
                    Arg::from(&after.id),
                ],
            );
        }
        let page = select(
            conditions.to_sql(),
            &format!("ORDER BY start_time DESC, trace_id DESC, id DESC LIMIT {limit}"),
        );
        self.observations(&page).await
    }

    async fn traces_by_id(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<StoredTrace>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new();
        sql.push(
            &format!("SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = {{}} AND "),
            [Arg::from(project.as_str())],
        )
        .push_in("id", ids);
        let rows: Vec<TraceSqlRow> = self.db.fetch_all(&sql).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_page_follows_the_named_filters_and_the_advanced_filter() {
        let query = ObservationQuery {
            user_id: Some("u".into()),
            is_root: Some(true),
            environments: vec!["prod".into()],
            filter: sightline_domain::filter::parse_filter(
                r#"[{"type":"string","column":"name","operator":"=","value":"n"}]"#,
            )
            .expect("filter"),
            ..ObservationQuery::default()
        };
        let project = ProjectId::from_trusted("p".to_owned());
        let conditions = observation_filter(Dialect::Postgres, &project, &query)
            .expect("compiles")
            .to_sql();
        assert_eq!(
            conditions.render(Dialect::Postgres),
            "project_id = $1 AND trace_id IN (SELECT id FROM traces WHERE project_id = $2 \
             AND user_id = $3) AND parent_observation_id IS NULL AND environment IN ($4) \
             AND observations.name = $5"
        );
    }

    #[test]
    fn too_many_environments_are_refused() {
        let query = ObservationQuery {
            environments: vec!["e".into(); filter::MAX_LIST_VALUES + 1],
            ..ObservationQuery::default()
        };
        let project = ProjectId::from_trusted("p".to_owned());
        let error = observation_filter(Dialect::Sqlite, &project, &query).expect_err("refused");
        assert!(
            matches!(error, crate::StoreError::InvalidFilter(_)),
            "{error}"
        );
    }
}
