//! The SQLite event writer: one connection of its own that the ingestion fold's writes run on
//! ([`crate::traces::write`]). It is not shared with readers (the sqlx pool), keeps its prepared
//! statements across writes, and has a page cache sized for B-tree inserts. Its statements run
//! on the calling task's thread (`block_in_place`), not handed to another thread: on two cores
//! busy parsing requests, every wake-up of another thread costs milliseconds, and the writer's
//! latency is the ingestion rate.
//!
//! The WAL is kept small without stalling the writer: a second thread checkpoints (`PASSIVE`,
//! which never blocks writers or readers) every [`CHECKPOINT_PAUSE`], back to back once the WAL
//! is half of [`WAL_RESTART_FRAMES`] long, and once the WAL has grown
//! past [`WAL_RESTART_FRAMES`] the writer finishes the copy of the last frames itself between
//! two writes, so that its next write starts the WAL over from the beginning and SQLite cuts the
//! file back to `journal_size_limit`. After about half a second without writes the checkpoint
//! thread truncates the WAL file. Nothing can be copied while a pass waits for the fsync of the
//! database file, which takes seconds when the disk falls behind; should the WAL file pass
//! [`WAL_CAP_BYTES`] meanwhile, the writer waits for a whole checkpoint before it writes on, so
//! that the WAL on disk stays bounded under sustained ingestion.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqliteValue};
use rusqlite::{Connection, ToSql};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::query::Arg;
use super::sqlite::{Synchronous, WAL_SIZE_LIMIT_BYTES};
use crate::error::{StoreError, StoreResult};

/// The writer's page cache, in KiB: the upper levels of every index it inserts into stay in
/// memory.
const WRITER_CACHE_KIB: u32 = 64 * 1024;
/// Prepared statements the writer keeps.
const STATEMENT_CACHE: usize = 64;
/// WAL frames (pages) after which the writer completes a checkpoint itself.
const WAL_RESTART_FRAMES: i64 = 16 * 1024;
/// The WAL file's length past which the writer waits for a whole checkpoint before it writes
/// on ([`wait_for_restart`]): the bound of the WAL on disk under sustained ingestion.
const WAL_CAP_BYTES: u64 = 4 * WAL_SIZE_LIMIT_BYTES;
/// The longest the writer waits for that checkpoint.
const WAL_CAP_WAIT: Duration = Duration::from_secs(30);
/// The pause between its attempts (another checkpoint holds the lock).
const WAL_CAP_RETRY: Duration = Duration::from_millis(20);
/// The pause after each checkpoint pass.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(100);
/// Idle checkpoints (nothing new in the WAL) after which the WAL file is cut to nothing: about
/// half a second without writes.
const IDLE_BEFORE_TRUNCATE: u32 = 5;

/// The WAL's length in frames as the checkpoint thread last saw it.
#[derive(Debug, Default)]
pub(crate) struct WalLength(AtomicI64);

/// The writer's connection (`None` once closed) and what the checkpoint thread tells it.
#[derive(Debug)]
struct Shared {
    connection: Mutex<Option<Connection>>,
    wal: WalLength,
    closed: AtomicBool,
}

/// Connections for reads of many rows (a trace's observations), which rusqlite decodes in place
/// on the calling thread: through sqlx each row would cross threads and copy every value.
#[derive(Debug)]
pub(crate) struct SqliteReaders {
    connections: Vec<Mutex<Option<Connection>>>,
}

/// Readers kept for large reads; more concurrent ones wait for a turn.
const LARGE_READERS: usize = 2;

impl SqliteReaders {
    pub(crate) fn open(path: &Path, synchronous: Synchronous) -> StoreResult<SqliteReaders> {
        let connections = (0..LARGE_READERS)
            .map(|_| {
                let connection = open_connection(path, synchronous, 8 * 1024)?;
                connection
                    .execute_batch("PRAGMA query_only = ON;")
                    .map_err(sqlite_error)?;
                Ok(Mutex::new(Some(connection)))
            })
            .collect::<StoreResult<_>>()?;
        Ok(SqliteReaders { connections })
    }

    /// Runs `work` on a free reader (the first one when all are busy), on this thread as
    /// [`SqliteWriter::run`] does.
    pub(crate) fn run<T>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let call = || {
            let guard = self
                .connections
                .iter()
                .find_map(|connection| connection.try_lock().ok())
                .unwrap_or_else(|| {
                    self.connections[0]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                });
            match guard.as_ref() {
                Some(connection) => work(connection),
                None => Err(StoreError::Unavailable("the store is closed".into())),
            }
        };
        match Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(call),
            _ => call(),
        }
    }
}

