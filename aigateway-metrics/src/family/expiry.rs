//! Expiry of idle series, off by default.
//!
//! A looked-up record marks its series as touched: one store, and no clock
//! read on the recording path. Each scrape (or a call to `expire_idle`)
//! notes every touched series as active now, whether expiry is on or not,
//! so that turning it on finds every series' last activity. A series that a
//! guard, a timer or a bound handle holds (a [`super::SeriesCell`]) is in
//! use and kept, and each of them notes the time when it is dropped:
//! records through handles count as activity too.
//!
//! With expiry on, a pass removes the series neither in use nor active for
//! longer than the expiry time. So a series expires at the first scrape
//! more than the expiry time after the scrape that last saw it recorded:
//! between the expiry time and that plus one scrape interval after its last
//! record. The table orders a removal against a record or a bind that meets
//! it (see [`super::table`]): the series stays, or the record goes to a new
//! series.
//!
//! The trade-off, for counters above all: a counter that expires and is
//! recorded again starts from zero, which `rate()` reads as a reset, and its
//! increase while it was gone is lost to `increase()` over windows spanning
//! the gap. Expire counters only after much longer than your longest range
//! query.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use super::Family;
use crate::cell::Cell;
use crate::series::{Series, SeriesExt};

/// Nanoseconds since the first call in this process: when series were
/// last active.
pub(super) fn now() -> u64 {
    static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);
    ORIGIN.elapsed().as_nanos() as u64
}

/// Notes `series` active at `now` if it was touched since the last pass;
/// returns when it was last active.
fn note(series: &Series, now: u64) -> u64 {
    let head = series.head();
    if head.touched.load(Relaxed) {
        head.touched.store(false, Relaxed);
        head.active_at.fetch_max(now, Relaxed);
    }
    head.active_at.load(Relaxed)
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
        let idle = |active_at: u64| after != 0 && now.saturating_sub(active_at) > after;
        let mut any_idle = false;
        inner
            .series
            .for_each(|series| any_idle |= idle(note(series, now)));
        if !any_idle {
            return 0;
        }
        inner
            .series
            .retain(|series, held| !held & idle(note(series, now)))
    }
}
