//! TODO(storage v2): module doc.

use async_trait::async_trait;
#[allow(unused_imports)]
use sightline_domain::cost::ModelDefinition;
#[allow(unused_imports)]
use sightline_domain::time::Millis;
#[allow(unused_imports)]
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

#[allow(unused_imports)]
use crate::*;

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
