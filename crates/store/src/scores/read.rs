//! [`ScoreReadStore`] on the relational store: score lists with their named filters and the
//! advanced `filter`, the v3 keyset cursor, the optional join to the scores' traces, and
//! deletes. User input only ever reaches a query as a bound value.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::filter::OptionsOperator;

use super::model::ScoreListSqlRow;
use super::{ScoreQuery, ScoreReadStore, ScoreWithTrace};
use crate::error::StoreResult;
use crate::filter;
use crate::scores::stored::SCORE_COLUMNS;
use crate::sql::{Arg, Dialect, Sql, SqlStore, Where};

/// The conditions of a score list on `scores s` (and `traces t`, see [`reads_trace`]).
fn score_filter(dialect: Dialect, project: &ProjectId, query: &ScoreQuery) -> StoreResult<Where> {
    let mut conditions = Where::new(dialect);
    conditions.eq("s.project_id", project.as_str());
    if query.trace_scores_only {
        // Not `IS NOT NULL`, which the planner may answer from the trace index and then sort
        // every score instead of walking the timestamp index.
        conditions.push_const("COALESCE(s.trace_id, '') <> ''");
    }
    for (column, value) in [
        ("t.user_id", &query.user_id),
        ("s.name", &query.name),
        ("s.data_type", &query.data_type),
        ("s.config_id", &query.config_id),
        ("s.queue_id", &query.queue_id),
        ("s.source", &query.source),
    ] {
        if let Some(value) = value {
            conditions.eq(column, value);
        }
    }
    // Every tag must be on the trace: one condition over the stored JSON array, whatever the
    // number of tags (one condition per tag would reach SQLite's expression depth limit).
    filter::check_list("traceTags", query.trace_tags.len())?;
    filter::tags_condition(
        &mut conditions,
        "t.tags",
        OptionsOperator::AllOf,
        &query.trace_tags,
    );
    filter::check_list("environment", query.environments.len())?;
    conditions.push_in("s.environment", &query.environments);
    if let Some(from) = query.from_timestamp {
        conditions.push("s.timestamp >= {}", from);
    }
    if let Some(to) = query.to_timestamp {
        conditions.push("s.timestamp < {}", to);
    }
    if let Some((operator, value)) = query.value {
        conditions.push(&format!("s.value {} {{}}", operator.sql()), value);
    }
    for (parameter, column, values) in [
        ("scoreIds", "s.id", &query.ids),
        ("traceId", "s.trace_id", &query.trace_ids),
        ("sessionId", "s.session_id", &query.session_ids),
        ("datasetRunId", "s.dataset_run_id", &query.dataset_run_ids),
        ("observationId", "s.observation_id", &query.observation_ids),
        ("name", "s.name", &query.names),
        ("source", "s.source", &query.sources),
        ("dataType", "s.data_type", &query.data_types),
        ("configId", "s.config_id", &query.config_ids),
        ("queueId", "s.queue_id", &query.queue_ids),
    ] {
        filter::check_list(parameter, values.len())?;
        conditions.push_in(column, values);
    }
    filter::check_list("authorUserId", query.author_user_ids.len())?;
    if !query.author_user_ids.is_empty() {
        conditions.push_const("FALSE");
    }
    filter::check_list("value", query.numeric_values.len())?;
    conditions.push_in("s.value", query.numeric_values.iter().copied());
    filter::check_list("value", query.string_values.len())?;
    conditions.push_in("s.string_value", &query.string_values);
    if let Some(min) = query.value_min {
        conditions.push("s.value >= {}", min);
    }
    if let Some(max) = query.value_max {
        conditions.push("s.value <= {}", max);
    }
    if let Some(after) = &query.after {
        conditions.push_all(
            "(s.timestamp < {} OR (s.timestamp = {} AND s.id < {}))",
            vec![
                Arg::from(after.timestamp),
                Arg::from(after.timestamp),
                Arg::from(&after.id),
            ],
        );
    }
    filter::apply(&mut conditions, filter::SCORE_COLUMNS, &query.filter)?;
    Ok(conditions)
}

/// Whether a condition of the query reads the score's trace (`t`).
fn reads_trace(query: &ScoreQuery) -> bool {
    query.user_id.is_some()
        || !query.trace_tags.is_empty()
        || query.filter.iter().any(|condition| {
            filter::SCORE_COLUMNS
                .iter()
                .any(|column| column.id == condition.column && column.reads_trace())
        })
}

/// The scores with their traces, when they have one.
const JOINED: &str = "scores s LEFT JOIN traces t ON t.project_id = s.project_id \
     AND t.id = s.trace_id";