impl SqliteReaders {
    /// Closes the readers: later reads are refused.
    pub(crate) fn close(&self) {
        for connection in &self.connections {
            drop(
                connection
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take(),
            );
        }
    }
}

/// A handle on the writer's connection; clones share it. The checkpoint thread stops when the
/// last handle is dropped or the writer is closed.
#[derive(Debug, Clone)]
pub(crate) struct SqliteWriter {
    shared: Arc<Shared>,
    /// Held for the length of one write transaction.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteWriter {
    /// Opens the writer's connection on `path` (already created by the pool) and starts the
    /// checkpoint thread.
    pub(crate) fn open(path: &Path, synchronous: Synchronous) -> StoreResult<SqliteWriter> {
        let connection = open_connection(path, synchronous, WRITER_CACHE_KIB)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let shared = Arc::new(Shared {
            connection: Mutex::new(Some(connection)),
            wal: WalLength::default(),
            closed: AtomicBool::new(false),
        });
        let checkpointer = open_connection(path, synchronous, 1024)?;
        let watched = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, watched))
            .map_err(|e| StoreError::Database(format!("cannot start the checkpointer: {e}")))?;
        Ok(SqliteWriter {
            shared,
            turn: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Waits until no other write transaction is open on the writer; hold the guard for the
    /// length of one.
    pub(crate) async fn take_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.turn.clone().lock_owned().await
    }

    /// Runs `work` on the writer's connection, on this thread: with `block_in_place` on a
    /// multi-threaded runtime (its other tasks move to another worker meanwhile), inline on a
    /// current-thread one (tests).
    pub(crate) async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &WalLength) -> StoreResult<T> + Send + 'static,
    {
        let call = || self.with_connection(work);
        match Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(call),
            _ => call(),
        }
    }

    fn with_connection<T>(
        &self,
        work: impl FnOnce(&mut Connection, &WalLength) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut connection = self
            .shared
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match connection.as_mut() {
            Some(connection) => work(connection, &self.shared.wal),
            None => Err(StoreError::Unavailable("the store is closed".into())),
        }
    }

    /// Ends the writer: later work is refused, and the connection closes (which checkpoints
    /// the WAL when no other connection is open).
    pub(crate) fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        let connection = self
            .shared
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(connection);
    }

    /// Runs `work` on the connection now, if it is open, ignoring errors (a rollback from a
    /// destructor).
    pub(crate) fn run_in_drop(&self, work: impl FnOnce(&mut Connection) + Send + 'static) {
        let _ = self.with_connection(|connection, _| {
            work(connection);
            Ok(())
        });
    }
}

