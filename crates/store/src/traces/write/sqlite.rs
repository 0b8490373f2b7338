//! The event write on SQLite's dedicated writer connection ([`SqliteWriter`]): one `BEGIN
//! IMMEDIATE` transaction per group commit. The values of every row are built on the calling
//! task; the writer thread only binds them to prepared single-row statements (kept across
//! writes) and steps them, each step of the write (a read the fold needs, the put, the commit)
//! in one hand-off to its thread.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use sightline_domain::ProjectId;
use sightline_domain::ingest::{ScorePatch, TraceRow};
use sightline_domain::time::Millis;
use tokio::sync::OwnedMutexGuard;

use super::EncodedObservation;
use super::statements::*;
use super::{
    EntityKey, EventRows, EventSqlRow, EventWrite, LoggedEvent, encoded_observations,
    group_logged_events, last_per_key,
};
use crate::StoredTrace;
use crate::error::StoreResult;
use crate::observations::payload::PayloadCodec;
use crate::sql::Arg;
use crate::sql::sqlite_writer::{SqliteWriter, WalLength, restart_wal_when_long, sqlite_error};
use crate::traces::Entity;
use crate::traces::stored::{TRACE_COLUMNS, TraceSqlRow};

/// One write: the transaction begins with its first step on the writer thread, and its
/// writes wait on the calling side until a read needs them or the commit, so that a group
/// commit of OTel spans takes two hand-offs (its reads, then its writes and the commit).
struct SqliteEventWrite {
    writer: SqliteWriter,
    version: Millis,
    /// Writes not yet sent to the writer thread, in order.
    pending: Vec<Pending>,
    /// Whether a step has been sent (the transaction may be open).
    begun: bool,
    committed: bool,
    _turn: OwnedMutexGuard<()>,
}

enum Pending {
    Events(Vec<Vec<Arg>>),
    Rows(PutValues),
}

impl Pending {
    fn write(&self, connection: &Connection) -> StoreResult<()> {
        match self {
            Pending::Events(values) => {
                upsert_each(connection, EVENT_INSERT, EVENT_CONFLICT, values)
            }
            Pending::Rows(values) => values.write(connection),
        }
    }
}

pub(super) async fn begin(
    writer: &SqliteWriter,
    version: Millis,
) -> StoreResult<Box<dyn EventWrite>> {
    let turn = writer.take_turn().await;
    Ok(Box::new(SqliteEventWrite {
        writer: writer.clone(),
        version,
        pending: Vec::new(),
        begun: false,
        committed: false,
        _turn: turn,
    }))
}

impl SqliteEventWrite {
    /// Runs `work` on the writer thread inside this write's transaction, after the writes still
    /// pending (beginning the transaction first if this is the first step).
    async fn step<T, F>(&mut self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &WalLength) -> StoreResult<T> + Send + 'static,
    {
        let begin = !self.begun;
        self.begun = true;
        let pending = std::mem::take(&mut self.pending);
        self.writer
            .run(move |connection, wal| {
                if begin {
                    connection
                        .execute_batch("BEGIN IMMEDIATE")
                        .map_err(sqlite_error)?;
                }
                for write in &pending {
                    write.write(connection)?;
                }
                work(connection, wal)
            })
            .await
    }
}

impl Drop for SqliteEventWrite {
    fn drop(&mut self) {
        if self.begun && !self.committed {
            // Runs before the turn is released (fields drop after this), so the next write
            // begins after the rollback.
            self.writer.run_in_drop(|connection| {
                if connection.is_autocommit() {
                    return;
                }
                if let Err(error) = connection.execute_batch("ROLLBACK") {
                    tracing::warn!(%error, "rollback of an abandoned event write failed");
                }
            });
        }
    }
}

/// `{head} VALUES (?1, …, ?width) {tail}`.
fn single_row(head: &str, width: usize, tail: &str) -> String {
    let slots: Vec<String> = (1..=width).map(|n| format!("?{n}")).collect();
    format!("{head} VALUES ({}) {tail}", slots.join(", "))
}

