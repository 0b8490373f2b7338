//! Plain service functions (no HTTP types) shared by the API handlers, the UI and the CLI.

pub mod annotation_queues;
pub mod audit;
pub mod batch_actions;
pub mod blob_integrations;
pub mod blobs;
pub mod comments;
pub mod dashboards;
pub mod dataset_import;
pub mod datasets;
pub mod evals;
pub mod experiments;
pub mod exports;
pub mod identity;
pub mod ingest;
pub mod llm_connections;
pub mod media;
pub mod metrics;
pub mod models;
pub mod playground;
pub mod prompts;
pub mod retention;
pub mod score_configs;
pub mod traces;
pub mod worker;
