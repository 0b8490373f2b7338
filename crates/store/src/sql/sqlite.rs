//! Opening the embedded SQLite store: one file in WAL mode, created (with its directory) on
//! first open. The event writer and the WAL checkpoints are in `sqlite_writer.rs`.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sightline_domain::sketch::Sketch;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::db::db_error;
use crate::StoreOptions;
use crate::error::{StoreError, StoreResult};

/// SQLite's `synchronous` setting. In WAL mode both survive `kill -9` of the server once a
/// commit returns; `Full` also survives power loss and OS crashes, at the cost of an fsync per commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Full,
    Normal,
}

impl FromStr for Synchronous {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "FULL" => Ok(Synchronous::Full),
            "NORMAL" => Ok(Synchronous::Normal),
            _ => Err(format!("'{raw}' is not FULL or NORMAL")),
        }
    }
}

/// Opens (creating when missing) the SQLite file that `options.url` names; returns the pool of
/// connections and the file's path.
pub(crate) async fn connect(options: &StoreOptions) -> StoreResult<(SqlitePool, PathBuf)> {
    let connect = SqliteConnectOptions::from_str(&options.url)
        .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match options.sqlite_synchronous {
            Synchronous::Full => SqliteSynchronous::Full,
            Synchronous::Normal => SqliteSynchronous::Normal,
        })
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Checkpoints run on the event writer's checkpoint thread (`sqlite_writer.rs`), not
        // inside the commit of whichever write fills the WAL.
        .pragma("wal_autocheckpoint", "0")
        // Once a checkpoint has copied the whole WAL, the next write restarts it from the
        // beginning and cuts the file back to this size: the WAL stays bounded on disk.
        .pragma("journal_size_limit", WAL_SIZE_LIMIT_BYTES.to_string())
        .pragma("cache_size", format!("-{CACHE_KIB}"));
    if let Some(dir) = connect
        .get_filename()
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::InvalidUrl(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let path = connect.get_filename().to_path_buf();
    let pool = SqlitePoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .after_connect(|connection, _| {
            Box::pin(async move {
                let mut handle = connection.lock_handle().await?;
                register_on_handle(handle.as_raw_handle())
                    .map_err(|e| sqlx::Error::Configuration(e.into()))
            })
        })
        .connect_with(connect)
        .await
        .map_err(db_error)?;
    Ok((pool, path))
}

/// Registers Sightline's SQL functions on a connection of sqlx's pool ([`register_functions`]).
#[allow(unsafe_code)]
fn register_on_handle(raw: std::ptr::NonNull<rusqlite::ffi::sqlite3>) -> rusqlite::Result<()> {
    // SAFETY: `raw` is the live handle of a connection that sqlx has locked for us
    // (`lock_handle`) until this returns. `from_handle` borrows it: dropping the wrapper does
    // not close it. The functions are owned by SQLite from here on and freed when sqlx closes
    // the connection; they capture nothing.
    let connection = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
    register_functions(&connection)
}

/// Registers Sightline's SQL functions on a connection (the pool's and the event writer's):
/// - `sightline_payload_text(stored)`: the JSON text of a stored payload (an observation's or a
///   trace's input or output), decompressed (`observations/payload.rs`), for filters on input
///   and output ([`super::Dialect::payload_text`], [`super::Dialect::stored_text`]). NULL stays
///   NULL; a damaged payload is an error.
/// - `sightline_percentile(value, p)`: the aggregate [`Percentile`], for metrics queries
///   ([`super::Dialect::percentile`]).
/// - the latency sketches of the rollups (`sightline_domain::sketch`, stored as
///   `Sketch::encode` blobs): `sightline_sketch(value)` (the sketch of one value, NULL for
///   NULL), `sightline_sketch_merge(a, b, sign)` (`a` plus `sign` times `b`; NULL is empty),
///   which the rollup triggers of migration 0014 call, and the aggregate
///   `sightline_sketch_quantile(sketch, q)` ([`super::Dialect::sketch_quantile`]).
pub(crate) fn register_functions(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    let flags = rusqlite::functions::FunctionFlags::SQLITE_UTF8
        | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC;
    connection.create_scalar_function("sightline_payload_text", 1, flags, |context| {
        let stored = match context.get_raw(0) {
            rusqlite::types::ValueRef::Blob(bytes) | rusqlite::types::ValueRef::Text(bytes) => {
                bytes
            }
            _ => return Ok(None),
        };
        crate::observations::payload::decode_text(stored)
            .map(Some)
            .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
    })?;
    connection.create_aggregate_function("sightline_percentile", 2, flags, Percentile)?;
    connection.create_scalar_function("sightline_sketch", 1, flags, |context| {
        Ok(context
            .get::<Option<f64>>(0)?
            .map(|value| Sketch::of(value).encode()))
    })?;
    connection.create_scalar_function("sightline_sketch_merge", 3, flags, |context| {
        let mut merged = sketch_argument(context, 0)?;
        let sign = context.get::<i64>(2)?;
        merged.merge(&sketch_argument(context, 1)?, sign);
        Ok(merged.encode())
    })?;
    connection.create_aggregate_function("sightline_sketch_quantile", 2, flags, SketchQuantile)
}