/// Copies WAL frames into the database file for as long as the writer thread runs, and cuts the
/// WAL file to nothing once writes have paused for about a second.
fn checkpoint_loop(connection: Connection, writer: Weak<Shared>) {
    let mut idle = 0;
    loop {
        let checkpoint = passive_checkpoint(&connection);
        let nearing_restart =
            matches!(checkpoint, Ok((frames, _)) if frames > WAL_RESTART_FRAMES / 2);
        match writer.upgrade() {
            Some(shared) if !shared.closed.load(Ordering::Acquire) => {
                if let Ok((frames, _)) = checkpoint {
                    shared.wal.0.store(frames, Ordering::Relaxed);
                }
            }
            _ => return,
        }
        match checkpoint {
            Ok((frames, copied)) if copied < frames => idle = 0,
            Ok((frames, _)) => {
                idle = if frames > 0 { idle + 1 } else { 0 };
                if idle >= IDLE_BEFORE_TRUNCATE {
                    idle = 0;
                    // Waits (busy timeout) for a write that has just begun; they are rare here.
                    if let Err(error) =
                        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    {
                        tracing::warn!(%error, "WAL truncate failed");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed"),
        }
        // Each pass ends with an fsync of the database file: passes are spaced so that they do
        // not queue the writer's own fsyncs behind them, unless the WAL is nearing the length
        // at which the writer would finish the copy itself (`restart_wal_when_long`): then the
        // next pass starts at once, so that the writer finds nothing left to copy.
        if !nearing_restart {
            std::thread::sleep(CHECKPOINT_PAUSE);
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
/// WAL. When the WAL file has grown past [`WAL_CAP_BYTES`] anyway, waits for a whole checkpoint
/// first ([`wait_for_restart`]).
pub(crate) fn restart_wal_when_long(connection: &Connection, wal: &WalLength) {
    if wal_file_bytes(connection) > WAL_CAP_BYTES {
        wait_for_restart(connection);
        wal.0.store(0, Ordering::Relaxed);
        return;
    }
    if wal.0.load(Ordering::Relaxed) <= WAL_RESTART_FRAMES {
        return;
    }
    match passive_checkpoint(connection) {
        Ok(_) => wal.0.store(0, Ordering::Relaxed),
        Err(error) => tracing::warn!(%error, "WAL checkpoint by the writer failed"),
    }
}

/// The length of the connection's WAL file (0 when there is none).
fn wal_file_bytes(connection: &Connection) -> u64 {
    connection
        .path()
        .and_then(|path| std::fs::metadata(format!("{path}-wal")).ok())
        .map_or(0, |metadata| metadata.len())
}

/// Blocks the writer until a `RESTART` checkpoint has copied every frame and no reader is left
/// on the WAL, so that the next write starts the WAL over and cuts the file back. A checkpoint
/// pass holds its lock through the fsync of the database file, which takes seconds when the
/// disk is behind; meanwhile nothing can be copied and the WAL only grows (to 830 MB in the
/// bench before this bound). Waiting here holds ingestion back to the disk's pace instead:
/// requests queue, then get 429 or 503 once the queue's budget is spent.
fn wait_for_restart(connection: &Connection) {
    let started = std::time::Instant::now();
    loop {
        let busy = connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
            row.get::<_, i64>(0)
        });
        match busy {
            Ok(0) => break,
            Ok(_) if started.elapsed() < WAL_CAP_WAIT => std::thread::sleep(WAL_CAP_RETRY),
            Ok(_) => {
                tracing::warn!(
                    waited_ms = started.elapsed().as_millis() as u64,
                    "the WAL is past its cap and could not be restarted; writing on"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "WAL restart by the writer failed");
                return;
            }
        }
    }
    tracing::debug!(
        waited_ms = started.elapsed().as_secs_f64() * 1000.0,
        "the writer waited for the WAL to restart"
    );
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
    // The rollup triggers (migration 0014) call Sightline's functions on every write.
    super::sqlite::register_functions(&connection).map_err(sqlite_error)?;
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
            Arg::Bytes(Some(bytes)) => ToSqlOutput::Borrowed(bytes.as_slice().into()),
            Arg::Text(None)
            | Arg::Int(None)
            | Arg::Float(None)
            | Arg::Bool(None)
            | Arg::Bytes(None) => ToSqlOutput::Owned(SqliteValue::Null),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Instant;

    use super::*;

    fn insert_rows(connection: &Connection, rows: usize) {
        let mut insert = connection
            .prepare("INSERT INTO t (v) VALUES (zeroblob(4000))")
            .unwrap();
        for _ in 0..rows {
            insert.execute([]).unwrap();
        }
    }

    /// A reader on an old snapshot keeps the WAL from being copied whole and restarted: the
    /// writer's wait past the cap outlasts that reader, and the write after it starts the WAL
    /// over.
    #[test]
    fn the_wait_past_the_cap_ends_with_a_wal_that_restarts() {
        let dir = std::env::temp_dir().join(format!(
            "sightline-wal-cap-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wal.db");
        let writer = open_connection(&path, Synchronous::Normal, 1024).unwrap();
        writer.execute_batch("CREATE TABLE t (v BLOB)").unwrap();
        insert_rows(&writer, 100);
        assert!(wal_file_bytes(&writer) > 100 * 4000);

        let reader = open_connection(&path, Synchronous::Normal, 1024).unwrap();
        let (reading, read) = mpsc::channel();
        let held = std::thread::spawn(move || {
            reader.execute_batch("BEGIN").unwrap();
            let rows: i64 = reader
                .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
                .unwrap();
            reading.send(rows).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            reader.execute_batch("COMMIT").unwrap();
        });
        assert_eq!(read.recv().unwrap(), 100);
        insert_rows(&writer, 100);

        let started = Instant::now();
        wait_for_restart(&writer);
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "returned after {:?}, while the reader still held the WAL",
            started.elapsed()
        );
        held.join().unwrap();
        insert_rows(&writer, 1);
        let (frames, _) = passive_checkpoint(&writer).unwrap();
        assert!(frames < 10, "the WAL did not restart: {frames} frames");
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
