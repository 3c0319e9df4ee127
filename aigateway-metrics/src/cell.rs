//! The value of one series, by kind. Each is a few atomics: recording is an
//! atomic add or store (or, into a copy that only the recording thread
//! writes to, see `family::shard`, a load and a store), and a scrape reads
//! without stopping the recorders.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use prometheus_client::encoding::{MetricEncoder, NoLabelSet};

use crate::descriptor::Descriptor;
use crate::family::owns_its_copy;
use crate::lines::Lines;

/// The value of one series of a family of some kind.
pub trait Cell: Send + Sync + Sized + 'static {
    /// How the family's values are exposed: a counter's scale, whether a
    /// gauge holds floats.
    type Config: Copy + Send + Sync + fmt::Debug + 'static;

    /// Whether threads may record into copies of their own, which a scrape
    /// adds up: not for gauges, whose value is the last one set.
    const SHARDED: bool;

    /// A cell at zero.
    fn new(desc: &Descriptor) -> Self;

    /// Writes the sample(s) of a cell whose copies are `copies` (one, for a
    /// cell that is not sharded): their sum.
    fn encode<'a>(
        copies: impl Iterator<Item = &'a Self>,
        config: Self::Config,
        desc: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result;
}

/// A counter series: whole units.
#[derive(Debug)]
pub struct CounterCell(AtomicU64);

impl CounterCell {
    /// Adds `units`.
    ///
    /// On the recording thread's own cells only, as the family gives them
    /// (a lookup's closure, a `SeriesCell` dereferenced on this thread): a
    /// thread that owns its copy adds with a load and a store, which
    /// another thread writing the same cell would undo (no memory error,
    /// lost counts).
    #[inline]
    pub fn inc_by(&self, units: u64) {
        if owns_its_copy() {
            add_owned(&self.0, units);
        } else {
            self.0.fetch_add(units, Relaxed);
        }
    }

