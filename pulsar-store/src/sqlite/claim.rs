//! The scheduler's claim on SQLite (`monitors::due`): the write transaction already
//! excludes other claimers, so rows need no lock; the new due times bind as one JSON array.

use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::backend::Claim;
use crate::dialect::SqliteBackend;
use crate::error::Result;

impl Claim for SqliteBackend {
    async fn set_due_times(tx: &mut SqliteConnection, due: &[(Uuid, i64)]) -> Result<()> {
        let pairs: Vec<String> = due
            .iter()
            .map(|(id, at)| format!("[\"{}\",{at}]", id.simple()))
            .collect();
        sqlx::query(
            "UPDATE monitors SET next_due_at_ms = j.value ->> 1 FROM json_each($1) AS j \
             WHERE monitors.id = unhex(j.value ->> 0)",
        )
        .bind(format!("[{}]", pairs.join(",")))
        .execute(tx)
        .await?;
        Ok(())
    }
}
