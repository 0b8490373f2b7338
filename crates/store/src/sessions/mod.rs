//! Sessions (`GET /sessions`): the sessions that traces create, listed by the read API and
//! the UI's sessions view; event store. The trait and its records are here; the relational
//! store's query is in `list.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::StoreResult;

mod list;

/// A session: created by the first trace that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub environment: String,
    pub created_at: Millis,
}

/// A page of sessions (`GET /sessions`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionQuery {
    /// One session by id.
    pub id: Option<String>,
    pub from_timestamp: Option<Millis>,
    pub to_timestamp: Option<Millis>,
    pub environments: Vec<String>,
    pub limit: u64,
    pub offset: u64,
}

/// Session lists.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// A page of sessions, newest first, and the number of all that match.
    async fn list_sessions(
        &self,
        project: &ProjectId,
        query: &SessionQuery,
    ) -> StoreResult<(Vec<SessionRow>, u64)>;
}
