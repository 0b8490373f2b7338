//! Read and delete queries of traces and sessions, shared by both backends and stamped onto
//! each store by `impl_trace_reads!`. Filters are built with [`Where`]: user input only ever
//! reaches a query as a bound parameter.

/// Implements [`crate::TraceReadStore`] for `$store` (a struct with a `pool` of `$db`);
/// `anonymous_params` as in `impl_tracing_store!`.
macro_rules! impl_trace_reads {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod reads_impl {
            use $crate::reads_model::*;
            use $crate::tracing_model::{StoredTrace, TraceSqlRow, TRACE_COLUMNS};
            use $crate::StoreResult;
            use $crate::sql_where::{bind_all, Param, Where};

            fn trace_filter(project: &str, query: &TraceQuery) -> StoreResult<Where> {
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                for (column, value) in [
                    ("user_id", &query.user_id),
                    ("name", &query.name),
                    ("session_id", &query.session_id),
                    ("version", &query.version),
                    ("release", &query.release),
                ] {
                    if let Some(value) = value {
                        filter.push_all(&format!("{column} = {{}}"), vec![Param::Text(value.clone())]);
                    }
                }
                if let Some(from) = query.from_timestamp {
                    filter.push_all("timestamp >= {}", vec![Param::Int(from)]);
                }
                if let Some(to) = query.to_timestamp {
                    filter.push_all("timestamp < {}", vec![Param::Int(to)]);
                }
                for tag in &query.tags {
                    filter.push(
                        "EXISTS (SELECT 1 FROM trace_tags tt WHERE tt.project_id = traces.project_id \
                         AND tt.trace_id = traces.id AND tt.tag = {})",
                        Param::Text(tag.clone()),
                    );
                }
                if !query.environments.is_empty() {
                    filter.push_in("environment", &query.environments);
                }
                $crate::filter_sql::apply(&mut filter, $crate::filter_sql::TRACE_COLUMNS, &query.filter)?;
                Ok(filter)
            }

            pub(super) async fn list_traces(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &TraceQuery,
            ) -> StoreResult<(Vec<StoredTrace>, u64)> {
                let filter = trace_filter(project, query)?;
                let direction = if query.descending { "DESC" } else { "ASC" };
                let tag_page = tag_page(project, query);
                let sort_here = tag_page.is_some();
                let rows: Vec<TraceSqlRow> = match tag_page {
                    Some((sql, page)) => {
                        bind_all!(sqlx::query_as(&sql), &page.params).fetch_all(pool).await?
                    }
                    None => {
                        let sql = format!(
                            "SELECT {TRACE_COLUMNS} FROM traces WHERE {} \
                             ORDER BY {} {direction}, id {direction} LIMIT {} OFFSET {}",
                            filter.sql(),
                            query.order_by.column(),
                            query.limit,
                            query.offset,
                        );
                        bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?
                    }
                };
                let mut traces = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<StoreResult<Vec<StoredTrace>>>()?;
                if sort_here {
                    traces.sort_by(|a, b| {
                        let order = (a.row.timestamp, &a.row.id).cmp(&(b.row.timestamp, &b.row.id));
                        if query.descending { order.reverse() } else { order }
                    });
                }
                let (count_sql, count_filter) = match trace_count(project, query) {
                    Some(shortcut) => shortcut,
                    None => (format!("SELECT COUNT(*) FROM traces WHERE {}", filter.sql()), filter),
                };
                let (total,): (i64,) = bind_all!(sqlx::query_as(&count_sql), &count_filter.params)
                    .fetch_one(pool)
                    .await?;
                Ok((traces, u64::try_from(total).unwrap_or(0)))
            }

            /// The conditions on `trace_tags a` of a list filtered by tags only (and perhaps a
            /// time range), as a template with `{}` slots and its parameters; `None` when no tag
            /// or anything else filters.
            fn tag_conditions(project: &str, query: &TraceQuery) -> Option<(String, Vec<Param>)> {
                let (first, others) =
                    query.tags.split_first().filter(|_| !filters_beyond_tags(query))?;
                let mut parts = vec!["a.project_id = {}", "a.tag = {}"];
                let mut params = vec![Param::Text(project.to_owned()), Param::Text(first.clone())];
                if let Some(from) = query.from_timestamp {
                    parts.push("a.timestamp >= {}");
                    params.push(Param::Int(from));
                }
                if let Some(to) = query.to_timestamp {
                    parts.push("a.timestamp < {}");
                    params.push(Param::Int(to));
                }
                for tag in others {
                    parts.push(
                        "EXISTS (SELECT 1 FROM trace_tags b WHERE b.project_id = a.project_id \
                         AND b.trace_id = a.trace_id AND b.tag = {})",
                    );
                    params.push(Param::Text(tag.clone()));
                }
                Some((parts.join(" AND "), params))
            }

            /// The page of a list filtered by tags only, newest or oldest first, chosen by walking
            /// the tag index (whose rows carry the trace's timestamp) instead of every trace.
            fn tag_page(project: &str, query: &TraceQuery) -> Option<(String, Where)> {
                if query.order_by != TraceOrderColumn::Timestamp {
                    return None;
                }
                let (conditions, params) = tag_conditions(project, query)?;
                let direction = if query.descending { "DESC" } else { "ASC" };
                let mut page = Where::new($anonymous);
                page.push("project_id = {}", Param::Text(project.to_owned()));
                page.push_all(
                    &format!(
                        "id IN (SELECT a.trace_id FROM trace_tags a WHERE {conditions} \
                         ORDER BY a.timestamp {direction}, a.trace_id {direction} LIMIT {} OFFSET {})",
                        query.limit, query.offset
                    ),
                    params,
                );
                // No ORDER BY here: with one, SQLite walks the timestamp index over every trace
                // testing membership; the caller sorts the page's rows.
                Some((format!("SELECT {TRACE_COLUMNS} FROM traces WHERE {}", page.sql()), page))
            }

            /// Whether anything but tags and the time range filters the list.
            fn filters_beyond_tags(query: &TraceQuery) -> bool {
                query.user_id.is_some()
                    || query.name.is_some()
                    || query.session_id.is_some()
                    || query.version.is_some()
                    || query.release.is_some()
                    || !query.environments.is_empty()
                    || !query.filter.is_empty()
            }

            /// The count of a trace list read from the trigger-kept tables of migration 0007
            /// instead of from every matching trace: the project's counter when nothing filters,
            /// the tag index when only tags (and a time range) do. `None`: count the traces.
            fn trace_count(project: &str, query: &TraceQuery) -> Option<(String, Where)> {
                if let Some((conditions, params)) = tag_conditions(project, query) {
                    let mut count = Where::new($anonymous);
                    count.push_all(&conditions, params);
                    return Some((format!("SELECT COUNT(*) FROM trace_tags a WHERE {}", count.sql()), count));
                }
                let unfiltered = query.tags.is_empty()
                    && !filters_beyond_tags(query)
                    && query.from_timestamp.is_none()
                    && query.to_timestamp.is_none();
                if !unfiltered {
                    return None;
                }
                let mut count = Where::new($anonymous);
                count.push("a.project_id = {}", Param::Text(project.to_owned()));
                Some((
                    format!(
                        "SELECT COALESCE(MAX(a.traces), 0) FROM trace_counts a WHERE {}",
                        count.sql()
                    ),
                    count,
                ))
            }

            pub(super) async fn observation_summaries(
                pool: &sqlx::Pool<$db>,
                project: &str,
                trace_ids: &[String],
            ) -> StoreResult<Vec<ObservationSummary>> {
                if trace_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                filter.push_in("trace_id", trace_ids);
                // Sorted here, not in SQL: with an ORDER BY the planner may walk the project's
                // whole start-time index instead of the observations of these traces.
                let sql = format!(
                    "SELECT trace_id, id, start_time, end_time, total_cost FROM observations WHERE {}",
                    filter.sql()
                );
                let mut rows: Vec<(String, String, i64, Option<i64>, Option<f64>)> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                rows.sort_by(|a, b| (a.2, &a.1).cmp(&(b.2, &b.1)));
                Ok(rows
                    .into_iter()
                    .map(|(trace_id, id, start_time, end_time, total_cost)| ObservationSummary {
                        trace_id,
                        id,
                        start_time,
                        end_time,
                        total_cost,
                    })
                    .collect())
            }

            pub(super) async fn observation_outlines(
                pool: &sqlx::Pool<$db>,
                project: &str,
                trace_ids: &[String],
            ) -> StoreResult<Vec<ObservationOutline>> {
                if trace_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                filter.push_in("trace_id", trace_ids);
                // Sorted here, not in SQL (see `observation_summaries`).
                let sql = format!(
                    "SELECT trace_id, id, parent_observation_id, type, name, start_time, end_time, \
                     level, model, usage_details, total_cost FROM observations WHERE {}",
                    filter.sql()
                );
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
                let rows: Vec<OutlineRow> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                let corrupt = $crate::StoreError::Corrupt;
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
                            usage_details: $crate::tracing_model::parse_usage(&row.9)?,
                            total_cost: row.10,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                outlines.sort_by(|a, b| (a.start_time, &a.id).cmp(&(b.start_time, &b.id)));
                Ok(outlines)
            }

            pub(super) async fn score_ids(
                pool: &sqlx::Pool<$db>,
                project: &str,
                trace_ids: &[String],
            ) -> StoreResult<Vec<(String, String)>> {
                if trace_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                filter.push_in("trace_id", trace_ids);
                // Sorted here, not in SQL (see `observation_summaries`).
                let sql = format!("SELECT trace_id, id, timestamp FROM scores WHERE {}", filter.sql());
                let mut rows: Vec<(String, String, i64)> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                rows.sort_by(|a, b| (a.2, &a.1).cmp(&(b.2, &b.1)));
                Ok(rows.into_iter().map(|(trace_id, id, _)| (trace_id, id)).collect())
            }

            pub(super) async fn delete_traces(
                pool: &sqlx::Pool<$db>,
                project: &str,
                ids: &[String],
            ) -> StoreResult<u64> {
                if ids.is_empty() {
                    return Ok(0);
                }
                let mut tx = pool.begin().await?;
                let mut deleted = 0;
                for (table, column) in [
                    ("scores", "trace_id"),
                    ("observations", "trace_id"),
                    ("traces", "id"),
                ] {
                    let mut filter = Where::new($anonymous);
                    filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                    filter.push_in(column, ids);
                    let sql = format!("DELETE FROM {table} WHERE {}", filter.sql());
                    let done = bind_all!(sqlx::query(&sql), &filter.params).execute(&mut *tx).await?;
                    if table == "traces" {
                        deleted = done.rows_affected();
                    }
                }
                // The logged events of the traces and of their observations go too, so that a
                // later event cannot resurrect them from the log.
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                filter.push_in("entity_id", ids);
                let sql = format!("DELETE FROM ingestion_events WHERE {}", filter.sql());
                bind_all!(sqlx::query(&sql), &filter.params).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(deleted)
            }

            pub(super) async fn list_sessions(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &SessionQuery,
            ) -> StoreResult<(Vec<SessionRow>, u64)> {
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![Param::Text(project.to_owned())]);
                if let Some(id) = &query.id {
                    filter.push_all("id = {}", vec![Param::Text(id.clone())]);
                }
                if let Some(from) = query.from_timestamp {
                    filter.push_all("created_at >= {}", vec![Param::Int(from)]);
                }
                if let Some(to) = query.to_timestamp {
                    filter.push_all("created_at < {}", vec![Param::Int(to)]);
                }
                if !query.environments.is_empty() {
                    filter.push_in("environment", &query.environments);
                }
                let sql = format!(
                    "SELECT id, environment, created_at FROM sessions WHERE {} \
                     ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
                    filter.sql(),
                    query.limit,
                    query.offset
                );
                let rows: Vec<(String, String, i64)> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                let count_sql = format!("SELECT COUNT(*) FROM sessions WHERE {}", filter.sql());
                let (total,): (i64,) =
                    bind_all!(sqlx::query_as(&count_sql), &filter.params).fetch_one(pool).await?;
                Ok((
                    rows.into_iter()
                        .map(|(id, environment, created_at)| SessionRow { id, environment, created_at })
                        .collect(),
                    u64::try_from(total).unwrap_or(0),
                ))
            }
        }

        #[async_trait::async_trait]
        impl $crate::TraceReadStore for $store {
            async fn list_traces(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::TraceQuery,
            ) -> $crate::StoreResult<(Vec<$crate::StoredTrace>, u64)> {
                reads_impl::list_traces(&self.pool, project.as_str(), query).await
            }

            async fn observation_summaries(
                &self,
                project: &sightline_domain::ProjectId,
                trace_ids: &[String],
            ) -> $crate::StoreResult<Vec<$crate::ObservationSummary>> {
                reads_impl::observation_summaries(&self.pool, project.as_str(), trace_ids).await
            }

            async fn trace_observation_outlines(
                &self,
                project: &sightline_domain::ProjectId,
                trace_ids: &[String],
            ) -> $crate::StoreResult<Vec<$crate::ObservationOutline>> {
                reads_impl::observation_outlines(&self.pool, project.as_str(), trace_ids).await
            }

            async fn trace_score_ids(
                &self,
                project: &sightline_domain::ProjectId,
                trace_ids: &[String],
            ) -> $crate::StoreResult<Vec<(String, String)>> {
                reads_impl::score_ids(&self.pool, project.as_str(), trace_ids).await
            }

            async fn delete_traces(
                &self,
                project: &sightline_domain::ProjectId,
                ids: &[String],
            ) -> $crate::StoreResult<u64> {
                reads_impl::delete_traces(&self.pool, project.as_str(), ids).await
            }

            async fn list_sessions(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::SessionQuery,
            ) -> $crate::StoreResult<(Vec<$crate::SessionRow>, u64)> {
                reads_impl::list_sessions(&self.pool, project.as_str(), query).await
            }
        }
    };
}

pub(crate) use impl_trace_reads;
