//! The scheduler's claim on PostgreSQL (`monitors::due`): due rows are locked, and
//! those another claimer holds are skipped, not waited for.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::backend::Claim;
use crate::dialect::PgBackend;
use crate::error::Result;

impl Claim for PgBackend {
    async fn set_due_times(tx: &mut PgConnection, due: &[(Uuid, i64)]) -> Result<()> {
        sqlx::query(
            "UPDATE monitors m SET next_due_at_ms = u.next_due_at_ms \
             FROM UNNEST($1::uuid[], $2::bigint[]) AS u(id, next_due_at_ms) WHERE m.id = u.id",
        )
        .bind(due.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(due.iter().map(|(_, at)| *at).collect::<Vec<_>>())
        .execute(tx)
        .await?;
        Ok(())
    }
}
