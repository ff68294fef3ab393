//! The two dialects, and the SQL text that differs between them, side by side: everything
//! else is written once (see `backend` for the code that differs).

use sqlx::migrate::Migrator;
use sqlx::{PgConnection, Pool, Postgres, Sqlite, SqliteConnection, Transaction};

use crate::error::Result;
use crate::sql::{Conn, Placeholders, Statement};

/// A dialect's driver, and its SQL where the text differs.
pub(crate) trait Dialect: Send + Sync + Clone + std::fmt::Debug + 'static {
    type Db: sqlx::Database<Connection = Self::Conn>;
    type Conn: Conn + sqlx::Connection<Database = Self::Db> + sqlx::migrate::Migrate;

    const SQL: &'static DialectSql;
}

/// The SQL text that differs between the dialects: [`POSTGRES`] and [`SQLITE`], side by
/// side below.
pub(crate) struct DialectSql {
    pub(crate) migrator: &'static Migrator,
    /// Begins a write transaction; conflicting writers wait for it.
    pub(crate) begin_write: &'static str,
    /// Begins a read-only transaction on one snapshot: rollups, the fold cursor and pending
    /// results agree.
    pub(crate) begin_read: &'static str,
    /// Run first in every read transaction.
    pub(crate) read_settings: Option<&'static str>,
    /// Appended to a `SELECT` of rows the transaction then writes.
    pub(crate) lock_rows: &'static str,
    /// Appended to the scheduler's `SELECT` of due monitors (`monitors::due`).
    pub(crate) skip_locked: &'static str,
    /// A predicate on a column, true for the ids of the [`Value::Ids`](crate::sql::Value)
    /// bound as `$1`: `monitor_id{in_ids}`.
    pub(crate) in_ids: &'static str,
    /// Written before a column, keeps its comparison off the indexes (SQLite's unary `+`),
    /// so a read scans the primary key's range instead; nothing on PostgreSQL.
    pub(crate) no_index: &'static str,
    /// The two-argument minimum and maximum, for rollup upserts.
    pub(crate) least_greatest: (&'static str, &'static str),
    /// How a multi-row insert writes its placeholders (`sql::insert_values`).
    pub(crate) placeholders: Placeholders,
    /// The bounded DELETEs of a retention run (see `prune`), whose row addressing differs.
    pub(crate) prune: PruneStatements,
}

// Migrations only add to the schema, and a newer version's are ignored rather than refused:
// during a rolling upgrade the schema is migrated first, and processes of the version before
// keep starting against it.
static POSTGRES_MIGRATOR: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/postgres")
};
static SQLITE_MIGRATOR: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/sqlite")
};

/// PostgreSQL: many processes share the database, so writers lock the rows they change.
pub(crate) const POSTGRES: DialectSql = DialectSql {
    migrator: &POSTGRES_MIGRATOR,
    begin_write: "BEGIN",
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    // Grouping a month of histograms needs more than the default 4 MB of work memory
    // (without it PostgreSQL sorts on disk), and each plan must see its time ranges: a
    // generic plan of a prepared statement cannot, and falls back to a full scan.
    read_settings: Some(
        "SELECT set_config('work_mem', '64MB', true), \
         set_config('plan_cache_mode', 'force_custom_plan', true)",
    ),
    lock_rows: " FOR UPDATE",
    // Rows another claimer holds are skipped, not waited for: once it commits their due
    // times lie after `now`.
    skip_locked: " FOR NO KEY UPDATE SKIP LOCKED",
    in_ids: " = ANY($1)",
    no_index: "",
    least_greatest: ("LEAST", "GREATEST"),
    placeholders: Placeholders::Numbered,
    prune: PruneStatements::POSTGRES,
};

/// SQLite: one process, and writers serialized by `BEGIN IMMEDIATE` (which takes the write
/// lock before the first read, so a transaction never fails upgrading its lock): no row
/// locks. In WAL mode a read transaction reads one snapshot from its first statement on.
pub(crate) const SQLITE: DialectSql = DialectSql {
    migrator: &SQLITE_MIGRATOR,
    begin_write: "BEGIN IMMEDIATE",
    begin_read: "BEGIN",
    read_settings: None,
    lock_rows: "",
    skip_locked: "",
    in_ids: " IN (SELECT unhex(value) FROM json_each($1))",
    no_index: "+",
    least_greatest: ("min", "max"),
    placeholders: Placeholders::InOrder,
    prune: PruneStatements::SQLITE,
};

/// The PostgreSQL dialect of [`SqlStore`](crate::SqlStore).
#[derive(Debug, Clone, Copy)]
pub struct PgBackend;

impl Dialect for PgBackend {
    type Db = Postgres;
    type Conn = PgConnection;

    const SQL: &'static DialectSql = &POSTGRES;
}

/// The SQLite dialect of [`SqlStore`](crate::SqlStore).
#[derive(Debug, Clone, Copy)]
pub struct SqliteBackend;

impl Dialect for SqliteBackend {
    type Db = Sqlite;
    type Conn = SqliteConnection;

    const SQL: &'static DialectSql = &SQLITE;
}

/// A write transaction of the dialect.
pub(crate) async fn begin_write<B: Dialect>(
    pool: &Pool<B::Db>,
) -> Result<Transaction<'static, B::Db>> {
    Ok(pool.begin_with(B::SQL.begin_write).await?)
}

