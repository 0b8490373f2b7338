//! The store's error type. Callers match on `NotFound` and `Conflict`; `Unavailable` means the
//! database cannot serve now (the server answers 503 with `Retry-After`); everything else is an
//! internal failure that the server logs and answers with a generic 500. No driver type shows
//! through: causes are kept as text.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// An advanced `filter` that names an unknown column or tests one the wrong way.
    #[error("invalid filter: {0}")]
    InvalidFilter(#[from] sightline_domain::filter::FilterError),
    /// A metrics query that its view cannot answer; the text is the client's message.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(String),
    /// The database is unreachable, has no free connection in time, or is locked: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint rejected a write the caller did not map to a conflict.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    /// A foreign key rejected a write the caller did not map to a missing record.
    #[error("foreign key violated: {0}")]
    ForeignKeyViolation(String),
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Whether retrying later may succeed (the database is down, busy or out of connections).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Maps constraint violations to the errors callers act on; `what` names the entity.
pub(crate) fn constraint(error: impl Into<StoreError>, what: &str) -> StoreError {
    match error.into() {
        StoreError::UniqueViolation(_) => StoreError::Conflict(format!("{what} already exists")),
        StoreError::ForeignKeyViolation(_) => {
            StoreError::NotFound(format!("{what} refers to a missing record"))
        }
        other => other,
    }
}
