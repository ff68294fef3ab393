//! The schedule grid: when each check of a monitor is due.
//!
//! A monitor's slots are the instants `phase + k × interval` (unix time), where the phase is
//! derived from the monitor's id. Ids are random, so the phases of many monitors spread
//! evenly over their interval: 10,000 monitors created at once do not fire at once. The grid
//! is absolute, so after downtime the next slot is simply the first grid point after now —
//! missed slots are skipped, not replayed in a burst.

use std::time::{Duration, SystemTime};

use crate::monitor::MonitorId;
use crate::time::{from_unix_ms, unix_ms};

fn interval_ms(interval: Duration) -> i64 {
    i64::try_from(interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

/// The offset of a monitor's slots within its interval, in `0..interval`.
pub fn slot_phase(id: MonitorId, interval: Duration) -> Duration {
    let ms = interval_ms(interval) as u128;
    Duration::from_millis((id.0.as_u128() % ms) as u64)
}

/// The latest slot at or before `at`.
pub fn slot_at_or_before(id: MonitorId, interval: Duration, at: SystemTime) -> SystemTime {
    let step = interval_ms(interval);
    let phase = i64::try_from(slot_phase(id, interval).as_millis()).unwrap_or(0);
    let since_phase = unix_ms(at).saturating_sub(phase);
    from_unix_ms(phase + since_phase.div_euclid(step) * step)
}

/// The first slot strictly after `at`.
pub fn slot_after(id: MonitorId, interval: Duration, at: SystemTime) -> SystemTime {
    slot_at_or_before(id, interval, at) + Duration::from_millis(interval_ms(interval) as u64)
}

/// The first slot at or after `at`: where a new (or re-enabled) monitor starts.
pub fn slot_at_or_after(id: MonitorId, interval: Duration, at: SystemTime) -> SystemTime {
    let before = slot_at_or_before(id, interval, at);
    if before == from_unix_ms(unix_ms(at)) {
        before
    } else {
        before + Duration::from_millis(interval_ms(interval) as u64)
    }
}

/// The key of a check run on demand at `started_at`: that millisecond, or the next one when
/// it lies on the monitor's grid, so a manual result never takes the place of (or is
/// dropped as a duplicate of) the scheduled check of the same slot.
pub fn manual_slot(id: MonitorId, interval: Duration, started_at: SystemTime) -> SystemTime {
    let at = from_unix_ms(unix_ms(started_at));
    if slot_at_or_before(id, interval, at) == at {
        at + Duration::from_millis(1)
    } else {
        at
    }
}

/// A scheduler that claims slots ahead delivers them on a grid, the checks due within one
/// step together: each step gathers about this many checks on average. Checks started
/// together finish together and are written in one transaction, and each transaction costs
/// CPU (at 1,000 monitors, delivering every check on its own doubled the server's CPU); a
/// busy scheduler still delivers every few milliseconds.
pub const CHECKS_PER_STEP: u32 = 16;
/// The finest delivery grid: a check starts at most this late when thousands are due.
pub const MIN_DELIVERY_STEP: Duration = Duration::from_millis(10);

/// How long a slot `wait` ahead is held before delivery, when `claimed` slots were claimed
/// for the next `tick`: `wait` rounded up to a grid of about [`CHECKS_PER_STEP`] slots a
/// step, from [`MIN_DELIVERY_STEP`] to the whole tick (a few slots go out together at its
/// end).
pub fn delivery_delay(wait: Duration, claimed: usize, tick: Duration) -> Duration {
    let claimed = u32::try_from(claimed.max(1)).unwrap_or(u32::MAX);
    let step = (tick * CHECKS_PER_STEP / claimed)
        .clamp(MIN_DELIVERY_STEP, tick.max(MIN_DELIVERY_STEP))
        .as_micros();
    let steps = wait.as_micros().div_ceil(step);
    Duration::from_micros(u64::try_from(steps * step).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> SystemTime {
        from_unix_ms(ms)
    }

    #[test]
    fn slots_lie_on_the_grid_of_the_phase() {
        let id = MonitorId::new();
        let interval = Duration::from_secs(60);
        let phase = unix_ms(SystemTime::UNIX_EPOCH + slot_phase(id, interval));
        let now = 1_700_000_000_123;
        let before = unix_ms(slot_at_or_before(id, interval, at(now)));
        assert!(before <= now && now - before < 60_000);
        assert_eq!((before - phase).rem_euclid(60_000), 0);
        assert_eq!(unix_ms(slot_after(id, interval, at(now))), before + 60_000);
        // A slot is "at or before" and "at or after" itself, and not "after" itself.
        let slot = slot_at_or_before(id, interval, at(now));
        assert_eq!(slot_at_or_before(id, interval, slot), slot);
        assert_eq!(slot_at_or_after(id, interval, slot), slot);
        assert_eq!(
            unix_ms(slot_after(id, interval, slot)),
            unix_ms(slot) + 60_000
        );
    }

    #[test]
    fn phases_of_many_monitors_spread_over_the_interval() {
        let interval = Duration::from_secs(60);
        let mut per_ten_seconds = [0u32; 6];
        for _ in 0..6_000 {
            let phase = slot_phase(MonitorId::new(), interval);
            per_ten_seconds[(phase.as_secs() / 10) as usize] += 1;
        }
        // Uniform would be 1,000 each; a burst would put them all in one.
        for count in per_ten_seconds {
            assert!((700..1_300).contains(&count), "{per_ten_seconds:?}");
        }
    }

    #[test]
    fn a_manual_check_never_lands_on_a_scheduled_slot() {
        let id = MonitorId::new();
        let interval = Duration::from_secs(60);
        let slot = slot_at_or_before(id, interval, at(1_700_000_000_000));
        // Started exactly on the grid: moved off it by a millisecond.
        assert_eq!(unix_ms(manual_slot(id, interval, slot)), unix_ms(slot) + 1);
        // Anywhere else: the millisecond it started, sub-millisecond parts dropped.
        let between = slot + Duration::from_micros(12_345_678);
        assert_eq!(
            unix_ms(manual_slot(id, interval, between)),
            unix_ms(slot) + 12_345
        );
        assert_ne!(
            slot_at_or_before(id, interval, manual_slot(id, interval, between)),
            manual_slot(id, interval, between)
        );
    }

    #[test]
    fn after_downtime_the_next_slot_is_the_first_after_now() {
        let id = MonitorId::new();
        let interval = Duration::from_secs(30);
        let last = slot_at_or_before(id, interval, at(1_700_000_000_000));
        let after_a_day = last + Duration::from_secs(86_400 + 7);
        let next = slot_after(id, interval, after_a_day);
        assert!(next > after_a_day && next <= after_a_day + interval);
    }

    #[test]
    fn the_delivery_grid_gathers_a_few_checks_per_step() {
        let tick = Duration::from_millis(250);
        let ms = Duration::from_millis;
        // A quiet tick: its few slots go out together at its end.
        assert_eq!(delivery_delay(ms(1), 1, tick), tick);
        assert_eq!(delivery_delay(ms(100), 16, tick), tick);
        // 250 slots in a tick: a 16 ms grid.
        assert_eq!(delivery_delay(ms(1), 250, tick), ms(16));
        assert_eq!(delivery_delay(ms(16), 250, tick), ms(16));
        assert_eq!(delivery_delay(ms(17), 250, tick), ms(32));
        // Thousands: never finer than the finest grid.
        assert_eq!(delivery_delay(ms(1), 10_000, tick), MIN_DELIVERY_STEP);
    }
}
