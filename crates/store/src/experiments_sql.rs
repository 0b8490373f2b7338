//! Experiment reads shared by both backends and stamped onto each store by
//! `impl_experiment_store!`: run comparison (per-run aggregates and per-item results) and the
//! experiment and experiment-item lists. Experiments are dataset runs (`datasets_sql.rs`); their
//! statements are built with `sql_build.rs`, user input only ever bound.

/// Implements [`crate::ExperimentStore`] for `$store`, which `impl_dataset_store!` has stamped
/// too (its `dataset_impl` helpers are reused).
macro_rules! impl_experiment_store {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod experiment_impl {
            use std::collections::HashMap;

            use super::dataset_impl::{fetch, run_where};
            use $crate::datasets_model::*;
            use $crate::experiments_model::*;
            use $crate::sql_build::{text, Arg, Sql};
            use $crate::{StoreError, StoreResult};

            type Conn = <$db as sqlx::Database>::Connection;

            /// Per trace of the runs' items: first start, last end and total cost of its
            /// observations, as a subquery named `a`.
            fn trace_aggregate(sql: &mut Sql, project: &str, run_ids: &[String]) {
                sql.push(
                    "(SELECT trace_id, MIN(start_time) AS started, \
                       MAX(COALESCE(end_time, start_time)) AS ended, SUM(total_cost) AS cost \
                     FROM observations WHERE project_id = {} AND trace_id IN \
                       (SELECT trace_id FROM dataset_run_items WHERE project_id = {} AND ",
                    vec![text(project), text(project)],
                );
                sql.push_in("run_id", run_ids);
                sql.push(") GROUP BY trace_id) a", vec![]);
            }

            pub(super) async fn run_summaries(
                conn: &mut Conn,
                project: &str,
                run_ids: &[String],
            ) -> StoreResult<Vec<RunSummary>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    "SELECT ri.run_id, COUNT(*) AS items, \
                       CAST(AVG(a.ended - a.started) AS DOUBLE PRECISION) AS latency, SUM(a.cost) AS cost \
                     FROM dataset_run_items ri LEFT JOIN ",
                    vec![],
                );
                trace_aggregate(&mut sql, project, run_ids);
                sql.push(" ON a.trace_id = ri.trace_id WHERE ri.project_id = {} AND ", vec![text(project)]);
                sql.push_in("ri.run_id", run_ids);
                sql.push(" GROUP BY ri.run_id", vec![]);
                let rows: Vec<(String, i64, Option<f64>, Option<f64>)> = fetch(conn, &sql).await?;

                let mut scores = Sql::new($anonymous);
                scores.push(
                    "SELECT ri.run_id, s.name, CAST(AVG(s.value) AS DOUBLE PRECISION), COUNT(*) \
                     FROM dataset_run_items ri JOIN scores s \
                       ON s.project_id = ri.project_id AND s.trace_id = ri.trace_id \
                     WHERE ri.project_id = {} AND s.value IS NOT NULL AND ",
                    vec![text(project)],
                );
                scores.push_in("ri.run_id", run_ids);
                scores.push(" GROUP BY ri.run_id, s.name ORDER BY s.name", vec![]);
                let score_rows: Vec<(String, String, Option<f64>, i64)> = fetch(conn, &scores).await?;

                Ok(run_ids
                    .iter()
                    .map(|run_id| {
                        let row = rows.iter().find(|row| &row.0 == run_id);
                        RunSummary {
                            run_id: run_id.clone(),
                            item_count: row.map_or(0, |row| u64::try_from(row.1).unwrap_or(0)),
                            avg_latency_ms: row.and_then(|row| row.2),
                            total_cost: row.and_then(|row| row.3),
                            score_averages: score_rows
                                .iter()
                                .filter(|score| &score.0 == run_id)
                                .map(|score| {
                                    (score.1.clone(), score.2.unwrap_or(0.0), u64::try_from(score.3).unwrap_or(0))
                                })
                                .collect(),
                        }
                    })
                    .collect())
            }

            pub(super) async fn run_item_results(
                conn: &mut Conn,
                project: &str,
                run_ids: &[String],
            ) -> StoreResult<Vec<RunItemResult>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    "SELECT ri.run_id, ri.dataset_item_id, ri.trace_id, ri.observation_id, \
                       COALESCE(o.output, t.output) AS output, \
                       CAST(a.ended - a.started AS DOUBLE PRECISION) AS latency, a.cost \
                     FROM dataset_run_items ri \
                     LEFT JOIN observations o ON o.project_id = ri.project_id AND o.id = ri.observation_id \
                     LEFT JOIN traces t ON t.project_id = ri.project_id AND t.id = ri.trace_id LEFT JOIN ",
                    vec![],
                );
                trace_aggregate(&mut sql, project, run_ids);
                sql.push(" ON a.trace_id = ri.trace_id WHERE ri.project_id = {} AND ", vec![text(project)]);
                sql.push_in("ri.run_id", run_ids);
                sql.push(" ORDER BY ri.dataset_item_id, ri.created_at", vec![]);
                #[allow(clippy::type_complexity)]
                let rows: Vec<(String, String, String, Option<String>, Option<String>, Option<f64>, Option<f64>)> =
                    fetch(conn, &sql).await?;

                let mut scores = Sql::new($anonymous);
                scores.push(
                    "SELECT s.trace_id, s.name, s.value, s.string_value FROM scores s \
                     WHERE s.project_id = {} AND s.trace_id IN \
                       (SELECT trace_id FROM dataset_run_items WHERE project_id = {} AND ",
                    vec![text(project), text(project)],
                );
                scores.push_in("run_id", run_ids);
                scores.push(") ORDER BY s.name, s.timestamp", vec![]);
                let score_rows: Vec<(String, String, Option<f64>, Option<String>)> = fetch(conn, &scores).await?;
                let mut by_trace: HashMap<String, Vec<(String, Option<f64>, Option<String>)>> = HashMap::new();
                for (trace_id, name, value, string_value) in score_rows {
                    by_trace.entry(trace_id).or_default().push((name, value, string_value));
                }
                Ok(rows
                    .into_iter()
                    .map(|(run_id, dataset_item_id, trace_id, observation_id, output, latency_ms, total_cost)| {
                        RunItemResult {
                            scores: by_trace.get(&trace_id).cloned().unwrap_or_default(),
                            run_id,
                            dataset_item_id,
                            trace_id,
                            observation_id,
                            output: output.map(|text| {
                                serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
                            }),
                            latency_ms,
                            total_cost,
                        }
                    })
                    .collect())
            }

            /// Per run: first start, last end and number of its items (observation times, else
            /// the run item's creation), as a subquery named `x`.
            fn run_times(sql: &mut Sql, project: &str) {
                sql.push(
                    "(SELECT ri.run_id, MIN(COALESCE(o.start_time, ri.created_at)) AS start_time, \
                       MAX(COALESCE(o.end_time, o.start_time, ri.created_at)) AS end_time, COUNT(*) AS item_count \
                     FROM dataset_run_items ri LEFT JOIN observations o \
                       ON o.project_id = ri.project_id AND o.id = ri.observation_id \
                     WHERE ri.project_id = {} GROUP BY ri.run_id) x",
                    vec![text(project)],
                );
            }

            pub(super) async fn list_experiments(
                conn: &mut Conn,
                project: &str,
                query: &ExperimentQuery,
            ) -> StoreResult<Vec<Experiment>> {
                let mut sql = Sql::new($anonymous);
                sql.push(&format!("SELECT {RUN_COLUMNS}, x.start_time, x.end_time, x.item_count FROM "), vec![]);
                run_times(&mut sql, project);
                sql.push(
                    " JOIN dataset_runs r ON r.project_id = {} AND r.id = x.run_id \
                     LEFT JOIN datasets d ON d.project_id = r.project_id AND d.id = r.dataset_id \
                     WHERE x.start_time >= {}",
                    vec![text(project), Arg::Int(Some(query.from_start_time))],
                );
                if let Some(to) = query.to_start_time {
                    sql.push(" AND x.start_time < {}", vec![Arg::Int(Some(to))]);
                }
                for (column, values) in [("r.id", &query.ids), ("r.name", &query.names), ("r.dataset_id", &query.dataset_ids)] {
                    if !values.is_empty() {
                        sql.push(" AND ", vec![]);
                        sql.push_in(column, values);
                    }
                }
                sql.push(
                    &format!(" ORDER BY x.end_time DESC, r.id DESC LIMIT {} OFFSET {}", query.limit, query.offset),
                    vec![],
                );
                let rows: Vec<ExperimentSqlRow> = fetch(conn, &sql).await?;
                rows.into_iter()
                    .map(|row| {
                        Ok(Experiment {
                            start_time: row.start_time,
                            end_time: row.end_time,
                            item_count: u64::try_from(row.item_count).unwrap_or(0),
                            run: row.run.try_into()?,
                        })
                    })
                    .collect()
            }

            #[derive(sqlx::FromRow)]
            struct ExperimentSqlRow {
                #[sqlx(flatten)]
                run: RunSqlRow,
                start_time: i64,
                end_time: i64,
                item_count: i64,
            }

            #[derive(sqlx::FromRow)]
            struct ExperimentItemSqlRow {
                #[sqlx(flatten)]
                item: RunItemSqlRow,
                start_time: i64,
                end_time: Option<i64>,
                level: String,
                environment: String,
                input: Option<String>,
                output: Option<String>,
                span_metadata: Option<String>,
            }

            pub(super) async fn list_experiment_items(
                conn: &mut Conn,
                project: &str,
                query: &ExperimentItemQuery,
            ) -> StoreResult<Vec<ExperimentItem>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    &format!(
                        "SELECT * FROM (SELECT {RUN_ITEM_COLUMNS}, r.dataset_id AS run_dataset_id, \
                           COALESCE(o.start_time, t.timestamp, ri.created_at) AS start_time, \
                           o.end_time AS end_time, COALESCE(o.level, 'DEFAULT') AS level, \
                           COALESCE(o.environment, t.environment, 'default') AS environment, \
                           COALESCE(o.input, t.input) AS input, COALESCE(o.output, t.output) AS output, \
                           COALESCE(o.metadata, t.metadata) AS span_metadata \
                         FROM dataset_run_items ri \
                         JOIN dataset_runs r ON r.project_id = ri.project_id AND r.id = ri.run_id \
                         LEFT JOIN observations o ON o.project_id = ri.project_id AND o.id = ri.observation_id \
                         LEFT JOIN traces t ON t.project_id = ri.project_id AND t.id = ri.trace_id \
                         WHERE ri.project_id = {{}}) e WHERE e.start_time >= {{}}"
                    ),
                    vec![text(project), Arg::Int(Some(query.from_start_time))],
                );
                if let Some(to) = query.to_start_time {
                    sql.push(" AND e.start_time < {}", vec![Arg::Int(Some(to))]);
                }
                for (column, values) in [
                    ("e.run_id", &query.experiment_ids),
                    ("e.run_name", &query.experiment_names),
                    ("e.dataset_item_id", &query.item_ids),
                    ("e.run_dataset_id", &query.dataset_ids),
                ] {
                    if !values.is_empty() {
                        sql.push(" AND ", vec![]);
                        sql.push_in(column, values);
                    }
                }
                sql.push(
                    &format!(" ORDER BY e.start_time DESC, e.id DESC LIMIT {} OFFSET {}", query.limit, query.offset),
                    vec![],
                );
                let rows: Vec<ExperimentItemSqlRow> = fetch(conn, &sql).await?;
                let mut run_ids: Vec<String> = Vec::new();
                let mut items = Vec::with_capacity(rows.len());
                for row in rows {
                    let item: DatasetRunItem = row.item.try_into()?;
                    if !run_ids.contains(&item.run_id) {
                        run_ids.push(item.run_id.clone());
                    }
                    items.push((item, row.start_time, row.end_time, row.level, row.environment, row.input, row.output, row.span_metadata));
                }
                let mut filter = Sql::new($anonymous);
                filter.push("r.project_id = {} AND ", vec![text(project)]);
                filter.push_in("r.id", &run_ids);
                let runs = run_where(conn, filter, "").await?;
                let parse = |text: Option<String>| {
                    text.map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
                };
                items
                    .into_iter()
                    .map(|(item, start_time, end_time, level, environment, input, output, metadata)| {
                        let run = runs
                            .iter()
                            .find(|run| run.id == item.run_id)
                            .cloned()
                            .ok_or_else(|| StoreError::Corrupt("run item without its run".into()))?;
                        Ok(ExperimentItem {
                            item,
                            run,
                            start_time,
                            end_time,
                            level,
                            environment,
                            input: parse(input),
                            output: parse(output),
                            metadata: parse(metadata),
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::ExperimentStore for $store {
            async fn run_summaries(
                &self,
                project: &sightline_domain::ProjectId,
                run_ids: &[String],
            ) -> $crate::StoreResult<Vec<$crate::RunSummary>> {
                let mut conn = self.pool.acquire().await?;
                experiment_impl::run_summaries(&mut conn, project.as_str(), run_ids).await
            }

            async fn run_item_results(
                &self,
                project: &sightline_domain::ProjectId,
                run_ids: &[String],
            ) -> $crate::StoreResult<Vec<$crate::RunItemResult>> {
                let mut conn = self.pool.acquire().await?;
                experiment_impl::run_item_results(&mut conn, project.as_str(), run_ids).await
            }

            async fn list_experiments(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::ExperimentQuery,
            ) -> $crate::StoreResult<Vec<$crate::Experiment>> {
                let mut conn = self.pool.acquire().await?;
                experiment_impl::list_experiments(&mut conn, project.as_str(), query).await
            }

            async fn list_experiment_items(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::ExperimentItemQuery,
            ) -> $crate::StoreResult<Vec<$crate::ExperimentItem>> {
                let mut conn = self.pool.acquire().await?;
                experiment_impl::list_experiment_items(&mut conn, project.as_str(), query).await
            }
        }
    };
}

pub(crate) use impl_experiment_store;
