//! The connection side of the relational stores: [`Db`] is a pool of either backend, [`Tx`] a
//! transaction on one. Both run a [`Sql`] rendered for their dialect and bind its values, so the
//! entity modules hold one copy of each statement and never name a backend. Rows decode through
//! `sqlx::FromRow`, which the structs of the entity modules derive for both backends at once.

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{
    Arguments, Database, Encode, FromRow, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection,
    SqlitePool, Transaction, Type,
};

use super::dialect::Dialect;
use super::query::{Arg, Column, Sql};
use crate::error::{StoreError, StoreResult};

/// A row type that decodes from both backends' rows (what `#[derive(sqlx::FromRow)]` gives).
pub(crate) trait FromSqlRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> FromSqlRow for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction of either backend; rolled back when dropped uncommitted.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A pooled connection of either backend, returned to the pool when dropped.
pub(crate) enum PooledConn {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

/// A borrowed connection of either backend: what statements run on.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// What lends a connection: a pooled one or a transaction, for statements that run on either
/// (reads that a write also makes inside its transaction).
pub(crate) trait Runner: Send {
    fn conn(&mut self) -> Conn<'_>;
}

impl Runner for PooledConn {
    fn conn(&mut self) -> Conn<'_> {
        PooledConn::conn(self)
    }
}

impl Runner for Tx {
    fn conn(&mut self) -> Conn<'_> {
        Tx::conn(self)
    }
}

impl Db {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) async fn acquire(&self) -> StoreResult<PooledConn> {
        Ok(match self {
            Db::Sqlite(pool) => PooledConn::Sqlite(pool.acquire().await.map_err(db_error)?),
            Db::Postgres(pool) => PooledConn::Postgres(pool.acquire().await.map_err(db_error)?),
        })
    }

    /// Begins a write transaction ([`Dialect::begin_write`]).
    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        let begin = self.dialect().begin_write();
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with(begin).await.map_err(db_error)?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin_with(begin).await.map_err(db_error)?),
        })
    }

    pub(crate) async fn fetch_all<T: FromSqlRow>(&self, sql: &Sql) -> StoreResult<Vec<T>> {
        self.acquire().await?.conn().fetch_all(sql).await
    }

    pub(crate) async fn fetch_optional<T: FromSqlRow>(&self, sql: &Sql) -> StoreResult<Option<T>> {
        self.acquire().await?.conn().fetch_optional(sql).await
    }

    pub(crate) async fn fetch_one<T: FromSqlRow>(&self, sql: &Sql) -> StoreResult<T> {
        self.acquire().await?.conn().fetch_one(sql).await
    }

    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(&self, sql: &Sql) -> StoreResult<u64> {
        self.acquire().await?.conn().execute(sql).await
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl PooledConn {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            PooledConn::Sqlite(conn) => Conn::Sqlite(conn),
            PooledConn::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

impl Tx {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub(crate) async fn fetch_all<T: FromSqlRow>(&mut self, sql: &Sql) -> StoreResult<Vec<T>> {
        self.conn().fetch_all(sql).await
    }

    pub(crate) async fn fetch_optional<T: FromSqlRow>(
        &mut self,
        sql: &Sql,
    ) -> StoreResult<Option<T>> {
        self.conn().fetch_optional(sql).await
    }

    pub(crate) async fn fetch_one<T: FromSqlRow>(&mut self, sql: &Sql) -> StoreResult<T> {
        self.conn().fetch_one(sql).await
    }

    pub(crate) async fn execute(&mut self, sql: &Sql) -> StoreResult<u64> {
        self.conn().execute(sql).await
    }

    /// Locks `key` until the transaction ends ([`Dialect::key_lock`]); nothing on SQLite,
    /// whose write transactions already exclude each other.
    pub(crate) async fn lock_key(&mut self, key: &str) -> StoreResult<()> {
        if let Some(lock) = self.dialect().key_lock() {
            self.execute(&Sql::text(lock).bind(key)).await?;
        }
        Ok(())
    }

    /// Locks every key (sorted, so that two writers never wait on each other in a cycle) in
    /// one round trip; see [`Tx::lock_key`].
    pub(crate) async fn lock_keys(&mut self, keys: &[String]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        if let Tx::Postgres(tx) = self {
            let mut sorted = keys.to_vec();
            sorted.sort();
            sorted.dedup();
            sqlx::query(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) \
                 FROM (SELECT k FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n) \
                 AS ordered",
            )
            .bind(sorted)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await.map_err(db_error),
            Tx::Postgres(tx) => tx.commit().await.map_err(db_error),
        }
    }
}

impl Conn<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) async fn fetch_all<T: FromSqlRow>(self, sql: &Sql) -> StoreResult<Vec<T>> {
        let text = sql.render(self.dialect());
        match self {
            Conn::Sqlite(conn) => {
                let args: SqliteArguments<'_> = arguments::<Sqlite>(sql.args())?;
                sqlx::query_as_with(&text, args).fetch_all(conn).await
            }
            Conn::Postgres(conn) => {
                let args: PgArguments = arguments::<Postgres>(sql.args())?;
                sqlx::query_as_with(&text, args).fetch_all(conn).await
            }
        }
        .map_err(db_error)
    }

    pub(crate) async fn fetch_optional<T: FromSqlRow>(self, sql: &Sql) -> StoreResult<Option<T>> {
        let text = sql.render(self.dialect());
        match self {
            Conn::Sqlite(conn) => {
                let args: SqliteArguments<'_> = arguments::<Sqlite>(sql.args())?;
                sqlx::query_as_with(&text, args).fetch_optional(conn).await
            }
            Conn::Postgres(conn) => {
                let args: PgArguments = arguments::<Postgres>(sql.args())?;
                sqlx::query_as_with(&text, args).fetch_optional(conn).await
            }
        }
        .map_err(db_error)
    }

    pub(crate) async fn fetch_one<T: FromSqlRow>(self, sql: &Sql) -> StoreResult<T> {
        self.fetch_optional(sql).await?.ok_or_else(|| {
            StoreError::Corrupt("a statement that returns a row returned none".into())
        })
    }

    pub(crate) async fn execute(self, sql: &Sql) -> StoreResult<u64> {
        let text = sql.render(self.dialect());
        match self {
            Conn::Sqlite(conn) => {
                let args: SqliteArguments<'_> = arguments::<Sqlite>(sql.args())?;
                sqlx::query_with(&text, args)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected())
            }
            Conn::Postgres(conn) => {
                let args: PgArguments = arguments::<Postgres>(sql.args())?;
                sqlx::query_with(&text, args)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected())
            }
        }
        .map_err(db_error)
    }
}

