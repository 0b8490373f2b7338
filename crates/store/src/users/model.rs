//! What the UI's users and sessions views ask of traces: a page of the project's users (by their
//! latest trace) and usage totals (traces, observations, tokens, cost) per user or per session,
//! read for one page of keys at a time.

use sightline_domain::time::Millis;

/// A page of the users that traces name, most recently seen first.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Users whose id contains this text (case-insensitive).
    pub search: Option<String>,
    /// Only traces from this time (inclusive).
    pub from_timestamp: Option<Millis>,
    /// Only traces before this time (exclusive).
    pub to_timestamp: Option<Millis>,
    pub limit: u64,
    pub offset: u64,
}

/// A user of a project: the traces that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub user_id: String,
    pub traces: u64,
    pub first_seen: Millis,
    pub last_seen: Millis,
}

/// Which trace column the totals are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceGroup {
    User,
    Session,
}

impl TraceGroup {
    pub(crate) fn column(self) -> &'static str {
        match self {
            TraceGroup::User => "t.user_id",
            TraceGroup::Session => "t.session_id",
        }
    }
}

/// The totals of some users or sessions, over the traces in a time range.
#[derive(Debug, Clone, Default)]
pub struct TotalsQuery {
    pub keys: Vec<String>,
    pub from_timestamp: Option<Millis>,
    pub to_timestamp: Option<Millis>,
}

/// One user's or session's traces and the usage of their observations.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageTotals {
    /// The user or session id.
    pub key: String,
    pub traces: u64,
    pub first_seen: Millis,
    pub last_seen: Millis,
    pub observations: u64,
    pub input_tokens: f64,
    pub output_tokens: f64,
    /// The `total` usage, or input plus output where an observation reports no total.
    pub total_tokens: f64,
    /// USD.
    pub total_cost: f64,
    /// Sessions only: the user ids their traces name, sorted (empty for users).
    pub user_ids: Vec<String>,
}
