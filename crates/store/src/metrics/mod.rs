//! Metrics over traces, observations and scores (wire-spec §5.5): the daily usage and cost of
//! `GET /metrics/daily`, and the view queries of `GET /metrics` and `GET /v2/metrics`. Event
//! store. The trait and its records are here; the relational store's queries are in `daily.rs`
//! and `query.rs`, the views' dimensions and measures in `views.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod daily;
mod model;
mod pairs;
mod query;
mod rollups;
mod views;

pub use model::{DAY_MS, DailyMetrics, DailyModelUsage, MetricsQuery};
pub use query::fills_gaps;

/// One row of a metrics query's answer, in the query's order: its dimensions' values, the start
/// of its time bucket (when the query has a time dimension) and its metrics (`None` where the
/// aggregate has no value, as an average over no rows).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub dimensions: Vec<serde_json::Value>,
    pub bucket: Option<sightline_domain::time::Millis>,
    pub metrics: Vec<Option<f64>>,
}

/// One score paired with the score another source gave the same object: each is
/// (value, string value).
#[derive(Debug, Clone, PartialEq)]
pub struct ScorePair {
    pub a: (Option<f64>, Option<String>),
    pub b: (Option<f64>, Option<String>),
}

/// Metrics over the event store (wire-spec §5.5).
#[async_trait]
pub trait MetricsStore: Send + Sync {
    /// The rows of a metrics query (`GET /metrics`, `GET /v2/metrics`) over the project's raw
    /// rows. An unknown dimension or measure, an aggregation its measure does not allow, an
    /// order on a field the query does not have and v2's high-cardinality rule are
    /// `StoreError::InvalidQuery` with the message the client reads; a bad filter is
    /// `InvalidFilter`. With [`fills_gaps`] the rows are not limited: the caller fills the
    /// empty time buckets, then applies the limit.
    async fn query_metrics(
        &self,
        project: &ProjectId,
        query: &sightline_domain::metrics::MetricsQuery,
    ) -> StoreResult<Vec<MetricsRow>>;

    /// Whether [`MetricsStore::query_metrics`] would accept `query` (its view, dimensions,
    /// metrics, order and filters), without running it: saved widgets are checked with it.
    /// The scores named `name` of source `sources.0` in `range` (inclusive), each paired with a
    /// score of the same name from source `sources.1` on the same trace, observation and
    /// session; the newest 10,000.
    async fn score_pairs(
        &self,
        project: &ProjectId,
        name: &str,
        sources: (&str, &str),
        range: (
            sightline_domain::time::Millis,
            sightline_domain::time::Millis,
        ),
    ) -> StoreResult<Vec<ScorePair>>;

    fn check_metrics_query(
        &self,
        query: &sightline_domain::metrics::MetricsQuery,
    ) -> StoreResult<()>;

    /// The rollup table [`MetricsStore::query_metrics`] reads for `query` (a checked query),
    /// or `None` when it reads raw rows only.
    fn metrics_source(
        &self,
        query: &sightline_domain::metrics::MetricsQuery,
    ) -> Option<&'static str>;

    /// A page of days with traces, newest first, and the number of all such days.
    async fn daily_metrics(
        &self,
        project: &ProjectId,
        query: &MetricsQuery,
    ) -> StoreResult<(Vec<DailyMetrics>, u64)>;
}
