//! Command-line options of `sightline-bench`.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "sightline-bench",
    about = "Starts a built `sightline` binary on a fresh database, loads it with ingestion \
             traffic shaped like the Langfuse SDKs', and reports throughput, latency, \
             read-your-writes and memory; or seeds it and measures read and prompt latency."
)]
pub struct Cli {
    /// What to run: OTLP exports, batch-API events, both one after the other, read-API latency
    /// on a seeded database, prompt-fetch latency, the ingestion matrix (OTLP and batch runs
    /// at several connection counts and request sizes, each on a fresh server), or the home
    /// dashboard's metrics queries on a seeded database (`dashboard`).
    #[arg(value_enum)]
    pub scenario: Scenario,

    /// The server binary to start (default: `sightline` next to this executable).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,

    /// Where the server keeps its data.
    #[arg(long, value_enum, default_value_t = Database::Sqlite)]
    pub database: Database,

    /// A PostgreSQL server whose user may create databases; a fresh database is created on it
    /// for the run and dropped afterwards.
    #[arg(
        long,
        value_name = "URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub postgres_url: String,

    /// SQLite's `synchronous` setting for the server (`SQLITE_SYNCHRONOUS`).
    #[arg(long, value_enum, default_value_t = Synchronous::Full, ignore_case = true)]
    pub sqlite_synchronous: Synchronous,

    /// Concurrent connections sending requests.
    #[arg(long, short = 'c', default_value_t = 8)]
    pub concurrency: usize,

    /// OTLP: traces to send, each a root span and four children (default 20,000; 10,000 per run
    /// of the matrix). Reads: traces to seed (default 1,000,000). Dashboard: traces of five
    /// observations to seed (default 1,000,000: 5,000,000 observations).
    #[arg(long)]
    pub traces: Option<usize>,

    /// OTLP: traces per export request (the Python SDK sends about 100 traces of 5 spans).
    #[arg(long, default_value_t = 100)]
    pub traces_per_request: usize,

    /// OTLP: send uncompressed bodies (the Python SDK 5.x gzips by default).
    #[arg(long)]
    pub no_gzip: bool,

    /// Batch: events to send, ten per trace: trace-create and create/update events of five
    /// observations (default 100,000; 50,000 per run of the matrix).
    #[arg(long)]
    pub events: Option<usize>,

    /// Batch: events per request. Reads: traces per seeding request (each with its score, when
    /// it has one), and events per request of the two large traces.
    #[arg(long, default_value_t = 500)]
    pub events_per_request: usize,

    /// Bytes of input/output text per span (OTLP) or per event (batch).
    #[arg(long, default_value_t = 2048)]
    pub payload_bytes: usize,

    /// The server's `LOG_LEVEL`, to which `sightline_server::services::ingest::writer=debug` is
    /// added for the writer's figures (for more timing logs: `warn,sightline_server=debug`).
    #[arg(long, default_value = "warn")]
    pub log_level: String,

    /// Write the server's stderr to this file at the end.
    #[arg(long, value_name = "PATH")]
    pub server_log: Option<PathBuf>,

    /// Traces read back after each scenario (the last trace sent is always among them).
    #[arg(long, default_value_t = 200)]
    pub sample: usize,

    /// Reads and dashboard: keep the server's data in DIR instead of a temporary directory. An empty or new DIR
    /// is seeded and keeps the database (SQLite: `DIR/sightline.db`; PostgreSQL: the database is
    /// not dropped) with `DIR/sightline-bench.json` (keys, seed, trace ids); a DIR seeded before
    /// is measured again without seeding.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Reads: measured requests per query (the 20,000-observation trace gets
    /// `--large-trace-requests`).
    #[arg(long, default_value_t = 200)]
    pub requests: usize,

    /// Reads: measured requests of the 20,000-observation trace.
    #[arg(long, default_value_t = 30)]
    pub large_trace_requests: usize,

    /// Reads and prompts: unmeasured requests per query sent first, so the server is warm.
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,

    /// Matrix: also run OTLP with 4 connections × 100 spans and batch with 4 connections on
    /// PostgreSQL (`--postgres-url`).
    #[arg(long)]
    pub include_postgres: bool,

    /// Prompts: measured `GET /api/public/v2/prompts/{name}?label=production` requests.
    #[arg(long, default_value_t = 10_000)]
    pub prompt_requests: usize,

    /// evals: jobs the server runs at once (`SIGHTLINE_WORKERS`).
    #[arg(long, default_value_t = 16)]
    pub eval_workers: usize,

    /// evals: the rule's sampling rate.
    #[arg(long, default_value_t = 0.1)]
    pub eval_sampling: f64,

    /// evals: how long the fake provider takes to answer, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub judge_latency_ms: u64,
}

impl Cli {
    /// `--traces`, or the scenario's default.
    pub fn traces(&self) -> usize {
        self.traces.unwrap_or(match self.scenario {
            Scenario::Reads | Scenario::Dashboard => 1_000_000,
            Scenario::Matrix => 10_000,
            _ => 20_000,
        })
    }

    /// `--events`, or the scenario's default.
    pub fn events(&self) -> usize {
        self.events.unwrap_or(match self.scenario {
            Scenario::Matrix => 50_000,
            _ => 100_000,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Otlp,
    Batch,
    All,
    Reads,
    Prompts,
    Matrix,
    Dashboard,
    /// OTLP ingestion without and then with an active evaluation rule on every trace, and the
    /// rate at which the evaluations complete against a fake provider.
    Evals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    pub fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Synchronous {
    #[value(name = "FULL")]
    Full,
    #[value(name = "NORMAL")]
    Normal,
}

impl Synchronous {
    pub fn name(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}
