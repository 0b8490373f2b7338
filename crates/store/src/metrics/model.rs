//! Daily metrics (wire-spec §5.5, `GET /metrics/daily`): the query and the per-day figures.

use sightline_domain::time::Millis;

/// Milliseconds in a UTC day: days are `timestamp / DAY_MS`, on both backends.
pub const DAY_MS: i64 = 86_400_000;

/// The trace filters and page of `GET /metrics/daily`; `None` and empty filters match everything.
#[derive(Debug, Clone, Default)]
pub struct MetricsQuery {
    pub trace_name: Option<String>,
    pub user_id: Option<String>,
    /// Traces must carry every one of these tags.
    pub tags: Vec<String>,
    pub environments: Vec<String>,
    pub from_timestamp: Option<Millis>,
    pub to_timestamp: Option<Millis>,
    pub limit: u64,
    pub offset: u64,
}

/// One UTC day of traces and their observations.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyMetrics {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub count_traces: u64,
    pub count_observations: u64,
    pub total_cost: f64,
    /// One entry per model (`None`: observations without one), by model name.
    pub usage: Vec<DailyModelUsage>,
}

/// The observations of one model on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyModelUsage {
    pub model: Option<String>,
    /// Sum of the usage types whose name contains `input` (as Langfuse adds them up).
    pub input_usage: f64,
    /// Sum of the usage types whose name contains `output`.
    pub output_usage: f64,
    /// Sum of the `total` usage.
    pub total_usage: f64,
    pub count_traces: u64,
    pub count_observations: u64,
    pub total_cost: f64,
}
