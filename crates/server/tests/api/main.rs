//! The public API as a client sees it, driven through the real router on SQLite and PostgreSQL.

mod support;

mod grpc;
mod identity;
mod ingestion;
mod observations;
mod otlp;
mod reads;
mod scores;
