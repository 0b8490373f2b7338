//! Daily usage and cost metrics over traces and their observations (wire-spec §5.5,
//! `GET /metrics/daily`): event store. The trait and its records are here; the relational
//! store's queries are in `daily.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod daily;
mod model;

pub use model::{DAY_MS, DailyMetrics, DailyModelUsage, MetricsQuery};

/// Daily usage and cost metrics (wire-spec §5.5, `GET /metrics/daily`).
#[async_trait]
pub trait MetricsStore: Send + Sync {
    /// A page of days with traces, newest first, and the number of all such days.
    async fn daily_metrics(
        &self,
        project: &ProjectId,
        query: &MetricsQuery,
    ) -> StoreResult<(Vec<DailyMetrics>, u64)>;
}
