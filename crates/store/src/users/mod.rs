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

/// The users that traces name, and usage totals per user or per session (the UI's users and
/// sessions views).
#[async_trait]
pub trait UserStatsStore: Send + Sync {
    /// A page of the user ids traces name, most recently seen first, and the number of all
    /// that match.
    async fn list_trace_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
    ) -> StoreResult<(Vec<UserRow>, u64)>;
    /// The traces and observation usage of each of `query.keys` (user or session ids) that
    /// has traces in the range, by key.
    async fn usage_totals(
        &self,
        project: &ProjectId,
        group: TraceGroup,
        query: &TotalsQuery,
    ) -> StoreResult<Vec<UsageTotals>>;
}