/// The page of a score list, as [`ScoreReadStore::select_scores`] reads it.
fn page_statement(conditions: Sql, query: &ScoreQuery) -> Sql {
    let columns: Vec<String> = SCORE_COLUMNS
        .split(',')
        .map(|column| format!("s.{}", column.trim()))
        .collect();
    let mut sql = Sql::new();
    sql.sql(&format!(
        "SELECT {}, t.id AS trace_found, t.user_id AS trace_user_id, t.tags AS trace_tags, \
         t.environment AS trace_environment, t.session_id AS trace_session_id FROM ",
        columns.join(", ")
    ));
    let order = "ORDER BY s.timestamp DESC, s.id DESC";
    if reads_trace(query) {
        sql.sql(JOINED).sql(" WHERE ").append(conditions);
        sql.sql(&format!(
            " {order} LIMIT {} OFFSET {}",
            query.limit, query.offset
        ));
    } else {
        // Without a condition on the trace, the page is chosen from the scores alone and only
        // its rows are joined to their traces.
        sql.sql("(SELECT * FROM scores s WHERE ").append(conditions);
        sql.sql(&format!(
            " {order} LIMIT {} OFFSET {}) s LEFT JOIN traces t \
             ON t.project_id = s.project_id AND t.id = s.trace_id WHERE TRUE \
             {order} LIMIT {} OFFSET 0",
            query.limit, query.offset, query.limit
        ));
    }
    sql
}

#[async_trait]
impl ScoreReadStore for SqlStore {
    async fn list_scores(
        &self,
        project: &ProjectId,
        query: &ScoreQuery,
    ) -> StoreResult<(Vec<ScoreWithTrace>, u64)> {
        let scores = self.select_scores(project, query).await?;
        let conditions = score_filter(self.db.dialect(), project, query)?.to_sql();
        // The join is only needed when a condition reads the trace.
        let from = if reads_trace(query) {
            JOINED
        } else {
            "scores s"
        };
        let mut count = Sql::new();
        count
            .sql(&format!("SELECT COUNT(*) FROM {from} WHERE "))
            .append(conditions);
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((scores, u64::try_from(total).unwrap_or(0)))
    }

    async fn select_scores(
        &self,
        project: &ProjectId,
        query: &ScoreQuery,
    ) -> StoreResult<Vec<ScoreWithTrace>> {
        let conditions = score_filter(self.db.dialect(), project, query)?.to_sql();
        let rows: Vec<ScoreListSqlRow> = self
            .db
            .fetch_all(&page_statement(conditions, query))
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn delete_score(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM scores WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScoreCursor;

    fn project() -> ProjectId {
        ProjectId::from_trusted("p".to_owned())
    }

    #[test]
    fn a_page_without_trace_conditions_is_chosen_from_the_scores_alone() {
        let query = ScoreQuery {
            name: Some("quality".into()),
            after: Some(ScoreCursor {
                timestamp: 5,
                id: "s9".into(),
            }),
            limit: 10,
            ..ScoreQuery::default()
        };
        let conditions = score_filter(Dialect::Sqlite, &project(), &query)
            .expect("compiles")
            .to_sql();
        let sql = page_statement(conditions, &query);
        let text = sql.render(Dialect::Sqlite);
        assert!(
            text.contains(
                "FROM (SELECT * FROM scores s WHERE s.project_id = ? AND s.name = ? \
                 AND (s.timestamp < ? OR (s.timestamp = ? AND s.id < ?)) \
                 ORDER BY s.timestamp DESC, s.id DESC LIMIT 10 OFFSET 0) s LEFT JOIN traces t"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("WHERE TRUE ORDER BY s.timestamp DESC, s.id DESC LIMIT 10 OFFSET 0")
        );
        assert_eq!(sql.args().len(), 5);
    }

    #[test]
    fn trace_tags_are_one_condition_on_the_joined_trace() {
        let query = ScoreQuery {
            trace_tags: vec!["a".into(), "b".into()],
            limit: 10,
            offset: 20,
            ..ScoreQuery::default()
        };
        let conditions = score_filter(Dialect::Postgres, &project(), &query)
            .expect("compiles")
            .to_sql();
        let text = page_statement(conditions, &query).render(Dialect::Postgres);
        assert!(
            text.ends_with(
                "FROM scores s LEFT JOIN traces t ON t.project_id = s.project_id \
                 AND t.id = s.trace_id WHERE s.project_id = $1 AND ((SELECT COUNT(DISTINCT value) \
                 FROM jsonb_array_elements_text((t.tags)::jsonb) AS e(value) \
                 WHERE value IN ($2, $3)) = $4) \
                 ORDER BY s.timestamp DESC, s.id DESC LIMIT 10 OFFSET 20"
            ),
            "{text}"
        );
    }

    #[test]
    fn oversized_lists_are_refused() {
        let query = ScoreQuery {
            trace_tags: vec!["t".into(); filter::MAX_LIST_VALUES + 1],
            ..ScoreQuery::default()
        };
        let error = score_filter(Dialect::Sqlite, &project(), &query).expect_err("refused");
        assert!(
            matches!(error, crate::StoreError::InvalidFilter(_)),
            "{error}"
        );
        let query = ScoreQuery {
            ids: vec!["s".into(); filter::MAX_LIST_VALUES + 1],
            ..ScoreQuery::default()
        };
        score_filter(Dialect::Sqlite, &project(), &query).expect_err("refused");
    }
}
