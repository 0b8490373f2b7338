//! What the read API asks of trace lists: the list query with its order, and the small
//! summaries of observations that list responses and the trace tree need.

use sightline_domain::filter::FilterCondition;
use sightline_domain::ingest::{Level, ObservationType, UsageMap};
use sightline_domain::time::Millis;

/// Columns `GET /traces` can order by (Langfuse's `orderBy=<field>.<asc|desc>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TraceOrderColumn {
    Id,
    Timestamp,
    Name,
    UserId,
    Release,
    Version,
    Public,
    Bookmarked,
    SessionId,
}

impl TraceOrderColumn {
    /// Langfuse's field names.
    pub fn parse(field: &str) -> Option<Self> {
        Some(match field {
            "id" => Self::Id,
            "timestamp" => Self::Timestamp,
            "name" => Self::Name,
            "userId" => Self::UserId,
            "release" => Self::Release,
            "version" => Self::Version,
            "public" => Self::Public,
            "bookmarked" => Self::Bookmarked,
            "sessionId" => Self::SessionId,
            _ => return None,
        })
    }

    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Timestamp => "timestamp",
            Self::Name => "name",
            Self::UserId => "user_id",
            Self::Release => "release",
            Self::Version => "version",
            Self::Public => "public",
            Self::Bookmarked => "bookmarked",
            Self::SessionId => "session_id",
        }
    }
}

/// A page of traces, filtered by the named query parameters of `GET /traces`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TraceQuery {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub session_id: Option<String>,
    /// Inclusive.
    pub from_timestamp: Option<Millis>,
    /// Exclusive.
    pub to_timestamp: Option<Millis>,
    /// Every tag must be present.
    pub tags: Vec<String>,
    pub version: Option<String>,
    pub release: Option<String>,
    /// Any of these environments.
    pub environments: Vec<String>,
    /// The advanced `filter` conditions; all must hold.
    pub filter: Vec<FilterCondition>,
    /// Only these traces, when not empty (at most [`crate::MAX_LIST_VALUES`]).
    pub ids: Vec<String>,
    pub order_by: TraceOrderColumn,
    pub descending: bool,
    pub limit: u64,
    pub offset: u64,
}

impl Default for TraceQuery {
    fn default() -> Self {
        TraceQuery {
            user_id: None,
            name: None,
            session_id: None,
            from_timestamp: None,
            to_timestamp: None,
            tags: Vec::new(),
            version: None,
            release: None,
            environments: Vec::new(),
            filter: Vec::new(),
            ids: Vec::new(),
            order_by: TraceOrderColumn::Timestamp,
            descending: true,
            limit: 50,
            offset: 0,
        }
    }
}

/// What trace lists show of an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationSummary {
    pub trace_id: String,
    pub id: String,
    pub start_time: Millis,
    pub end_time: Option<Millis>,
    pub total_cost: Option<f64>,
}

/// An observation without its payloads (input, output, metadata): what a trace's tree and
/// timeline and the trace table's per-row totals need, cheap even for 20,000 observations.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationOutline {
    pub trace_id: String,
    pub id: String,
    pub parent_observation_id: Option<String>,
    pub r#type: ObservationType,
    pub name: Option<String>,
    pub start_time: Millis,
    pub end_time: Option<Millis>,
    pub level: Level,
    pub model: Option<String>,
    pub usage_details: UsageMap,
    pub total_cost: Option<f64>,
}
