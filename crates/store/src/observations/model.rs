//! What the read API asks of observations: the named filters of `GET /observations` and
//! `GET /v2/observations`, and the keyset position of the v2 cursor.

use sightline_domain::filter::FilterCondition;
use sightline_domain::ingest::{Level, ObservationType};
use sightline_domain::time::Millis;

/// Filters of an observation list; every one given must hold.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ObservationQuery {
    pub r#type: Option<ObservationType>,
    pub name: Option<String>,
    /// Through the observation's trace.
    pub user_id: Option<String>,
    /// Through the observation's trace.
    pub session_id: Option<String>,
    pub level: Option<Level>,
    pub trace_id: Option<String>,
    pub version: Option<String>,
    pub parent_observation_id: Option<String>,
    /// `Some(true)`: only observations without a parent; `Some(false)`: only those with one.
    pub is_root: Option<bool>,
    /// Any of these environments.
    pub environments: Vec<String>,
    /// Inclusive.
    pub from_start_time: Option<Millis>,
    /// Exclusive.
    pub to_start_time: Option<Millis>,
    /// The advanced `filter` conditions; all must hold.
    pub filter: Vec<FilterCondition>,
    /// Only these observations, when not empty (at most [`crate::MAX_LIST_VALUES`]).
    pub ids: Vec<String>,
}

/// The last observation of a cursor page: the next page starts strictly after it in
/// `start_time DESC, trace_id DESC, id DESC` order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObservationCursor {
    pub start_time: Millis,
    pub trace_id: String,
    pub id: String,
}
