//! The PostgreSQL store: the shared database behind several stateless replicas.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

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

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn open(options: &StoreOptions) -> StoreResult<Self> {
        let connect = PgConnectOptions::from_str(&options.url)
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
            .application_name("sightline");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await?;
        Ok(Self { pool })
    }
}

impl_store!(
    PgStore,
    backend: Backend::Postgres,
    migrator: sqlx::migrate!("./migrations/postgres")
);

/// Locks entities (`project/entity/id` keys, sorted) until the transaction ends, in one round
/// trip, so that replicas never refold the same entity at once. The sorted order avoids deadlocks.
async fn lock_entities(conn: &mut sqlx::PgConnection, keys: &[String]) -> StoreResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) \
         FROM (SELECT k FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered",
    )
    .bind(keys)
    .fetch_all(conn)
    .await?;
    Ok(())
}

impl_tracing_store!(
    PgStore,
    db: sqlx::Postgres,
    begin: "BEGIN",
    entity_lock: super::lock_entities,
    anonymous_params: false
);

impl_trace_reads!(
    PgStore,
    db: sqlx::Postgres,
    anonymous_params: false
);

impl_observation_reads!(PgStore, db: sqlx::Postgres, anonymous_params: false);

impl_score_reads!(PgStore, db: sqlx::Postgres, anonymous_params: false);

impl_comment_store!(PgStore, db: sqlx::Postgres, anonymous_params: false);

impl_metrics_store!(PgStore,
    db: sqlx::Postgres, anonymous_params: false,
    usage_sum: "(SELECT SUM((value::text)::double precision) FROM jsonb_each(o.usage_details::jsonb) WHERE jsonb_typeof(value) = 'number' AND key ILIKE 'KEY_PATTERN')"
);

impl_prompt_store!(
    PgStore, db: sqlx::Postgres, begin: "BEGIN",
    name_lock: Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"),
    anonymous_params: false
);

impl_prompt_reads!(db: sqlx::Postgres, anonymous_params: false);

impl_dataset_store!(PgStore, db: sqlx::Postgres, begin: "BEGIN", anonymous_params: false);

impl_account_store!(PgStore);

impl_experiment_store!(PgStore, db: sqlx::Postgres, anonymous_params: false);

impl_user_stats!(PgStore, db: sqlx::Postgres, anonymous_params: false);
