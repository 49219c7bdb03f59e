//! The store's error: what a caller can act on, with database detail kept for the logs.

use farm_log::ValidationErrors;
use sea_orm::{DbErr, SqlErr};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input breaks a domain rule; every problem is listed.
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// The named thing does not exist (in this cooperative).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. "lot".
        what: &'static str,
    },
    /// It clashes with what is stored: a duplicate, or an event id reused with other content.
    #[error("conflict: {message}")]
    Conflict {
        /// The field concerned.
        field: String,
        /// English explanation.
        message: String,
        /// Vietnamese explanation.
        message_vi: String,
    },
    /// The database could not be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else the database said.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Stored data could not be read back.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A 404 of `what` (e.g. "lot").
    pub fn not_found(what: &'static str) -> Self {
        StoreError::NotFound { what }
    }

    pub(crate) fn conflict(field: &str, message_en: impl Into<String>, message_vi: impl Into<String>) -> Self {
        StoreError::Conflict {
            field: field.to_owned(),
            message: message_en.into(),
            message_vi: message_vi.into(),
        }
    }

    /// Maps a unique-constraint violation to a conflict on `field`, anything else to Database.
    pub(crate) fn unique(error: DbErr, field: &str, message_en: &str, message_vi: &str) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::conflict(field, message_en, message_vi),
            _ => StoreError::Database(error),
        }
    }
}

impl From<ValidationErrors> for StoreError {
    fn from(errors: ValidationErrors) -> Self {
        StoreError::Invalid(errors)
    }
}

impl From<farm_log::FieldError> for StoreError {
    fn from(error: farm_log::FieldError) -> Self {
        StoreError::Invalid(error.into())
    }
}
