//! The users that traces name, and usage totals (traces, observations, tokens, cost) per user
//! or per session for the UI's users and sessions views: event store. The trait and its
//! records are here; the relational store's queries are in `stats.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::StoreResult;

mod model;
mod stats;

pub use model::{TotalsQuery, TraceGroup, UsageTotals, UserQuery, UserRow};

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
