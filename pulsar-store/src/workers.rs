//! Which processes run checks: each records itself every few seconds
//! ([`pulsar_core::PRESENCE_INTERVAL`]); one unseen for [`pulsar_core::PRESENCE_KEPT`] is
//! forgotten.

use pulsar_core::{PRESENCE_KEPT, WorkerSeen, from_unix_ms, truncate_to_ms, unix_ms};

use crate::error::Result;
use crate::sql::{Conn, Statement};

/// Records that `worker` was seen, and forgets those unseen for too long.
pub(crate) async fn record<C: Conn>(conn: &mut C, worker: &WorkerSeen) -> Result<()> {
    let seen = unix_ms(truncate_to_ms(worker.last_seen));
    let upsert = Statement::new(
        "INSERT INTO workers (name, host, region, last_seen_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET host = excluded.host, region = excluded.region, \
         last_seen_ms = excluded.last_seen_ms",
    )
    .bind(worker.name.as_str())
    .bind(worker.host.as_str())
    .bind(worker.region.as_str())
    .bind(seen);
    conn.execute(upsert).await?;
    let kept_ms = i64::try_from(PRESENCE_KEPT.as_millis()).unwrap_or(i64::MAX);
    let forget = Statement::new("DELETE FROM workers WHERE last_seen_ms < $1")
        .bind(seen.saturating_sub(kept_ms));
    conn.execute(forget).await?;
    Ok(())
}

/// Every process remembered, by name.
pub(crate) async fn list<C: Conn>(conn: &mut C) -> Result<Vec<WorkerSeen>> {
    let rows: Vec<(String, String, String, i64)> = conn
        .fetch_all(Statement::new(
            "SELECT name, host, region, last_seen_ms FROM workers ORDER BY name",
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(name, host, region, seen)| WorkerSeen {
            name,
            host,
            region,
            last_seen: from_unix_ms(seen),
        })
        .collect())
}
