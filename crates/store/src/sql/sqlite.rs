//! Opening the embedded SQLite store: one file in WAL mode, created (with its directory) on
//! first open, and a background task that checkpoints the WAL.

use std::str::FromStr;
use std::time::Duration;

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

/// Opens (creating when missing) the SQLite file that `options.url` names.
pub(crate) async fn connect(options: &StoreOptions) -> StoreResult<SqlitePool> {
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
        // Checkpoints run on a background connection (below), not inside the commit of
        // whichever write fills the WAL: the single ingestion writer never copies pages.
        .pragma("wal_autocheckpoint", "0");
    if let Some(dir) = connect
        .get_filename()
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::InvalidUrl(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .connect_with(connect)
        .await
        .map_err(db_error)?;
    spawn_checkpointer(pool.clone());
    Ok(pool)
}

/// How often the background task moves WAL pages into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// A WAL larger than this is truncated once readers allow (RESTART waits for them briefly).
const WAL_TRUNCATE_PAGES: i64 = 64 * 1024;

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] with `PASSIVE` (never blocks the writer or
/// readers), and with `TRUNCATE` when the WAL has grown past [`WAL_TRUNCATE_PAGES`]. Ends when
/// the pool is closed.
fn spawn_checkpointer(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(CHECKPOINT_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if pool.is_closed() {
                return;
            }
            let result: Result<(i64, i64, i64), sqlx::Error> =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&pool)
                    .await;
            match result {
                Ok((_, wal_pages, _)) if wal_pages > WAL_TRUNCATE_PAGES => {
                    if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&pool)
                        .await
                    {
                        tracing::warn!(%error, "WAL truncate failed");
                    }
                }
                Ok(_) => {}
                Err(_) if pool.is_closed() => return,
                Err(error) => tracing::warn!(%error, "WAL checkpoint failed"),
            }
        }
    });
}

/// Applies the SQLite migrations (`migrations/sqlite`).
pub(crate) async fn migrate(pool: &SqlitePool) -> StoreResult<()> {
    sqlx::migrate!("./migrations/sqlite")
        .run(pool)
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))
}
