//! Sightline's domain vocabulary: identifiers, roles and their scopes, API key and password rules, time.
//!
//! Nothing here does I/O; the store persists these types and the server parses requests into them.

pub mod annotation;
pub mod api_key;
pub mod cost;
pub mod dashboard;
pub mod eval;
pub mod filter;
pub mod ids;
pub mod ingest;
pub mod media;
pub mod metrics;
pub mod otel;
pub mod password;
pub mod prompt;
pub mod role;
pub mod score_analytics;
pub mod secret;
pub mod sketch;
pub mod time;

pub use api_key::{ApiKeyPair, SecretHash};
pub use ids::{ApiKeyId, Email, OrgId, ProjectId, UserId};
pub use role::{InvalidRole, OrgScope, ProjectScope, Role};
