//! Observation lists for the read API, shared by both backends and stamped onto each store by
//! `impl_observation_reads!`. Filters use the shared `Where` builder (`sql_where.rs`), so user input
//! only ever reaches a query as a bound parameter.

/// Implements [`crate::ObservationReadStore`] for `$store` (a struct with a `pool` of `$db`).
macro_rules! impl_observation_reads {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod observation_reads_impl {
            use $crate::sql_where::{bind_all, Param, Where};
            use $crate::observations_model::{ObservationCursor, ObservationQuery};
            use $crate::tracing_model::{
                ObservationSqlRow, StoredObservation, StoredTrace, TraceSqlRow,
                OBSERVATION_COLUMNS, TRACE_COLUMNS,
            };
            use $crate::StoreResult;


            fn text(value: &str) -> Param {
                Param::Text(value.to_owned())
            }

            fn observation_filter(project: &str, query: &ObservationQuery) -> StoreResult<Where> {
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![text(project)]);
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
                        filter.push_all(&format!("{column} = {{}}"), vec![text(value)]);
                    }
                }
                for (column, value) in [("user_id", &query.user_id), ("session_id", &query.session_id)] {
                    if let Some(value) = value {
                        filter.push_all(
                            &format!(
                                "trace_id IN (SELECT id FROM traces WHERE project_id = {{}} AND {column} = {{}})"
                            ),
                            vec![text(project), text(value)],
                        );
                    }
                }
                match query.is_root {
                    Some(true) => filter.push_all("parent_observation_id IS NULL", Vec::new()),
                    Some(false) => filter.push_all("parent_observation_id IS NOT NULL", Vec::new()),
                    None => {}
                }
                if !query.environments.is_empty() {
                    filter.push_in("environment", &query.environments);
                }
                if let Some(from) = query.from_start_time {
                    filter.push_all("start_time >= {}", vec![Param::Int(from)]);
                }
                if let Some(to) = query.to_start_time {
                    filter.push_all("start_time < {}", vec![Param::Int(to)]);
                }
                $crate::filter_sql::apply(
                    &mut filter,
                    $crate::filter_sql::OBSERVATION_COLUMNS,
                    &query.filter,
                )?;
                Ok(filter)
            }

            async fn fetch(
                pool: &sqlx::Pool<$db>,
                filter: &Where,
                tail: &str,
            ) -> StoreResult<Vec<StoredObservation>> {
                let sql = format!(
                    "SELECT {OBSERVATION_COLUMNS} FROM observations WHERE {} {tail}",
                    filter.sql()
                );
                let rows: Vec<ObservationSqlRow> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            pub(super) async fn list_observations(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &ObservationQuery,
                limit: u64,
                offset: u64,
            ) -> StoreResult<(Vec<StoredObservation>, u64)> {
                let filter = observation_filter(project, query)?;
                let tail = format!("ORDER BY start_time DESC, id DESC LIMIT {limit} OFFSET {offset}");
                let observations = fetch(pool, &filter, &tail).await?;
                let count_sql = format!("SELECT COUNT(*) FROM observations WHERE {}", filter.sql());
                let (total,): (i64,) =
                    bind_all!(sqlx::query_as(&count_sql), &filter.params).fetch_one(pool).await?;
                Ok((observations, u64::try_from(total).unwrap_or(0)))
            }

            pub(super) async fn observations_after(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &ObservationQuery,
                after: Option<&ObservationCursor>,
                limit: u64,
            ) -> StoreResult<Vec<StoredObservation>> {
                let mut filter = observation_filter(project, query)?;
                if let Some(after) = after {
                    filter.push_all(
                        "(start_time < {} OR (start_time = {} AND (trace_id < {} \
                         OR (trace_id = {} AND id < {}))))",
                        vec![
                            Param::Int(after.start_time),
                            Param::Int(after.start_time),
                            text(&after.trace_id),
                            text(&after.trace_id),
                            text(&after.id),
                        ],
                    );
                }
                let tail = format!("ORDER BY start_time DESC, trace_id DESC, id DESC LIMIT {limit}");
                fetch(pool, &filter, &tail).await
            }

            pub(super) async fn traces_by_id(
                pool: &sqlx::Pool<$db>,
                project: &str,
                ids: &[String],
            ) -> StoreResult<Vec<StoredTrace>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut filter = Where::new($anonymous);
                filter.push_all("project_id = {}", vec![text(project)]);
                filter.push_in("id", ids);
                let sql = format!("SELECT {TRACE_COLUMNS} FROM traces WHERE {}", filter.sql());
                let rows: Vec<TraceSqlRow> =
                    bind_all!(sqlx::query_as(&sql), &filter.params).fetch_all(pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::ObservationReadStore for $store {
            async fn list_observations(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::ObservationQuery,
                limit: u64,
                offset: u64,
            ) -> $crate::StoreResult<(Vec<$crate::StoredObservation>, u64)> {
                observation_reads_impl::list_observations(
                    &self.pool,
                    project.as_str(),
                    query,
                    limit,
                    offset,
                )
                .await
            }

            async fn observations_after(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::ObservationQuery,
                after: Option<&$crate::ObservationCursor>,
                limit: u64,
            ) -> $crate::StoreResult<Vec<$crate::StoredObservation>> {
                observation_reads_impl::observations_after(
                    &self.pool,
                    project.as_str(),
                    query,
                    after,
                    limit,
                )
                .await
            }

            async fn traces_by_id(
                &self,
                project: &sightline_domain::ProjectId,
                ids: &[String],
            ) -> $crate::StoreResult<Vec<$crate::StoredTrace>> {
                observation_reads_impl::traces_by_id(&self.pool, project.as_str(), ids).await
            }
        }
    };
}

pub(crate) use impl_observation_reads;
