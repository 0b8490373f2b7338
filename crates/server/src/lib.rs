//! Sightline's HTTP server: one route table ([`router`]), the public API handlers, API key
//! authentication, request logging, and the plain service functions the handlers and the CLI share.

pub mod auth;
pub mod error;
pub mod extract;
pub mod grpc;
pub mod handlers;
pub mod pagination;
pub mod router;
pub mod services;
pub mod state;
pub mod views;

use std::future::Future;

pub use router::router;
pub use state::{AppState, INGEST_QUEUE_BYTES, Settings};

/// Serves the router on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(listener, router(state.clone()), state, shutdown).await
}

/// Like [`serve`] with a given app (the API router merged with others, such as the web UI's).
/// Handlers can read the client's address from `ConnectInfo<SocketAddr>`.
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            state.begin_shutdown();
        })
        .await
}
