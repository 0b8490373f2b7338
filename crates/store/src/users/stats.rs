//! [`UserStatsStore`] on the relational store: a page of users and per-user or per-session
//! usage totals for the UI. A page of keys is chosen first (an index walk of the project's
//! traces by user), then totals are read for that page only. User input only ever reaches a
//! query as a bound parameter.

use std::collections::HashMap;

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::{TotalsQuery, TraceGroup, UsageTotals, UserQuery, UserRow, UserStatsStore};
use crate::error::StoreResult;
use crate::sql::{Sql, SqlStore, Where, like_literal};

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn time_range(filter: &mut Where, from: Option<i64>, to: Option<i64>) {
    if let Some(from) = from {
        filter.push("t.timestamp >= {}", from);
    }
    if let Some(to) = to {
        filter.push("t.timestamp < {}", to);
    }
}

/// `<head> WHERE <filter><tail>`.
fn select(head: &str, filter: &Where, tail: &str) -> Sql {
    let mut sql = Sql::new();
    sql.sql(head)
        .sql(" WHERE ")
        .append(filter.to_sql())
        .sql(tail);
    sql
}

/// The traces (aliased `t`) of the users list.
fn users_filter(filter: &mut Where, project: &ProjectId, query: &UserQuery) {
    filter.eq("t.project_id", project.as_str());
    filter.push_const("t.user_id IS NOT NULL");
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        filter.push(
            "LOWER(t.user_id) LIKE {} ESCAPE '\\'",
            format!("%{}%", like_literal(&search.to_lowercase())),
        );
    }
    time_range(filter, query.from_timestamp, query.to_timestamp);
}

/// Per key, the count and usage of the observations of the filtered traces (aliased `t`).
fn usage_statement(column: &str, filter: &Where) -> Sql {
    let dialect = filter.dialect();
    let input = dialect.json_double("o.usage_details", "input");
    let output = dialect.json_double("o.usage_details", "output");
    let total = dialect.json_double("o.usage_details", "total");
    // `CROSS JOIN` makes SQLite walk the page's traces (by the user or session index) and
    // then their observations, instead of the project's observations; PostgreSQL plans it as
    // the inner join it is.
    let head = format!(
        "SELECT {column}, COUNT(*), \
         CAST(COALESCE(SUM({input}), 0) AS DOUBLE PRECISION), \
         CAST(COALESCE(SUM({output}), 0) AS DOUBLE PRECISION), \
         CAST(COALESCE(SUM(COALESCE({total}, COALESCE({input}, 0) + COALESCE({output}, 0))), 0) \
           AS DOUBLE PRECISION), \
         CAST(COALESCE(SUM(o.total_cost), 0) AS DOUBLE PRECISION) \
         FROM traces t CROSS JOIN observations o"
    );
    let mut sql = Sql::new();
    sql.sql(&head)
        .sql(" WHERE o.project_id = t.project_id AND o.trace_id = t.id AND ")
        .append(filter.to_sql())
        .sql(&format!(" GROUP BY {column}"));
    sql
}

type UsageRow = (String, i64, f64, f64, f64, f64);

