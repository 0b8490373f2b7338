//! Sightline's web UI: server-rendered HTML (askama templates, escaping on), htmx for partial
//! updates, assets embedded in the binary. Mounted by `sightline serve` next to the public API.
//!
//! A request flows `routes.rs (the one route table) → session.rs (cookie session, CSRF check on
//! every state-changing request) → handler in pages/ → rbac.rs (the one access check) →
//! accounts.rs / sightline-server services → Store`. See docs/ARCHITECTURE.md.

mod accounts;
mod assets;
mod error;
mod pages;
mod rate_limit;
mod rbac;
mod routes;
mod session;
mod state;
mod urls;
mod views;

pub use accounts::SIGN_UP_RULE;
pub use routes::router;
pub use state::{WebConfig, WebState};
