//! The one error type of pulsar-store, sorted by what the caller does about it.

use pulsar_core::{CoreError, FieldError};

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Errors of the store. `Display` never shows SQL or database messages, so it is safe to
/// hand to API clients; the underlying error is kept as the `source()` for logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (or no longer does): answer 404.
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String },
    /// A unique name (or id) is already taken: answer 409 and let the user pick another.
    #[error("{what} {key} already exists")]
    AlreadyExists { what: &'static str, key: String },
    /// The input broke validation rules; every field error is meant for the user.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// A concurrent change got in the way (deadlock, serialization failure): retry.
    #[error("conflicting concurrent change; retry")]
    Conflict(#[source] Source),
    /// The database cannot be reached or is overloaded (connection refused, pool timeout,
    /// database locked): retry later, report 503.
    #[error("storage unavailable")]
    Unavailable(#[source] Source),
    /// A bug or corrupt data: log the source, report 500.
    #[error("internal storage error")]
    Internal(#[source] Source),
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl StoreError {
    pub(crate) fn not_found(what: &'static str, key: impl ToString) -> Self {
        Self::NotFound {
            what,
            key: key.to_string(),
        }
    }

    pub(crate) fn already_exists(what: &'static str, key: impl ToString) -> Self {
        Self::AlreadyExists {
            what,
            key: key.to_string(),
        }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub(crate) fn internal(source: impl Into<Source>) -> Self {
        Self::Internal(source.into())
    }

    pub(crate) fn conflict(source: impl Into<Source>) -> Self {
        Self::Conflict(source.into())
    }

    /// Whether the same call may succeed if simply repeated.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict(_) | Self::Unavailable(_))
    }

    /// The field errors of an `Invalid` error; empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Invalid(errors) => errors,
            _ => &[],
        }
    }
}

impl From<CoreError> for StoreError {
    /// Validation errors stay user-facing; a stored value that no longer decodes is corrupt.
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(errors) => Self::Invalid(errors),
            malformed @ CoreError::Malformed { .. } => Self::internal(malformed),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &error {
            E::Database(db) => {
                let code = db.code().unwrap_or_default();
                match code.as_ref() {
                    // PostgreSQL: serialization failure, deadlock.
                    "40001" | "40P01" => Self::Conflict(error.into()),
                    // PostgreSQL: connection exceptions, too many connections, shutdown.
                    c if c.starts_with("08") || c == "53300" || c.starts_with("57P") => {
                        Self::Unavailable(error.into())
                    }
                    // SQLite: SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) after the
                    // busy timeout ran out.
                    c if is_sqlite_busy(c) => Self::Unavailable(error.into()),
                    _ => Self::Internal(error.into()),
                }
            }
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
                Self::Unavailable(error.into())
            }
            _ => Self::Internal(error.into()),
        }
    }
}

fn is_sqlite_busy(code: &str) -> bool {
    // Primary code in the low byte: 5 = BUSY, 6 = LOCKED.
    code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        match error {
            sqlx::migrate::MigrateError::Execute(inner) => Self::from(inner),
            other => Self::internal(other),
        }
    }
}

/// Whether `error` is a unique-constraint violation (a name or id already taken).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation())
}

/// Whether a unique violation concerns `column` (by PostgreSQL constraint name or the
/// column SQLite names in its message).
pub(crate) fn violation_mentions(error: &sqlx::Error, column: &str) -> bool {
    error.as_database_error().is_some_and(|db| {
        db.constraint().is_some_and(|c| c.contains(column)) || db.message().contains(column)
    })
}

/// Whether `error` is a foreign-key violation (a referenced row does not exist).
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.is_foreign_key_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_leaks_database_text() {
        let source = sqlx::Error::Protocol("SELECT secret FROM t".into());
        let error = StoreError::from(source);
        assert_eq!(error.to_string(), "internal storage error");
        assert!(std::error::Error::source(&error).is_some());
        let error = StoreError::from(sqlx::Error::PoolTimedOut);
        assert!(matches!(error, StoreError::Unavailable(_)) && error.is_retryable());
    }

    #[test]
    fn sqlite_busy_codes_are_recognized() {
        assert!(is_sqlite_busy("5") && is_sqlite_busy("517") && is_sqlite_busy("6"));
        assert!(!is_sqlite_busy("19") && !is_sqlite_busy("2067") && !is_sqlite_busy("23505"));
    }
}