/// Runs a prepared statement once per row of values.
fn run_each(connection: &Connection, sql: &str, rows: &[Vec<Arg>]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut statement = connection.prepare_cached(sql).map_err(sqlite_error)?;
    for row in rows {
        statement
            .execute(params_from_iter(row.iter()))
            .map_err(sqlite_error)?;
    }
    Ok(())
}

/// Runs a prepared single-row upsert once per row.
fn upsert_each(
    connection: &Connection,
    head: &str,
    tail: &str,
    rows: &[Vec<Arg>],
) -> StoreResult<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    run_each(connection, &single_row(head, first.len(), tail), rows)
}

/// The values of every row a put writes, in statement order.
struct PutValues {
    version: Millis,
    placeholder_traces: Vec<Vec<Arg>>,
    observations: Vec<EncodedObservation>,
    traces: Vec<Vec<Arg>>,
    sessions: Vec<Vec<Arg>>,
    scores: Vec<Vec<Arg>>,
}

impl PutValues {
    fn new(project: &ProjectId, rows: &EventRows, version: Millis) -> PutValues {
        let traces = last_per_key(&rows.traces, |row: &TraceRow| row.id.as_str());
        let with_session: Vec<&TraceRow> = traces
            .iter()
            .copied()
            .filter(|row| row.session_id.is_some())
            .collect();
        let sessions = last_per_key(&with_session, |row| {
            row.session_id.as_deref().unwrap_or_default()
        });
        PutValues {
            version,
            observations: encoded_observations(project, rows, PayloadCodec::Zstd),
            placeholder_traces: last_per_key(&rows.placeholder_traces, |row: &TraceRow| {
                row.id.as_str()
            })
            .into_iter()
            .map(|row| placeholder_trace_args(project, row, version))
            .collect(),
            traces: traces
                .iter()
                .map(|row| trace_args(project, row, version, PayloadCodec::Zstd))
                .collect(),
            sessions: sessions
                .into_iter()
                .map(|row| session_args(project, row, version))
                .collect(),
            scores: last_per_key(&rows.scores, |score: &ScorePatch| score.id.as_str())
                .into_iter()
                .map(|score| score_args(project, score, version))
                .collect(),
        }
    }

    fn write(&self, connection: &Connection) -> StoreResult<()> {
        upsert_each(
            connection,
            PLACEHOLDER_TRACE_INSERT,
            PLACEHOLDER_TRACE_CONFLICT,
            &self.placeholder_traces,
        )?;
        self.write_observations(connection)?;
        upsert_each(connection, TRACE_INSERT, TRACE_CONFLICT, &self.traces)?;
        upsert_each(connection, SESSION_INSERT, SESSION_CONFLICT, &self.sessions)?;
        upsert_each(connection, SCORE_INSERT, SCORE_CONFLICT, &self.scores)
    }
}

