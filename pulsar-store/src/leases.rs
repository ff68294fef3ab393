//! Leases: which process runs a role that exactly one process may run at a time (the fold,
//! retention, a notifier). A lease is one row per role, taken or renewed by one upsert that
//! succeeds only for its holder or once the lease has expired, so two processes never both
//! hold it, whatever their number.

use std::time::{Duration, SystemTime};

use pulsar_core::{from_unix_ms, unix_ms};

use crate::error::{Result, StoreError};
use crate::sql::{Conn, Statement};

/// The lease of the store's background fold (see [`DEFAULT_FOLD_INTERVAL`]).
///
/// [`DEFAULT_FOLD_INTERVAL`]: crate::DEFAULT_FOLD_INTERVAL
pub const FOLD_LEASE: &str = "fold";

/// The lease of the retention role: the one process that runs [`Store::prune`].
///
/// [`Store::prune`]: crate::Store::prune
pub const RETENTION_LEASE: &str = "retention";

/// Who holds a role's lease, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub role: String,
    pub holder: String,
    pub expires_at: SystemTime,
}

/// Takes or renews the lease of `role` for `holder` until `now + ttl`; `false` while another
/// holder's lease has not expired.
pub(crate) async fn take<C: Conn>(
    conn: &mut C,
    role: &str,
    holder: &str,
    ttl: Duration,
    now: SystemTime,
) -> Result<bool> {
    if role.is_empty() || holder.is_empty() {
        let field = if role.is_empty() { "role" } else { "holder" };
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    let now_ms = unix_ms(now);
    let expires_ms = unix_ms(now + ttl);
    let statement = Statement::new(
        "INSERT INTO leases (role, holder, expires_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, \
         expires_at_ms = excluded.expires_at_ms \
         WHERE leases.holder = excluded.holder OR leases.expires_at_ms <= $4",
    )
    .bind(role)
    .bind(holder)
    .bind(expires_ms)
    .bind(now_ms);
    Ok(conn.execute(statement).await? == 1)
}

/// Gives up `holder`'s lease of `role`, if it holds it, so another process takes the role
/// at its next try instead of after the lease runs out.
pub(crate) async fn release<C: Conn>(conn: &mut C, role: &str, holder: &str) -> Result<()> {
    let statement = Statement::new("DELETE FROM leases WHERE role = $1 AND holder = $2")
        .bind(role)
        .bind(holder);
    conn.execute(statement).await?;
    Ok(())
}

/// Every lease, expired ones included, by role.
pub(crate) async fn list<C: Conn>(conn: &mut C) -> Result<Vec<Lease>> {
    let statement = Statement::new("SELECT role, holder, expires_at_ms FROM leases ORDER BY role");
    let rows: Vec<(String, String, i64)> = conn.fetch_all(statement).await?;
    Ok(rows
        .into_iter()
        .map(|(role, holder, expires_ms)| Lease {
            role,
            holder,
            expires_at: from_unix_ms(expires_ms),
        })
        .collect())
}