/// The backend's argument list holding `args` in order. Text is bound by reference: SQLite
/// keeps the borrowed text (no copy of large payloads), PostgreSQL encodes it once.
fn arguments<'q, DB>(args: &'q [Arg]) -> StoreResult<<DB as Database>::Arguments<'q>>
where
    DB: Database,
    DB::Arguments<'q>: AddArray<'q>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<f64>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    let mut out = <DB as Database>::Arguments::<'q>::default();
    for arg in args {
        match arg {
            Arg::Array(column) => out.add_array(column),
            Arg::Text(value) => out.add(value.as_deref()),
            Arg::Int(value) => out.add(*value),
            Arg::Float(value) => out.add(*value),
            Arg::Bool(value) => out.add(*value),
            Arg::Bytes(value) => out.add(value.as_deref()),
        }
        .map_err(|e| StoreError::Database(format!("cannot encode a value: {e}")))?;
    }
    Ok(out)
}

/// How a backend binds an [`Arg::Array`]: PostgreSQL as one array parameter (`Vec<Option<T>>`
/// is an array with NULL elements); SQLite has no arrays, so such a statement fails there.
trait AddArray<'q> {
    fn add_array(&mut self, column: &'q Column) -> Result<(), BoxDynError>;
}

impl<'q> AddArray<'q> for PgArguments {
    fn add_array(&mut self, column: &'q Column) -> Result<(), BoxDynError> {
        match column {
            Column::Text(values) => self.add(values.as_slice()),
            Column::Int(values) => self.add(values.as_slice()),
            Column::Float(values) => self.add(values.as_slice()),
            Column::Bool(values) => self.add(values.as_slice()),
            Column::Bytes(values) => self.add(values.as_slice()),
        }
    }
}

impl<'q> AddArray<'q> for SqliteArguments<'q> {
    fn add_array(&mut self, _: &'q Column) -> Result<(), BoxDynError> {
        Err("SQLite has no array parameters".into())
    }
}

/// Maps a driver error to the store's: an unreachable database, a spent pool or a busy SQLite
/// file is [`StoreError::Unavailable`] (retry later); constraint violations keep their kind.
pub(crate) fn db_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.to_string())
        }
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(error.to_string())
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::UniqueViolation(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::ForeignKeyViolation(db.message().to_owned())
        }
        // SQLITE_BUSY and SQLITE_LOCKED after the busy timeout; PostgreSQL's "too many clients"
        // and "cannot connect now".
        sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("5" | "6" | "53300" | "57P03")) =>
        {
            StoreError::Unavailable(db.message().to_owned())
        }
        _ => StoreError::Database(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column type binds as an array, NULL elements included (`bytea[]` for the payload
    /// columns' `Arg::Bytes`).
    #[tokio::test]
    async fn postgres_binds_columns_as_arrays() {
        let Some(database) = crate::testing::empty_postgres().await else {
            return;
        };
        let db = Db::Postgres(PgPool::connect(&database.url).await.unwrap());
        let mut sql = Sql::text("SELECT * FROM ");
        sql.unnest(vec![
            Column::Bytes(vec![Some(vec![0, 159, 255]), None]),
            Column::Text(vec![None, Some("é".into())]),
            Column::Int(vec![Some(i64::MAX), None]),
            Column::Float(vec![None, Some(0.25)]),
            Column::Bool(vec![Some(true), None]),
        ]);
        type Row = (
            Option<Vec<u8>>,
            Option<String>,
            Option<i64>,
            Option<f64>,
            Option<bool>,
        );
        let rows: Vec<Row> = db.fetch_all(&sql).await.unwrap();
        assert_eq!(
            rows,
            [
                (
                    Some(vec![0, 159, 255]),
                    None,
                    Some(i64::MAX),
                    None,
                    Some(true)
                ),
                (None, Some("é".into()), None, Some(0.25), None),
            ]
        );
        db.close().await;
    }

    #[tokio::test]
    async fn sqlite_refuses_arrays() {
        let db = Db::Sqlite(SqlitePool::connect("sqlite::memory:").await.unwrap());
        let mut sql = Sql::text("SELECT ");
        sql.arg(Arg::Array(Column::Int(vec![Some(1)])));
        assert!(db.execute(&sql).await.is_err());
    }
}