/// A read-only transaction of the dialect, on one snapshot.
pub(crate) async fn begin_read<B: Dialect>(
    pool: &Pool<B::Db>,
) -> Result<Transaction<'static, B::Db>> {
    let mut tx = pool.begin_with(B::SQL.begin_read).await?;
    if let Some(settings) = B::SQL.read_settings {
        tx.execute(Statement::new(settings)).await?;
    }
    Ok(tx)
}

/// One bounded DELETE per kind of row, in a dialect's SQL. Each binds the [`Scope`]'s
/// values first, then the cut-off (unix ms; rows older go), then the row limit.
pub(crate) struct PruneStatements {
    /// [`Scope::Monitor`]: one monitor's folded results, a range scan of the primary key.
    /// Results not yet folded stay until they are, as their rollups outlive them.
    pub(crate) results: &'static str,
    /// [`Scope::Rollups`]: rollups of one bucket size, a range at the start of the
    /// time-first key.
    pub(crate) rollups: &'static str,
    /// [`Scope::Host`].
    pub(crate) host_samples: &'static str,
    /// [`Scope::HostRollups`].
    pub(crate) host_rollups: &'static str,
    /// [`Scope::HostRollups`].
    pub(crate) host_named_rollups: &'static str,
    /// [`Scope::Everything`].
    pub(crate) deliveries: &'static str,
    /// [`Scope::Everything`]: settled outbox rows (delivered or failed); pending ones stay.
    pub(crate) notifications: &'static str,
}

impl PruneStatements {
    /// DELETEs of rows picked by `ctid`, each bounded by a `LIMIT`: `= ANY(ARRAY(…))` is a
    /// TID scan, where `IN (…)` would plan a join over the whole table.
    pub(crate) const POSTGRES: Self = Self {
        results: "DELETE FROM check_results WHERE ctid = ANY(ARRAY(SELECT ctid FROM check_results \
                  WHERE monitor_id = $1 AND slot_ms < $2 \
                  AND (seq IS NULL OR seq <= (SELECT folded_seq FROM rollup_cursor)) LIMIT $3))",
        rollups: "DELETE FROM rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM rollups \
                  WHERE bucket_seconds = $1 AND bucket_start_ms < $2 LIMIT $3))",
        host_samples: "DELETE FROM host_samples WHERE ctid = ANY(ARRAY(SELECT ctid FROM \
                       host_samples WHERE hostname = $1 AND taken_at_ms < $2 LIMIT $3))",
        host_rollups: "DELETE FROM host_rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM \
                       host_rollups WHERE hostname = $1 AND bucket_seconds = $2 \
                       AND bucket_start_ms < $3 LIMIT $4))",
        host_named_rollups: "DELETE FROM host_named_rollups WHERE ctid = ANY(ARRAY(SELECT \
                             ctid FROM host_named_rollups WHERE hostname = $1 \
                             AND bucket_seconds = $2 AND bucket_start_ms < $3 LIMIT $4))",
        deliveries: "DELETE FROM deliveries WHERE ctid = ANY(ARRAY(SELECT ctid FROM deliveries \
                     WHERE attempted_at_ms < $1 LIMIT $2))",
        notifications: "DELETE FROM notifications WHERE ctid = ANY(ARRAY(SELECT ctid FROM \
                        notifications WHERE created_at_ms < $1 AND status <> 'pending' \
                        LIMIT $2))",
    };

    /// DELETEs of rows picked by key or `rowid`, each bounded by a `LIMIT`.
    pub(crate) const SQLITE: Self = Self {
        results: "DELETE FROM check_results WHERE rowid IN (SELECT rowid FROM check_results \
                  WHERE monitor_id = $1 AND slot_ms < $2 \
                  AND (seq IS NULL OR seq <= (SELECT folded_seq FROM rollup_cursor)) LIMIT $3)",
        rollups: "DELETE FROM rollups WHERE (bucket_seconds, bucket_start_ms, monitor_id) IN ( \
                  SELECT bucket_seconds, bucket_start_ms, monitor_id FROM rollups \
                  WHERE bucket_seconds = $1 AND bucket_start_ms < $2 LIMIT $3)",
        host_samples: "DELETE FROM host_samples WHERE hostname = $1 AND taken_at_ms IN ( \
                       SELECT taken_at_ms FROM host_samples \
                       WHERE hostname = $1 AND taken_at_ms < $2 LIMIT $3)",
        host_rollups: "DELETE FROM host_rollups WHERE hostname = $1 AND bucket_seconds = $2 \
                       AND bucket_start_ms IN (SELECT bucket_start_ms FROM host_rollups \
                       WHERE hostname = $1 AND bucket_seconds = $2 AND bucket_start_ms < $3 \
                       LIMIT $4)",
        host_named_rollups: "DELETE FROM host_named_rollups WHERE hostname = $1 \
                             AND bucket_seconds = $2 AND (bucket_start_ms, name) IN ( \
                             SELECT bucket_start_ms, name FROM host_named_rollups \
                             WHERE hostname = $1 AND bucket_seconds = $2 \
                             AND bucket_start_ms < $3 LIMIT $4)",
        deliveries: "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
                     WHERE attempted_at_ms < $1 LIMIT $2)",
        notifications: "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications \
                        WHERE created_at_ms < $1 AND status <> 'pending' LIMIT $2)",
    };
}
