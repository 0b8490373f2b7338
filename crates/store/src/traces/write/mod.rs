//! The relational event store's side of the ingestion fold: one transaction per group commit
//! that logs batch events, reads what the fold needs, and upserts the final rows (traces with
//! their sessions, observations, scores). This sqlx writer is PostgreSQL's: a SQLite store always
//! writes through its own connection (`sqlite.rs`). Rows are written as multi-row upserts, one
//! statement per table that binds one array per column; the builder's `VALUES` form for SQLite
//! (statements of at most [`MAX_PARAMS`] values) is only reached by its unit tests.

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
use crate::sql::sqlite_writer::sqlite_error;
use crate::sql::{Arg, Column, Dialect, Sql, SqlStore, Tx, columns};
use crate::traces::stored::{TRACE_COLUMNS, TraceSqlRow};
use crate::{ScoreRow, StoredObservation, StoredTrace};
pub use statements::EncodedObservation;
use statements::*;

/// Most bound values in one statement (SQLite allows 32766, PostgreSQL 65535).
const MAX_PARAMS: usize = 8_000;
/// Columns of [`OBSERVATION_INSERT`].
const OBSERVATION_WIDTH: usize = 29;

/// A write of the PostgreSQL event store: one transaction.
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
        for chunk in ids.chunks(rows_per_statement(self.tx.dialect(), 2)) {
            let sql = select_logged_events(self.tx.dialect(), project, entity, chunk);
            let rows: Vec<EventSqlRow> = self.tx.fetch_all(&sql).await?;
            group_logged_events(entity, rows, &mut grouped)?;
        }
        Ok(grouped)
    }

    async fn append_events(
        &mut self,
        project: &ProjectId,
        events: &[LoggedEvent],
    ) -> StoreResult<()> {
        const WIDTH: usize = 8;
        for chunk in events.chunks(rows_per_statement(self.tx.dialect(), WIDTH)) {
            let chunk: Vec<&LoggedEvent> = chunk.iter().collect();
            let sql = multi_row_insert(
                self.tx.dialect(),
                EVENT_INSERT,
                &chunk,
                |event: &LoggedEvent| event_args(project, event, self.version),
                EVENT_CONFLICT,
            )?;
            self.tx.execute(&sql).await?;
        }
        Ok(())
    }

    async fn traces(&mut self, project: &ProjectId, ids: &[&str]) -> StoreResult<Vec<TraceRow>> {
        let mut traces = Vec::new();
        for chunk in ids.chunks(rows_per_statement(self.tx.dialect(), 2)) {
            let stored = select_traces(&mut self.tx, project, chunk).await?;
            traces.extend(stored.into_iter().map(|stored| stored.row));
        }
        Ok(traces)
    }

    async fn tombstones(
        &mut self,
        project: &ProjectId,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Millis>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(rows_per_statement(self.tx.dialect(), 2)) {
            let mut sql = Sql::new();
            sql.push(
                "SELECT trace_id, deleted_at FROM trace_tombstones WHERE project_id = {} AND ",
                [Arg::from(project.as_str())],
            )
            .push_in("trace_id", chunk.iter().copied());
            let rows: Vec<(String, i64)> = self.tx.fetch_all(&sql).await?;
            found.extend(rows);
        }
        Ok(found)
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

/// A logged event as read: entity id, event id, type, timestamp and the body's JSON text.
pub(super) type EventSqlRow = (String, String, String, i64, String);

/// Adds logged events read from the store to `grouped`, by entity id.
pub(super) fn group_logged_events(
    entity: Entity,
    rows: Vec<EventSqlRow>,
    grouped: &mut HashMap<String, Vec<LoggedEvent>>,
) -> StoreResult<()> {
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
    Ok(())
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

/// Rows per multi-row statement of `width` columns: all of them on PostgreSQL, whose statement
/// binds one array per column however many rows there are ([`multi_row_insert`]); on SQLite as
/// many as [`MAX_PARAMS`] values allow.
fn rows_per_statement(dialect: Dialect, width: usize) -> usize {
    match dialect {
        Dialect::Postgres => usize::MAX,
        Dialect::Sqlite => MAX_PARAMS / width,
    }
}

/// `INSERT INTO table (columns) … <tail>` of `rows`, the values of each from `values`.
///
/// PostgreSQL gets `SELECT * FROM UNNEST($1::text[], $2::bigint[], …) AS u`, one array per
/// column: a statement of a few parameters, parsed and planned as fast for ten thousand rows as
/// for one, where `VALUES` would bind (and PostgreSQL parse and plan) one parameter per value.
/// SQLite has no arrays and gets `VALUES (…), (…)`, one tuple per row.
fn multi_row_insert<T>(
    dialect: Dialect,
    head: &str,
    rows: &[&T],
    values: impl Fn(&T) -> Vec<Arg>,
    tail: &str,
) -> StoreResult<Sql> {
    let mut sql = Sql::text(head);
    match dialect {
        Dialect::Postgres => {
            let columns = columns(rows.iter().map(|row| values(row)))?;
            sql.sql(" SELECT * FROM ").unnest(columns).sql(" AS u");
        }
        Dialect::Sqlite => {
            sql.sql(" VALUES ");
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    sql.sql(", ");
                }
                sql.tuple(values(row));
            }
        }
    }
    sql.sql(" ").sql(tail);
    Ok(sql)
}

