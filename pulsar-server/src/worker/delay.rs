//! The runtime's scheduling delay, watched. A busy process timestamps late: a phase's end
//! is read when the task is polled again, not when the bytes arrived. So the worker keeps a
//! short periodic timer and measures how late each tick fires, beyond the timer's own 1 ms
//! granularity. Checks start only while that delay is low, and each result records the
//! worst delay seen while it ran, so a distorted measurement is marked, never silent.
//! The timer runs only while a check is waiting or running (and briefly after), so an idle
//! worker does not wake 200 times a second for nothing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// How often the timer ticks.
pub(crate) const TICK: Duration = Duration::from_millis(5);
/// The delay above which the worker starts no new check, unless told otherwise.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_millis(1);
/// The longest a check waits for the delay to fall; then it runs, marked with the delay.
pub const MAX_DEFERRAL: Duration = Duration::from_secs(1);
/// Tokio's timer fires on whole milliseconds: up to this much late on an idle runtime.
const GRANULARITY: Duration = Duration::from_millis(1);
/// Ticks remembered: about 20 s, longer than most checks take.
const HISTORY: usize = 4096;
/// Ticks that make up "now": the worst of the last 50 ms.
const RECENT: usize = 10;
/// How long the timer keeps ticking after the last check ended.
const LINGER: Duration = Duration::from_millis(200);

/// The measured delays, newest last, each with its tick number.
#[derive(Default)]
struct Ticks {
    next: u64,
    delays: VecDeque<(u64, Duration)>,
    /// Checks waiting or running now.
    busy: usize,
    /// When the last check ended.
    last_busy: Option<Instant>,
    /// The first tick that counts for "now": ticks before the timer last parked do not.
    fresh_from: u64,
}

/// What the timer and the handles share.
#[derive(Default)]
struct Shared {
    ticks: Mutex<Ticks>,
    /// Wakes a parked timer when a check begins. (Its own `Arc`: a parked timer holds
    /// only this, so dropping every handle still drops the rest.)
    wake: Arc<tokio::sync::Notify>,
}

/// A handle on the watch; clones share it. The timer stops when the last handle is dropped.
#[derive(Clone)]
pub struct DelayWatch {
    shared: Arc<Shared>,
}

/// One check's hold on the watch: the timer runs while any is held.
pub struct Watching {
    watch: DelayWatch,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let mut ticks = self.watch.lock();
        ticks.busy = ticks.busy.saturating_sub(1);
        ticks.last_busy = Some(Instant::now());
    }
}

/// Where a check started, to ask later for the worst delay since.
#[derive(Debug, Clone, Copy)]
pub struct Mark(u64);

impl DelayWatch {
    /// Starts the timer on the current runtime.
    pub fn start() -> Self {
        let watch = Self {
            shared: Arc::default(),
        };
        let weak = Arc::downgrade(&watch.shared);
        tokio::spawn(async move {
            let mut deadline = Instant::now() + TICK;
            loop {
                tokio::time::sleep_until(deadline).await;
                let now = Instant::now();
                let late = now.saturating_duration_since(deadline);
                let Some(shared) = weak.upgrade() else { return };
                let idle = record(&shared.ticks, late.saturating_sub(GRANULARITY), now);
                if idle {
                    // Nothing to watch: park until a check begins (a permit left by a
                    // `begin` since the last tick wakes it at once).
                    let wake = Arc::clone(&shared.wake);
                    drop(shared);
                    wake.notified().await;
                    deadline = Instant::now() + TICK;
                    continue;
                }
                // A late tick does not make the next ones late: they follow from now.
                deadline = now.max(deadline) + TICK;
            }
        });
        watch
    }

    /// Holds the timer running for one check, from before it waits to after it ends.
    pub fn begin(&self) -> Watching {
        self.lock().busy += 1;
        self.shared.wake.notify_one();
        Watching {
            watch: self.clone(),
        }
    }

    /// The delay now: the worst of the last few ticks.
    pub fn current(&self) -> Duration {
        let ticks = self.lock();
        ticks
            .delays
            .iter()
            .rev()
            .take(RECENT)
            .filter(|(n, _)| *n >= ticks.fresh_from)
            .map(|(_, d)| *d)
            .max()
            .unwrap_or_default()
    }

    /// Marks now, for [`worst_since`](Self::worst_since).
    pub fn mark(&self) -> Mark {
        Mark(self.lock().next)
    }

    /// The worst delay of the ticks since `mark` (all remembered ones if it is older).
    pub fn worst_since(&self, mark: Mark) -> Duration {
        let ticks = self.lock();
        ticks
            .delays
            .iter()
            .filter(|(n, _)| *n >= mark.0)
            .map(|(_, d)| *d)
            .max()
            .unwrap_or_default()
    }

    /// Waits while the delay is above `max`, up to [`MAX_DEFERRAL`]; whether it waited.
    pub async fn wait_below(&self, max: Duration) -> bool {
        if self.current() <= max {
            return false;
        }
        let give_up = Instant::now() + MAX_DEFERRAL;
        while self.current() > max && Instant::now() < give_up {
            tokio::time::sleep(TICK).await;
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ticks> {
        self.shared.ticks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Records one tick's delay at `now`; whether the timer may park (no check for a while).
/// Parking clears the recent delays: they described a runtime no check was waiting on.
fn record(ticks: &Mutex<Ticks>, delay: Duration, now: Instant) -> bool {
    let mut ticks = ticks.lock().unwrap_or_else(|e| e.into_inner());
    let n = ticks.next;
    ticks.next += 1;
    if ticks.delays.len() == HISTORY {
        ticks.delays.pop_front();
    }
    ticks.delays.push_back((n, delay));
    let idle = ticks.busy == 0
        && ticks
            .last_busy
            .is_none_or(|ended| now.duration_since(ended) >= LINGER);
    if idle {
        ticks.fresh_from = ticks.next;
    }
    idle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_runtime_shows_as_delay_and_the_mark_keeps_the_worst() {
        let watch = DelayWatch::start();
        let _check = watch.begin();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mark = watch.mark();
        // Block the only thread: the timer cannot fire until this returns.
        std::thread::sleep(Duration::from_millis(40));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let worst = watch.worst_since(mark);
        assert!(worst >= Duration::from_millis(30), "{worst:?}");
        assert!(watch.current() >= Duration::from_millis(30));
        // Idle again: the delay falls.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let later = watch.mark();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(watch.worst_since(later) < Duration::from_millis(30));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_check_waits_for_the_delay_to_fall_and_never_longer_than_the_bound() {
        let watch = DelayWatch::start();
        let _check = watch.begin();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !watch.wait_below(Duration::from_secs(1)).await,
            "idle: no wait"
        );
        std::thread::sleep(Duration::from_millis(30));
        tokio::time::sleep(Duration::from_millis(6)).await;
        let started = Instant::now();
        assert!(
            watch.wait_below(Duration::from_millis(5)).await,
            "late: a wait"
        );
        assert!(started.elapsed() <= MAX_DEFERRAL + Duration::from_millis(200));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_timer_parks_without_checks_and_wakes_for_one() {
        let watch = DelayWatch::start();
        let ticks = |w: &DelayWatch| w.lock().next;
        {
            let _check = watch.begin();
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(ticks(&watch) >= 5, "ticks while a check runs");
        }
        tokio::time::sleep(LINGER + Duration::from_millis(50)).await;
        let parked = ticks(&watch);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(ticks(&watch), parked, "no ticks while idle");
        let _check = watch.begin();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            ticks(&watch) > parked + 3,
            "ticks again once a check begins"
        );
    }
}
