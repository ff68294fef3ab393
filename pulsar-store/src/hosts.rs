//! Host samples and their minute and hour averages, with their SQL: the same text on both
//! dialects but the batch insert of samples ([`Backend::insert_host_samples`]).

use std::collections::HashSet;

use crate::backend::Backend;
use crate::error::{Result, StoreError};
use crate::query::{HostSummary, TimeRange};
use crate::rows::{
    HostPointRow, HostSampleColumns, METRIC_COLUMNS, decode_snapshot, first_per_key,
    host_rollup_deltas, series_plan, to_u64,
};
use crate::sql::{Conn, ROWS_PER_STATEMENT, Statement, Upsert, insert_values, on_conflict};
use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{HostPoint, from_unix_ms};

/// The rows of `samples` to store: each checked, the first of each (host, time) only.
pub(crate) fn sample_rows(samples: &[HostSnapshot]) -> Result<Vec<HostSampleColumns>> {
    let all = samples
        .iter()
        .map(HostSampleColumns::new)
        .collect::<Result<Vec<_>>>()?;
    Ok(first_per_key(all, |s| (s.hostname.clone(), s.taken_at_ms)))
}

/// Adds the samples of `rows` whose keys are in `inserted` (the new ones) to their minute
/// and hour averages, in the caller's transaction; returns how many samples that was.
pub(crate) async fn add_to_averages<B: Backend>(
    tx: &mut B::Conn,
    rows: &[HostSampleColumns],
    inserted: &[(String, i64)],
) -> Result<u64> {
    let inserted: HashSet<(&str, i64)> = inserted.iter().map(|(h, t)| (h.as_str(), *t)).collect();
    let new: Vec<&HostSampleColumns> = rows
        .iter()
        .filter(|s| inserted.contains(&(s.hostname.as_str(), s.taken_at_ms)))
        .collect();
    // Averages are sums and counts, so a delta adds to the stored row in SQL.
    let deltas = host_rollup_deltas(&new);
    for chunk in deltas.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<_> = chunk.iter().map(|d| d.fields()).collect();
        let merge = on_conflict(
            "host_rollups",
            &rows[0],
            Upsert::Merge,
            B::SQL.least_greatest,
        );
        let statement = insert_values("host_rollups", &rows, &merge, B::SQL.placeholders);
        tx.execute(statement).await?;
    }
    Ok(new.len() as u64)
}

/// Every host with samples, by name (byte order on both dialects).
pub(crate) async fn list<C: Conn>(conn: &mut C) -> Result<Vec<HostSummary>> {
    let statement = Statement::new(
        "SELECT hostname, max(taken_at_ms), count(*) FROM host_samples \
         GROUP BY hostname ORDER BY hostname",
    );
    let rows: Vec<(String, i64, i64)> = conn.fetch_all(statement).await?;
    Ok(rows
        .into_iter()
        .map(|(hostname, last_ms, samples)| HostSummary {
            hostname,
            last_seen: from_unix_ms(last_ms),
            samples: to_u64(samples),
        })
        .collect())
}

/// A host's newest snapshot.
pub(crate) async fn latest<C: Conn>(conn: &mut C, hostname: &str) -> Result<HostSnapshot> {
    let statement = Statement::new(
        "SELECT snapshot FROM host_samples WHERE hostname = $1 \
         ORDER BY taken_at_ms DESC LIMIT 1",
    )
    .bind(hostname);
    let (bytes,): (Vec<u8>,) = conn
        .fetch_optional(statement)
        .await?
        .ok_or_else(|| StoreError::not_found("host", hostname))?;
    decode_snapshot(&bytes)
}

/// A host's metrics over `range`, averaged per step: from raw samples for steps under a
/// minute, else from the minute or hour averages (see `series_plan`).
pub(crate) async fn series<C: Conn>(
    conn: &mut C,
    hostname: &str,
    range: TimeRange,
    points: u32,
) -> Result<Vec<HostPoint>> {
    let plan = series_plan(range, points);
    let sql = match plan.source {
        None => {
            let averages: Vec<String> = METRIC_COLUMNS
                .iter()
                .map(|(raw, _, _)| format!("avg({raw}) AS {raw}"))
                .collect();
            format!(
                "SELECT (taken_at_ms - $2) / $4 AS step_index, count(*) AS samples, {} \
                 FROM host_samples WHERE hostname = $1 AND taken_at_ms >= $2 \
                 AND taken_at_ms < $3 AND $5 IS NULL GROUP BY step_index ORDER BY step_index",
                averages.join(", ")
            )
        }
        Some(_) => {
            // An average over the samples that had the metric: its sums over its counts.
            let averages: Vec<String> = METRIC_COLUMNS
                .iter()
                .map(|(raw, sum, count)| {
                    format!(
                        "sum({sum}) / CAST(nullif(sum({count}), 0) AS DOUBLE PRECISION) AS {raw}"
                    )
                })
                .collect();
            format!(
                "SELECT (bucket_start_ms - $2) / $4 AS step_index, \
                 CAST(sum(samples) AS BIGINT) AS samples, {} FROM host_rollups \
                 WHERE hostname = $1 AND bucket_seconds = $5 AND bucket_start_ms >= $2 \
                 AND bucket_start_ms < $3 GROUP BY step_index ORDER BY step_index",
                averages.join(", ")
            )
        }
    };
    let statement = Statement::composed(sql)
        .bind(hostname)
        .bind(plan.from_ms)
        .bind(plan.to_ms)
        .bind(plan.step_ms)
        .bind(plan.source.map(|b| b.seconds()));
    let rows: Vec<HostPointRow> = conn.fetch_all(statement).await?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_point(plan.from_ms, plan.step_ms))
        .collect())
}
