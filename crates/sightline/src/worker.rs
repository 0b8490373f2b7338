//! `sightline worker`: only the job workers (evaluations), without the API, until SIGTERM or
//! SIGINT; `serve` runs the same workers unless `SIGHTLINE_WORKERS=0`.

use anyhow::Context;
use sightline_server::AppState;
use sightline_server::services::identity;
use sightline_server::services::worker::{self, WorkerConfig};

use crate::config::Config;
use crate::migrate::{open_migrated, redact_url};
use crate::serve::shutdown_signal;

/// The workers' settings from the configuration.
pub fn config(config: &Config) -> WorkerConfig {
    WorkerConfig {
        concurrency: config.workers.max(1),
        retry: config.eval_retry,
        lease: config.job_lease,
        ..WorkerConfig::default()
    }
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = open_migrated(&config).await?;
    tracing::info!(database = %redact_url(&config.database_url), "database ready");
    let salt = identity::resolve_salt(&store, config.salt.as_ref().map(|s| s.expose().as_str()))
        .await
        .context("cannot resolve the API key salt")?;
    let state = AppState::with_settings(store.clone(), salt, crate::serve::settings(&config)?);
    let workers = worker::spawn(state.clone(), self::config(&config));
    shutdown_signal().await;
    state.begin_shutdown();
    state.eval_triggers().wake();
    let _ = workers.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
