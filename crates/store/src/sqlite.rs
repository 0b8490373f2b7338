//! The embedded SQLite store: one file in WAL mode, created (with its directory) on first open.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{StoreError, StoreResult};
use crate::shared::impl_store;
use crate::tracing_sql::impl_tracing_store;
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
            .busy_timeout(Duration::from_secs(10));
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
        Ok(Self { pool })
    }
}

impl_store!(
    SqliteStore,
    backend: Backend::Sqlite,
    migrator: sqlx::migrate!("./migrations/sqlite")
);

impl_tracing_store!(
    SqliteStore,
    db: sqlx::Sqlite,
    begin: "BEGIN IMMEDIATE",
    entity_lock: None
);