/// A sketch argument: NULL is the empty sketch; bytes that are no sketch are an error.
fn sketch_argument(
    context: &rusqlite::functions::Context<'_>,
    index: usize,
) -> rusqlite::Result<Sketch> {
    match context.get_raw(index) {
        rusqlite::types::ValueRef::Null => Ok(Sketch::default()),
        rusqlite::types::ValueRef::Blob(bytes) => Sketch::decode(bytes).ok_or_else(|| {
            rusqlite::Error::UserFunctionError("a latency sketch is damaged".into())
        }),
        _ => Err(rusqlite::Error::UserFunctionError(
            "a latency sketch must be a blob".into(),
        )),
    }
}

/// The `q` quantile (the second argument) of the merged sketches of a group; NULL when they
/// hold no values.
struct SketchQuantile;

impl rusqlite::functions::Aggregate<(Sketch, f64), Option<f64>> for SketchQuantile {
    fn init(&self, _: &mut rusqlite::functions::Context<'_>) -> rusqlite::Result<(Sketch, f64)> {
        Ok((Sketch::default(), 0.5))
    }

    fn step(
        &self,
        context: &mut rusqlite::functions::Context<'_>,
        (sketch, q): &mut (Sketch, f64),
    ) -> rusqlite::Result<()> {
        *q = context.get::<f64>(1)?;
        sketch.merge(&sketch_argument(context, 0)?, 1);
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut rusqlite::functions::Context<'_>,
        state: Option<(Sketch, f64)>,
    ) -> rusqlite::Result<Option<f64>> {
        Ok(state.and_then(|(sketch, q)| sketch.quantile(q)))
    }
}

/// The `p` percentile (0–1, the second argument) of the non-NULL numbers of a group,
/// interpolating linearly between the closest ranks as PostgreSQL's `percentile_cont` does;
/// NULL for a group without numbers.
struct Percentile;

impl rusqlite::functions::Aggregate<(Vec<f64>, f64), Option<f64>> for Percentile {
    fn init(&self, _: &mut rusqlite::functions::Context<'_>) -> rusqlite::Result<(Vec<f64>, f64)> {
        Ok((Vec::new(), 0.5))
    }

    fn step(
        &self,
        context: &mut rusqlite::functions::Context<'_>,
        (values, p): &mut (Vec<f64>, f64),
    ) -> rusqlite::Result<()> {
        *p = context.get::<f64>(1)?.clamp(0.0, 1.0);
        if let Some(value) = context.get::<Option<f64>>(0)? {
            values.push(value);
        }
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut rusqlite::functions::Context<'_>,
        state: Option<(Vec<f64>, f64)>,
    ) -> rusqlite::Result<Option<f64>> {
        let Some((mut values, p)) = state.filter(|(values, _)| !values.is_empty()) else {
            return Ok(None);
        };
        values.sort_by(f64::total_cmp);
        Ok(Some(interpolated_percentile(&values, p)))
    }
}

/// The `p` percentile of sorted, non-empty `values` by linear interpolation.
pub(crate) fn interpolated_percentile(values: &[f64], p: f64) -> f64 {
    let rank = p * (values.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    values[low] + (values[high] - values[low]) * (rank - low as f64)
}

/// Page cache of each pooled connection, in KiB (SQLite's default is 2 MiB): readers' index
/// walks stay in memory instead of re-reading pages from the OS. Pages are allocated as used.
const CACHE_KIB: u32 = 16 * 1024;
/// What the WAL file is cut back to when it restarts: the WAL stays bounded on disk. The
/// checkpoints that let it restart are the event writer's (`sqlite_writer.rs`).
pub(crate) const WAL_SIZE_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Applies the SQLite migrations (`migrations/sqlite`).
pub(crate) async fn migrate(pool: &SqlitePool) -> StoreResult<()> {
    sqlx::migrate!("./migrations/sqlite")
        .run(pool)
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))
}
