//! The public API as a client sees it, driven through the real router on SQLite and PostgreSQL.

mod support;

mod comments;
mod datasets;
mod experiments;
mod filters;
mod grpc;
mod identity;
mod ingestion;
mod metrics;
mod mixed;
mod observations;
mod otlp;
mod prompts;
mod reads;
mod scores;
mod scores_v3;
mod unavailable;
