//! The one error type of pulsar-core.

use std::fmt;

/// One field that failed validation, with a message a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `headers[2].name`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The API's error detail for a request that broke validation: every field error, with the
/// path of the field under `prefix` (the request's field that holds the value, e.g.
/// `"monitor"`; empty for none).
pub fn bad_request(prefix: &str, errors: &[FieldError]) -> crate::proto::v1::BadRequest {
    let path = |field: &str| match prefix {
        "" => field.to_owned(),
        _ => format!("{prefix}.{field}"),
    };
    crate::proto::v1::BadRequest {
        field_violations: errors
            .iter()
            .map(|e| crate::proto::v1::FieldViolation {
                field: path(&e.field),
                description: e.message.clone(),
            })
            .collect(),
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Errors of pulsar-core, sorted by what the caller does about them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// User input broke one or more rules; show every field message to the user.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// A wire message could not become a domain value (unknown enum, bad id, missing field):
    /// the peer sent something this version does not understand.
    #[error("malformed message: {field}: {reason}")]
    Malformed { field: String, reason: String },
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn malformed(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Malformed {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The field errors of an `Invalid` error; empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Invalid(errors) => errors,
            Self::Malformed { .. } => &[],
        }
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
