//! Values that record when dropped: a gauge that counts what is in progress,
//! and a timer for a histogram. Drop runs on every path out of a scope: an
//! early return, a `?`, a panic unwinding, a future dropped mid-await.

use std::time::{Duration, Instant};

use crate::cell::{GaugeCell, HistogramCell};
use crate::descriptor::Descriptor;
use crate::family::SeriesCell;

/// Holds an integer gauge one higher for as long as it lives.
///
/// Made by the `track` method of an integer gauge family.
#[must_use = "the gauge goes back down as soon as the guard is dropped"]
#[derive(Debug)]
pub struct GaugeGuard {
    cell: SeriesCell<GaugeCell>,
}

impl GaugeGuard {
    #[doc(hidden)]
    pub fn new(cell: SeriesCell<GaugeCell>) -> GaugeGuard {
        let cell = cell.holding_only();
        cell.get().add_i64(1);
        GaugeGuard { cell }
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.cell.get().add_i64(-1);
    }
}

/// Times a span of work into a histogram; the time is observed when the
/// timer is dropped, or by [`HistogramTimer::observe`].
///
/// Made by the `start_timer` method of a histogram family.
#[must_use = "the time is observed as soon as the timer is dropped"]
#[derive(Debug)]
pub struct HistogramTimer {
    cell: SeriesCell<HistogramCell>,
    desc: &'static Descriptor,
    start: Instant,
    done: bool,
}

impl HistogramTimer {
    #[doc(hidden)]
    pub fn new(cell: SeriesCell<HistogramCell>, desc: &'static Descriptor) -> HistogramTimer {
        HistogramTimer {
            cell,
            desc,
            start: Instant::now(),
            done: false,
        }
    }

    /// Observes the time since the timer started, and returns it.
    pub fn observe(mut self) -> Duration {
        self.record()
    }

    /// Drops the timer without observing anything.
    pub fn discard(mut self) {
        self.done = true;
    }

    fn record(&mut self) -> Duration {
        let elapsed = self.start.elapsed();
        self.done = true;
        self.cell.get().observe(self.desc, elapsed.as_secs_f64());
        elapsed
    }
}

impl Drop for HistogramTimer {
    fn drop(&mut self) {
        if !self.done {
            self.record();
        }
    }
}
