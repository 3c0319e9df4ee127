//! Handles to one series, looked up once, for code that records into the
//! same series many times: a stream's output tokens chunk by chunk, a
//! connection's requests, a tenant's budget gauge kept with the tenant. A
//! record through one is an add or a store (or a histogram
//! observation), with no hashing and no lookup. A handle owns its series
//! and borrows no label, so it is also how a series goes into a `'static`
//! stream or a spawned task, where the borrowed label values cannot.
//!
//! A handle holds its series, like a guard or a timer does:
//! - the series does not expire while a handle to it lives, and the
//!   handle's drop counts as its last activity;
//! - a handle made when the family is full records into the overflow
//!   series, counted once, when it is made;
//! - after `forget` removes its series, a handle's records go to the
//!   removed series and are not exposed: make handles per stream or per
//!   connection, not for the life of the process.
//!
//! A counter or histogram handle adds to its series' cells atomically, as a
//! looked-up record does, and to its thread's stripe of them once two
//! threads contend for the series (see `series`), so a handle recorded into
//! from every core, like a busy tenant's kept series, does not pass cache
//! lines between them. A gauge handle sets the series' one cell, its value
//! being the last one set.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::cell::{CounterCell, GaugeCell, HistogramCell};
use crate::descriptor::Descriptor;
use crate::exemplar::Exemplar;
use crate::family::SeriesCell;
use crate::stats::FamilyStats;
use crate::value::{CounterValue, ValueError};

/// One series of a counter family, looked up once.
///
/// Made by the `bind` method of a counter family; `V` is what the family
/// counts (`u64`, or [`crate::Usd`] for the cost family).
pub struct BoundCounter<V = u64> {
    cell: SeriesCell<CounterCell>,
    value: PhantomData<fn(V)>,
}

impl<V: CounterValue> BoundCounter<V> {
    #[doc(hidden)]
    pub fn new(cell: SeriesCell<CounterCell>) -> Self {
        BoundCounter {
            cell,
            value: PhantomData,
        }
    }

    /// Adds `value`.
    #[inline]
    pub fn inc_by(&self, value: V) {
        self.cell.get().inc_by(value.units());
    }

    /// Adds `value`, with `exemplar` (the trace it was recorded in) as the
    /// series' latest, exposed in OpenMetrics.
    pub fn inc_by_with_exemplar(&self, value: V, exemplar: &Exemplar) {
        self.cell
            .get()
            .inc_by_with_exemplar(value.units(), V::SCALE, exemplar);
    }
}

impl BoundCounter<u64> {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }
}

// `Clone` and `Debug` by hand for the handles generic in `V`: derived, they
// would ask for `V: Clone` and `V: Debug`, which a gauge's value type need
// not be.
impl<V> Clone for BoundCounter<V> {
    fn clone(&self) -> Self {
        BoundCounter {
            cell: self.cell.clone(),
            value: PhantomData,
        }
    }
}

impl<V> fmt::Debug for BoundCounter<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoundCounter").field(&self.cell).finish()
    }
}

/// One series of an integer gauge family, looked up once.
///
/// Made by the `bind` method of an integer gauge family; `V` is what the
/// family holds (`i64`, or a type with `Into<i64>` such as a state enum).
pub struct BoundGauge<V = i64> {
    cell: SeriesCell<GaugeCell>,
    value: PhantomData<fn(V)>,
}

impl<V: Into<i64>> BoundGauge<V> {
    #[doc(hidden)]
    pub fn new(cell: SeriesCell<GaugeCell>) -> Self {
        BoundGauge {
            cell,
            value: PhantomData,
        }
    }

    /// Sets the gauge to `value`.
    #[inline]
    pub fn set(&self, value: V) {
        self.cell.get().set_i64(value.into());
    }
}

impl BoundGauge<i64> {
    /// Adds `delta`, which may be negative.
    #[inline]
    pub fn add(&self, delta: i64) {
        self.cell.get().add_i64(delta);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Takes one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1);
    }
}

impl<V> Clone for BoundGauge<V> {
    fn clone(&self) -> Self {
        BoundGauge {
            cell: self.cell.clone(),
            value: PhantomData,
        }
    }
}

impl<V> fmt::Debug for BoundGauge<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoundGauge").field(&self.cell).finish()
    }
}

/// One series of an `f64` gauge family, looked up once.
///
/// Made by the `bind` method of a gauge family declared with `value = f64`.
#[derive(Clone, Debug)]
pub struct BoundFloatGauge {
    cell: SeriesCell<GaugeCell>,
    /// The family's name, for rejected values' errors.
    desc: &'static Descriptor,
    /// The family's self-metrics, which count rejected values.
    stats: Arc<FamilyStats>,
}

impl BoundFloatGauge {
    #[doc(hidden)]
    pub fn new(
        cell: SeriesCell<GaugeCell>,
        desc: &'static Descriptor,
        stats: Arc<FamilyStats>,
    ) -> Self {
        BoundFloatGauge { cell, desc, stats }
    }

    /// Sets the gauge to `value`; NaN and infinite values are rejected,
    /// counted in the family's self-metrics, and change nothing.
    #[inline]
    pub fn set(&self, value: f64) -> Result<(), ValueError> {
        let value = ValueError::finite(self.desc.name, value)
            .inspect_err(|error| self.stats.count_rejected(error))?;
        self.cell.get().set_f64(value);
        Ok(())
    }
}

/// One series of a histogram family, looked up once.
///
/// Made by the `bind` method of a histogram family.
#[derive(Clone, Debug)]
pub struct BoundHistogram {
    cell: SeriesCell<HistogramCell>,
    /// The family's name and buckets.
    desc: &'static Descriptor,
    /// The family's self-metrics, which count rejected values.
    stats: Arc<FamilyStats>,
}

impl BoundHistogram {
    #[doc(hidden)]
    pub fn new(
        cell: SeriesCell<HistogramCell>,
        desc: &'static Descriptor,
        stats: Arc<FamilyStats>,
    ) -> Self {
        BoundHistogram { cell, desc, stats }
    }

    /// Counts `value`; NaN, infinite and negative values are rejected,
    /// counted in the family's self-metrics, and change nothing.
    #[inline]
    pub fn observe(&self, value: f64) -> Result<(), ValueError> {
        let value = ValueError::non_negative(self.desc.name, value)
            .inspect_err(|error| self.stats.count_rejected(error))?;
        self.cell.get().observe(self.desc, value);
        Ok(())
    }

    /// Counts `duration`, in seconds.
    #[inline]
    pub fn observe_duration(&self, duration: Duration) {
        self.cell.get().observe(self.desc, duration.as_secs_f64());
    }

    /// Counts `value`, with `exemplar` (the trace it was recorded in) as its
    /// bucket's latest, exposed in OpenMetrics; NaN, infinite and negative
    /// values are rejected, as by [`observe`](Self::observe).
    pub fn observe_with_exemplar(&self, value: f64, exemplar: &Exemplar) -> Result<(), ValueError> {
        let value = ValueError::non_negative(self.desc.name, value)
            .inspect_err(|error| self.stats.count_rejected(error))?;
        self.cell
            .get()
            .observe_with_exemplar(self.desc, value, exemplar);
        Ok(())
    }

    /// Counts `duration`, in seconds, with `exemplar` as its bucket's
    /// latest.
    pub fn observe_duration_with_exemplar(&self, duration: Duration, exemplar: &Exemplar) {
        self.cell
            .get()
            .observe_with_exemplar(self.desc, duration.as_secs_f64(), exemplar);
    }
}
