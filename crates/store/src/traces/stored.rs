//! A stored trace and the row it is decoded from.

use sightline_domain::ProjectId;
use sightline_domain::ingest::TraceRow;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};
use crate::observations::payload::{self, StoredPayload};
use crate::sql::json::parse_object;

/// A stored trace with its bookkeeping times.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTrace {
    pub row: TraceRow,
    pub project_id: ProjectId,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TraceSqlRow {
    project_id: String,
    id: String,
    timestamp: i64,
    environment: String,
    name: Option<String>,
    user_id: Option<String>,
    session_id: Option<String>,
    release: Option<String>,
    version: Option<String>,
    public: bool,
    bookmarked: bool,
    tags: String,
    metadata: String,
    input: Option<StoredPayload>,
    output: Option<StoredPayload>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const TRACE_COLUMNS: &str = "project_id, id, timestamp, environment, name, user_id, \
    session_id, release, version, public, bookmarked, tags, metadata, input, output, created_at, updated_at";

impl TryFrom<TraceSqlRow> for StoredTrace {
    type Error = StoreError;

    fn try_from(row: TraceSqlRow) -> StoreResult<Self> {
        Ok(StoredTrace {
            row: TraceRow {
                id: row.id,
                timestamp: row.timestamp,
                environment: row.environment,
                name: row.name,
                user_id: row.user_id,
                session_id: row.session_id,
                release: row.release,
                version: row.version,
                public: row.public,
                bookmarked: row.bookmarked,
                tags: serde_json::from_str(&row.tags)
                    .map_err(|e| StoreError::Corrupt(format!("stored tags: {e}")))?,
                metadata: parse_object(&row.metadata)?,
                input: payload::decode(row.input.map(|stored| stored.0))?,
                output: payload::decode(row.output.map(|stored| stored.0))?,
            },
            project_id: ProjectId::from_trusted(row.project_id),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TraceSqlRow {
    /// Decodes a row of `SELECT {TRACE_COLUMNS}` read by the SQLite event writer.
    pub(crate) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<TraceSqlRow> {
        Ok(TraceSqlRow {
            project_id: row.get(0)?,
            id: row.get(1)?,
            timestamp: row.get(2)?,
            environment: row.get(3)?,
            name: row.get(4)?,
            user_id: row.get(5)?,
            session_id: row.get(6)?,
            release: row.get(7)?,
            version: row.get(8)?,
            public: row.get(9)?,
            bookmarked: row.get(10)?,
            tags: row.get(11)?,
            metadata: row.get(12)?,
            input: StoredPayload::from_sqlite(row, 13)?,
            output: StoredPayload::from_sqlite(row, 14)?,
            created_at: row.get(15)?,
            updated_at: row.get(16)?,
        })
    }
}
