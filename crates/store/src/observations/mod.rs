//! Observation lists of the read API (`GET /observations`, `GET /v2/observations`) and the
//! traces of a page of observations: event store ([`ObservationReadStore`]). The list query is
//! in `model.rs`, its SQL in `read.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::{StoreResult, StoredTrace};

mod model;
pub(crate) mod payload;
mod read;

pub use model::{ObservationCursor, ObservationQuery};
pub(crate) mod stored;
pub use stored::StoredObservation;

/// Observation lists for the read API.
#[async_trait]
pub trait ObservationReadStore: Send + Sync {
    /// A page of observations, newest start first, and the number of all that match.
    async fn list_observations(
        &self,
        project: &ProjectId,
        query: &ObservationQuery,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<StoredObservation>, u64)>;
    /// Up to `limit` observations after the cursor position (from the start without one), in
    /// `start_time DESC, trace_id DESC, id DESC` order.
    async fn observations_after(
        &self,
        project: &ProjectId,
        query: &ObservationQuery,
        after: Option<&ObservationCursor>,
        limit: u64,
    ) -> StoreResult<Vec<StoredObservation>>;
    /// The traces with these ids (those that exist).
    async fn traces_by_id(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<StoredTrace>>;
}
