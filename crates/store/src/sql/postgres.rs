//! Opening the PostgreSQL store: the shared database behind several stateless replicas.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::db::db_error;
use crate::StoreOptions;
use crate::error::{StoreError, StoreResult};

/// How long a statement waits for a free connection before the store answers `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn connect(options: &StoreOptions) -> StoreResult<PgPool> {
    let connect = PgConnectOptions::from_str(&options.url)
        .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
        .application_name("sightline");
    PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(connect)
        .await
        .map_err(db_error)
}

/// Applies the PostgreSQL migrations (`migrations/postgres`); sqlx holds an advisory lock
/// meanwhile, so replicas may start together.
pub(crate) async fn migrate(pool: &PgPool) -> StoreResult<()> {
    sqlx::migrate!("./migrations/postgres")
        .run(pool)
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))
}
