//! Score lists and deletes for the read API, and score configs, shared by both backends and
//! stamped onto each store by `impl_score_reads!`. As in `reads_sql.rs`, user input only ever reaches a query as a
//! bound parameter.

/// Implements [`crate::ScoreReadStore`] and [`crate::ScoreConfigStore`] for `$store` (a struct with a `pool` of `$db`);
/// `anonymous_params` as in `impl_tracing_store!`.
macro_rules! impl_score_reads {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod score_reads_impl {
            use $crate::StoreResult;
            use $crate::sql_where::{bind_all, like_literal, Param, Where};
            use $crate::scores_model::*;
            use $crate::tracing_model::SCORE_COLUMNS;
            use $crate::scores_model::{categories_text, ScoreConfigSqlRow, SCORE_CONFIG_COLUMNS};


            fn score_filter(project: &str, query: &ScoreQuery) -> StoreResult<Where> {
                let mut filter = Where::new($anonymous);
                filter.push("s.project_id = {}", Param::Text(project.to_owned()));
                if query.trace_scores_only {
                    // Not `IS NOT NULL`, which the planner may answer from the trace index and
                    // then sort every score instead of walking the timestamp index.
                    filter.push_const("COALESCE(s.trace_id, '') <> ''");
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
                        filter.push(&format!("{column} = {{}}"), Param::Text(value.clone()));
                    }
                }
                for tag in &query.trace_tags {
                    // Tags are stored as a JSON array of strings: match the quoted tag.
                    let quoted = serde_json::Value::String(tag.clone()).to_string();
                    filter.push(
                        "t.tags LIKE {} ESCAPE '\\'",
                        Param::Text(format!("%{}%", like_literal(&quoted))),
                    );
                }
                filter.push_in("s.environment", &query.environments);
                if let Some(from) = query.from_timestamp {
                    filter.push("s.timestamp >= {}", Param::Int(from));
                }
                if let Some(to) = query.to_timestamp {
                    filter.push("s.timestamp < {}", Param::Int(to));
                }
                if let Some((operator, value)) = query.value {
                    filter.push(
                        &format!("s.value {} {{}}", operator.sql()),
                        Param::Float(value),
                    );
                }
                filter.push_in("s.id", &query.ids);
                filter.push_in("s.trace_id", &query.trace_ids);
                filter.push_in("s.session_id", &query.session_ids);
                filter.push_in("s.dataset_run_id", &query.dataset_run_ids);
                filter.push_in("s.observation_id", &query.observation_ids);
                filter.push_in("s.name", &query.names);
                filter.push_in("s.source", &query.sources);
                filter.push_in("s.data_type", &query.data_types);
                filter.push_in("s.config_id", &query.config_ids);
                filter.push_in("s.queue_id", &query.queue_ids);
                if !query.author_user_ids.is_empty() {
                    filter.push_const("FALSE");
                }
                filter.push_in_float("s.value", &query.numeric_values);
                filter.push_in("s.string_value", &query.string_values);
                if let Some(min) = query.value_min {
                    filter.push("s.value >= {}", Param::Float(min));
                }
                if let Some(max) = query.value_max {
                    filter.push("s.value <= {}", Param::Float(max));
                }
                if let Some(after) = &query.after {
                    filter.push_all(
                        "(s.timestamp < {} OR (s.timestamp = {} AND s.id < {}))",
                        vec![
                            Param::Int(after.timestamp),
                            Param::Int(after.timestamp),
                            Param::Text(after.id.clone()),
                        ],
                    );
                }
                $crate::filter_sql::apply(&mut filter, $crate::filter_sql::SCORE_COLUMNS, &query.filter)?;
                Ok(filter)
            }

            /// Whether a condition of the query reads the score's trace (`t`).
            fn reads_trace(query: &ScoreQuery) -> bool {
                query.user_id.is_some()
                    || !query.trace_tags.is_empty()
                    || query.filter.iter().any(|condition| {
                        $crate::filter_sql::SCORE_COLUMNS.iter().any(|column| {
                            column.id == condition.column && column.reads_trace()
                        })
                    })
            }

            const FROM: &str = "scores s LEFT JOIN traces t \
                ON t.project_id = s.project_id AND t.id = s.trace_id";

            pub(super) async fn list_scores(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &ScoreQuery,
            ) -> StoreResult<(Vec<ScoreWithTrace>, u64)> {
                let scores = select_scores(pool, project, query).await?;
                let filter = score_filter(project, query)?;
                // The join is only needed when a condition reads the trace.
                let from = if reads_trace(query) { FROM } else { "scores s" };
                let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {}", filter.sql());
                let (total,): (i64,) = bind_all!(sqlx::query_as(&count_sql), &filter.params)
                    .fetch_one(pool)
                    .await?;
                Ok((scores, u64::try_from(total).unwrap_or(0)))
            }

            /// The page of scores without counting all that match.
            pub(super) async fn select_scores(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &ScoreQuery,
            ) -> StoreResult<Vec<ScoreWithTrace>> {
                let filter = score_filter(project, query)?;
                let columns: Vec<String> = SCORE_COLUMNS
                    .split(',')
                    .map(|column| format!("s.{}", column.trim()))
                    .collect();
                // Without a condition on the trace, the page is chosen from the scores alone and
                // only its rows are joined to their traces.
                let joined = reads_trace(query);
                let from = if joined {
                    FROM.to_owned()
                } else {
                    format!(
                        "(SELECT * FROM scores s WHERE {} ORDER BY s.timestamp DESC, s.id DESC \
                         LIMIT {} OFFSET {}) s LEFT JOIN traces t \
                         ON t.project_id = s.project_id AND t.id = s.trace_id",
                        filter.sql(),
                        query.limit,
                        query.offset,
                    )
                };
                let condition = if joined { filter.sql() } else { "TRUE".to_owned() };
                let sql = format!(
                    "SELECT {}, t.id AS trace_found, t.user_id AS trace_user_id, \
                     t.tags AS trace_tags, t.environment AS trace_environment, \
                     t.session_id AS trace_session_id FROM {from} WHERE {condition} \
                     ORDER BY s.timestamp DESC, s.id DESC LIMIT {} OFFSET {}",
                    columns.join(", "),
                    query.limit,
                    if joined { query.offset } else { 0 },
                );
                let rows: Vec<ScoreListSqlRow> = bind_all!(sqlx::query_as(&sql), &filter.params)
                    .fetch_all(pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            pub(super) async fn delete_score(
                pool: &sqlx::Pool<$db>,
                project: &str,
                id: &str,
            ) -> StoreResult<bool> {
                let mut filter = Where::new($anonymous);
                filter.push("project_id = {}", Param::Text(project.to_owned()));
                filter.push("id = {}", Param::Text(id.to_owned()));
                let sql = format!("DELETE FROM scores WHERE {}", filter.sql());
                let done = bind_all!(sqlx::query(&sql), &filter.params)
                    .execute(pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            /// `$1, $2, …` or `?, ?, …`.
            fn placeholders(count: usize) -> Vec<String> {
                (1..=count)
                    .map(|n| if $anonymous { "?".to_owned() } else { format!("${n}") })
                    .collect()
            }

            pub(super) async fn insert_score_config(
                pool: &sqlx::Pool<$db>,
                config: &ScoreConfig,
            ) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO score_configs ({SCORE_CONFIG_COLUMNS}) VALUES ({})",
                    placeholders(11).join(", ")
                );
                sqlx::query(&sql)
                    .bind(&config.id)
                    .bind(config.project_id.as_str())
                    .bind(&config.name)
                    .bind(config.data_type.as_str())
                    .bind(config.is_archived)
                    .bind(config.min_value)
                    .bind(config.max_value)
                    .bind(categories_text(config))
                    .bind(&config.description)
                    .bind(config.created_at)
                    .bind(config.updated_at)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub(super) async fn update_score_config(
                pool: &sqlx::Pool<$db>,
                config: &ScoreConfig,
            ) -> StoreResult<bool> {
                let p = placeholders(9);
                let sql = format!(
                    "UPDATE score_configs SET name = {}, is_archived = {}, min_value = {},                      max_value = {}, categories = {}, description = {}, updated_at = {}                      WHERE project_id = {} AND id = {}",
                    p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
                );
                let done = sqlx::query(&sql)
                    .bind(&config.name)
                    .bind(config.is_archived)
                    .bind(config.min_value)
                    .bind(config.max_value)
                    .bind(categories_text(config))
                    .bind(&config.description)
                    .bind(config.updated_at)
                    .bind(config.project_id.as_str())
                    .bind(&config.id)
                    .execute(pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            pub(super) async fn score_configs(
                pool: &sqlx::Pool<$db>,
                project: &str,
                ids: Option<&[String]>,
                limit: u64,
                offset: u64,
            ) -> StoreResult<(Vec<ScoreConfig>, u64)> {
                let mut filter = Where::new($anonymous);
                filter.push("project_id = {}", Param::Text(project.to_owned()));
                if let Some(ids) = ids {
                    if ids.is_empty() {
                        return Ok((Vec::new(), 0));
                    }
                    filter.push_in("id", ids);
                }
                let sql = format!(
                    "SELECT {SCORE_CONFIG_COLUMNS} FROM score_configs WHERE {} \
                     ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}",
                    filter.sql()
                );
                let rows: Vec<ScoreConfigSqlRow> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                let configs = rows.into_iter().map(TryInto::try_into).collect::<StoreResult<Vec<_>>>()?;
                let count_sql = format!("SELECT COUNT(*) FROM score_configs WHERE {}", filter.sql());
                let (total,): (i64,) =
                    bind_all!(sqlx::query_as(&count_sql), &filter.params).fetch_one(pool).await?;
                Ok((configs, u64::try_from(total).unwrap_or(0)))
            }
        }

        #[async_trait::async_trait]
        impl $crate::ScoreReadStore for $store {
            async fn list_scores(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::ScoreQuery,
            ) -> $crate::StoreResult<(Vec<$crate::ScoreWithTrace>, u64)> {
                score_reads_impl::list_scores(&self.pool, project.as_str(), query).await
            }

            async fn select_scores(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::ScoreQuery,
            ) -> $crate::StoreResult<Vec<$crate::ScoreWithTrace>> {
                score_reads_impl::select_scores(&self.pool, project.as_str(), query).await
            }

            async fn delete_score(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<bool> {
                score_reads_impl::delete_score(&self.pool, project.as_str(), id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::ScoreConfigStore for $store {
            async fn insert_score_config(
                &self,
                config: &$crate::ScoreConfig,
            ) -> $crate::StoreResult<()> {
                score_reads_impl::insert_score_config(&self.pool, config).await
            }

            async fn update_score_config(
                &self,
                config: &$crate::ScoreConfig,
            ) -> $crate::StoreResult<bool> {
                score_reads_impl::update_score_config(&self.pool, config).await
            }

            async fn list_score_configs(
                &self,
                project: &sightline_domain::ProjectId,
                limit: u64,
                offset: u64,
            ) -> $crate::StoreResult<(Vec<$crate::ScoreConfig>, u64)> {
                score_reads_impl::score_configs(&self.pool, project.as_str(), None, limit, offset).await
            }

            async fn score_configs_by_id(
                &self,
                project: &sightline_domain::ProjectId,
                ids: &[String],
            ) -> $crate::StoreResult<Vec<$crate::ScoreConfig>> {
                let limit = u64::try_from(ids.len()).unwrap_or(u64::MAX);
                let (configs, _) =
                    score_reads_impl::score_configs(&self.pool, project.as_str(), Some(ids), limit, 0)
                        .await?;
                Ok(configs)
            }
        }
    };
}

pub(crate) use impl_score_reads;
