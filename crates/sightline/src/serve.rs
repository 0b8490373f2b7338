//! `sightline serve`: migrate, initialize, then serve the API (and OTLP over gRPC) until SIGTERM
//! or SIGINT, letting in-flight requests finish.

use std::net::SocketAddr;

use anyhow::{Context, anyhow};
use sightline_domain::secret::Cipher;
use sightline_server::services::blobs::{BlobStorage, Blobs, S3Settings};
use sightline_server::services::identity::{self, DefaultSetup};
use sightline_server::services::llm_connections::LlmSettings;
use sightline_server::{AppState, INGEST_QUEUE_BYTES, Settings};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::migrate::{open_migrated, redact_url};
use crate::worker;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = open_migrated(&config).await?;
    tracing::info!(
        database = %redact_url(&config.database_url),
        backend = ?store.backend(),
        "database ready"
    );
    let salt = identity::resolve_salt(&store, config.salt.as_ref().map(|s| s.expose().as_str()))
        .await
        .context("cannot resolve the API key salt")?;

    if config.init.is_empty() {
        if let Some(setup) = identity::create_default_setup(&store, &salt)
            .await
            .context("cannot create the default organization")?
        {
            print_default_setup(&setup, &config);
        }
    } else {
        identity::apply_headless_init(&store, &salt, &config.init)
            .await
            .context("headless initialization (LANGFUSE_INIT_*) failed")?;
        tracing::info!("headless initialization applied");
    }

    let listener = listen(&config.hostname, config.port, "PORT").await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    let grpc_listener = match config.otlp_grpc_port {
        Some(port) => {
            let listener = listen(&config.hostname, port, "OTLP_GRPC_PORT").await?;
            tracing::info!(address = %listener.local_addr()?, "OTLP/gRPC listening");
            Some(listener)
        }
        None => None,
    };

    let state = AppState::with_settings(store.clone(), salt, settings(&config)?);
    if config.workers > 0 {
        sightline_server::services::worker::spawn(state.clone(), worker::config(&config));
    }
    let (stop, stopping) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.send_replace(true);
    });
    let http = async {
        let web = sightline_web::WebState::new(
            state.clone(),
            sightline_web::WebConfig::for_public_url(config.public_url.clone()),
        );
        let app = sightline_server::router(state.clone()).merge(sightline_web::router(web));
        sightline_server::serve_app(listener, app, state.clone(), stopped(stopping.clone()))
            .await
            .context("server error")
    };
    let grpc = async {
        match grpc_listener {
            Some(listener) => sightline_server::grpc::serve_grpc(
                listener,
                state.clone(),
                stopped(stopping.clone()),
            )
            .await
            .context("OTLP/gRPC server error"),
            None => Ok(()),
        }
    };
    tokio::try_join!(http, grpc)?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The LLM features' settings: `ENCRYPTION_KEY`'s cipher and the SSRF allow-list.
/// The server's settings from the configuration; fails when a blob storage cannot be opened.
pub fn settings(config: &Config) -> anyhow::Result<Settings> {
    let storage = |s3: &Option<S3Settings>, prefix: &str, what: &str| match s3 {
        Some(s3) => BlobStorage::s3(s3, prefix)
            .with_context(|| format!("LANGFUSE_S3_{what}_*: cannot use bucket '{}'", s3.bucket)),
        None => BlobStorage::local(&config.blob_dir, prefix).with_context(|| {
            format!(
                "SIGHTLINE_BLOB_DIR: cannot use '{}'",
                config.blob_dir.display()
            )
        }),
    };
    Ok(Settings {
        queue_bytes: INGEST_QUEUE_BYTES,
        llm: llm_settings(config),
        blobs: Blobs {
            media: storage(&config.media_s3, &config.media_prefix, "MEDIA_UPLOAD")?,
            exports: storage(&config.export_s3, &config.export_prefix, "BATCH_EXPORT")?,
            media_max_bytes: config.media_max_bytes,
            media_url_ttl: config.media_url_ttl,
        },
        public_url: config.public_url.clone(),
    })
}

fn llm_settings(config: &Config) -> LlmSettings {
    LlmSettings {
        cipher: config
            .encryption_key
            .as_ref()
            .map(|key| Cipher::new(key.expose())),
        client: sightline_llm::Client::new(config.llm_hosts.clone()),
    }
}

/// Binds `hostname:port`; `variable` names the setting in the error.
async fn listen(hostname: &str, port: u16, variable: &str) -> anyhow::Result<TcpListener> {
    let address = resolve_address(hostname, port).await?;
    TcpListener::bind(address)
        .await
        .with_context(|| format!("{variable}: cannot listen on {address}"))
}

async fn resolve_address(hostname: &str, port: u16) -> anyhow::Result<SocketAddr> {
    tokio::net::lookup_host((hostname, port))
        .await
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(|| anyhow!("HOSTNAME: cannot resolve '{hostname}' to an address to listen on"))
}

/// Resolves once shutdown has been requested (or nothing can request it any more).
async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Printed once, on stdout, when a fresh instance creates its default setup.
fn print_default_setup(setup: &DefaultSetup, config: &Config) {
    let host = match config.hostname.as_str() {
        "0.0.0.0" | "::" => "localhost",
        other => other,
    };
    println!(
        "\n\
         Sightline created a default organization, project and owner. These details are shown once.\n\
         \n  Organization:  {org}\n  Project:       {project} ({project_id})\n\
         \n  Web UI:        http://{host}:{port}/ui\n  Sign in as:    {email}\n  Password:      {password}\n\
         \n  LANGFUSE_HOST=http://{host}:{port}\n  LANGFUSE_PUBLIC_KEY={public_key}\n  LANGFUSE_SECRET_KEY={secret_key}\n",
        org = setup.organization,
        project = setup.project,
        project_id = setup.project_id,
        email = setup.email,
        password = setup.password,
        port = config.port,
        public_key = setup.keys.public_key,
        secret_key = setup.keys.secret_key,
    );
}
