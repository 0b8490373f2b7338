//! The embedded SQLite store: one file in WAL mode, created (with its directory) on first open.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::accounts_sql::impl_account_store;
use crate::comments_sql::impl_comment_store;
use crate::datasets_sql::impl_dataset_store;
use crate::error::{StoreError, StoreResult};
use crate::experiments_sql::impl_experiment_store;
use crate::metrics_sql::impl_metrics_store;
use crate::observations_sql::impl_observation_reads;
use crate::prompt_reads_sql::impl_prompt_reads;
use crate::prompts_sql::impl_prompt_store;
use crate::reads_sql::impl_trace_reads;
use crate::scores_sql::impl_score_reads;
use crate::shared::impl_store;
use crate::tracing_sql::impl_tracing_store;
use crate::users_sql::impl_user_stats;
use crate::{Backend, StoreOptions};

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

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(options: &StoreOptions) -> StoreResult<Self> {
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
            .await?;
        spawn_checkpointer(pool.clone());
        Ok(Self { pool })
    }
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

impl_store!(
    SqliteStore,
    backend: Backend::Sqlite,
    migrator: sqlx::migrate!("./migrations/sqlite")
);

/// Nothing to lock: `BEGIN IMMEDIATE` already makes each write transaction the only one.
async fn lock_entities(_: &mut sqlx::SqliteConnection, _: &[String]) -> StoreResult<()> {
    Ok(())
}

impl_tracing_store!(
    SqliteStore,
    db: sqlx::Sqlite,
    begin: "BEGIN IMMEDIATE",
    entity_lock: super::lock_entities,
    anonymous_params: true
);

impl_trace_reads!(
    SqliteStore,
    db: sqlx::Sqlite,
    anonymous_params: true
);

impl_observation_reads!(SqliteStore, db: sqlx::Sqlite, anonymous_params: true);

impl_score_reads!(SqliteStore, db: sqlx::Sqlite, anonymous_params: true);

impl_comment_store!(SqliteStore, db: sqlx::Sqlite, anonymous_params: true);

impl_metrics_store!(SqliteStore,
    db: sqlx::Sqlite, anonymous_params: true,
    usage_sum: "(SELECT SUM(value) FROM json_each(o.usage_details) WHERE type IN ('integer', 'real') AND key LIKE 'KEY_PATTERN')"
);

impl_prompt_store!(
    SqliteStore, db: sqlx::Sqlite, begin: "BEGIN IMMEDIATE", name_lock: None, anonymous_params: true
);

impl_prompt_reads!(db: sqlx::Sqlite, anonymous_params: true);

impl_dataset_store!(SqliteStore, db: sqlx::Sqlite, begin: "BEGIN IMMEDIATE", anonymous_params: true);

impl_account_store!(SqliteStore);

impl_experiment_store!(SqliteStore, db: sqlx::Sqlite, anonymous_params: true);

impl_user_stats!(SqliteStore, db: sqlx::Sqlite, anonymous_params: true);
