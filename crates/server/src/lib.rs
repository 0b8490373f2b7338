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
pub use state::AppState;

/// Serves the router on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            state.begin_shutdown();
        })
        .await
}
