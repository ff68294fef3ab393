//! How library errors become Connect errors: every store error has its code; a message never
//! carries SQL or a database's own words (those go to the log).

use pulsar_core::bad_request;
use pulsar_store::StoreError;

use super::connect::{Code, ConnectError};

impl From<StoreError> for ConnectError {
    fn from(error: StoreError) -> Self {
        let code = match &error {
            StoreError::Invalid(_) => return under("", error),
            StoreError::NotFound { .. } => Code::NotFound,
            StoreError::AlreadyExists { .. } => Code::AlreadyExists,
            StoreError::Conflict(_) => Code::Aborted,
            StoreError::Unavailable(_) => Code::Unavailable,
            StoreError::Internal(_) => Code::Internal,
        };
        if matches!(code, Code::Internal | Code::Unavailable) {
            // The source (the driver's error) is for the log, never for the caller.
            tracing::error!(error = ?error, "store error");
        }
        ConnectError::new(code, error.to_string())
    }
}

/// A request field that does not hold what it must, e.g. an id that is not a UUID.
pub(crate) fn malformed(field: &str, message: impl Into<String>) -> ConnectError {
    let message = message.into();
    let detail = pulsar_core::proto::v1::BadRequest {
        field_violations: vec![pulsar_core::proto::v1::FieldViolation {
            field: field.to_owned(),
            description: message.clone(),
        }],
    };
    ConnectError::invalid(format!("invalid {field}: {message}"), detail)
}

impl From<pulsar_core::CoreError> for ConnectError {
    fn from(error: pulsar_core::CoreError) -> Self {
        under_core("", error)
    }
}

/// A core error about a value the request holds in `field` (empty: the request itself): its
/// field paths under `field`.
pub(crate) fn under_core(field: &str, error: pulsar_core::CoreError) -> ConnectError {
    match &error {
        pulsar_core::CoreError::Malformed {
            field: inner,
            reason,
        } if field.is_empty() => malformed(inner, reason.clone()),
        pulsar_core::CoreError::Malformed {
            field: inner,
            reason,
        } => malformed(&format!("{field}.{inner}"), reason.clone()),
        other => ConnectError::invalid(other.to_string(), bad_request(field, other.field_errors())),
    }
}

/// A store error about a value the request holds in `field` (empty: the request itself):
/// field paths under `field`.
pub(crate) fn under(field: &str, error: StoreError) -> ConnectError {
    match &error {
        StoreError::Invalid(errors) => {
            ConnectError::invalid(error.to_string(), bad_request(field, errors))
        }
        _ => error.into(),
    }
}