    #[cfg(test)]
    pub(crate) fn units(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

impl Cell for CounterCell {
    /// Units per exposed unit.
    type Config = u64;

    const SHARDED: bool = true;

    fn new(_: &Descriptor) -> Self {
        CounterCell(AtomicU64::new(0))
    }

    fn encode<'a>(
        copies: impl Iterator<Item = &'a Self>,
        scale: u64,
        _: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result {
        let units = copies.fold(0u64, |sum, c| sum.wrapping_add(c.0.load(Relaxed)));
        if scale == 1 {
            encoder.encode_counter::<NoLabelSet, _, f64>(&units, None)
        } else {
            // Exact while the total is below 2^53 units: 9 million dollars in
            // nano-dollars.
            encoder.encode_counter::<NoLabelSet, _, f64>(&(units as f64 / scale as f64), None)
        }
    }
}

/// A gauge series: an `i64`, or the bits of an `f64`.
#[derive(Debug)]
pub struct GaugeCell(AtomicU64);

impl GaugeCell {
    /// Sets an integer gauge.
    #[inline]
    pub fn set_i64(&self, value: i64) {
        self.0.store(value as u64, Relaxed);
    }

    /// Adds to an integer gauge (two's complement: a wrapping add of the bits
    /// is a wrapping add of the `i64`).
    #[inline]
    pub fn add_i64(&self, delta: i64) {
        self.0.fetch_add(delta as u64, Relaxed);
    }

    /// Sets a float gauge.
    #[inline]
    pub fn set_f64(&self, value: f64) {
        self.0.store(value.to_bits(), Relaxed);
    }
}

impl Cell for GaugeCell {
    /// Whether the gauge holds floats.
    type Config = bool;

    const SHARDED: bool = false;

    fn new(_: &Descriptor) -> Self {
        GaugeCell(AtomicU64::new(0))
    }

    fn encode<'a>(
        mut copies: impl Iterator<Item = &'a Self>,
        float: bool,
        _: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result {
        let cell = copies.next().expect("a gauge has one copy");
        let bits = cell.0.load(Relaxed);
        if float {
            encoder.encode_gauge(&f64::from_bits(bits))
        } else {
            encoder.encode_gauge(&(bits as i64))
        }
    }
}

/// A histogram series: a count per bucket (not cumulative) and the sum.
///
/// The count is not stored: a scrape adds up the buckets, so the count and
/// the buckets always agree, whatever recorders do meanwhile.
#[derive(Debug)]
pub struct HistogramCell {
    /// One per bound, then the `+Inf` bucket; in lines of their own, so
    /// that threads recording into copies of a series (see `family::shard`)
    /// do not write to each other's lines.
    buckets: Lines<AtomicU64>,
    sum: AtomicU64,
}

impl HistogramCell {
    /// Counts a value that was checked to be finite and not negative; on
    /// the recording thread's own cells only, as for
    /// [`CounterCell::inc_by`].
    #[inline]
    pub fn observe(&self, bounds: &[f64], value: f64) {
        let bucket = bucket_of(bounds, value);
        if owns_its_copy() {
            add_owned(&self.buckets[bucket], 1);
            let sum = f64::from_bits(self.sum.load(Relaxed)) + value;
            self.sum.store(sum.to_bits(), Relaxed);
            return;
        }
        self.buckets[bucket].fetch_add(1, Relaxed);
        let mut current = self.sum.load(Relaxed);
        loop {
            let next = (f64::from_bits(current) + value).to_bits();
            match self
                .sum
                .compare_exchange_weak(current, next, Relaxed, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Adds to a cell of a copy this thread owns: no other thread writes to it,
/// so a load and a store do what `fetch_add` does, without the locked
/// instruction (which also holds up the loads after it).
#[inline]
fn add_owned(cell: &AtomicU64, n: u64) {
    cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
}

/// The index of the first bound not below `value` (the bucket `value`
/// falls in), or `bounds.len()` for the `+Inf` bucket.
///
/// Bucket lists are short (the gateway's have 10 to 13 bounds), and latency
/// values random: counting the bounds below `value` costs a few compares
/// without a branch, where a binary search would mispredict about every
/// other step. Long lists are searched.
#[inline]
fn bucket_of(bounds: &[f64], value: f64) -> usize {
    if bounds.len() <= 16 {
        bounds.iter().map(|&upper| usize::from(upper < value)).sum()
    } else {
        bounds.partition_point(|&upper| upper < value)
    }
}

impl Cell for HistogramCell {
    type Config = ();

    const SHARDED: bool = true;

    fn new(desc: &Descriptor) -> Self {
        HistogramCell {
            buckets: Lines::new(desc.buckets.len() + 1, |_| AtomicU64::new(0)),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    fn encode<'a>(
        copies: impl Iterator<Item = &'a Self>,
        (): (),
        desc: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result {
        let uppers = desc.buckets.iter().copied().chain([f64::INFINITY]);
        let mut buckets: Vec<(f64, u64)> = uppers.map(|upper| (upper, 0)).collect();
        let mut sum = 0.0;
        for cell in copies {
            for ((_, n), bucket) in buckets.iter_mut().zip(cell.buckets.iter()) {
                *n += bucket.load(Relaxed);
            }
            sum += f64::from_bits(cell.sum.load(Relaxed));
        }
        let count = buckets.iter().map(|(_, n)| n).sum();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_of;

    /// Counting and searching agree, on bounds, between them, and past
    /// both ends, for short lists (counted) and long ones (searched).
    #[test]
    fn bucket_of_is_the_first_bound_not_below_the_value() {
        for len in [0, 1, 10, 16, 17, 40] {
            let bounds: Vec<f64> = (0..len).map(|i| (i * i) as f64 / 4.0).collect();
            let mut values = vec![-1.0, 0.0, f64::MAX, f64::INFINITY];
            for b in &bounds {
                values.extend([*b, b - 0.01, b + 0.01]);
            }
            for value in values {
                let expected = bounds.iter().position(|&b| value <= b).unwrap_or(len);
                assert_eq!(bucket_of(&bounds, value), expected, "{len} bounds, {value}");
            }
        }
    }
}
