//! The store's error type. Callers match on `NotFound` and `Conflict`; everything else is an
//! internal failure that the server logs and answers with a generic 500.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// An advanced `filter` that names an unknown column or tests one the wrong way.
    #[error("invalid filter: {0}")]
    InvalidFilter(#[from] sightline_domain::filter::FilterError),
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

/// Maps constraint violations to the errors callers act on; `what` names the entity.
pub(crate) fn constraint(error: sqlx::Error, what: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return StoreError::Conflict(format!("{what} already exists"));
        }
        if db.is_foreign_key_violation() {
            return StoreError::NotFound(format!("{what} refers to a missing record"));
        }
    }
    StoreError::Database(error)
}
