//! The runtime's scheduling delay, watched. A busy process timestamps late: a phase's end
//! is read when the task is polled again, not when the bytes arrived. So the worker keeps a
//! short periodic timer and measures how late each tick fires, beyond the timer's own 1 ms
//! granularity. Checks start only while that delay is low, and each result records the
//! worst delay seen while it ran, so a distorted measurement is marked, never silent.

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

/// The measured delays, newest last, each with its tick number.
#[derive(Default)]
struct Ticks {
    next: u64,
    delays: VecDeque<(u64, Duration)>,
}

/// A handle on the watch; clones share it. The timer stops when the last handle is dropped.
#[derive(Clone)]
pub struct DelayWatch {
    ticks: Arc<Mutex<Ticks>>,
}

/// Where a check started, to ask later for the worst delay since.
#[derive(Debug, Clone, Copy)]
pub struct Mark(u64);

impl DelayWatch {
    /// Starts the timer on the current runtime.
    pub fn start() -> Self {
        let watch = Self {
            ticks: Arc::default(),
        };
        let weak = Arc::downgrade(&watch.ticks);
        tokio::spawn(async move {
            let mut deadline = Instant::now() + TICK;
            loop {
                tokio::time::sleep_until(deadline).await;
                let now = Instant::now();
                let late = now.saturating_duration_since(deadline);
                let Some(ticks) = weak.upgrade() else { return };
                record(&ticks, late.saturating_sub(GRANULARITY));
                // A late tick does not make the next ones late: they follow from now.
                deadline = now.max(deadline) + TICK;
            }
        });
        watch
    }

    /// The delay now: the worst of the last few ticks.
    pub fn current(&self) -> Duration {
        let ticks = self.lock();
        ticks
            .delays
            .iter()
            .rev()
            .take(RECENT)
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
        self.ticks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn record(ticks: &Mutex<Ticks>, delay: Duration) {
    let mut ticks = ticks.lock().unwrap_or_else(|e| e.into_inner());
    let n = ticks.next;
    ticks.next += 1;
    if ticks.delays.len() == HISTORY {
        ticks.delays.pop_front();
    }
    ticks.delays.push_back((n, delay));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_runtime_shows_as_delay_and_the_mark_keeps_the_worst() {
        let watch = DelayWatch::start();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mark = watch.mark();
        // Block the only thread: the timer cannot fire until this returns.
        std::thread::sleep(Duration::from_millis(40));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            watch.worst_since(mark) >= Duration::from_millis(30),
            "{:?}",
            watch.worst_since(mark)
        );
        assert!(watch.current() >= Duration::from_millis(30));
        // Idle again: the delay falls and a check no longer waits long.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let later = watch.mark();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(watch.worst_since(later) < Duration::from_millis(30));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_check_waits_for_the_delay_to_fall_and_never_longer_than_the_bound() {
        let watch = DelayWatch::start();
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
        assert!(watch.current() <= Duration::from_millis(5) || started.elapsed() >= MAX_DEFERRAL);
    }
}
