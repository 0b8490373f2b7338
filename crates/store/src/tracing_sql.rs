//! The tracing SQL both backends share, stamped onto each store by `impl_tracing_store!`.
//! The backends differ only in how a write transaction begins and in how an entity is locked
//! against concurrent folds by another process (PostgreSQL advisory locks; SQLite's
//! `BEGIN IMMEDIATE` already serialises writers).

macro_rules! impl_tracing_store {
    ($store:ty, db: $db:ty, begin: $begin:expr, entity_lock: $lock:path, anonymous_params: $anonymous:expr) => {
        mod tracing_impl {
            use std::collections::BTreeSet;

            use serde_json::Value;
            use sightline_domain::ingest::merge::{apply_trace_patch, TraceMerge};
            use sightline_domain::ingest::{ObservationRow, ScorePatch, TraceRow};
            use sightline_domain::time::{now_ms, Millis};

            use $crate::tracing_model::*;
            use $crate::{StoreError, StoreResult};

            type Conn = <$db as sqlx::Database>::Connection;

            /// Most bind parameters in one statement (SQLite allows 32766, PostgreSQL 65535).
            const MAX_PARAMS: usize = 8_000;

            /// Parameter `n` (1-based) of a statement. SQLite statements use anonymous `?`s:
            /// sqlx looks up the name of every numbered parameter, which SQLite finds by a linear
            /// walk, so numbered parameters make a statement with thousands of them quadratic.
            /// Statements built here therefore number every parameter in order, never reuse one.
            fn ph(n: usize) -> String {
                if $anonymous { "?".to_owned() } else { format!("${n}") }
            }

            /// `($1, $2), ($3, $4)`: `rows` tuples of `width` parameters, numbered from `first`.
            fn values(rows: usize, width: usize, first: usize) -> String {
                (0..rows)
                    .map(|row| format!("({})", placeholders(width, first + row * width)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            /// `$first, $first+1, …`: `count` parameters.
            fn placeholders(count: usize, first: usize) -> String {
                (first..first + count).map(ph).collect::<Vec<_>>().join(", ")
            }

            /// Keeps the last of the items with the same key, in first-seen order, so that one
            /// multi-row upsert never touches a row twice.
            fn last_per_key<'a, T>(items: impl IntoIterator<Item = &'a T>, key: impl Fn(&T) -> &str) -> Vec<&'a T>
            where
                T: 'a,
            {
                let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
                let mut kept: Vec<&T> = Vec::new();
                for item in items {
                    match position.get(key(item)) {
                        Some(&index) => kept[index] = item,
                        None => {
                            position.insert(key(item).to_owned(), kept.len());
                            kept.push(item);
                        }
                    }
                }
                kept
            }

            /// The logged events of `ids` (of one entity kind), grouped by entity id.
            async fn logged_events(
                conn: &mut Conn,
                project: &str,
                entity: Entity,
                ids: &[&str],
            ) -> StoreResult<std::collections::HashMap<String, Vec<LoggedEvent>>> {
                let mut grouped: std::collections::HashMap<String, Vec<LoggedEvent>> = Default::default();
                for chunk in ids.chunks(MAX_PARAMS / 2) {
                    let sql = format!(
                        "SELECT entity_id, event_id, event_type, timestamp, body FROM ingestion_events \
                         WHERE project_id = {} AND entity_id IN ({}) AND entity = {}",
                        ph(1),
                        placeholders(chunk.len(), 2),
                        ph(chunk.len() + 2)
                    );
                    let mut query = sqlx::query_as::<_, (String, String, String, i64, String)>(&sql).bind(project);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    let query = query.bind(entity.as_str());
                    for (entity_id, event_id, event_type, timestamp, body) in query.fetch_all(&mut *conn).await? {
                        let body = serde_json::from_str(&body)
                            .map_err(|e| StoreError::Corrupt(format!("logged event: {e}")))?;
                        grouped.entry(entity_id.clone()).or_default().push(LoggedEvent {
                            entity,
                            entity_id,
                            event_id,
                            event_type,
                            timestamp,
                            body,
                        });
                    }
                }
                Ok(grouped)
            }

            async fn log_events(conn: &mut Conn, project: &str, events: &[LoggedEvent], now: Millis) -> StoreResult<()> {
                const WIDTH: usize = 8;
                for chunk in events.chunks(MAX_PARAMS / WIDTH) {
                    let sql = format!(
                        "INSERT INTO ingestion_events \
                           (project_id, entity, entity_id, event_id, event_type, timestamp, body, created_at) \
                         VALUES {} ON CONFLICT (project_id, entity, entity_id, event_id) DO NOTHING",
                        values(chunk.len(), WIDTH, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for event in chunk {
                        query = query
                            .bind(project)
                            .bind(event.entity.as_str())
                            .bind(&event.entity_id)
                            .bind(&event.event_id)
                            .bind(&event.event_type)
                            .bind(event.timestamp)
                            .bind(event.body.to_string())
                            .bind(now);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub(super) async fn load_trace(conn: &mut Conn, project: &str, id: &str) -> StoreResult<Option<StoredTrace>> {
                Ok(load_traces(conn, project, &[id]).await?.into_iter().next())
            }

            async fn load_traces(conn: &mut Conn, project: &str, ids: &[&str]) -> StoreResult<Vec<StoredTrace>> {
                let mut traces = Vec::new();
                for chunk in ids.chunks(MAX_PARAMS / 2) {
                    let sql = format!(
                        "SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = {} AND id IN ({})",
                        ph(1),
                        placeholders(chunk.len(), 2)
                    );
                    let mut query = sqlx::query_as::<_, TraceSqlRow>(&sql).bind(project);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for row in query.fetch_all(&mut *conn).await? {
                        traces.push(row.try_into()?);
                    }
                }
                Ok(traces)
            }

            async fn upsert_traces(conn: &mut Conn, project: &str, rows: &[&TraceRow], now: Millis) -> StoreResult<()> {
                const WIDTH: usize = 16;
                let rows = last_per_key(rows.iter().copied(), |row: &TraceRow| row.id.as_str());
                for chunk in rows.chunks(MAX_PARAMS / WIDTH) {
                    let sql = format!(
                        "INSERT INTO traces (project_id, id, timestamp, environment, name, user_id, session_id, \
                           release, version, public, tags, metadata, input, output, created_at, updated_at) \
                         VALUES {} \
                         ON CONFLICT (project_id, id) DO UPDATE SET timestamp = excluded.timestamp, \
                           environment = excluded.environment, name = excluded.name, user_id = excluded.user_id, \
                           session_id = excluded.session_id, release = excluded.release, version = excluded.version, \
                           public = excluded.public, tags = excluded.tags, metadata = excluded.metadata, \
                           input = excluded.input, output = excluded.output, updated_at = excluded.updated_at",
                        values(chunk.len(), WIDTH, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for row in chunk {
                        query = query
                            .bind(project)
                            .bind(&row.id)
                            .bind(row.timestamp)
                            .bind(&row.environment)
                            .bind(&row.name)
                            .bind(&row.user_id)
                            .bind(&row.session_id)
                            .bind(&row.release)
                            .bind(&row.version)
                            .bind(row.public)
                            .bind(serde_json::to_string(&row.tags).unwrap_or_else(|_| "[]".into()))
                            .bind(serde_json::to_string(&row.metadata).unwrap_or_else(|_| "{}".into()))
                            .bind(json_text(&row.input))
                            .bind(json_text(&row.output))
                            .bind(now)
                            .bind(now);
                    }
                    query.execute(&mut *conn).await?;
                }
                let sessions = last_per_key(
                    rows.iter().copied().filter(|row| row.session_id.is_some()),
                    |row: &TraceRow| row.session_id.as_deref().unwrap_or_default(),
                );
                for chunk in sessions.chunks(MAX_PARAMS / 4) {
                    let sql = format!(
                        "INSERT INTO sessions (project_id, id, environment, created_at) VALUES {} \
                         ON CONFLICT (project_id, id) DO NOTHING",
                        values(chunk.len(), 4, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for row in chunk {
                        query = query.bind(project).bind(&row.session_id).bind(&row.environment).bind(now);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Traces for observations that named none (they carry their own id as trace id).
            async fn ensure_traces(conn: &mut Conn, project: &str, rows: &[&ObservationRow], now: Millis) -> StoreResult<()> {
                let rows = last_per_key(rows.iter().copied(), |row: &ObservationRow| row.trace_id.as_str());
                for chunk in rows.chunks(MAX_PARAMS / 6) {
                    let sql = format!(
                        "INSERT INTO traces (project_id, id, timestamp, environment, created_at, updated_at) \
                         VALUES {} ON CONFLICT (project_id, id) DO NOTHING",
                        values(chunk.len(), 6, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for row in chunk {
                        query = query.bind(project).bind(&row.trace_id).bind(row.start_time).bind(&row.environment).bind(now).bind(now);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn upsert_observations(conn: &mut Conn, project: &str, rows: &[&ObservationRow], now: Millis) -> StoreResult<()> {
                const WIDTH: usize = 30;
                let rows = last_per_key(rows.iter().copied(), |row: &ObservationRow| row.id.as_str());
                for chunk in rows.chunks(MAX_PARAMS / WIDTH) {
                    let sql = format!(
                        "INSERT INTO observations (project_id, id, trace_id, type, start_time, end_time, \
                           completion_start_time, environment, name, parent_observation_id, level, status_message, \
                           version, model, model_parameters, metadata, input, output, provided_usage_details, \
                           provided_cost_details, usage_details, cost_details, total_cost, internal_model_id, \
                           usage_pricing_tier_id, usage_pricing_tier_name, prompt_name, prompt_version, \
                           created_at, updated_at) \
                         VALUES {} \
                         ON CONFLICT (project_id, id) DO UPDATE SET trace_id = excluded.trace_id, type = excluded.type, \
                           start_time = excluded.start_time, end_time = excluded.end_time, \
                           completion_start_time = excluded.completion_start_time, environment = excluded.environment, \
                           name = excluded.name, parent_observation_id = excluded.parent_observation_id, \
                           level = excluded.level, status_message = excluded.status_message, version = excluded.version, \
                           model = excluded.model, model_parameters = excluded.model_parameters, \
                           metadata = excluded.metadata, input = excluded.input, output = excluded.output, \
                           provided_usage_details = excluded.provided_usage_details, \
                           provided_cost_details = excluded.provided_cost_details, \
                           usage_details = excluded.usage_details, cost_details = excluded.cost_details, \
                           total_cost = excluded.total_cost, internal_model_id = excluded.internal_model_id, \
                           usage_pricing_tier_id = excluded.usage_pricing_tier_id, \
                           usage_pricing_tier_name = excluded.usage_pricing_tier_name, \
                           prompt_name = excluded.prompt_name, prompt_version = excluded.prompt_version, \
                           updated_at = excluded.updated_at",
                        values(chunk.len(), WIDTH, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for row in chunk {
                        query = query
                            .bind(project)
                            .bind(&row.id)
                            .bind(&row.trace_id)
                            .bind(row.r#type.as_str())
                            .bind(row.start_time)
                            .bind(row.end_time)
                            .bind(row.completion_start_time)
                            .bind(&row.environment)
                            .bind(&row.name)
                            .bind(&row.parent_observation_id)
                            .bind(row.level.as_str())
                            .bind(&row.status_message)
                            .bind(&row.version)
                            .bind(&row.model)
                            .bind(json_text(&row.model_parameters))
                            .bind(serde_json::to_string(&row.metadata).unwrap_or_else(|_| "{}".into()))
                            .bind(json_text(&row.input))
                            .bind(json_text(&row.output))
                            .bind(usage_text(&row.provided_usage_details))
                            .bind(usage_text(&row.provided_cost_details))
                            .bind(usage_text(&row.usage_details))
                            .bind(usage_text(&row.cost_details))
                            .bind(row.total_cost)
                            .bind(&row.internal_model_id)
                            .bind(&row.usage_pricing_tier_id)
                            .bind(&row.usage_pricing_tier_name)
                            .bind(&row.prompt_name)
                            .bind(row.prompt_version)
                            .bind(now)
                            .bind(now);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn upsert_scores(conn: &mut Conn, project: &str, scores: &[ScorePatch], now: Millis) -> StoreResult<()> {
                const WIDTH: usize = 20;
                let scores = last_per_key(scores.iter(), |score: &ScorePatch| score.id.as_str());
                for chunk in scores.chunks(MAX_PARAMS / WIDTH) {
                    let sql = format!(
                        "INSERT INTO scores (project_id, id, name, timestamp, environment, data_type, value, \
                           string_value, source, trace_id, observation_id, session_id, dataset_run_id, comment, \
                           metadata, config_id, queue_id, execution_trace_id, created_at, updated_at) \
                         VALUES {} \
                         ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, \
                           data_type = excluded.data_type, value = excluded.value, \
                           string_value = excluded.string_value, source = excluded.source, \
                           observation_id = excluded.observation_id, session_id = excluded.session_id, \
                           dataset_run_id = excluded.dataset_run_id, comment = excluded.comment, \
                           metadata = excluded.metadata, config_id = excluded.config_id, queue_id = excluded.queue_id, \
                           execution_trace_id = excluded.execution_trace_id, updated_at = excluded.updated_at",
                        values(chunk.len(), WIDTH, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for score in chunk {
                        query = query
                            .bind(project)
                            .bind(&score.id)
                            .bind(&score.name)
                            .bind(score.timestamp)
                            .bind(&score.environment)
                            .bind(score.data_type.as_str())
                            .bind(score.value)
                            .bind(&score.string_value)
                            .bind(score.source.as_str())
                            .bind(&score.trace_id)
                            .bind(&score.observation_id)
                            .bind(&score.session_id)
                            .bind(&score.dataset_run_id)
                            .bind(&score.comment)
                            .bind(score.metadata.clone().unwrap_or_else(|| Value::Object(Default::default())).to_string())
                            .bind(&score.config_id)
                            .bind(&score.queue_id)
                            .bind(&score.execution_trace_id)
                            .bind(now)
                            .bind(now);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            fn lock_key(project: &str, entity: Entity, id: &str) -> String {
                format!("{project}\u{1f}{}\u{1f}{id}", entity.as_str())
            }

            pub(super) async fn write(
                conn: &mut Conn,
                writes: &[IngestionWrite],
                rules: &dyn IngestionRules,
            ) -> StoreResult<()> {
                let now = now_ms();
                // Lock every entity this transaction refolds or merges, in one global order.
                let mut keys = BTreeSet::new();
                for write in writes {
                    let project = &write.project_id;
                    for event in &write.events {
                        keys.insert(lock_key(project.as_str(), event.entity, &event.entity_id));
                    }
                    for patch in &write.trace_patches {
                        keys.insert(lock_key(project.as_str(), Entity::Trace, &patch.id));
                    }
                }
                let keys: Vec<String> = keys.into_iter().collect();
                $lock(conn, &keys).await?;

                for write in writes {
                    let project = &write.project_id;
                    let project_str = project.as_str();
                    log_events(conn, project_str, &write.events, now).await?;

                    // Refold every entity the batch events touched, from all of its events.
                    let mut traces: Vec<TraceRow> = Vec::new();
                    let mut observations: Vec<ObservationRow> = Vec::new();
                    for entity in [Entity::Trace, Entity::Observation] {
                        let ids: BTreeSet<&str> = write
                            .events
                            .iter()
                            .filter(|event| event.entity == entity)
                            .map(|event| event.entity_id.as_str())
                            .collect();
                        if ids.is_empty() {
                            continue;
                        }
                        let ids: Vec<&str> = ids.into_iter().collect();
                        let mut logged = logged_events(conn, project_str, entity, &ids).await?;
                        for id in ids {
                            let events = logged.remove(id).unwrap_or_default();
                            match entity {
                                Entity::Trace => traces.extend(rules.fold_trace(&events)),
                                Entity::Observation => {
                                    if let Some(mut row) = rules.fold_observation(&events) {
                                        rules.enrich(project, &mut row);
                                        observations.push(row);
                                    }
                                }
                            }
                        }
                    }
                    let orphans: Vec<&ObservationRow> =
                        observations.iter().filter(|row| row.trace_id == row.id).collect();
                    ensure_traces(conn, project_str, &orphans, now).await?;

                    // Spans are complete observations, priced by the caller already.
                    let mut rows: Vec<&ObservationRow> = observations.iter().collect();
                    rows.extend(write.observations.iter());
                    upsert_observations(conn, project_str, &rows, now).await?;

                    // Trace data of spans merges onto the stored traces, in arrival order.
                    if !write.trace_patches.is_empty() {
                        let ids: BTreeSet<&str> = write.trace_patches.iter().map(|p| p.id.as_str()).collect();
                        let ids: Vec<&str> = ids.into_iter().collect();
                        let mut merged: std::collections::HashMap<String, TraceRow> = load_traces(conn, project_str, &ids)
                            .await?
                            .into_iter()
                            .map(|stored| (stored.row.id.clone(), stored.row))
                            .collect();
                        for patch in &write.trace_patches {
                            let current = merged.remove(&patch.id);
                            let timestamp = patch.timestamp.unwrap_or(now);
                            merged.insert(patch.id.clone(), apply_trace_patch(current, patch, timestamp, TraceMerge::Span));
                        }
                        traces.extend(merged.into_values());
                    }
                    let trace_refs: Vec<&TraceRow> = traces.iter().collect();
                    upsert_traces(conn, project_str, &trace_refs, now).await?;
                    upsert_scores(conn, project_str, &write.scores, now).await?;
                    // Runs and run items of SDK experiment spans (`impl_dataset_store!`, stamped
                    // beside this store).
                    super::dataset_impl::write_experiments(conn, project_str, &write.experiments).await?;
                }
                Ok(())
            }

            pub(super) async fn observations_where(
                conn: &mut Conn,
                project: &str,
                column: &str,
                value: &str,
            ) -> StoreResult<Vec<StoredObservation>> {
                // Sorted here, not in SQL: a trace of 20,000 observations would otherwise copy
                // every row through SQLite's sorter to order ties by id.
                let sql = format!(
                    "SELECT {OBSERVATION_COLUMNS} FROM observations WHERE project_id = $1 AND {column} = $2"
                );
                let rows: Vec<ObservationSqlRow> = sqlx::query_as(&sql)
                    .bind(project)
                    .bind(value)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut observations = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<StoreResult<Vec<StoredObservation>>>()?;
                observations.sort_by(|a, b| {
                    (a.row.start_time, &a.row.id).cmp(&(b.row.start_time, &b.row.id))
                });
                Ok(observations)
            }

            pub(super) async fn scores_where(
                conn: &mut Conn,
                project: &str,
                column: &str,
                value: &str,
            ) -> StoreResult<Vec<ScoreRow>> {
                // Sorted here, not in SQL: with an ORDER BY the planner may walk the project's
                // whole timestamp index instead of the few rows of this trace.
                let sql = format!(
                    "SELECT {SCORE_COLUMNS} FROM scores WHERE project_id = $1 AND {column} = $2"
                );
                let rows: Vec<ScoreSqlRow> = sqlx::query_as(&sql)
                    .bind(project)
                    .bind(value)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut scores = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<StoreResult<Vec<ScoreRow>>>()?;
                scores.sort_by(|a, b| {
                    (a.score.timestamp, &a.score.id).cmp(&(b.score.timestamp, &b.score.id))
                });
                Ok(scores)
            }
        }

        #[async_trait::async_trait]
        impl $crate::TracingStore for $store {
            async fn project_models(
                &self,
                project: &sightline_domain::ProjectId,
            ) -> $crate::StoreResult<Vec<sightline_domain::cost::ModelDefinition>> {
                let rows: Vec<$crate::tracing_model::ModelSqlRow> = sqlx::query_as(
                    "SELECT id, project_id, model_name, match_pattern, start_date, unit, tokenizer_id, \
                       tokenizer_config, pricing_tiers FROM models WHERE project_id = $1 \
                     ORDER BY created_at, id",
                )
                .bind(project.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn insert_model(
                &self,
                definition: &sightline_domain::cost::ModelDefinition,
            ) -> $crate::StoreResult<()> {
                let project = definition.project_id.as_deref().ok_or_else(|| {
                    $crate::StoreError::Corrupt("a stored model needs a project".into())
                })?;
                let now = sightline_domain::time::now_ms();
                sqlx::query(
                    "INSERT INTO models (id, project_id, model_name, match_pattern, start_date, unit, \
                       tokenizer_id, tokenizer_config, pricing_tiers, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind(&definition.id)
                .bind(project)
                .bind(&definition.model_name)
                .bind(&definition.match_pattern)
                .bind(definition.start_date)
                .bind(&definition.unit)
                .bind(&definition.tokenizer_id)
                .bind(definition.tokenizer_config.as_ref().map(|c| c.to_string()))
                .bind(serde_json::to_string(&definition.tiers).unwrap_or_else(|_| "[]".into()))
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::error::constraint(e, "a model with this id"))?;
                Ok(())
            }

            async fn delete_model(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<bool> {
                let deleted = sqlx::query("DELETE FROM models WHERE project_id = $1 AND id = $2")
                    .bind(project.as_str())
                    .bind(id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }

            async fn write_ingestion(
                &self,
                writes: &[$crate::IngestionWrite],
                rules: &dyn $crate::IngestionRules,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.pool.begin_with($begin).await?;
                tracing_impl::write(&mut tx, writes, rules).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn trace(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<Option<$crate::StoredTrace>> {
                let mut conn = self.pool.acquire().await?;
                tracing_impl::load_trace(&mut conn, project.as_str(), id).await
            }

            async fn trace_observations(
                &self,
                project: &sightline_domain::ProjectId,
                trace_id: &str,
            ) -> $crate::StoreResult<Vec<$crate::StoredObservation>> {
                let mut conn = self.pool.acquire().await?;
                tracing_impl::observations_where(&mut conn, project.as_str(), "trace_id", trace_id).await
            }

            async fn observation(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<Option<$crate::StoredObservation>> {
                let mut conn = self.pool.acquire().await?;
                Ok(tracing_impl::observations_where(&mut conn, project.as_str(), "id", id)
                    .await?
                    .into_iter()
                    .next())
            }

            async fn trace_scores(
                &self,
                project: &sightline_domain::ProjectId,
                trace_id: &str,
            ) -> $crate::StoreResult<Vec<$crate::ScoreRow>> {
                let mut conn = self.pool.acquire().await?;
                tracing_impl::scores_where(&mut conn, project.as_str(), "trace_id", trace_id).await
            }

            async fn score(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<Option<$crate::ScoreRow>> {
                let mut conn = self.pool.acquire().await?;
                Ok(tracing_impl::scores_where(&mut conn, project.as_str(), "id", id)
                    .await?
                    .into_iter()
                    .next())
            }
        }
    };
}

pub(crate) use impl_tracing_store;