impl PutValues {
    /// The observations and their payloads (each payload first, so that its row points at
    /// it), bound from the encoded values without copies.
    fn write_observations(&self, connection: &Connection) -> StoreResult<()> {
        let Some(first) = self.observations.first() else {
            return Ok(());
        };
        let version = Arg::from(self.version);
        let mut rows = connection
            .prepare_cached(&single_row(
                OBSERVATION_INSERT,
                first.values().len() + 3,
                OBSERVATION_CONFLICT,
            ))
            .map_err(sqlite_error)?;
        let mut payloads = connection
            .prepare_cached(&single_row(PAYLOAD_INSERT, 3, ""))
            .map_err(sqlite_error)?;
        for observation in &self.observations {
            // A NULL key takes the next integer.
            let payload_id = match observation.payload() {
                Some((input, output)) => {
                    payloads
                        .execute((None::<i64>, input, output))
                        .map_err(sqlite_error)?;
                    Some(connection.last_insert_rowid())
                }
                None => None,
            };
            let payload_id = Arg::from(payload_id);
            let values = observation
                .values()
                .iter()
                .chain([&version, &version, &payload_id]);
            rows.execute(params_from_iter(values))
                .map_err(sqlite_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl EventWrite for SqliteEventWrite {
    async fn lock(&mut self, _keys: &[EntityKey]) -> StoreResult<()> {
        // One process writes the file, and `BEGIN IMMEDIATE` serialises its writes.
        Ok(())
    }

    async fn logged_events(
        &mut self,
        project: &ProjectId,
        entity: Entity,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Vec<LoggedEvent>>> {
        let project = project.to_string();
        let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        let rows: Vec<EventSqlRow> = self
            .step(move |connection, _| {
                let mut statement = connection
                    .prepare_cached(
                        "SELECT entity_id, event_id, event_type, timestamp, body \
                         FROM ingestion_events \
                         WHERE project_id = ?1 AND entity = ?2 AND entity_id = ?3",
                    )
                    .map_err(sqlite_error)?;
                let mut rows = Vec::new();
                for id in &ids {
                    let found = statement
                        .query_map((&project, entity.as_str(), id), |row| {
                            Ok((
                                row.get(0)?,
                                row.get(1)?,
                                row.get(2)?,
                                row.get(3)?,
                                row.get(4)?,
                            ))
                        })
                        .map_err(sqlite_error)?;
                    for row in found {
                        rows.push(row.map_err(sqlite_error)?);
                    }
                }
                Ok(rows)
            })
            .await?;
        let mut grouped: HashMap<String, Vec<LoggedEvent>> = HashMap::new();
        group_logged_events(entity, rows, &mut grouped)?;
        Ok(grouped)
    }

    async fn append_events(
        &mut self,
        project: &ProjectId,
        events: &[LoggedEvent],
    ) -> StoreResult<()> {
        let values: Vec<Vec<Arg>> = events
            .iter()
            .map(|event| event_args(project, event, self.version))
            .collect();
        self.pending.push(Pending::Events(values));
        Ok(())
    }

    async fn traces(&mut self, project: &ProjectId, ids: &[&str]) -> StoreResult<Vec<TraceRow>> {
        let project = project.to_string();
        let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        let rows: Vec<TraceSqlRow> = self
            .step(move |connection, _| {
                let mut statement = connection
                    .prepare_cached(&format!(
                        "SELECT {TRACE_COLUMNS} FROM traces WHERE project_id = ?1 AND id = ?2"
                    ))
                    .map_err(sqlite_error)?;
                let mut rows = Vec::new();
                for id in &ids {
                    let found = statement
                        .query_map((&project, id), TraceSqlRow::from_sqlite)
                        .map_err(sqlite_error)?;
                    for row in found {
                        rows.push(row.map_err(sqlite_error)?);
                    }
                }
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(|row| StoredTrace::try_from(row).map(|stored| stored.row))
            .collect()
    }

    async fn tombstones(
        &mut self,
        project: &ProjectId,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Millis>> {
        let project = project.to_string();
        let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        self.step(move |connection, _| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT deleted_at FROM trace_tombstones WHERE project_id = ?1 AND trace_id = ?2",
                )
                .map_err(sqlite_error)?;
            let mut found = HashMap::new();
            for id in ids {
                let deleted_at: Option<i64> = statement
                    .query_row((&project, &id), |row| row.get(0))
                    .optional()
                    .map_err(sqlite_error)?;
                if let Some(at) = deleted_at {
                    found.insert(id, at);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn put(&mut self, project: &ProjectId, rows: &EventRows) -> StoreResult<()> {
        self.pending
            .push(Pending::Rows(PutValues::new(project, rows, self.version)));
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.step(|connection, wal| {
            connection.execute_batch("COMMIT").map_err(sqlite_error)?;
            restart_wal_when_long(connection, wal);
            Ok(())
        })
        .await?;
        self.committed = true;
        Ok(())
    }
}
