//! Comments (wire-spec §5.8): the stored comment, what it is attached to, the list query of
//! `GET /comments`, and the stored row.

use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// What a comment is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentObjectType {
    Trace,
    Observation,
    Session,
    Prompt,
}

impl CommentObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentObjectType::Trace => "TRACE",
            CommentObjectType::Observation => "OBSERVATION",
            CommentObjectType::Session => "SESSION",
            CommentObjectType::Prompt => "PROMPT",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "TRACE" => Some(CommentObjectType::Trace),
            "OBSERVATION" => Some(CommentObjectType::Observation),
            "SESSION" => Some(CommentObjectType::Session),
            "PROMPT" => Some(CommentObjectType::Prompt),
            _ => None,
        }
    }

    /// The event-store object of this type; `None` for prompts, which are metadata.
    pub fn event_target(self) -> Option<CommentTarget> {
        match self {
            CommentObjectType::Trace => Some(CommentTarget::Trace),
            CommentObjectType::Observation => Some(CommentTarget::Observation),
            CommentObjectType::Session => Some(CommentTarget::Session),
            CommentObjectType::Prompt => None,
        }
    }
}

/// The event-store objects a comment can be attached to (whose existence the event store
/// checks, [`super::CommentTargetStore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentTarget {
    Trace,
    Observation,
    Session,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: String,
    pub project_id: ProjectId,
    pub object_type: CommentObjectType,
    pub object_id: String,
    pub content: String,
    pub author_user_id: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The filters and page of `GET /comments`; `None` filters match everything.
#[derive(Debug, Clone, Default)]
pub struct CommentQuery {
    pub object_type: Option<CommentObjectType>,
    pub object_id: Option<String>,
    pub author_user_id: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

pub(super) const COMMENT_COLUMNS: &str =
    "id, project_id, object_type, object_id, content, author_user_id, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct CommentSqlRow {
    id: String,
    project_id: String,
    object_type: String,
    object_id: String,
    content: String,
    author_user_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<CommentSqlRow> for Comment {
    type Error = StoreError;

    fn try_from(row: CommentSqlRow) -> StoreResult<Self> {
        Ok(Comment {
            object_type: CommentObjectType::parse(&row.object_type).ok_or_else(|| {
                StoreError::Corrupt(format!("comment object type {}", row.object_type))
            })?,
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            object_id: row.object_id,
            content: row.content,
            author_user_id: row.author_user_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
