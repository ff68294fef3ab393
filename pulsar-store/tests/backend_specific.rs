//! What only one backend has: a SQLite file that outlives its store, and PostgreSQL's row
//! locks meeting the scheduler's claim.

#[path = "support/mod.rs"]
#[allow(unused_macros)]
mod support;

use std::time::Duration;

use pulsar_store::{PageRequest, ResultFilter, SqliteOptions, SqliteStore, Store};
use sqlx::Connection;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_reopens_with_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pulsar.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let m = store.create_monitor(&monitor("kept"), now()).await.unwrap();
    let results: Vec<_> = (0..5)
        .map(|k| up(m.id, NOW_MS - k * MINUTE_MS, 1_000))
        .collect();
    store.insert_results(&results).await.unwrap();
    store.close().await;

    // Opening applies the migrations again: a no-op on a migrated file.
    let store = SqliteStore::open_with(SqliteOptions::file(&path))
        .await
        .expect("reopen");
    assert_eq!(store.get_monitor(m.id).await.unwrap(), m);
    let page = store
        .list_results(m.id, &ResultFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    let summary = &store
        .summaries(&[m.id], Duration::from_secs(86_400), now())
        .await
        .unwrap()[0];
    assert_eq!(summary.checks(), 5);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_version_still_opens() {
    // A rolling upgrade migrates first; the old version's processes restart against a
    // schema with migrations they do not know, which only add to it.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pulsar.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let m = store.create_monitor(&monitor("kept"), now()).await.unwrap();
    store.close().await;
    let url = format!("sqlite://{}", path.display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99991231000000, 'from a newer version', 1, x'00', 0)",
    )
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();

    let store = SqliteStore::open(&path)
        .await
        .expect("opens despite the newer migration");
    assert_eq!(store.get_monitor(m.id).await.unwrap(), m);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claims_skip_monitors_locked_elsewhere() {
    let Some(schema) = support::postgres::TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    let locked = store
        .create_monitor(&monitor("locked"), now())
        .await
        .unwrap();
    let free = store.create_monitor(&monitor("free"), now()).await.unwrap();
    let later = now() + Duration::from_secs(3_600);

    // Another session holds the row lock of one monitor (as a slow writer would).
    let mut other = sqlx::PgConnection::connect(&support::postgres::url())
        .await
        .expect("connect");
    let set_path = format!("SET search_path TO {}", schema.name);
    sqlx::query(sqlx::AssertSqlSafe(set_path))
        .execute(&mut other)
        .await
        .expect("search_path");
    let mut holder = other.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM monitors WHERE id = $1 FOR UPDATE")
        .bind(locked.id.0)
        .execute(&mut *holder)
        .await
        .expect("lock");

    // The claim skips that row instead of waiting: were it to wait, it would wait for the
    // rollback below, which only runs after it returns, and the timeout would fire.
    let claimed = tokio::time::timeout(Duration::from_secs(30), store.claim_due(later, 10))
        .await
        .expect("claim_due waited for a locked row")
        .unwrap();
    let ids: Vec<_> = claimed.iter().map(|due| due.monitor.id).collect();
    assert_eq!(ids, [free.id]);

    holder.rollback().await.expect("rollback");
    let claimed = store.claim_due(later, 10).await.unwrap();
    let ids: Vec<_> = claimed.iter().map(|due| due.monitor.id).collect();
    assert_eq!(ids, [locked.id], "the skipped monitor is claimed once free");
    store.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_names_sort_byte_by_byte_whatever_the_database_locale() {
    let Some(schema) = support::postgres::TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    // The columns themselves sort by bytes, so a database created with a locale that puts
    // "a" before "B" lists names (and pages by them) as SQLite does.
    let mut conn = sqlx::PgConnection::connect(&support::postgres::url())
        .await
        .expect("connect");
    let collations: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, collation_name::text \
         FROM information_schema.columns WHERE table_schema = $1 \
         AND column_name IN ('name', 'hostname') ORDER BY table_name",
    )
    .bind(&schema.name)
    .fetch_all(&mut conn)
    .await
    .expect("collations");
    let expected = [
        "host_named_rollups",
        "host_named_rollups",
        "host_rollups",
        "host_samples",
        "hosts",
        "maintenance_windows",
        "monitors",
        "notification_channels",
        "workers",
    ];
    let tables: Vec<&str> = collations.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(tables, expected);
    for (table, column, collation) in &collations {
        assert_eq!(collation.as_deref(), Some("C"), "{table}.{column}");
    }
    for name in ["b", "B", "a"] {
        store.create_monitor(&monitor(name), now()).await.unwrap();
    }
    let first = store
        .list_monitors(&Default::default(), &PageRequest::first(2))
        .await
        .unwrap();
    let names: Vec<&str> = first.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["B", "a"]);
    let cursor = first.next_cursor.expect("a second page");
    let rest = store
        .list_monitors(&Default::default(), &PageRequest::after(2, cursor))
        .await
        .unwrap();
    assert_eq!(rest.items[0].name, "b");
    store.close().await;
    schema.drop().await;
}

