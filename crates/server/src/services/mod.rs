//! Plain service functions (no HTTP types) shared by the API handlers, the UI and the CLI.

pub mod identity;
pub mod ingest;
pub mod models;
pub mod score_configs;
pub mod prompts;
