//! The relational event store's side of the ingestion fold: one transaction per group commit
//! that logs batch events, reads what the fold needs, and upserts the final rows (traces with
//! their sessions, observations, scores). Rows are written as multi-row upserts of at most
//! [`MAX_PARAMS`] values each.

use std::collections::HashMap;

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{ObservationRow, ScorePatch, TraceRow};
use sightline_domain::time::Millis;

use super::{Entity, EntityKey, EventRows, EventWrite, EventWriteStore, LoggedEvent, TracingStore};

mod sqlite;
mod statements;

use crate::error::{StoreError, StoreResult};
use crate::observations::payload::PayloadCodec;
use crate::observations::stored::{OBSERVATION_COLUMNS, ObservationSqlRow};
use crate::scores::stored::{SCORE_COLUMNS, ScoreSqlRow};
use crate::sql::{Arg, Sql, SqlStore, Tx};
use crate::traces::stored::{TRACE_COLUMNS, TraceSqlRow};
use crate::{ScoreRow, StoredObservation, StoredTrace};
pub use statements::EncodedObservation;
use statements::*;

/// Most bound values in one statement (SQLite allows 32766, PostgreSQL 65535).
const MAX_PARAMS: usize = 8_000;
/// Columns of [`OBSERVATION_INSERT`].
const OBSERVATION_WIDTH: usize = 28;

/// A write of the relational event store: one transaction.
struct SqlEventWrite {
    tx: Tx,
    version: Millis,
}

#[async_trait]
impl EventWriteStore for SqlStore {
    fn payload_codec(&self) -> PayloadCodec {
        if self.sqlite_writer.is_some() {
            PayloadCodec::Zstd
        } else {
            PayloadCodec::Plain
        }
    }

    async fn begin_event_write(&self, version: Millis) -> StoreResult<Box<dyn EventWrite>> {
        if let Some(writer) = &self.sqlite_writer {
            return sqlite::begin(writer, version).await;
        }
        Ok(Box::new(SqlEventWrite {
            tx: self.db.begin().await?,
            version,
        }))
    }
}

#[async_trait]
impl EventWrite for SqlEventWrite {
    async fn lock(&mut self, keys: &[EntityKey]) -> StoreResult<()> {
        let keys: Vec<String> = keys.iter().map(EntityKey::to_text).collect();
        self.tx.lock_keys(&keys).await
    }

