//! Daily metrics over traces and observations, shared by both backends and stamped onto each
//! store by `impl_metrics_store!`. Days are `timestamp / 86_400_000` (integer division on both
//! SQLite and PostgreSQL); user input only ever reaches a query as a bound parameter.

/// Implements [`crate::MetricsStore`] for `$store` (a struct with a `pool` of `$db`);
/// `anonymous_params` as in `impl_tracing_store!`. `usage_sum` is the backend's expression for
/// the sum of the numeric entries of `o.usage_details` whose key is `LIKE` the pattern written `KEY_PATTERN`.
macro_rules! impl_metrics_store {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr, usage_sum: $usage_sum:expr) => {
        mod metrics_impl {
            use $crate::StoreResult;
            use $crate::sql_where::{bind_all, like_literal, Param, Where};
            use $crate::metrics_model::*;


            fn trace_filter(project: &str, query: &MetricsQuery) -> Where {
                let mut filter = Where::new($anonymous);
                filter.push("t.project_id = {}", Param::Text(project.to_owned()));
                if let Some(name) = &query.trace_name {
                    filter.push("t.name = {}", Param::Text(name.clone()));
                }
                if let Some(user) = &query.user_id {
                    filter.push("t.user_id = {}", Param::Text(user.clone()));
                }
                for tag in &query.tags {
                    // Tags are stored as a JSON array of strings: match the quoted tag.
                    let quoted = serde_json::Value::String(tag.clone()).to_string();
                    filter.push(
                        "t.tags LIKE {} ESCAPE '\\'",
                        Param::Text(format!("%{}%", like_literal(&quoted))),
                    );
                }
                filter.push_in("t.environment", &query.environments);
                if let Some(from) = query.from_timestamp {
                    filter.push("t.timestamp >= {}", Param::Int(from));
                }
                if let Some(to) = query.to_timestamp {
                    filter.push("t.timestamp < {}", Param::Int(to));
                }
                filter
            }

            fn count(value: i64) -> u64 {
                u64::try_from(value).unwrap_or(0)
            }

            pub(super) async fn daily_metrics(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &MetricsQuery,
            ) -> StoreResult<(Vec<DailyMetrics>, u64)> {
                let filter = trace_filter(project, query);
                let days_sql = format!(
                    "SELECT t.timestamp / {DAY_MS} AS day, COUNT(*) AS traces FROM traces t \
                     WHERE {} GROUP BY t.timestamp / {DAY_MS} ORDER BY day DESC LIMIT {} OFFSET {}",
                    filter.sql(),
                    query.limit,
                    query.offset,
                );
                let days: Vec<(i64, i64)> =
                    bind_all!(sqlx::query_as(&days_sql), &filter.params).fetch_all(pool).await?;
                let total_sql = format!(
                    "SELECT COUNT(DISTINCT t.timestamp / {DAY_MS}) FROM traces t WHERE {}",
                    filter.sql()
                );
                let (total,): (i64,) =
                    bind_all!(sqlx::query_as(&total_sql), &filter.params).fetch_one(pool).await?;
                let (Some(&(newest, _)), Some(&(oldest, _))) = (days.first(), days.last()) else {
                    return Ok((Vec::new(), count(total)));
                };

                // The page's days are contiguous among the matching days, so a time range
                // selects exactly their traces.
                let mut filter = filter;
                filter.push("t.timestamp >= {}", Param::Int(oldest * DAY_MS));
                filter.push("t.timestamp < {}", Param::Int((newest + 1) * DAY_MS));
                let usage = |pattern: &str| $usage_sum.replacen("KEY_PATTERN", pattern, 1);
                let usage_sql = format!(
                    "SELECT t.timestamp / {DAY_MS} AS day, o.model AS model, \
                     COUNT(DISTINCT o.trace_id) AS count_traces, COUNT(*) AS count_observations, \
                     CAST(COALESCE(SUM(o.total_cost), 0) AS DOUBLE PRECISION) AS total_cost, \
                     CAST(COALESCE(SUM({}), 0) AS DOUBLE PRECISION) AS input_usage, \
                     CAST(COALESCE(SUM({}), 0) AS DOUBLE PRECISION) AS output_usage, \
                     CAST(COALESCE(SUM({}), 0) AS DOUBLE PRECISION) AS total_usage \
                     FROM traces t JOIN observations o \
                     ON o.project_id = t.project_id AND o.trace_id = t.id \
                     WHERE {} GROUP BY t.timestamp / {DAY_MS}, o.model ORDER BY day DESC",
                    usage("%input%"),
                    usage("%output%"),
                    usage("total"),
                    filter.sql(),
                );
                let rows: Vec<(i64, Option<String>, i64, i64, f64, f64, f64, f64)> =
                    bind_all!(sqlx::query_as(&usage_sql), &filter.params).fetch_all(pool).await?;
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

        #[async_trait::async_trait]
        impl $crate::MetricsStore for $store {
            async fn daily_metrics(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::MetricsQuery,
            ) -> $crate::StoreResult<(Vec<$crate::DailyMetrics>, u64)> {
                metrics_impl::daily_metrics(&self.pool, project.as_str(), query).await
            }
        }
    };
}

pub(crate) use impl_metrics_store;
