//! The SQLite event writer: one connection of its own, on one thread of its own, that the
//! ingestion fold's writes run on ([`crate::traces::write`]). It is not shared with readers (the
//! sqlx pool), keeps its prepared statements across writes, runs a whole step of a write in one
//! hand-off to its thread (not one per statement), and has a page cache sized for B-tree inserts.
//!
//! The WAL is kept small without stalling the writer: a second thread checkpoints (`PASSIVE`,
//! which never blocks writers or readers) whenever the WAL has frames it has not copied, and once
//! the WAL has grown past [`WAL_RESTART_FRAMES`] the writer finishes the copy of the last few
//! frames itself between two writes, so that its next write starts the WAL over from the
//! beginning and SQLite cuts the file back to `journal_size_limit`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak, mpsc};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqliteValue};
use rusqlite::{Connection, ToSql};

use super::query::Arg;
use super::sqlite::{Synchronous, WAL_SIZE_LIMIT_BYTES};
use crate::error::{StoreError, StoreResult};

/// The writer's page cache, in KiB: the upper levels of every index it inserts into stay in
/// memory.
const WRITER_CACHE_KIB: u32 = 64 * 1024;
/// Prepared statements the writer keeps.
const STATEMENT_CACHE: usize = 64;
/// WAL frames (pages) after which the writer completes a checkpoint itself.
const WAL_RESTART_FRAMES: i64 = 8 * 1024;
/// How long the checkpoint thread waits when the WAL has nothing new to copy.
const CHECKPOINT_IDLE: Duration = Duration::from_millis(50);

type Job = Box<dyn FnOnce(&mut Connection, &WalLength) + Send>;

/// The WAL's length in frames as the checkpoint thread last saw it.
#[derive(Debug, Default)]
pub(crate) struct WalLength(AtomicI64);

/// A handle on the writer thread; cloning it shares the thread. The thread ends when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
    /// Held for the length of one write transaction.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteWriter {
    /// Opens the writer's connection on `path` (already created and migrated by the pool) and
    /// starts its thread and the checkpoint thread.
    pub(crate) fn open(path: &Path, synchronous: Synchronous) -> StoreResult<SqliteWriter> {
        let connection = open_connection(path, synchronous, WRITER_CACHE_KIB)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let (jobs, queue) = mpsc::channel::<Job>();
        // The checkpoint thread runs while the writer thread holds this.
        let alive = Arc::new(());
        let writer_alive = Arc::downgrade(&alive);
        let checkpointer = open_connection(path, synchronous, 1024)?;
        let wal = Arc::new(WalLength::default());
        let writer_wal = wal.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(connection, queue, writer_wal, alive))
            .map_err(|e| StoreError::Database(format!("cannot start the SQLite writer: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, wal, writer_alive))
            .map_err(|e| StoreError::Database(format!("cannot start the checkpointer: {e}")))?;
        Ok(SqliteWriter {
            jobs,
            turn: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Waits until no other write transaction is open on the writer; hold the guard for the
    /// length of one.
    pub(crate) async fn take_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.turn.clone().lock_owned().await
    }

    /// Runs `work` on the writer's connection and returns its result.
    pub(crate) async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &WalLength) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |connection: &mut Connection, wal: &WalLength| {
                let _ = reply.send(work(connection, wal));
            }))
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?
    }

    /// Queues `work` without waiting for it (a rollback from a destructor).
    pub(crate) fn spawn(&self, work: impl FnOnce(&mut Connection) + Send + 'static) {
        let _ = self
            .jobs
            .send(Box::new(move |connection: &mut Connection, _: &WalLength| {
                work(connection)
            }));
    }
}

fn run(
    mut connection: Connection,
    queue: mpsc::Receiver<Job>,
    wal: Arc<WalLength>,
    _alive: Arc<()>,
) {
    while let Ok(job) = queue.recv() {
        job(&mut connection, &wal);
    }
}

/// Copies WAL frames into the database file for as long as the writer thread runs.
fn checkpoint_loop(connection: Connection, wal: Arc<WalLength>, writer_alive: Weak<()>) {
    while writer_alive.strong_count() > 0 {
        let checkpoint = passive_checkpoint(&connection);
        if let Ok((frames, _)) = checkpoint {
            wal.0.store(frames, Ordering::Relaxed);
        }
        match checkpoint {
            Ok((frames, copied)) if copied < frames => {}
            Ok(_) => std::thread::sleep(CHECKPOINT_IDLE),
            Err(error) => {
                tracing::warn!(%error, "WAL checkpoint failed");
                std::thread::sleep(CHECKPOINT_IDLE);
            }
        }
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: (frames in the WAL, frames copied).
fn passive_checkpoint(connection: &Connection) -> rusqlite::Result<(i64, i64)> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    })
}

/// After a commit: when the WAL has grown long (the checkpoint thread cannot catch up while
/// writes keep coming), copies what it has not yet copied, so that the next write restarts the
/// WAL.
pub(crate) fn restart_wal_when_long(connection: &Connection, wal: &WalLength) {
    if wal.0.load(Ordering::Relaxed) <= WAL_RESTART_FRAMES {
        return;
    }
    match passive_checkpoint(connection) {
        Ok(_) => wal.0.store(0, Ordering::Relaxed),
        Err(error) => tracing::warn!(%error, "WAL checkpoint by the writer failed"),
    }
}

fn open_connection(
    path: &Path,
    synchronous: Synchronous,
    cache_kib: u32,
) -> StoreResult<Connection> {
    let connection = Connection::open(PathBuf::from(path)).map_err(sqlite_error)?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(sqlite_error)?;
    let synchronous = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; \
             PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}; \
             PRAGMA cache_size = -{cache_kib}; PRAGMA temp_store = MEMORY;"
        ))
        .map_err(sqlite_error)?;
    Ok(connection)
}

/// A rusqlite error as a store error: busy and locked databases and I/O failures are
/// [`StoreError::Unavailable`], constraint failures keep their kind.
pub(crate) fn sqlite_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::SystemIoFailure) => {
            StoreError::Unavailable(error.to_string())
        }
        Some(ErrorCode::ConstraintViolation) => {
            let message = error.to_string();
            if message.contains("FOREIGN KEY") {
                StoreError::ForeignKeyViolation(message)
            } else {
                StoreError::UniqueViolation(message)
            }
        }
        _ => StoreError::Database(error.to_string()),
    }
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Array(_) => {
                let error = "SQLite has no array parameters".into();
                return Err(rusqlite::Error::ToSqlConversionFailure(error));
            }
            Arg::Text(Some(text)) => ToSqlOutput::Borrowed(text.as_str().into()),
            Arg::Int(Some(value)) => ToSqlOutput::Owned(SqliteValue::Integer(*value)),
            Arg::Float(Some(value)) => ToSqlOutput::Owned(SqliteValue::Real(*value)),
            Arg::Bool(Some(value)) => ToSqlOutput::Owned(SqliteValue::Integer(i64::from(*value))),
            Arg::Text(None) | Arg::Int(None) | Arg::Float(None) | Arg::Bool(None) => {
                ToSqlOutput::Owned(SqliteValue::Null)
            }
        })
    }
}
