//! Operations whose SQL is the same text on both dialects (`$N` placeholders work on SQLite
//! too): written once here as macros, each expanded in both dialect modules for their pool
//! type, so the compiler checks every expansion against its driver.

/// Incident lookup and notification channel writes, as `pub(super)` functions taking `$pool`.
macro_rules! channel_statements {
    ($pool:ty) => {
        pub(super) async fn get_incident(
            pool: &$pool,
            id: pulsar_core::IncidentId,
        ) -> $crate::Result<pulsar_core::Incident> {
            sqlx::query_as::<_, $crate::rows::IncidentRow>(concat!(
                "SELECT ",
                $crate::rows::incident_columns!(),
                " FROM incidents WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| $crate::StoreError::not_found("incident", id))?
            .into_incident()
        }

        fn name_taken(
            error: sqlx::Error,
            channel: &pulsar_core::NotificationChannel,
        ) -> $crate::StoreError {
            if $crate::error::is_unique_violation(&error) {
                $crate::StoreError::already_exists("notification channel", &channel.name)
            } else {
                error.into()
            }
        }

        pub(super) async fn create_channel(
            pool: &$pool,
            channel: &pulsar_core::NotificationChannel,
            now: std::time::SystemTime,
        ) -> $crate::Result<pulsar_core::NotificationChannel> {
            channel.validate()?;
            let now = $crate::logic::truncate_ms(now);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO notification_channels (name, kind, config, enabled, created_at_ms, \
                 updated_at_ms) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&channel.name)
            .bind(&channel.kind)
            .bind($crate::rows::channel_config_json(channel)?)
            .bind(channel.enabled)
            .bind(pulsar_core::unix_ms(now))
            .fetch_one(pool)
            .await
            .map_err(|e| name_taken(e, channel))?;
            Ok(pulsar_core::NotificationChannel {
                id: pulsar_core::ChannelId(id),
                created_at: now,
                updated_at: now,
                ..channel.clone()
            })
        }

        pub(super) async fn get_channel(
            pool: &$pool,
            id: pulsar_core::ChannelId,
        ) -> $crate::Result<pulsar_core::NotificationChannel> {
            sqlx::query_as::<_, $crate::rows::ChannelRow>(concat!(
                "SELECT ",
                $crate::rows::channel_columns!(),
                " FROM notification_channels WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| $crate::StoreError::not_found("notification channel", id))?
            .into_channel()
        }

        pub(super) async fn update_channel(
            pool: &$pool,
            channel: &pulsar_core::NotificationChannel,
            now: std::time::SystemTime,
        ) -> $crate::Result<pulsar_core::NotificationChannel> {
            channel.validate()?;
            let row: Option<$crate::rows::ChannelRow> = sqlx::query_as(concat!(
                "UPDATE notification_channels SET name = $2, kind = $3, config = $4, \
                 enabled = $5, updated_at_ms = $6 WHERE id = $1 RETURNING ",
                $crate::rows::channel_columns!()
            ))
            .bind(channel.id.0)
            .bind(&channel.name)
            .bind(&channel.kind)
            .bind($crate::rows::channel_config_json(channel)?)
            .bind(channel.enabled)
            .bind(pulsar_core::unix_ms(now))
            .fetch_optional(pool)
            .await
            .map_err(|e| name_taken(e, channel))?;
            row.ok_or_else(|| $crate::StoreError::not_found("notification channel", channel.id))?
                .into_channel()
        }

        pub(super) async fn delete_channel(
            pool: &$pool,
            id: pulsar_core::ChannelId,
        ) -> $crate::Result<()> {
            let deleted = sqlx::query("DELETE FROM notification_channels WHERE id = $1")
                .bind(id.0)
                .execute(pool)
                .await?;
            if deleted.rows_affected() == 0 {
                return Err($crate::StoreError::not_found("notification channel", id));
            }
            Ok(())
        }
    };
}
pub(crate) use channel_statements;

/// One monitor's results, newest first, by keyset pages: `pub(super) async fn list`.
macro_rules! result_page_statements {
    ($pool:ty) => {
        pub(super) async fn list(
            pool: &$pool,
            monitor_id: pulsar_core::MonitorId,
            range: $crate::TimeRange,
            page: &$crate::PageRequest,
        ) -> $crate::Result<$crate::Page<pulsar_core::CheckResult>> {
            let (from_ms, to_ms) = range.millis();
            let before_ms = page.cursor_i64()?.unwrap_or(i64::MAX);
            let rows: Vec<$crate::rows::ResultRow> = sqlx::query_as(concat!(
                "SELECT ",
                $crate::rows::result_columns!(),
                " FROM check_results WHERE monitor_id = $1 AND slot_ms >= $2 AND slot_ms < $3 \
                 AND slot_ms < $4 ORDER BY slot_ms DESC LIMIT $5"
            ))
            .bind(monitor_id.0)
            .bind(from_ms)
            .bind(to_ms)
            .bind(before_ms)
            .bind(page.fetch_limit())
            .fetch_all(pool)
            .await?;
            if rows.is_empty() {
                // An empty page of a monitor that does not exist is an error, not a page.
                let exists: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM monitors WHERE id = $1")
                        .bind(monitor_id.0)
                        .fetch_optional(pool)
                        .await?;
                if exists.is_none() {
                    return Err($crate::StoreError::not_found("monitor", monitor_id));
                }
            }
            let results = rows
                .into_iter()
                .map($crate::rows::ResultRow::into_result)
                .collect::<$crate::Result<Vec<_>>>()?;
            Ok($crate::Page::from_rows(results, page, |r| {
                pulsar_core::unix_ms(r.slot).to_string()
            }))
        }
    };
}
pub(crate) use result_page_statements;

/// A host's newest snapshot: `pub(super) async fn latest`.
macro_rules! host_statements {
    ($pool:ty) => {
        pub(super) async fn latest(
            pool: &$pool,
            hostname: &str,
        ) -> $crate::Result<pulsar_core::proto::v1::HostSnapshot> {
            let bytes: Vec<u8> = sqlx::query_scalar(
                "SELECT snapshot FROM host_samples WHERE hostname = $1 \
                 ORDER BY taken_at_ms DESC LIMIT 1",
            )
            .bind(hostname)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| $crate::StoreError::not_found("host", hostname))?;
            $crate::rows::decode_snapshot(&bytes)
        }
    };
}
pub(crate) use host_statements;

/// How many results wait to be folded: `pub(super) async fn lag`.
macro_rules! fold_statements {
    ($pool:ty) => {
        pub(super) async fn lag(pool: &$pool) -> $crate::Result<u64> {
            let pending: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM check_results \
                 WHERE seq > (SELECT folded_seq FROM rollup_cursor)",
            )
            .fetch_one(pool)
            .await?;
            Ok($crate::rows::to_u64(pending))
        }
    };
}
pub(crate) use fold_statements;