#[async_trait]
impl UserStatsStore for SqlStore {
    async fn list_trace_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
    ) -> StoreResult<(Vec<UserRow>, u64)> {
        let mut filter = Where::new(self.db.dialect());
        users_filter(&mut filter, project, query);
        // The number of all groups rides along on each row of the page (a window over the
        // groups), so the project's traces are walked once.
        let sql = select(
            "SELECT t.user_id, COUNT(*), MIN(t.timestamp), MAX(t.timestamp), COUNT(*) OVER () \
             FROM traces t",
            &filter,
            &format!(
                " GROUP BY t.user_id ORDER BY MAX(t.timestamp) DESC, t.user_id \
                 LIMIT {} OFFSET {}",
                query.limit, query.offset
            ),
        );
        let rows: Vec<(String, i64, i64, i64, i64)> = self.db.fetch_all(&sql).await?;
        let total = match rows.first() {
            Some(row) => row.4,
            None if query.offset == 0 => 0,
            None => {
                let count_sql = select(
                    "SELECT COUNT(DISTINCT t.user_id) FROM traces t",
                    &filter,
                    "",
                );
                let (total,): (i64,) = self.db.fetch_one(&count_sql).await?;
                total
            }
        };
        let users = rows
            .into_iter()
            .map(|(user_id, traces, first_seen, last_seen, _)| UserRow {
                user_id,
                traces: count(traces),
                first_seen,
                last_seen,
            })
            .collect();
        Ok((users, count(total)))
    }

    async fn usage_totals(
        &self,
        project: &ProjectId,
        group: TraceGroup,
        query: &TotalsQuery,
    ) -> StoreResult<Vec<UsageTotals>> {
        if query.keys.is_empty() {
            return Ok(Vec::new());
        }
        let column = group.column();
        let mut filter = Where::new(self.db.dialect());
        filter.eq("t.project_id", project.as_str());
        filter.push_in(column, &query.keys);
        time_range(&mut filter, query.from_timestamp, query.to_timestamp);
        let traces_sql = select(
            &format!("SELECT {column}, COUNT(*), MIN(t.timestamp), MAX(t.timestamp) FROM traces t"),
            &filter,
            &format!(" GROUP BY {column}"),
        );
        let traces: Vec<(String, i64, i64, i64)> = self.db.fetch_all(&traces_sql).await?;
        let usage: Vec<UsageRow> = self.db.fetch_all(&usage_statement(column, &filter)).await?;
        let mut usage: HashMap<String, (i64, f64, f64, f64, f64)> = usage
            .into_iter()
            .map(|(key, n, input, output, total, cost)| (key, (n, input, output, total, cost)))
            .collect();
        let mut users: HashMap<String, Vec<String>> = HashMap::new();
        if group == TraceGroup::Session {
            let users_sql = select(
                &format!("SELECT DISTINCT {column}, t.user_id FROM traces t"),
                &filter,
                " AND t.user_id IS NOT NULL",
            );
            let pairs: Vec<(String, String)> = self.db.fetch_all(&users_sql).await?;
            for (key, user) in pairs {
                users.entry(key).or_default().push(user);
            }
        }
        let mut totals: Vec<UsageTotals> = traces
            .into_iter()
            .map(|(key, traces, first_seen, last_seen)| {
                let (observations, input_tokens, output_tokens, total_tokens, total_cost) =
                    usage.remove(&key).unwrap_or_default();
                let mut user_ids = users.remove(&key).unwrap_or_default();
                user_ids.sort();
                UsageTotals {
                    traces: count(traces),
                    first_seen,
                    last_seen,
                    observations: count(observations),
                    input_tokens,
                    output_tokens,
                    total_tokens,
                    total_cost,
                    user_ids,
                    key,
                }
            })
            .collect();
        totals.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn user_search_is_a_case_insensitive_literal_match() {
        let query = UserQuery {
            search: Some("A%b".into()),
            to_timestamp: Some(9),
            ..UserQuery::default()
        };
        let mut filter = Where::new(Dialect::Sqlite);
        users_filter(
            &mut filter,
            &ProjectId::from_trusted("p".to_owned()),
            &query,
        );
        let sql = filter.to_sql();
        assert_eq!(
            sql.render(Dialect::Sqlite),
            "t.project_id = ? AND t.user_id IS NOT NULL AND LOWER(t.user_id) LIKE ? ESCAPE '\\' \
             AND t.timestamp < ?"
        );
        assert_eq!(sql.args()[1], crate::sql::Arg::from("%a\\%b%"));
    }

    #[test]
    fn usage_reads_each_entry_as_a_double_in_each_dialect() {
        let mut filter = Where::new(Dialect::Postgres);
        filter.eq("t.project_id", "p");
        let text = usage_statement("t.user_id", &filter).render(Dialect::Postgres);
        assert!(text.contains("SUM(((o.usage_details)::jsonb ->> 'input')::double precision)"));
        assert!(text.ends_with(
            "WHERE o.project_id = t.project_id AND o.trace_id = t.id AND t.project_id = $1 \
             GROUP BY t.user_id"
        ));
        let filter = Where::new(Dialect::Sqlite);
        let text = usage_statement("t.user_id", &filter).render(Dialect::Sqlite);
        assert!(text.contains("SUM(CAST(json_extract(o.usage_details, '$.output') AS REAL))"));
    }
}
