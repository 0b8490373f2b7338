//! Datasets, versioned dataset items, runs and run items, shared by both backends and stamped
//! onto each store by `impl_dataset_store!`. User input only ever reaches a query as a bound
//! parameter; statements number their parameters in order (anonymous `?` on SQLite, see
//! `tracing_sql.rs`).
//!
//! Item versions: a write closes the current row (`valid_to`) and inserts the next one; a delete
//! only closes it (`0008_datasets.sql`).

/// Implements [`crate::DatasetStore`] for `$store` (a struct with a `pool` of `$db`), and
/// `dataset_impl::write_experiments`, which the ingestion transaction calls.
macro_rules! impl_dataset_store {
    ($store:ty, db: $db:ty, begin: $begin:expr, anonymous_params: $anonymous:expr) => {
        mod dataset_impl {
            use std::collections::HashMap;

            use sightline_domain::time::now_ms;

            use $crate::datasets_model::*;
            use $crate::sql_build::{bind_args, text, Arg, Sql};
            use $crate::{StoreError, StoreResult};

            type Conn = <$db as sqlx::Database>::Connection;

            async fn execute(conn: &mut Conn, sql: &Sql) -> StoreResult<u64> {
                let done = bind_args!(sqlx::query(&sql.sql), &sql.args)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected())
            }

            pub(super) async fn fetch<R>(conn: &mut Conn, sql: &Sql) -> StoreResult<Vec<R>>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                Ok(bind_args!(sqlx::query_as::<_, R>(&sql.sql), &sql.args)
                    .fetch_all(&mut *conn)
                    .await?)
            }

            async fn count(conn: &mut Conn, sql: &Sql) -> StoreResult<u64> {
                let rows: Vec<(i64,)> = fetch(conn, sql).await?;
                Ok(rows.first().map_or(0, |(n,)| u64::try_from(*n).unwrap_or(0)))
            }

            pub(super) async fn upsert_dataset(conn: &mut Conn, dataset: &Dataset) -> StoreResult<Dataset> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    "INSERT INTO datasets (project_id, id, name, description, metadata, input_schema, \
                       expected_output_schema, created_at, updated_at) \
                     VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) \
                     ON CONFLICT (project_id, name) DO UPDATE SET description = excluded.description, \
                       metadata = excluded.metadata, input_schema = excluded.input_schema, \
                       expected_output_schema = excluded.expected_output_schema, updated_at = excluded.updated_at",
                    vec![
                        text(dataset.project_id.as_str()),
                        text(&dataset.id),
                        text(&dataset.name),
                        Arg::Text(dataset.description.clone()),
                        Arg::Text(json_text(&dataset.metadata)),
                        Arg::Text(json_text(&dataset.input_schema)),
                        Arg::Text(json_text(&dataset.expected_output_schema)),
                        Arg::Int(Some(dataset.created_at)),
                        Arg::Int(Some(dataset.updated_at)),
                    ],
                );
                execute(conn, &sql).await?;
                dataset_where(conn, dataset.project_id.as_str(), "d.name = {}", &dataset.name)
                    .await?
                    .ok_or_else(|| StoreError::NotFound("Dataset not found".into()))
            }

            pub(super) async fn dataset_where(
                conn: &mut Conn,
                project: &str,
                condition: &str,
                value: &str,
            ) -> StoreResult<Option<Dataset>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    &format!("SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = {{}} AND {condition}"),
                    vec![text(project), text(value)],
                );
                let rows: Vec<DatasetSqlRow> = fetch(conn, &sql).await?;
                rows.into_iter().next().map(TryInto::try_into).transpose()
            }

            pub(super) async fn list_datasets(
                conn: &mut Conn,
                project: &str,
                limit: u64,
                offset: u64,
            ) -> StoreResult<(Vec<Dataset>, u64)> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    &format!(
                        "SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = {{}} \
                         ORDER BY d.created_at DESC, d.id ASC LIMIT {limit} OFFSET {offset}"
                    ),
                    vec![text(project)],
                );
                let rows: Vec<DatasetSqlRow> = fetch(conn, &sql).await?;
                let datasets = rows.into_iter().map(TryInto::try_into).collect::<StoreResult<Vec<_>>>()?;
                let mut total = Sql::new($anonymous);
                total.push("SELECT COUNT(*) FROM datasets WHERE project_id = {}", vec![text(project)]);
                Ok((datasets, count(conn, &total).await?))
            }

            /// A page of the items the query selects, and how many it selects.
            pub(super) async fn list_items(
                conn: &mut Conn,
                project: &str,
                query: &DatasetItemQuery,
            ) -> StoreResult<(Vec<DatasetItem>, u64)> {
                let mut filter = Sql::new($anonymous);
                filter.push("i.project_id = {}", vec![text(project)]);
                match query.as_of {
                    Some(at) => filter.push(
                        " AND i.valid_from <= {} AND (i.valid_to IS NULL OR i.valid_to > {})",
                        vec![Arg::Int(Some(at)), Arg::Int(Some(at))],
                    ),
                    None => filter.push(" AND i.valid_to IS NULL", vec![]),
                };
                for (column, value) in [
                    ("i.dataset_id", &query.dataset_id),
                    ("i.id", &query.item_id),
                    ("i.source_trace_id", &query.source_trace_id),
                    ("i.source_observation_id", &query.source_observation_id),
                ] {
                    if let Some(value) = value {
                        filter.push(&format!(" AND {column} = {{}}"), vec![text(value)]);
                    }
                }
                if query.active_only {
                    filter.push(" AND i.status = 'ACTIVE'", vec![]);
                }
                let from = "dataset_items i JOIN datasets d ON d.project_id = i.project_id AND d.id = i.dataset_id";
                let select = filter.wrap(
                    &format!("SELECT {ITEM_COLUMNS} FROM {from} WHERE "),
                    &format!(" ORDER BY i.created_at DESC, i.id ASC LIMIT {} OFFSET {}", query.limit, query.offset),
                );
                let rows: Vec<DatasetItemSqlRow> = fetch(conn, &select).await?;
                let items = rows.into_iter().map(TryInto::try_into).collect::<StoreResult<Vec<_>>>()?;
                let total = filter.wrap(&format!("SELECT COUNT(*) FROM {from} WHERE "), "");
                Ok((items, count(conn, &total).await?))
            }

            pub(super) async fn current_item(
                conn: &mut Conn,
                project: &str,
                id: &str,
            ) -> StoreResult<Option<DatasetItem>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM dataset_items i JOIN datasets d \
                           ON d.project_id = i.project_id AND d.id = i.dataset_id \
                         WHERE i.project_id = {{}} AND i.id = {{}} AND i.valid_to IS NULL"
                    ),
                    vec![text(project), text(id)],
                );
                let rows: Vec<DatasetItemSqlRow> = fetch(conn, &sql).await?;
                rows.into_iter().next().map(TryInto::try_into).transpose()
            }

            /// The current version's `(dataset_id, valid_from, created_at)`.
            async fn current_version(
                conn: &mut Conn,
                project: &str,
                id: &str,
            ) -> StoreResult<Option<(String, i64, i64)>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    "SELECT dataset_id, valid_from, created_at FROM dataset_items \
                     WHERE project_id = {} AND id = {} AND valid_to IS NULL",
                    vec![text(project), text(id)],
                );
                let rows: Vec<(String, i64, i64)> = fetch(conn, &sql).await?;
                Ok(rows.into_iter().next())
            }

            pub(super) async fn put_item(conn: &mut Conn, item: &DatasetItem) -> StoreResult<DatasetItem> {
                let project = item.project_id.as_str();
                let mut created_at = item.created_at;
                let mut valid_from = item.updated_at;
                if let Some((dataset_id, current_from, current_created)) = current_version(conn, project, &item.id).await? {
                    if dataset_id != item.dataset_id {
                        return Err(StoreError::Conflict(format!(
                            "The dataset item with id {} already exists in another dataset",
                            item.id
                        )));
                    }
                    created_at = current_created;
                    // Versions are keyed by their start: keep them strictly increasing.
                    valid_from = valid_from.max(current_from + 1);
                    let mut close = Sql::new($anonymous);
                    close.push(
                        "UPDATE dataset_items SET valid_to = {} \
                         WHERE project_id = {} AND id = {} AND valid_from = {} AND valid_to IS NULL",
                        vec![Arg::Int(Some(valid_from)), text(project), text(&item.id), Arg::Int(Some(current_from))],
                    );
                    if execute(conn, &close).await? != 1 {
                        return Err(StoreError::Conflict(format!(
                            "Dataset item {} was modified concurrently. Please retry the request.",
                            item.id
                        )));
                    }
                }
                let mut insert = Sql::new($anonymous);
                insert.push(
                    "INSERT INTO dataset_items (project_id, id, valid_from, valid_to, dataset_id, status, \
                       input, expected_output, metadata, source_trace_id, source_observation_id, created_at) \
                     VALUES ({}, {}, {}, NULL, {}, {}, {}, {}, {}, {}, {}, {})",
                    vec![
                        text(project),
                        text(&item.id),
                        Arg::Int(Some(valid_from)),
                        text(&item.dataset_id),
                        text(item.status.as_str()),
                        Arg::Text(json_text(&item.input)),
                        Arg::Text(json_text(&item.expected_output)),
                        Arg::Text(json_text(&item.metadata)),
                        Arg::Text(item.source_trace_id.clone()),
                        Arg::Text(item.source_observation_id.clone()),
                        Arg::Int(Some(created_at)),
                    ],
                );
                bind_args!(sqlx::query(&insert.sql), &insert.args)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| $crate::error::constraint(e, "Dataset item"))?;
                current_item(conn, project, &item.id).await?
                    .ok_or_else(|| StoreError::NotFound("Dataset not found".into()))
            }

            pub(super) async fn delete_item(conn: &mut Conn, project: &str, id: &str) -> StoreResult<bool> {
                let mut close = Sql::new($anonymous);
                close.push(
                    "UPDATE dataset_items SET valid_to = {} WHERE project_id = {} AND id = {} AND valid_to IS NULL",
                    vec![Arg::Int(Some(now_ms())), text(project), text(id)],
                );
                if execute(conn, &close).await? == 0 {
                    return Ok(false);
                }
                let mut runs = Sql::new($anonymous);
                runs.push(
                    "DELETE FROM dataset_run_items WHERE project_id = {} AND dataset_item_id = {}",
                    vec![text(project), text(id)],
                );
                execute(conn, &runs).await?;
                Ok(true)
            }

            /// `(dataset id, item id)` of every current ACTIVE item of the datasets.
            pub(super) async fn active_item_ids(
                conn: &mut Conn,
                project: &str,
                dataset_ids: &[String],
            ) -> StoreResult<Vec<(String, String)>> {
                let mut sql = Sql::new($anonymous);
                sql.push("SELECT dataset_id, id FROM dataset_items WHERE project_id = {} AND ", vec![text(project)]);
                sql.push_in("dataset_id", dataset_ids);
                sql.push(" AND valid_to IS NULL AND status = 'ACTIVE' ORDER BY created_at DESC, id ASC", vec![]);
                fetch(conn, &sql).await
            }

            const RUN_FROM: &str = "dataset_runs r LEFT JOIN datasets d \
                ON d.project_id = r.project_id AND d.id = r.dataset_id";

            pub(super) async fn run_where(conn: &mut Conn, filter: Sql, tail: &str) -> StoreResult<Vec<DatasetRun>> {
                let sql = filter.wrap(&format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE "), &format!(" {tail}"));
                let rows: Vec<RunSqlRow> = fetch(conn, &sql).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            pub(super) async fn create_or_get_run(conn: &mut Conn, run: &DatasetRun) -> StoreResult<DatasetRun> {
                let project = run.project_id.as_str();
                let mut insert = Sql::new($anonymous);
                insert.push(
                    "INSERT INTO dataset_runs (project_id, id, dataset_id, name, description, metadata, \
                       created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING",
                    vec![
                        text(project),
                        text(&run.id),
                        Arg::Text(run.dataset_id.clone()),
                        text(&run.name),
                        Arg::Text(run.description.clone()),
                        Arg::Text(json_text(&run.metadata)),
                        Arg::Int(Some(run.created_at)),
                        Arg::Int(Some(run.updated_at)),
                    ],
                );
                execute(conn, &insert).await?;
                let mut filter = Sql::new($anonymous);
                filter.push("r.project_id = {} AND ", vec![text(project)]);
                match &run.dataset_id {
                    Some(dataset) => filter.push("r.dataset_id = {} AND r.name = {}", vec![text(dataset), text(&run.name)]),
                    None => filter.push("r.id = {}", vec![text(&run.id)]),
                };
                run_where(conn, filter, "").await?.into_iter().next().ok_or_else(|| {
                    StoreError::Conflict(format!("Dataset run id {} is already in use", run.id))
                })
            }

            pub(super) async fn run_by_name(
                conn: &mut Conn,
                project: &str,
                dataset_id: &str,
                name: &str,
            ) -> StoreResult<Option<DatasetRun>> {
                let mut filter = Sql::new($anonymous);
                filter.push(
                    "r.project_id = {} AND r.dataset_id = {} AND r.name = {}",
                    vec![text(project), text(dataset_id), text(name)],
                );
                Ok(run_where(conn, filter, "").await?.into_iter().next())
            }

            pub(super) async fn list_runs(
                conn: &mut Conn,
                project: &str,
                dataset_id: &str,
                limit: u64,
                offset: u64,
            ) -> StoreResult<(Vec<DatasetRun>, u64)> {
                let mut filter = Sql::new($anonymous);
                filter.push("r.project_id = {} AND r.dataset_id = {}", vec![text(project), text(dataset_id)]);
                let counting = filter.wrap("SELECT COUNT(*) FROM dataset_runs r WHERE ", "");
                let runs = run_where(
                    conn,
                    filter,
                    &format!("ORDER BY r.created_at DESC, r.id ASC LIMIT {limit} OFFSET {offset}"),
                )
                .await?;
                Ok((runs, count(conn, &counting).await?))
            }

            pub(super) async fn run_names(
                conn: &mut Conn,
                project: &str,
                dataset_ids: &[String],
            ) -> StoreResult<Vec<(String, String)>> {
                let mut sql = Sql::new($anonymous);
                sql.push("SELECT dataset_id, name FROM dataset_runs WHERE project_id = {} AND ", vec![text(project)]);
                sql.push_in("dataset_id", dataset_ids);
                sql.push(" ORDER BY created_at DESC, id ASC", vec![]);
                fetch(conn, &sql).await
            }

            pub(super) async fn delete_run(conn: &mut Conn, project: &str, run_id: &str) -> StoreResult<bool> {
                let mut items = Sql::new($anonymous);
                items.push(
                    "DELETE FROM dataset_run_items WHERE project_id = {} AND run_id = {}",
                    vec![text(project), text(run_id)],
                );
                execute(conn, &items).await?;
                let mut run = Sql::new($anonymous);
                run.push("DELETE FROM dataset_runs WHERE project_id = {} AND id = {}", vec![text(project), text(run_id)]);
                Ok(execute(conn, &run).await? > 0)
            }

            pub(super) async fn insert_run_items(conn: &mut Conn, items: &[&DatasetRunItem]) -> StoreResult<()> {
                for chunk in items.chunks(500) {
                    let mut sql = Sql::new($anonymous);
                    sql.push(
                        "INSERT INTO dataset_run_items (project_id, id, run_id, dataset_item_id, trace_id, \
                           observation_id, dataset_item_version, expected_output, item_metadata, created_at, \
                           updated_at) VALUES ",
                        vec![],
                    );
                    for (i, item) in chunk.iter().enumerate() {
                        sql.push(
                            if i == 0 { "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})" } else { ", ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})" },
                            vec![
                                text(item.project_id.as_str()),
                                text(&item.id),
                                text(&item.run_id),
                                text(&item.dataset_item_id),
                                text(&item.trace_id),
                                Arg::Text(item.observation_id.clone()),
                                Arg::Int(item.dataset_item_version),
                                Arg::Text(json_text(&item.expected_output)),
                                Arg::Text(json_text(&item.item_metadata)),
                                Arg::Int(Some(item.created_at)),
                                Arg::Int(Some(item.updated_at)),
                            ],
                        );
                    }
                    sql.push(" ON CONFLICT DO NOTHING", vec![]);
                    execute(conn, &sql).await?;
                }
                Ok(())
            }

            /// The stored run item linking the same run, dataset item and trace as `item`.
            pub(super) async fn stored_run_item(
                conn: &mut Conn,
                item: &DatasetRunItem,
            ) -> StoreResult<Option<DatasetRunItem>> {
                let mut sql = Sql::new($anonymous);
                sql.push(
                    &format!(
                        "SELECT {RUN_ITEM_COLUMNS} FROM dataset_run_items ri JOIN dataset_runs r \
                           ON r.project_id = ri.project_id AND r.id = ri.run_id \
                         WHERE ri.project_id = {{}} AND ri.run_id = {{}} AND ri.dataset_item_id = {{}} \
                           AND ri.trace_id = {{}}"
                    ),
                    vec![
                        text(item.project_id.as_str()),
                        text(&item.run_id),
                        text(&item.dataset_item_id),
                        text(&item.trace_id),
                    ],
                );
                let rows: Vec<RunItemSqlRow> = fetch(conn, &sql).await?;
                rows.into_iter().next().map(TryInto::try_into).transpose()
            }

            pub(super) async fn list_run_items(
                conn: &mut Conn,
                project: &str,
                run_id: &str,
                limit: Option<u64>,
                offset: u64,
            ) -> StoreResult<(Vec<DatasetRunItem>, u64)> {
                let mut filter = Sql::new($anonymous);
                filter.push("ri.project_id = {} AND ri.run_id = {}", vec![text(project), text(run_id)]);
                let page = match limit {
                    Some(limit) => format!(" LIMIT {limit} OFFSET {offset}"),
                    None => String::new(),
                };
                let select = filter.wrap(
                    &format!(
                        "SELECT {RUN_ITEM_COLUMNS} FROM dataset_run_items ri JOIN dataset_runs r \
                           ON r.project_id = ri.project_id AND r.id = ri.run_id WHERE "
                    ),
                    &format!(" ORDER BY ri.created_at DESC, ri.id ASC{page}"),
                );
                let rows: Vec<RunItemSqlRow> = fetch(conn, &select).await?;
                let items = rows.into_iter().map(TryInto::try_into).collect::<StoreResult<Vec<_>>>()?;
                let total = filter.wrap("SELECT COUNT(*) FROM dataset_run_items ri WHERE ", "");
                Ok((items, count(conn, &total).await?))
            }

            /// Writes the runs and run items SDK experiment spans name (inside the ingestion
            /// transaction). A run is created on first sight: with the dataset when the project
            /// has it, else as a local experiment; a dataset's existing run of the same name is
            /// reused. Run items already stored are left as they are.
            pub(crate) async fn write_experiments(
                conn: &mut Conn,
                project: &str,
                links: &[ExperimentLink],
            ) -> StoreResult<()> {
                if links.is_empty() {
                    return Ok(());
                }
                // The stored run of each experiment id; `None` when the id is taken by another run.
                let mut run_ids: HashMap<&str, Option<String>> = HashMap::new();
                let mut items: Vec<DatasetRunItem> = Vec::with_capacity(links.len());
                for link in links {
                    if !run_ids.contains_key(link.run_id.as_str()) {
                        let mut dataset_id = None;
                        if let Some(id) = &link.dataset_id {
                            dataset_id = dataset_where(conn, project, "d.id = {}", id).await?.map(|d| d.id);
                        }
                        let run = DatasetRun {
                            project_id: sightline_domain::ProjectId::from_trusted(project.to_owned()),
                            id: link.run_id.clone(),
                            dataset_id,
                            dataset_name: None,
                            name: link.run_name.clone(),
                            description: link.description.clone(),
                            metadata: link.metadata.clone(),
                            created_at: link.created_at,
                            updated_at: link.created_at,
                        };
                        let stored = match create_or_get_run(conn, &run).await {
                            Ok(run) => Some(run.id),
                            Err(StoreError::Conflict(_)) => None,
                            Err(error) => return Err(error),
                        };
                        run_ids.insert(link.run_id.as_str(), stored);
                    }
                    let Some(run_id) = run_ids[link.run_id.as_str()].clone() else {
                        continue;
                    };
                    items.push(DatasetRunItem {
                        project_id: sightline_domain::ProjectId::from_trusted(project.to_owned()),
                        id: link.run_item_id.clone(),
                        run_id,
                        run_name: link.run_name.clone(),
                        dataset_item_id: link.dataset_item_id.clone(),
                        trace_id: link.trace_id.clone(),
                        observation_id: link.observation_id.clone(),
                        dataset_item_version: link.dataset_item_version,
                        expected_output: link.expected_output.clone(),
                        item_metadata: link.item_metadata.clone(),
                        created_at: link.created_at,
                        updated_at: link.created_at,
                    });
                }
                let refs: Vec<&DatasetRunItem> = items.iter().collect();
                insert_run_items(conn, &refs).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::DatasetStore for $store {
            async fn upsert_dataset(&self, dataset: &$crate::Dataset) -> $crate::StoreResult<$crate::Dataset> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::upsert_dataset(&mut conn, dataset).await
            }

            async fn dataset_by_name(
                &self,
                project: &sightline_domain::ProjectId,
                name: &str,
            ) -> $crate::StoreResult<Option<$crate::Dataset>> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::dataset_where(&mut conn, project.as_str(), "d.name = {}", name).await
            }

            async fn dataset_by_id(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<Option<$crate::Dataset>> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::dataset_where(&mut conn, project.as_str(), "d.id = {}", id).await
            }

            async fn list_datasets(
                &self,
                project: &sightline_domain::ProjectId,
                limit: u64,
                offset: u64,
            ) -> $crate::StoreResult<(Vec<$crate::Dataset>, u64)> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::list_datasets(&mut conn, project.as_str(), limit, offset).await
            }

            async fn put_dataset_item(&self, item: &$crate::DatasetItem) -> $crate::StoreResult<$crate::DatasetItem> {
                let mut tx = self.pool.begin_with($begin).await?;
                let result = dataset_impl::put_item(&mut tx, item).await?;
                tx.commit().await?;
                Ok(result)
            }

            async fn dataset_item(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<Option<$crate::DatasetItem>> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::current_item(&mut conn, project.as_str(), id).await
            }

            async fn list_dataset_items(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::DatasetItemQuery,
            ) -> $crate::StoreResult<(Vec<$crate::DatasetItem>, u64)> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::list_items(&mut conn, project.as_str(), query).await
            }

            async fn delete_dataset_item(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<bool> {
                let mut tx = self.pool.begin_with($begin).await?;
                let result = dataset_impl::delete_item(&mut tx, project.as_str(), id).await?;
                tx.commit().await?;
                Ok(result)
            }

            async fn active_dataset_item_ids(
                &self,
                project: &sightline_domain::ProjectId,
                dataset_ids: &[String],
            ) -> $crate::StoreResult<Vec<(String, String)>> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::active_item_ids(&mut conn, project.as_str(), dataset_ids).await
            }

            async fn create_or_get_dataset_run(
                &self,
                run: &$crate::DatasetRun,
            ) -> $crate::StoreResult<$crate::DatasetRun> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::create_or_get_run(&mut conn, run).await
            }

            async fn dataset_run(
                &self,
                project: &sightline_domain::ProjectId,
                dataset_id: &str,
                name: &str,
            ) -> $crate::StoreResult<Option<$crate::DatasetRun>> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::run_by_name(&mut conn, project.as_str(), dataset_id, name).await
            }

            async fn list_dataset_runs(
                &self,
                project: &sightline_domain::ProjectId,
                dataset_id: &str,
                limit: u64,
                offset: u64,
            ) -> $crate::StoreResult<(Vec<$crate::DatasetRun>, u64)> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::list_runs(&mut conn, project.as_str(), dataset_id, limit, offset).await
            }

            async fn dataset_run_names(
                &self,
                project: &sightline_domain::ProjectId,
                dataset_ids: &[String],
            ) -> $crate::StoreResult<Vec<(String, String)>> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::run_names(&mut conn, project.as_str(), dataset_ids).await
            }

            async fn delete_dataset_run(
                &self,
                project: &sightline_domain::ProjectId,
                run_id: &str,
            ) -> $crate::StoreResult<bool> {
                let mut tx = self.pool.begin_with($begin).await?;
                let result = dataset_impl::delete_run(&mut tx, project.as_str(), run_id).await?;
                tx.commit().await?;
                Ok(result)
            }

            async fn insert_dataset_run_item(
                &self,
                item: &$crate::DatasetRunItem,
            ) -> $crate::StoreResult<$crate::DatasetRunItem> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::insert_run_items(&mut conn, &[item]).await?;
                dataset_impl::stored_run_item(&mut conn, item)
                    .await?
                    .ok_or_else(|| $crate::StoreError::Conflict(format!("Dataset run item id {} is already in use", item.id)))
            }

            async fn list_dataset_run_items(
                &self,
                project: &sightline_domain::ProjectId,
                run_id: &str,
                limit: Option<u64>,
                offset: u64,
            ) -> $crate::StoreResult<(Vec<$crate::DatasetRunItem>, u64)> {
                let mut conn = self.pool.acquire().await?;
                dataset_impl::list_run_items(&mut conn, project.as_str(), run_id, limit, offset).await
            }
        }
    };
}

pub(crate) use impl_dataset_store;