    async fn logged_events(
        &mut self,
        project: &ProjectId,
        entity: Entity,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Vec<LoggedEvent>>> {
        let mut grouped: HashMap<String, Vec<LoggedEvent>> = HashMap::new();
        for chunk in ids.chunks(MAX_PARAMS / 2) {
            let mut sql = Sql::new();
            sql.push(
                "SELECT entity_id, event_id, event_type, timestamp, body FROM ingestion_events \
                 WHERE project_id = {} AND entity = {} AND ",
                [Arg::from(project.as_str()), Arg::from(entity.as_str())],
            )
            .push_in("entity_id", chunk.iter().copied());
            let rows: Vec<(String, String, String, i64, String)> = self.tx.fetch_all(&sql).await?;
            for (entity_id, event_id, event_type, timestamp, body) in rows {
                let body = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("logged event: {e}")))?;
                grouped
                    .entry(entity_id.clone())
                    .or_default()
                    .push(LoggedEvent {
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

    async fn append_events(
        &mut self,
        project: &ProjectId,
        events: &[LoggedEvent],
    ) -> StoreResult<()> {
        const WIDTH: usize = 8;
        for chunk in events.chunks(MAX_PARAMS / WIDTH) {
            let chunk: Vec<&LoggedEvent> = chunk.iter().collect();
            let sql = multi_row_insert(
                EVENT_INSERT,
                &chunk,
                |event: &LoggedEvent| event_args(project, event, self.version),
                EVENT_CONFLICT,
            );
            self.tx.execute(&sql).await?;
        }
        Ok(())
    }

    async fn traces(&mut self, project: &ProjectId, ids: &[&str]) -> StoreResult<Vec<TraceRow>> {
        let mut traces = Vec::new();
        for chunk in ids.chunks(MAX_PARAMS / 2) {
            let stored = select_traces(&mut self.tx, project, chunk).await?;
            traces.extend(stored.into_iter().map(|stored| stored.row));
        }
        Ok(traces)
    }

    async fn put(&mut self, project: &ProjectId, rows: &EventRows) -> StoreResult<()> {
        let tx = &mut self.tx;
        insert_placeholder_traces(tx, project, &rows.placeholder_traces, self.version).await?;
        upsert_observations(tx, project, rows, self.version).await?;
        upsert_traces(tx, project, &rows.traces, self.version).await?;
        upsert_scores(tx, project, &rows.scores, self.version).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await
    }
}

/// Keeps the last of the items with the same key, in first-seen order, so that one multi-row
/// upsert never touches a row twice.
pub(super) fn last_per_key<T>(items: &[T], key: impl Fn(&T) -> &str) -> Vec<&T> {
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut kept: Vec<&T> = Vec::new();
    for item in items {
        match position.get(key(item)) {
            Some(&index) => kept[index] = item,
            None => {
                position.insert(key(item), kept.len());
                kept.push(item);
            }
        }
    }
    kept
}

/// `INSERT INTO table (columns) VALUES (…), (…) <tail>`, one tuple per row from `values`.
fn multi_row_insert<T>(
    head: &str,
    rows: &[&T],
    values: impl Fn(&T) -> Vec<Arg>,
    tail: &str,
) -> Sql {
    let mut sql = Sql::text(head);
    sql.sql(" VALUES ");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            sql.sql(", ");
        }
        sql.tuple(values(row));
    }
    sql.sql(" ").sql(tail);
    sql
}

async fn select_traces(
    tx: &mut Tx,
    project: &ProjectId,
    ids: &[&str],
) -> StoreResult<Vec<StoredTrace>> {
    let mut sql = Sql::new();
    sql.sql(&format!(
        "SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = "
    ))
    .arg(project.as_str())
    .sql(" AND ")
    .push_in("id", ids.iter().copied());
    let rows: Vec<TraceSqlRow> = tx.fetch_all(&sql).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

async fn insert_placeholder_traces(
    tx: &mut Tx,
    project: &ProjectId,
    rows: &[TraceRow],
    version: Millis,
) -> StoreResult<()> {
    const WIDTH: usize = 6;
    let rows = last_per_key(rows, |row| row.id.as_str());
    for chunk in rows.chunks(MAX_PARAMS / WIDTH) {
        let sql = multi_row_insert(
            PLACEHOLDER_TRACE_INSERT,
            chunk,
            |row: &TraceRow| placeholder_trace_args(project, row, version),
            PLACEHOLDER_TRACE_CONFLICT,
        );
        tx.execute(&sql).await?;
    }
    Ok(())
}

async fn upsert_traces(
    tx: &mut Tx,
    project: &ProjectId,
    rows: &[TraceRow],
    version: Millis,
) -> StoreResult<()> {
    const WIDTH: usize = 16;
    let rows = last_per_key(rows, |row| row.id.as_str());
    for chunk in rows.chunks(MAX_PARAMS / WIDTH) {
        let sql = multi_row_insert(
            TRACE_INSERT,
            chunk,
            |row: &TraceRow| trace_args(project, row, version),
            TRACE_CONFLICT,
        );
        tx.execute(&sql).await?;
    }
    let sessions: Vec<&TraceRow> = rows
        .iter()
        .copied()
        .filter(|row| row.session_id.is_some())
        .collect();
    let sessions = last_per_key(&sessions, |row| {
        row.session_id.as_deref().unwrap_or_default()
    });
    for chunk in sessions.chunks(MAX_PARAMS / 4) {
        let sql = multi_row_insert(
            SESSION_INSERT,
            chunk,
            |row: &&TraceRow| session_args(project, row, version),
            SESSION_CONFLICT,
        );
        tx.execute(&sql).await?;
    }
    Ok(())
}

async fn upsert_observations(
    tx: &mut Tx,
    project: &ProjectId,
    rows: &EventRows,
    version: Millis,
) -> StoreResult<()> {
    let observations = encoded_observations(project, rows, PayloadCodec::Plain);
    let refs: Vec<&EncodedObservation> = observations.iter().collect();
    for chunk in refs.chunks(MAX_PARAMS / OBSERVATION_WIDTH) {
        let sql = multi_row_insert(
            OBSERVATION_INSERT,
            chunk,
            |observation: &EncodedObservation| observation.row_args(version),
            OBSERVATION_CONFLICT,
        );
        tx.execute(&sql).await?;
    }
    let (payloads, deletes): (Vec<_>, Vec<_>) = observations
        .iter()
        .map(|observation| observation.payload_args(project))
        .partition(|(stored, _)| *stored);
    let payloads: Vec<&Vec<Arg>> = payloads.iter().map(|(_, args)| args).collect();
    for chunk in payloads.chunks(MAX_PARAMS / 4) {
        let sql = multi_row_insert(
            PAYLOAD_INSERT,
            chunk,
            |args: &Vec<Arg>| args.clone(),
            PAYLOAD_CONFLICT,
        );
        tx.execute(&sql).await?;
    }
    for (_, key) in deletes {
        let mut sql = Sql::text(PAYLOAD_DELETE);
        for arg in key {
            sql = sql.bind(arg);
        }
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// The observations of `rows` to store, encoded with `codec` where the request has not encoded
/// them: one per id, the last.
pub(super) fn encoded_observations(
    project: &ProjectId,
    rows: &EventRows,
    codec: PayloadCodec,
) -> Vec<EncodedObservation> {
    let folded = last_per_key(&rows.observations, |row: &ObservationRow| row.id.as_str())
        .into_iter()
        .map(|row| EncodedObservation::new(project, row, codec));
    let encoded = last_per_key(&rows.encoded_observations, |o: &EncodedObservation| o.id())
        .into_iter()
        .cloned();
    folded.chain(encoded).collect()
}

async fn upsert_scores(
    tx: &mut Tx,
    project: &ProjectId,
    scores: &[ScorePatch],
    version: Millis,
) -> StoreResult<()> {
    const WIDTH: usize = 20;
    let scores = last_per_key(scores, |score| score.id.as_str());
    for chunk in scores.chunks(MAX_PARAMS / WIDTH) {
        let sql = multi_row_insert(
            SCORE_INSERT,
            chunk,
            |score: &ScorePatch| score_args(project, score, version),
            SCORE_CONFLICT,
        );
        tx.execute(&sql).await?;
    }
    Ok(())
}

#[async_trait]
impl TracingStore for SqlStore {
    async fn trace(&self, project: &ProjectId, id: &str) -> StoreResult<Option<StoredTrace>> {
        let sql = Sql::text(format!(
            "SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<TraceSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn trace_observations(
        &self,
        project: &ProjectId,
        trace_id: &str,
    ) -> StoreResult<Vec<StoredObservation>> {
        observations_where(self, project, "trace_id", trace_id).await
    }

    async fn observation(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<StoredObservation>> {
        Ok(observations_where(self, project, "id", id)
            .await?
            .into_iter()
            .next())
    }

    async fn trace_scores(
        &self,
        project: &ProjectId,
        trace_id: &str,
    ) -> StoreResult<Vec<ScoreRow>> {
        scores_where(self, project, "trace_id", trace_id).await
    }

    async fn score(&self, project: &ProjectId, id: &str) -> StoreResult<Option<ScoreRow>> {
        Ok(scores_where(self, project, "id", id)
            .await?
            .into_iter()
            .next())
    }
}

/// The observations whose `column` (a name written in the code) is `value`, by start time and
/// id. Sorted here, not in SQL: a trace of 20,000 observations would otherwise copy every row
/// through SQLite's sorter to order ties by id.
async fn observations_where(
    store: &SqlStore,
    project: &ProjectId,
    column: &'static str,
    value: &str,
) -> StoreResult<Vec<StoredObservation>> {
    let sql = Sql::text(format!(
        "SELECT {OBSERVATION_COLUMNS} FROM observations WHERE project_id = $1 AND {column} = $2"
    ))
    .bind(project.as_str())
    .bind(value);
    let rows: Vec<ObservationSqlRow> = store.db.fetch_all(&sql).await?;
    let mut observations = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<StoredObservation>>>()?;
    observations.sort_by(|a, b| (a.row.start_time, &a.row.id).cmp(&(b.row.start_time, &b.row.id)));
    Ok(observations)
}

/// The scores whose `column` (a name written in the code) is `value`, by time and id. Sorted
/// here, not in SQL: with an ORDER BY the planner may walk the project's whole timestamp index
/// instead of the few rows of this trace.
async fn scores_where(
    store: &SqlStore,
    project: &ProjectId,
    column: &'static str,
    value: &str,
) -> StoreResult<Vec<ScoreRow>> {
    let sql = Sql::text(format!(
        "SELECT {SCORE_COLUMNS} FROM scores WHERE project_id = $1 AND {column} = $2"
    ))
    .bind(project.as_str())
    .bind(value);
    let rows: Vec<ScoreSqlRow> = store.db.fetch_all(&sql).await?;
    let mut scores = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<ScoreRow>>>()?;
    scores.sort_by(|a, b| (a.score.timestamp, &a.score.id).cmp(&(b.score.timestamp, &b.score.id)));
    Ok(scores)
}