/// The logged events of the entities `ids`: one primary-key probe per id on PostgreSQL
/// ([`probe_each`]), `entity_id IN (…)` on SQLite, which plans it on the key.
fn select_logged_events(
    dialect: Dialect,
    project: &ProjectId,
    entity: Entity,
    ids: &[&str],
) -> Sql {
    let mut sql = Sql::new();
    sql.push(
        "SELECT entity_id, event_id, event_type, timestamp, body FROM ingestion_events \
         WHERE project_id = {} AND entity = {}",
        [Arg::from(project.as_str()), Arg::from(entity.as_str())],
    );
    match dialect {
        Dialect::Postgres => probe_each(ids, sql, "entity_id"),
        Dialect::Sqlite => {
            sql.sql(" AND ").push_in("entity_id", ids.iter().copied());
            sql
        }
    }
}

/// `SELECT r.* FROM UNNEST($1::text[]) AS k(id) CROSS JOIN LATERAL (<select> AND <key> = k.id
/// OFFSET 0) AS r`: the rows of `select` (a `SELECT … WHERE …` written in the code) whose `key`
/// is one of `ids`, each id once, as one primary-key probe per id (PostgreSQL).
///
/// `key IN (…)` (or `key = ANY($n)`) on the second column of a primary key lets the planner pick
/// instead an index scan bounded by the first column (the project) with `key` as a filter, and
/// it does on a table without statistics (never analyzed: a new database, autovacuum not yet run
/// or off): it takes 0.5% of the rows per condition, so a project's rows look like a handful,
/// cheaper to filter than hundreds of index descents. sqlx keeps the statement prepared and
/// PostgreSQL its generic plan, so the choice made while the table was small stayed as it grew:
/// every group read all the project's events (or traces), and a batch run slowed with each
/// group (100,000 events: groups of 0.4 s at the start, 3 s at the end) until an `ANALYZE`
/// replaced the plan. The `LATERAL` subquery, which `OFFSET 0` keeps from being flattened into
/// a join, compares `key` with one value, which is always an index condition. Analyzing after
/// migration would not help: a table analyzed empty is planned as empty, a scan per probe,
/// until autovacuum analyzes it again.
fn probe_each(ids: &[&str], select: Sql, key: &str) -> Sql {
    // Each id once: a repeated probe would return its rows twice.
    let mut unique: Vec<&str> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let ids = unique.into_iter().map(|id| Some(id.to_owned())).collect();
    let mut sql = Sql::new();
    sql.sql("SELECT r.* FROM ")
        .unnest(vec![Column::Text(ids)])
        .sql(" AS k(id) CROSS JOIN LATERAL (")
        .append(select)
        .sql(" AND ")
        .sql(key)
        .sql(" = k.id OFFSET 0) AS r");
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
    .arg(project.as_str());
    let sql = match tx.dialect() {
        Dialect::Postgres => probe_each(ids, sql, "id"),
        Dialect::Sqlite => {
            sql.sql(" AND ").push_in("id", ids.iter().copied());
            sql
        }
    };
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
    for chunk in rows.chunks(rows_per_statement(tx.dialect(), WIDTH)) {
        let sql = multi_row_insert(
            tx.dialect(),
            PLACEHOLDER_TRACE_INSERT,
            chunk,
            |row: &TraceRow| placeholder_trace_args(project, row, version),
            PLACEHOLDER_TRACE_CONFLICT,
        )?;
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
    for chunk in rows.chunks(rows_per_statement(tx.dialect(), WIDTH)) {
        let sql = multi_row_insert(
            tx.dialect(),
            TRACE_INSERT,
            chunk,
            |row: &TraceRow| trace_args(project, row, version, PayloadCodec::Plain),
            TRACE_CONFLICT,
        )?;
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
    for chunk in sessions.chunks(rows_per_statement(tx.dialect(), 4)) {
        let sql = multi_row_insert(
            tx.dialect(),
            SESSION_INSERT,
            chunk,
            |row: &&TraceRow| session_args(project, row, version),
            SESSION_CONFLICT,
        )?;
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
    let with_payload = observations
        .iter()
        .filter(|o| o.payload().is_some())
        .count();
    let mut keys = payload_keys(tx, with_payload).await?.into_iter();
    let keyed: Vec<(Option<i64>, &EncodedObservation)> = observations
        .iter()
        .map(|observation| (observation.payload().and_then(|_| keys.next()), observation))
        .collect();
    let payloads: Vec<(i64, &EncodedObservation)> = keyed
        .iter()
        .filter_map(|(key, observation)| Some(((*key)?, *observation)))
        .collect();
    let payloads: Vec<&(i64, &EncodedObservation)> = payloads.iter().collect();
    for chunk in payloads.chunks(rows_per_statement(tx.dialect(), 3)) {
        let sql = multi_row_insert(
            tx.dialect(),
            PAYLOAD_INSERT,
            chunk,
            |(key, observation): &(i64, &EncodedObservation)| observation.payload_args(*key),
            "",
        )?;
        tx.execute(&sql).await?;
    }
    let refs: Vec<&(Option<i64>, &EncodedObservation)> = keyed.iter().collect();
    for chunk in refs.chunks(rows_per_statement(tx.dialect(), OBSERVATION_WIDTH)) {
        let sql = multi_row_insert(
            tx.dialect(),
            OBSERVATION_INSERT,
            chunk,
            |(key, observation): &(Option<i64>, &EncodedObservation)| {
                observation.row_args(version, *key)
            },
            OBSERVATION_CONFLICT,
        )?;
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// `count` new payload keys from PostgreSQL's sequence, in one statement (migration 0028).
async fn payload_keys(tx: &mut Tx, count: usize) -> StoreResult<Vec<i64>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let sql = Sql::text(
        "SELECT nextval('observation_payloads_payload_id_seq') FROM generate_series(1, $1)",
    )
    .bind(count as i64);
    let keys: Vec<(i64,)> = tx.fetch_all(&sql).await?;
    Ok(keys.into_iter().map(|(key,)| key).collect())
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
    for chunk in scores.chunks(rows_per_statement(tx.dialect(), WIDTH)) {
        let sql = multi_row_insert(
            tx.dialect(),
            SCORE_INSERT,
            chunk,
            |score: &ScorePatch| score_args(project, score, version),
            SCORE_CONFLICT,
        )?;
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
    let text = format!(
        "SELECT {} FROM observations WHERE project_id = $1 AND {column} = $2",
        *OBSERVATION_COLUMNS
    );
    let rows: Vec<ObservationSqlRow> = match &store.sqlite_readers {
        Some(readers) => readers.run(|connection| {
            let mut statement = connection.prepare_cached(&text).map_err(sqlite_error)?;
            let rows = statement
                .query_map((project.as_str(), value), ObservationSqlRow::from_sqlite)
                .map_err(sqlite_error)?;
            rows.collect::<Result<_, _>>().map_err(sqlite_error)
        })?,
        None => {
            let sql = Sql::text(text).bind(project.as_str()).bind(value);
            store.db.fetch_all(&sql).await?
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Db;

    const HEAD: &str = "INSERT INTO wide (id, n, x, flag, note, at)";
    const TAIL: &str = "ON CONFLICT (id) DO UPDATE SET n = excluded.n, note = excluded.note";

    /// A row of every type, its last two values NULL in every row.
    fn row(i: i64) -> Vec<Arg> {
        vec![
            Arg::from(format!("r{i}")),
            Arg::from(i),
            Arg::from(i as f64 / 2.0),
            Arg::from(i % 2 == 0),
            Arg::Text(None),
            Arg::Int(None),
        ]
    }

    #[test]
    fn postgres_binds_an_array_per_column_and_sqlite_a_value_per_value() {
        let rows = [row(1), row(2)];
        let rows: Vec<&Vec<Arg>> = rows.iter().collect();
        let postgres = multi_row_insert(Dialect::Postgres, HEAD, &rows, Vec::clone, TAIL).unwrap();
        assert_eq!(
            postgres.render(Dialect::Postgres),
            format!(
                "{HEAD} SELECT * FROM UNNEST($1::text[], $2::bigint[], \
                 $3::double precision[], $4::boolean[], $5::text[], $6::bigint[]) AS u {TAIL}"
            )
        );
        assert_eq!(postgres.args().len(), 6);
        assert_eq!(
            postgres.args()[4],
            Arg::Array(Column::Text(vec![None, None]))
        );
        let sqlite = multi_row_insert(Dialect::Sqlite, HEAD, &rows, Vec::clone, TAIL).unwrap();
        assert!(
            sqlite
                .render(Dialect::Sqlite)
                .contains(" VALUES (?, ?, ?, ?, ?, ?), (?, ")
        );
        assert_eq!(sqlite.args().len(), 12);
    }

    fn probe(ids: &[&str]) -> Sql {
        let mut select = Sql::new();
        select.push(
            "SELECT key, n FROM probed WHERE project_id = {} AND entity = {}",
            [Arg::from("p"), Arg::from("observation")],
        );
        probe_each(ids, select, "key")
    }

    #[test]
    fn lookups_by_id_probe_each_id_once() {
        let sql = probe(&["b", "a", "b"]);
        assert_eq!(
            sql.render(Dialect::Postgres),
            "SELECT r.* FROM UNNEST($1::text[]) AS k(id) CROSS JOIN LATERAL (SELECT key, n FROM \
             probed WHERE project_id = $2 AND entity = $3 AND key = k.id OFFSET 0) AS r"
        );
        let ids = Column::Text(vec![Some("a".into()), Some("b".into())]);
        assert_eq!(sql.args()[0], Arg::Array(ids));
    }

    /// The planner problem of [`probe_each`]: on a table that was never analyzed, the id is
    /// still an index condition of each probe.
    #[tokio::test]
    async fn probes_are_index_lookups_without_statistics() {
        let Some(database) = crate::testing::empty_postgres().await else {
            return;
        };
        let db = Db::Postgres(sqlx::PgPool::connect(&database.url).await.unwrap());
        let create = "CREATE TABLE probed (project_id TEXT, key TEXT, entity TEXT, n BIGINT, \
                      PRIMARY KEY (project_id, key, entity, n))";
        db.execute(&Sql::text(create)).await.unwrap();
        let fill = "INSERT INTO probed SELECT 'p', md5(g::text), 'observation', g \
                    FROM generate_series(1, 20000) g";
        db.execute(&Sql::text(fill)).await.unwrap();
        let keys: Vec<String> = (1..=500).map(|n| format!("{n}")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut explain = Sql::text("EXPLAIN ");
        explain.append(probe(&keys));
        let plan: Vec<(String,)> = db.fetch_all(&explain).await.unwrap();
        let plan: Vec<String> = plan.into_iter().map(|(line,)| line).collect();
        assert!(
            plan.iter()
                .any(|line| line.contains("Index Cond") && line.contains("k.id")),
            "{plan:#?}"
        );
        db.close().await;
    }

    #[tokio::test]
    async fn thousands_of_rows_upsert_in_one_postgres_statement() {
        let Some(database) = crate::testing::empty_postgres().await else {
            return;
        };
        let db = Db::Postgres(sqlx::PgPool::connect(&database.url).await.unwrap());
        let create = "CREATE TABLE wide (id TEXT PRIMARY KEY, n BIGINT, x DOUBLE PRECISION, \
                      flag BOOLEAN, note TEXT, at BIGINT)";
        db.execute(&Sql::text(create)).await.unwrap();
        // 30,000 values: more than a statement of scalar parameters may bind.
        let rows: Vec<Vec<Arg>> = (0..5_000).map(row).collect();
        let rows: Vec<&Vec<Arg>> = rows.iter().collect();
        for _ in 0..2 {
            // The second time, every row conflicts and is updated.
            let mut tx = db.begin().await.unwrap();
            let sql = multi_row_insert(tx.dialect(), HEAD, &rows, Vec::clone, TAIL).unwrap();
            assert_eq!(tx.execute(&sql).await.unwrap(), 5_000);
            tx.commit().await.unwrap();
        }
        let read = Sql::text("SELECT id, n, x, flag, note, at FROM wide ORDER BY n");
        type Wide = (String, i64, f64, bool, Option<String>, Option<i64>);
        let stored: Vec<Wide> = db.fetch_all(&read).await.unwrap();
        assert_eq!(stored.len(), 5_000);
        assert_eq!(
            stored[4_999],
            ("r4999".into(), 4_999, 2_499.5, false, None, None)
        );
        db.close().await;
    }
}
