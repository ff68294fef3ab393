//! Request fields every service reads the same way: ids, pages and time ranges.

use std::time::SystemTime;

use pulsar_core::{MonitorId, from_unix_ms};
use pulsar_store::{PageRequest, TimeRange};

use super::connect::ConnectError;
use super::errors::malformed;

/// A monitor id from the request field `field`, which must hold one.
pub(crate) fn monitor_id(field: &str, id: &str) -> Result<MonitorId, ConnectError> {
    if id.is_empty() {
        return Err(malformed(field, "required"));
    }
    id.parse().map_err(|_| malformed(field, "not a monitor id"))
}

/// An optional monitor id: empty means "every monitor".
pub(crate) fn optional_monitor_id(
    field: &str,
    id: &str,
) -> Result<Option<MonitorId>, ConnectError> {
    (!id.is_empty()).then(|| monitor_id(field, id)).transpose()
}

/// A page: 0 means the default size (the store clamps larger ones); an empty token the first.
pub(crate) fn page(size: u32, token: String) -> PageRequest {
    PageRequest {
        limit: if size == 0 {
            pulsar_store::DEFAULT_PAGE_LIMIT
        } else {
            size
        },
        cursor: (!token.is_empty()).then_some(token),
    }
}

/// `[from, to)` in unix ms, where a `to` of 0 means `now`.
pub(crate) fn range(from_unix_ms_: i64, to_unix_ms: i64, now: SystemTime) -> TimeRange {
    let to = match to_unix_ms {
        0 => now,
        ms => from_unix_ms(ms),
    };
    TimeRange::new(from_unix_ms(from_unix_ms_), to)
}
