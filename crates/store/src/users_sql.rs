//! Users and per-user or per-session usage totals for the UI, shared by both backends and
//! stamped onto each store by `impl_user_stats!`. A page of keys is chosen first (an index walk
//! of the project's traces by user), then totals are read for that page only. User input only
//! ever reaches a query as a bound parameter.

/// Implements [`crate::UserStatsStore`] for `$store` (a struct with a `pool` of `$db`);
/// `anonymous_params` as in `impl_tracing_store!`.
macro_rules! impl_user_stats {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod user_stats_impl {
            use std::collections::HashMap;

            use $crate::sql_where::{bind_all, like_literal, Param, Where};
            use $crate::users_model::*;
            use $crate::StoreResult;

            fn count(value: i64) -> u64 {
                u64::try_from(value).unwrap_or(0)
            }

            fn time_range(filter: &mut Where, from: Option<i64>, to: Option<i64>) {
                if let Some(from) = from {
                    filter.push("t.timestamp >= {}", Param::Int(from));
                }
                if let Some(to) = to {
                    filter.push("t.timestamp < {}", Param::Int(to));
                }
            }

            /// A usage entry of the observations aliased `o`, as a number (NULL when absent).
            fn usage(filter: &Where, key: &str) -> String {
                if filter.is_sqlite() {
                    format!("CAST(json_extract(o.usage_details, '$.{key}') AS REAL)")
                } else {
                    format!("(o.usage_details::jsonb ->> '{key}')::double precision")
                }
            }

            pub(super) async fn list_trace_users(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &UserQuery,
            ) -> StoreResult<(Vec<UserRow>, u64)> {
                let mut filter = Where::new($anonymous);
                filter.push("t.project_id = {}", Param::Text(project.to_owned()));
                filter.push_const("t.user_id IS NOT NULL");
                if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
                    filter.push(
                        "LOWER(t.user_id) LIKE {} ESCAPE '\\'",
                        Param::Text(format!("%{}%", like_literal(&search.to_lowercase()))),
                    );
                }
                time_range(&mut filter, query.from_timestamp, query.to_timestamp);
                // The number of all groups rides along on each row of the page (a window over
                // the groups), so the project's traces are walked once.
                let sql = format!(
                    "SELECT t.user_id, COUNT(*), MIN(t.timestamp), MAX(t.timestamp), COUNT(*) OVER () \
                     FROM traces t WHERE {} GROUP BY t.user_id \
                     ORDER BY MAX(t.timestamp) DESC, t.user_id LIMIT {} OFFSET {}",
                    filter.sql(),
                    query.limit,
                    query.offset
                );
                let rows: Vec<(String, i64, i64, i64, i64)> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                let total = match rows.first() {
                    Some(row) => row.4,
                    None if query.offset == 0 => 0,
                    None => {
                        let count_sql = format!(
                            "SELECT COUNT(DISTINCT t.user_id) FROM traces t WHERE {}",
                            filter.sql()
                        );
                        let (total,): (i64,) = bind_all!(sqlx::query_as(&count_sql), &filter.params)
                            .fetch_one(pool)
                            .await?;
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

            pub(super) async fn usage_totals(
                pool: &sqlx::Pool<$db>,
                project: &str,
                group: TraceGroup,
                query: &TotalsQuery,
            ) -> StoreResult<Vec<UsageTotals>> {
                if query.keys.is_empty() {
                    return Ok(Vec::new());
                }
                let column = group.column();
                let mut filter = Where::new($anonymous);
                filter.push("t.project_id = {}", Param::Text(project.to_owned()));
                filter.push_in(column, &query.keys);
                time_range(&mut filter, query.from_timestamp, query.to_timestamp);
                let traces_sql = format!(
                    "SELECT {column}, COUNT(*), MIN(t.timestamp), MAX(t.timestamp) FROM traces t \
                     WHERE {} GROUP BY {column}",
                    filter.sql()
                );
                let traces: Vec<(String, i64, i64, i64)> =
                    bind_all!(sqlx::query_as(&traces_sql), &filter.params).fetch_all(pool).await?;
                // `CROSS JOIN` makes SQLite walk the page's traces (by the user or session index)
                // and then their observations, instead of the project's observations; PostgreSQL
                // plans it as the inner join it is.
                let (input, output, total) =
                    (usage(&filter, "input"), usage(&filter, "output"), usage(&filter, "total"));
                let usage_sql = format!(
                    "SELECT {column}, COUNT(*), \
                     CAST(COALESCE(SUM({input}), 0) AS DOUBLE PRECISION), \
                     CAST(COALESCE(SUM({output}), 0) AS DOUBLE PRECISION), \
                     CAST(COALESCE(SUM(COALESCE({total}, COALESCE({input}, 0) + COALESCE({output}, 0))), 0) \
                       AS DOUBLE PRECISION), \
                     CAST(COALESCE(SUM(o.total_cost), 0) AS DOUBLE PRECISION) \
                     FROM traces t CROSS JOIN observations o \
                     WHERE o.project_id = t.project_id AND o.trace_id = t.id AND {} GROUP BY {column}",
                    filter.sql()
                );
                let usage: Vec<(String, i64, f64, f64, f64, f64)> =
                    bind_all!(sqlx::query_as(&usage_sql), &filter.params).fetch_all(pool).await?;
                let mut usage: HashMap<String, (i64, f64, f64, f64, f64)> = usage
                    .into_iter()
                    .map(|(key, n, input, output, total, cost)| (key, (n, input, output, total, cost)))
                    .collect();
                let mut users: HashMap<String, Vec<String>> = HashMap::new();
                if group == TraceGroup::Session {
                    let users_sql = format!(
                        "SELECT DISTINCT {column}, t.user_id FROM traces t \
                         WHERE {} AND t.user_id IS NOT NULL",
                        filter.sql()
                    );
                    let pairs: Vec<(String, String)> =
                        bind_all!(sqlx::query_as(&users_sql), &filter.params).fetch_all(pool).await?;
                    for (key, user) in pairs {
                        users.entry(key).or_default().push(user);
                    }
                }
                let mut totals: Vec<UsageTotals> = traces
                    .into_iter()
                    .map(|(key, traces, first_seen, last_seen)| {
                        let (observations, input_tokens, output_tokens, total_tokens, total_cost) =
                            usage.remove(&key).unwrap_or_default();
                        UsageTotals {
                            traces: count(traces),
                            first_seen,
                            last_seen,
                            observations: count(observations),
                            input_tokens,
                            output_tokens,
                            total_tokens,
                            total_cost,
                            user_ids: {
                                let mut ids = users.remove(&key).unwrap_or_default();
                                ids.sort();
                                ids
                            },
                            key,
                        }
                    })
                    .collect();
                totals.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(totals)
            }
        }

        #[async_trait::async_trait]
        impl $crate::UserStatsStore for $store {
            async fn list_trace_users(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::UserQuery,
            ) -> $crate::StoreResult<(Vec<$crate::UserRow>, u64)> {
                user_stats_impl::list_trace_users(&self.pool, project.as_str(), query).await
            }

            async fn usage_totals(
                &self,
                project: &sightline_domain::ProjectId,
                group: $crate::TraceGroup,
                query: &$crate::TotalsQuery,
            ) -> $crate::StoreResult<Vec<$crate::UsageTotals>> {
                user_stats_impl::usage_totals(&self.pool, project.as_str(), group, query).await
            }
        }
    };
}

pub(crate) use impl_user_stats;