/// Corrupts the stored definition of `bad`, claims, and checks that only `good` is claimed
/// and that `bad` is not read again at the same time (its due time moved on).
async fn claims_skip_an_undecodable_monitor(
    store: &dyn Store,
    corrupt: impl std::future::Future<Output = ()>,
    good: pulsar_core::MonitorId,
) {
    corrupt.await;
    let tick = at(NOW_MS + 60_000);
    let claimed = store
        .claim_due(tick, 10)
        .await
        .expect("claim despite a bad row");
    let ids: Vec<_> = claimed.iter().map(|due| due.monitor.id).collect();
    assert_eq!(ids, [good]);
    assert!(store.claim_due(tick, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_claims_skip_a_monitor_whose_definition_does_not_decode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pulsar.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let bad = store.create_monitor(&monitor("bad"), now()).await.unwrap();
    let good = store.create_monitor(&monitor("good"), now()).await.unwrap();
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw connection");
    let corrupt = async {
        sqlx::query("UPDATE monitors SET definition = x'ff00ff' WHERE id = ?1")
            .bind(bad.id.0)
            .execute(&raw)
            .await
            .expect("corrupt");
    };
    claims_skip_an_undecodable_monitor(&store, corrupt, good.id).await;
    raw.close().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claims_skip_a_monitor_whose_definition_does_not_decode() {
    let Some(schema) = support::postgres::TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    let bad = store.create_monitor(&monitor("bad"), now()).await.unwrap();
    let good = store.create_monitor(&monitor("good"), now()).await.unwrap();
    let mut raw = sqlx::PgConnection::connect(&support::postgres::url())
        .await
        .expect("connect");
    let corrupt = async {
        let sql = format!(
            "UPDATE {}.monitors SET definition = '\\xff00ff'::bytea WHERE id = $1",
            schema.name
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(bad.id.0)
            .execute(&mut raw)
            .await
            .expect("corrupt");
    };
    claims_skip_an_undecodable_monitor(&store, corrupt, good.id).await;
    store.close().await;
    schema.drop().await;
}

/// Polls `probe` every 50 ms for up to 10 s until it returns `Some`.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_store_folds_and_hands_over_when_closed() {
    let Some(schema) = support::postgres::TestSchema::create().await else {
        return;
    };
    let (a, b) = (schema.store().await, schema.store().await);
    let fold_holder = |store: &pulsar_store::PgStore| {
        let store = store.clone();
        async move {
            let leases = store.list_leases().await.unwrap();
            leases
                .into_iter()
                .find(|l| l.role == pulsar_store::FOLD_LEASE)
                .map(|l| l.holder)
        }
    };
    let first = eventually("a fold lease", || fold_holder(&a)).await;
    let (holder, other) = if first == a.lease_holder() {
        (a, b)
    } else {
        assert_eq!(
            first,
            b.lease_holder(),
            "the holder is one of the two stores"
        );
        (b, a)
    };
    // Closing the holder gives the lease up; the other store takes the role and folds.
    holder.close().await;
    let m = other.create_monitor(&monitor("api"), now()).await.unwrap();
    other
        .insert_results(&[up(m.id, NOW_MS, 1_000)])
        .await
        .unwrap();
    let other_name = other.lease_holder().to_owned();
    eventually("the other store to hold the fold lease", || {
        let holder = fold_holder(&other);
        let other_name = other_name.clone();
        async move { (holder.await.as_deref() == Some(&other_name)).then_some(()) }
    })
    .await;
    eventually("the other store to fold", || {
        let other = other.clone();
        async move { (other.rollup_lag().await.unwrap() == 0).then_some(()) }
    })
    .await;
    other.close().await;
    schema.drop().await;
}
