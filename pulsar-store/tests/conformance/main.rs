//! The conformance suite: every test runs against SQLite and PostgreSQL
//! (`cargo test -p pulsar-store --test conformance`; `sqlite::` and `postgres::` prefixes).

#[path = "../support/mod.rs"]
#[macro_use]
mod support;

mod alerts;
mod cached_summaries;
mod fold;
mod hosts;
mod incidents;
mod maintenance;
mod manual;
mod monitors;
mod notifications;
mod outbox;
mod overview;
mod results;
mod retention;
mod roles;
mod schedule;
mod secrets;
mod series;
mod summaries;

conformance! {
    monitors::create_get_update_delete_with_validation_errors,
    monitors::names_are_unique,
    monitors::list_filters_by_label_and_state_and_paginates,
    monitors::disabling_pauses_and_enabling_reschedules,
    monitors::delete_cascades_to_results_rollups_and_incidents,
    schedule::new_monitors_are_spread_over_their_interval,
    schedule::two_claimers_never_claim_a_slot_twice,
    schedule::missed_slots_are_skipped_after_downtime,
    schedule::interval_change_restarts_the_schedule,
    schedule::a_slot_handed_back_is_claimed_again,
    results::inserts_are_idempotent_per_monitor_and_slot,
    results::results_page_newest_first_within_a_range,
    results::latest_results_of_many_monitors,
    overview::overview_pages_monitors_with_their_recent_checks,
    manual::manual_checks_are_listed_but_never_counted,
    manual::results_filter_by_worker_and_region,
    results::results_keep_phases_hops_and_failures,
    summaries::rollup_percentiles_match_raw_percentiles,
    summaries::summaries_cover_the_window_edges,
    summaries::late_results_update_rollups_once,
    series::phase_series_merge_rollups_into_at_most_n_points,
    cached_summaries::a_cached_month_equals_the_raw_results,
    cached_summaries::a_late_result_in_a_cached_day_counts,
    cached_summaries::deleted_monitors_and_pruned_days_leave_no_cached_figures,
    cached_summaries::week_and_month_windows_stay_correct_side_by_side,
    fold::reads_agree_before_and_after_folding,
    fold::concurrent_ingest_and_folds_count_each_result_once,
    fold::the_background_task_folds_new_results,
    fold::folds_merge_into_minute_rows_folded_before,
    incidents::state_changes_open_escalate_and_close_incidents,
    alerts::failures_in_a_row_take_a_monitor_down_and_good_checks_bring_it_back,
    alerts::late_and_redelivered_results_never_flip_the_state,
    alerts::a_batch_is_applied_in_slot_order,
    alerts::paused_monitors_store_results_but_keep_their_state,
    incidents::incidents_list_per_monitor_and_globally,
    incidents::host_incidents_list_newest_first_by_host_and_open,
    hosts::host_samples_store_latest_and_downsample,
    hosts::samples_are_kept_under_the_host_identity_the_caller_sets,
    hosts::host_history_keeps_named_series_and_checks_its_windows,
    notifications::channels_crud_and_delivery_log,
    outbox::a_state_change_notifies_each_routed_channel_once,
    outbox::channels_that_ask_are_reminded_while_a_monitor_stays_down,
    outbox::a_monitor_that_asks_is_reminded_on_every_channel,
    outbox::each_certificate_threshold_is_announced_once,
    outbox::a_host_condition_notifies_host_channels_once_each_way,
    maintenance::windows_are_stored_by_name_and_checked,
    maintenance::a_window_mutes_alerts_and_the_state_after_it_is_announced,
    outbox::a_lapsed_lease_hands_the_notification_to_another_notifier,
    retention::prune_removes_only_what_retention_drops,
    roles::a_lease_has_one_holder_until_it_expires_or_is_released,
    roles::channels_route_by_default_labels_and_list,
    roles::workers_are_listed_as_last_seen_and_forgotten_after_an_hour,
    secrets::updates_that_send_masks_back_keep_the_secrets,
}

/// The summary cache under budgets that do not hold every monitor's days: 0 (off) and about
/// one month of one monitor.
mod small_summary_cache {
    use crate::cached_summaries::a_cache_smaller_than_the_working_set_stays_exact as test;
    use crate::support::{on_postgres_with, on_sqlite_with};

    /// An entry of this test's data is ~4 KB: one monitor's month fits, a second does not.
    const ONE_ENTRY: usize = 6 * 1024;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_without_a_cache() {
        on_sqlite_with(Some(0), test).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_with_room_for_one_monitor() {
        on_sqlite_with(Some(ONE_ENTRY), test).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_without_a_cache() {
        on_postgres_with(Some(0), test).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_with_room_for_one_monitor() {
        on_postgres_with(Some(ONE_ENTRY), test).await;
    }
}
