//! Expiry of idle series, off by default.
//!
//! While it is on, a record marks its series as touched: one store, and no
//! clock read on the recording path. Each scrape (or a call to
//! `expire_idle`) notes every touched series as active now, and removes the
//! series not active for longer than the expiry time. So a series expires at
//! the first scrape more than the expiry time after the scrape that last saw
//! it recorded: between the expiry time and that plus one scrape interval
//! after its last record. A series whose cells a guard, a timer or a bound
//! handle holds (a [`super::SeriesCell`]) is in use, and kept.
//!
//! The trade-off, for counters above all: a counter that expires and is
//! recorded again starts from zero, which `rate()` reads as a reset, and its
//! increase while it was gone is lost to `increase()` over windows spanning
//! the gap. Expire counters only after much longer than your longest range
//! query.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use super::{Family, Inner, Series};
use crate::cell::Cell;

impl<C: Cell, const K: usize> Inner<C, K> {
    /// Nanoseconds since the family was made.
    pub(super) fn now(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }

    /// Marks `series` as recorded into, if expiry is on.
    #[inline]
    pub(super) fn touch(&self, series: &Series<C, K>) {
        if self.expire_after.load(Relaxed) != 0 && !series.touched.load(Relaxed) {
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
        let after = inner.expire_after.load(Relaxed);
        if after == 0 || K == 0 {
            return 0;
        }
        let now = inner.now();
        let idle = |series: &Arc<Series<C, K>>| {
            if series.touched.swap(false, Relaxed) {
                series.active_at.store(now, Relaxed);
            }
            let in_use = Arc::strong_count(&series.cells) > 1;
            !in_use && now.saturating_sub(series.active_at.load(Relaxed)) > after
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
