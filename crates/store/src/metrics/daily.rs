//! [`MetricsStore`] on the relational store: daily metrics over traces and observations. Days
//! are `timestamp / 86_400_000` (integer division on both SQLite and PostgreSQL); user input
//! only ever reaches a query as a bound parameter.

use sightline_domain::ProjectId;

use super::{DAY_MS, DailyMetrics, DailyModelUsage, MetricsQuery};
use crate::error::StoreResult;
use sightline_domain::filter::OptionsOperator;

use crate::filter;
use crate::sql::{Dialect, Sql, SqlStore, Where};

/// The traces (aliased `t`) that a metrics query covers.
fn trace_filter(dialect: Dialect, project: &ProjectId, query: &MetricsQuery) -> Where {
    let mut filter = Where::new(dialect);
    filter.eq("t.project_id", project.as_str());
    if let Some(name) = &query.trace_name {
        filter.eq("t.name", name);
    }
    if let Some(user) = &query.user_id {
        filter.eq("t.user_id", user);
    }
    // Every tag in one condition over the stored JSON array (never one term per tag).
    filter::tags_condition(&mut filter, "t.tags", OptionsOperator::AllOf, &query.tags);
    filter.push_in("t.environment", &query.environments);
    if let Some(from) = query.from_timestamp {
        filter.push("t.timestamp >= {}", from);
    }
    if let Some(to) = query.to_timestamp {
        filter.push("t.timestamp < {}", to);
    }
    filter
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// `SELECT … WHERE <filter><tail>`.
fn select(head: &str, filter: &Where, tail: &str) -> Sql {
    let mut sql = Sql::new();
    sql.sql(head)
        .sql(" WHERE ")
        .append(filter.to_sql())
        .sql(tail);
    sql
}

/// Per day and model, the observations of the filtered traces and their usage and cost.
fn usage_statement(filter: &Where) -> Sql {
    let dialect = filter.dialect();
    let usage = |pattern: &str| dialect.json_sum_matching("o.usage_details", pattern);
    let head = format!(
        "SELECT t.timestamp / {DAY_MS} AS day, o.model AS model, \
         COUNT(DISTINCT o.trace_id) AS count_traces, COUNT(*) AS count_observations, \
         CAST(COALESCE(SUM(o.total_cost), 0) AS DOUBLE PRECISION) AS total_cost, \
         CAST(COALESCE(SUM({}), 0) AS DOUBLE PRECISION) AS input_usage, \
         CAST(COALESCE(SUM({}), 0) AS DOUBLE PRECISION) AS output_usage, \
         CAST(COALESCE(SUM({}), 0) AS DOUBLE PRECISION) AS total_usage \
         FROM traces t JOIN observations o \
         ON o.project_id = t.project_id AND o.trace_id = t.id",
        usage("%input%"),
        usage("%output%"),
        usage("total"),
    );
    let tail = format!(" GROUP BY t.timestamp / {DAY_MS}, o.model ORDER BY day DESC");
    select(&head, filter, &tail)
}

type UsageRow = (i64, Option<String>, i64, i64, f64, f64, f64, f64);

impl SqlStore {
    /// [`super::MetricsStore::daily_metrics`].
    pub(super) async fn daily_metrics_page(
        &self,
        project: &ProjectId,
        query: &MetricsQuery,
    ) -> StoreResult<(Vec<DailyMetrics>, u64)> {
        filter::check_list("tags", query.tags.len())?;
        let mut filter = trace_filter(self.db.dialect(), project, query);
        let days_sql = select(
            &format!("SELECT t.timestamp / {DAY_MS} AS day, COUNT(*) AS traces FROM traces t"),
            &filter,
            &format!(
                " GROUP BY t.timestamp / {DAY_MS} ORDER BY day DESC LIMIT {} OFFSET {}",
                query.limit, query.offset
            ),
        );
        let days: Vec<(i64, i64)> = self.db.fetch_all(&days_sql).await?;
        let total_sql = select(
            &format!("SELECT COUNT(DISTINCT t.timestamp / {DAY_MS}) FROM traces t"),
            &filter,
            "",
        );
        let (total,): (i64,) = self.db.fetch_one(&total_sql).await?;
        let (Some(&(newest, _)), Some(&(oldest, _))) = (days.first(), days.last()) else {
            return Ok((Vec::new(), count(total)));
        };

        // The page's days are contiguous among the matching days, so a time range selects
        // exactly their traces.
        filter.push("t.timestamp >= {}", oldest * DAY_MS);
        filter.push("t.timestamp < {}", (newest + 1) * DAY_MS);
        let rows: Vec<UsageRow> = self.db.fetch_all(&usage_statement(&filter)).await?;
        let metrics = days
            .into_iter()
            .map(|(day, traces)| {
                let mut usage: Vec<DailyModelUsage> = rows
                    .iter()
                    .filter(|row| row.0 == day)
                    .map(|row| DailyModelUsage {
                        model: row.1.clone(),
                        count_traces: count(row.2),
                        count_observations: count(row.3),
                        total_cost: row.4,
                        input_usage: row.5,
                        output_usage: row.6,
                        total_usage: row.7,
                    })
                    .collect();
                // By model, observations without one first, the same on both backends.
                usage.sort_by(|a, b| a.model.cmp(&b.model));
                DailyMetrics {
                    day,
                    count_traces: count(traces),
                    count_observations: usage.iter().map(|u| u.count_observations).sum(),
                    total_cost: usage.iter().map(|u| u.total_cost).sum(),
                    usage,
                }
            })
            .collect();
        Ok((metrics, count(total)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_the_quoted_tag_in_the_stored_array() {
        let query = MetricsQuery {
            tags: vec!["a_b".into()],
            environments: vec!["prod".into()],
            from_timestamp: Some(5),
            ..MetricsQuery::default()
        };
        let project = ProjectId::from_trusted("p".to_owned());
        let filter = trace_filter(Dialect::Postgres, &project, &query).to_sql();
        let text = filter.render(Dialect::Postgres);
        assert!(text.starts_with("t.project_id = $1 AND ("), "{text}");
        assert!(text.contains("t.tags"), "{text}");
        assert!(
            text.ends_with(") = $3) AND t.environment IN ($4) AND t.timestamp >= $5"),
            "{text}"
        );
        assert_eq!(filter.args()[1], crate::sql::Arg::from("a_b"));
    }

    #[test]
    fn usage_sums_keys_by_pattern_in_each_dialect() {
        let project = ProjectId::from_trusted("p".to_owned());
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let filter = trace_filter(dialect, &project, &MetricsQuery::default());
            let text = usage_statement(&filter).render(dialect);
            let input = dialect.json_sum_matching("o.usage_details", "%input%");
            assert!(text.contains(&format!("SUM({input})")), "{text}");
            assert!(text.ends_with("GROUP BY t.timestamp / 86400000, o.model ORDER BY day DESC"));
        }
    }
}
