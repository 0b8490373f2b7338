//! Public API handlers, one file per resource. Each extracts, calls a service or the store, and
//! answers in Langfuse's shapes.

pub mod annotation_queues;
pub mod blob_integrations;
pub mod comments;
pub mod dashboards;
pub mod dataset_items;
pub mod dataset_runs;
pub mod datasets;
pub mod evaluations;
pub mod experiments;
pub mod fallback;
pub mod health;
pub mod ingestion;
pub mod legacy_ingestion;
pub mod llm_connections;
pub mod media;
pub mod metrics;
pub mod models;
pub mod observations;
pub mod organizations;
pub mod otel;
pub mod projects;
pub mod prompts;
pub mod score_configs;
pub mod scores;
pub mod scores_v3;
pub mod sessions;
pub mod traces;
pub mod unstable;
