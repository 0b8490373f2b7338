//! Public API handlers, one file per resource. Each extracts, calls a service or the store, and
//! answers in Langfuse's shapes.

pub mod fallback;
pub mod health;
pub mod ingestion;
pub mod legacy_ingestion;
pub mod models;
pub mod observations;
pub mod otel;
pub mod projects;
pub mod score_configs;
pub mod scores;
pub mod sessions;
pub mod traces;
