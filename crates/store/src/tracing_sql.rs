//! The tracing SQL both backends share, stamped onto each store by `impl_tracing_store!`.
//! The backends differ only in how a write transaction begins and in how an entity is locked
//! against concurrent folds by another process (PostgreSQL advisory locks; SQLite's
//! `BEGIN IMMEDIATE` already serialises writers).

macro_rules! impl_tracing_store {
    ($store:ty, db: $db:ty, begin: $begin:expr, entity_lock: $lock:expr) => {
        mod tracing_impl {
            use std::collections::BTreeSet;

            use serde_json::Value;
            use sightline_domain::ingest::merge::{apply_trace_patch, TraceMerge};
            use sightline_domain::ingest::{ObservationRow, ScorePatch, TraceRow};
            use sightline_domain::time::{now_ms, Millis};
            use sightline_domain::ProjectId;

            use $crate::tracing_model::*;
            use $crate::{StoreError, StoreResult};

            type Conn = <$db as sqlx::Database>::Connection;

            async fn lock_entity(conn: &mut Conn, key: &str) -> StoreResult<()> {
                let lock: Option<&str> = $lock;
                if let Some(sql) = lock {
                    sqlx::query(sql).bind(key).execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn logged_events(
                conn: &mut Conn,
                project: &str,
                entity: Entity,
                id: &str,
            ) -> StoreResult<Vec<LoggedEvent>> {
                let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
                    "SELECT event_id, event_type, timestamp, body FROM ingestion_events \
                     WHERE project_id = $1 AND entity = $2 AND entity_id = $3",
                )
                .bind(project)
                .bind(entity.as_str())
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
                rows.into_iter()
                    .map(|(event_id, event_type, timestamp, body)| {
                        Ok(LoggedEvent {
                            entity,
                            entity_id: id.to_owned(),
                            event_id,
                            event_type,
                            timestamp,
                            body: serde_json::from_str(&body)
                                .map_err(|e| StoreError::Corrupt(format!("logged event: {e}")))?,
                        })
                    })
                    .collect()
            }

            async fn log_event(conn: &mut Conn, project: &str, event: &LoggedEvent, now: Millis) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO ingestion_events \
                       (project_id, entity, entity_id, event_id, event_type, timestamp, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (project_id, entity, entity_id, event_id) DO NOTHING",
                )
                .bind(project)
                .bind(event.entity.as_str())
                .bind(&event.entity_id)
                .bind(&event.event_id)
                .bind(&event.event_type)
                .bind(event.timestamp)
                .bind(event.body.to_string())
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub(super) async fn load_trace(conn: &mut Conn, project: &str, id: &str) -> StoreResult<Option<StoredTrace>> {
                let sql = format!("SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = $1 AND id = $2");
                let row: Option<TraceSqlRow> = sqlx::query_as(&sql)
                    .bind(project)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn upsert_trace(conn: &mut Conn, project: &str, row: &TraceRow, now: Millis) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO traces (project_id, id, timestamp, environment, name, user_id, session_id, \
                       release, version, public, tags, metadata, input, output, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
                     ON CONFLICT (project_id, id) DO UPDATE SET timestamp = excluded.timestamp, \
                       environment = excluded.environment, name = excluded.name, user_id = excluded.user_id, \
                       session_id = excluded.session_id, release = excluded.release, version = excluded.version, \
                       public = excluded.public, tags = excluded.tags, metadata = excluded.metadata, \
                       input = excluded.input, output = excluded.output, updated_at = excluded.updated_at",
                )
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
                .bind(Value::Object(row.metadata.clone()).to_string())
                .bind(json_text(&row.input))
                .bind(json_text(&row.output))
                .bind(now)
                .execute(&mut *conn)
                .await?;
                if let Some(session) = &row.session_id {
                    sqlx::query(
                        "INSERT INTO sessions (project_id, id, environment, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (project_id, id) DO NOTHING",
                    )
                    .bind(project)
                    .bind(session)
                    .bind(&row.environment)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            async fn ensure_trace(conn: &mut Conn, project: &str, row: &ObservationRow, now: Millis) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO traces (project_id, id, timestamp, environment, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (project_id, id) DO NOTHING",
                )
                .bind(project)
                .bind(&row.trace_id)
                .bind(row.start_time)
                .bind(&row.environment)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn upsert_observation(conn: &mut Conn, project: &str, row: &ObservationRow, now: Millis) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO observations (project_id, id, trace_id, type, start_time, end_time, \
                       completion_start_time, environment, name, parent_observation_id, level, status_message, \
                       version, model, model_parameters, metadata, input, output, provided_usage_details, \
                       provided_cost_details, usage_details, cost_details, total_cost, internal_model_id, \
                       usage_pricing_tier_id, usage_pricing_tier_name, prompt_name, prompt_version, \
                       created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                       $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $29) \
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
                )
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
                .bind(Value::Object(row.metadata.clone()).to_string())
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
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn upsert_score(conn: &mut Conn, project: &str, score: &ScorePatch, now: Millis) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO scores (project_id, id, name, timestamp, environment, data_type, value, \
                       string_value, source, trace_id, observation_id, session_id, dataset_run_id, comment, \
                       metadata, config_id, queue_id, execution_trace_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) \
                     ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, \
                       data_type = excluded.data_type, value = excluded.value, \
                       string_value = excluded.string_value, source = excluded.source, \
                       observation_id = excluded.observation_id, session_id = excluded.session_id, \
                       dataset_run_id = excluded.dataset_run_id, comment = excluded.comment, \
                       metadata = excluded.metadata, config_id = excluded.config_id, queue_id = excluded.queue_id, \
                       execution_trace_id = excluded.execution_trace_id, updated_at = excluded.updated_at",
                )
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
                .execute(&mut *conn)
                .await?;
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
                let project_of = |write: &IngestionWrite| -> StoreResult<ProjectId> {
                    write
                        .project_id
                        .clone()
                        .ok_or_else(|| StoreError::Corrupt("ingestion write without a project".into()))
                };
                // Lock every entity this transaction refolds or merges, in one global order.
                let mut keys = BTreeSet::new();
                for write in writes {
                    let project = project_of(write)?;
                    for event in &write.events {
                        keys.insert(lock_key(project.as_str(), event.entity, &event.entity_id));
                    }
                    for patch in &write.trace_patches {
                        keys.insert(lock_key(project.as_str(), Entity::Trace, &patch.id));
                    }
                }
                for key in &keys {
                    lock_entity(conn, key).await?;
                }

                for write in writes {
                    let project = project_of(write)?;
                    let project_str = project.as_str();
                    let mut touched = BTreeSet::new();
                    for event in &write.events {
                        log_event(conn, project_str, event, now).await?;
                        touched.insert((event.entity, event.entity_id.as_str()));
                    }
                    for (entity, id) in touched {
                        let events = logged_events(conn, project_str, entity, id).await?;
                        match entity {
                            Entity::Trace => {
                                if let Some(row) = rules.fold_trace(&events) {
                                    upsert_trace(conn, project_str, &row, now).await?;
                                }
                            }
                            Entity::Observation => {
                                if let Some(mut row) = rules.fold_observation(&events) {
                                    rules.enrich(&project, &mut row);
                                    upsert_observation(conn, project_str, &row, now).await?;
                                    if row.trace_id == row.id {
                                        ensure_trace(conn, project_str, &row, now).await?;
                                    }
                                }
                            }
                        }
                    }
                    for observation in &write.observations {
                        let mut row = observation.clone();
                        rules.enrich(&project, &mut row);
                        upsert_observation(conn, project_str, &row, now).await?;
                    }
                    let mut merged: Vec<TraceRow> = Vec::new();
                    for patch in &write.trace_patches {
                        let current = match merged.iter().position(|row| row.id == patch.id) {
                            Some(index) => Some(merged.swap_remove(index)),
                            None => load_trace(conn, project_str, &patch.id).await?.map(|stored| stored.row),
                        };
                        let timestamp = patch.timestamp.unwrap_or(now);
                        merged.push(apply_trace_patch(current, patch, timestamp, TraceMerge::Span));
                    }
                    for row in &merged {
                        upsert_trace(conn, project_str, row, now).await?;
                    }
                    for score in &write.scores {
                        upsert_score(conn, project_str, score, now).await?;
                    }
                }
                Ok(())
            }

            pub(super) async fn observations_where(
                conn: &mut Conn,
                project: &str,
                column: &str,
                value: &str,
            ) -> StoreResult<Vec<StoredObservation>> {
                let sql = format!(
                    "SELECT {OBSERVATION_COLUMNS} FROM observations WHERE project_id = $1 AND {column} = $2 \
                     ORDER BY start_time, id"
                );
                let rows: Vec<ObservationSqlRow> = sqlx::query_as(&sql)
                    .bind(project)
                    .bind(value)
                    .fetch_all(&mut *conn)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            pub(super) async fn scores_where(
                conn: &mut Conn,
                project: &str,
                column: &str,
                value: &str,
            ) -> StoreResult<Vec<ScoreRow>> {
                let sql = format!(
                    "SELECT {SCORE_COLUMNS} FROM scores WHERE project_id = $1 AND {column} = $2 \
                     ORDER BY timestamp, id"
                );
                let rows: Vec<ScoreSqlRow> = sqlx::query_as(&sql)
                    .bind(project)
                    .bind(value)
                    .fetch_all(&mut *conn)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
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
