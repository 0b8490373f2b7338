//! The relational stores: one implementation of the metadata and event stores that runs on
//! SQLite (embedded, the default) or PostgreSQL (shared by several replicas). Statements are
//! built with [`Sql`] and run on a [`Db`]; what the two dialects do differently is in
//! [`dialect`], and connecting to each is in [`sqlite`] and [`postgres`].

pub(crate) mod db;
pub(crate) mod dialect;
pub(crate) mod filter;
pub(crate) mod json;
pub(crate) mod postgres;
pub(crate) mod query;
pub(crate) mod sqlite;
pub(crate) mod sqlite_writer;

pub(crate) use db::{Db, Tx};
pub(crate) use dialect::Dialect;
pub(crate) use filter::Where;
pub(crate) use query::{Arg, Column, Sql, columns, like_literal};

/// The relational store: every store trait over one SQLite file or PostgreSQL database.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) db: Db,
    /// SQLite only: the connection the ingestion fold writes on ([`sqlite_writer`]).
    pub(crate) sqlite_writer: Option<sqlite_writer::SqliteWriter>,
    /// SQLite only: connections for reads of many rows.
    pub(crate) sqlite_readers: Option<std::sync::Arc<sqlite_writer::SqliteReaders>>,
}

impl SqlStore {
    /// Opens the store that `options.url` names (`sqlite:…`, `postgres://…`, `postgresql://…`).
    /// Does not migrate.
    pub async fn open(options: &crate::StoreOptions) -> crate::StoreResult<SqlStore> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let (pool, path) = sqlite::connect(options).await?;
            let writer = sqlite_writer::SqliteWriter::open(&path, options.sqlite_synchronous)?;
            let readers = sqlite_writer::SqliteReaders::open(&path, options.sqlite_synchronous)?;
            Ok(SqlStore {
                db: Db::Sqlite(pool),
                sqlite_writer: Some(writer),
                sqlite_readers: Some(std::sync::Arc::new(readers)),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(SqlStore {
                db: Db::Postgres(postgres::connect(options).await?),
                sqlite_writer: None,
                sqlite_readers: None,
            })
        } else {
            Err(crate::StoreError::InvalidUrl(
                "expected a URL starting with sqlite:, postgres:// or postgresql://".into(),
            ))
        }
    }
}

#[async_trait::async_trait]
impl crate::Lifecycle for SqlStore {
    fn backend(&self) -> crate::Backend {
        match self.db {
            Db::Sqlite(_) => crate::Backend::Sqlite,
            Db::Postgres(_) => crate::Backend::Postgres,
        }
    }

    async fn migrate(&self) -> crate::StoreResult<()> {
        match &self.db {
            Db::Sqlite(pool) => sqlite::migrate(pool).await,
            Db::Postgres(pool) => postgres::migrate(pool).await,
        }
    }

    async fn ping(&self) -> crate::StoreResult<()> {
        self.db.execute(&Sql::text("SELECT 1")).await.map(|_| ())
    }

    async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.close();
        }
        if let Some(readers) = &self.sqlite_readers {
            readers.close();
        }
        self.db.close().await;
    }
}
