//! Expiry of idle series, off by default.
//!
//! A looked-up record marks its series as touched: one store, and no clock
//! read on the recording path. Each scrape (or a call to `expire_idle`)
//! notes every touched series as active now, whether expiry is on or not,
//! so that turning it on finds every series' last activity. A series whose
//! cells a guard, a timer or a bound handle holds (a [`super::SeriesCell`])
//! is in use and kept, and the last of them to be dropped notes the time:
//! records through handles count as activity too.
//!
//! With expiry on, a pass removes the series neither in use nor active for
//! longer than the expiry time. So a series expires at the first scrape
//! more than the expiry time after the scrape that last saw it recorded:
//! between the expiry time and that plus one scrape interval after its last
//! record. A lookup that finds or makes a series marks it touched, and a
//! bind holds it, before the family's lock is let go: a pass, which removes
//! series under the write lock, cannot slip in between.
//!
//! The trade-off, for counters above all: a counter that expires and is
//! recorded again starts from zero, which `rate()` reads as a reset, and its
//! increase while it was gone is lost to `increase()` over windows spanning
//! the gap. Expire counters only after much longer than your longest range
//! query.

use std::sync::atomic::{fence, Ordering::Acquire, Ordering::Relaxed};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use super::{Family, Inner, Series};
use crate::cell::Cell;

/// Nanoseconds since the first call in this process: when series were
/// last active.
pub(super) fn now() -> u64 {
    static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);
    ORIGIN.elapsed().as_nanos() as u64
}

impl<C: Cell, const K: usize> Inner<C, K> {
    /// Marks `series` as recorded into.
    #[inline]
    pub(super) fn touch(&self, series: &Series<C, K>) {
        if !series.touched.load(Relaxed) {
            series.touched.store(true, Relaxed);
        }
    }
}

impl<C: Cell, const K: usize> Family<C, K> {
    /// Removes series not recorded into for `after`, at each scrape; `None`
    /// (the default) keeps them for good.
    pub fn set_expiry(&self, after: Option<Duration>) {
        let nanos = after.map_or(0, |d| (d.as_nanos() as u64).max(1));
        self.inner.expire_after.store(nanos, Relaxed);
    }

    /// Removes the series idle for longer than the expiry time now, rather
    /// than at the next scrape; returns how many were removed.
    pub fn expire_idle(&self) -> usize {
        let inner = &*self.inner;
        if K == 0 {
            return 0;
        }
        let after = inner.expire_after.load(Relaxed);
        let now = now();
        let idle = |series: &Arc<Series<C, K>>| {
            // The count before the activity: a handle notes the time of
            // its drop before it gives its count back (a release), which
            // the fence pairs with.
            let in_use = Arc::strong_count(&series.cells) > 1;
            fence(Acquire);
            if series.touched.load(Relaxed) {
                series.touched.store(false, Relaxed);
                series.cells.active_at.fetch_max(now, Relaxed);
            }
            let active_at = series.cells.active_at.load(Relaxed);
            after != 0 && !in_use && now.saturating_sub(active_at) > after
        };
        let any_idle = inner
            .series
            .read()
            .iter()
            .fold(false, |any, s| idle(s) | any);
        if !any_idle {
            return 0;
        }
        let mut series = inner.series.write();
        let before = series.len();
        series.retain(|s| !idle(s));
        let removed = before - series.len();
        if removed > 0 {
            inner.generation.fetch_add(1, Relaxed);
        }
        removed
    }
}
