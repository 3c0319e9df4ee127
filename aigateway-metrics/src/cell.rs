//! The kinds of cell, the value of one series (one combination of label
//! values): a counter, a gauge or a histogram, each a few words of its
//! series' block (see [`crate::series`]). Recording is an atomic add or
//! store on them, and a scrape reads them without stopping the recorders.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use prometheus_client::encoding::{MetricEncoder, NativeHistogram, NativeHistogramBuckets};

use crate::descriptor::Descriptor;
use crate::exemplar::{Exemplar, Sample, TraceLabels};
use crate::native::{NativeCell, ZERO_THRESHOLD};
use crate::series::{Series, SeriesExt};

/// A kind of cell: how many words one takes, how to record into it, and
/// how to expose it.
pub trait Cell: Send + Sync + 'static {
    /// How the family's values are exposed: a counter's scale, whether a
    /// gauge holds floats.
    type Config: Copy + Send + Sync + fmt::Debug + 'static;

    /// The words one cell takes in a series of the family `desc`.
    fn words(desc: &Descriptor) -> usize;

    /// The exemplars one cell keeps: one per counter, one per histogram
    /// bucket, none for a gauge.
    fn exemplar_slots(desc: &Descriptor) -> usize;

    /// Writes the sample(s) of a cell whose words are `words`: those of
    /// the series, then each stripe's (see [`crate::series`]), added up;
    /// with the cell's `exemplars`, empty if the series has none, and its
    /// `native` buckets, if it has them.
    fn encode<'a>(
        words: impl Iterator<Item = &'a [AtomicU64]>,
        exemplars: &[Option<Sample>],
        native: Option<&NativeCell>,
        config: Self::Config,
        desc: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result;
}

/// One cell of a series, of kind `C`: what a record adds to or sets.
pub struct CellRef<'a, C> {
    series: &'a Series,
    /// Which of the series' cells, for its recorded bit.
    index: usize,
    /// Its first cell word.
    word: usize,
    kind: PhantomData<fn() -> C>,
}

impl<'a, C> CellRef<'a, C> {
    /// Cell `index` of `series`, whose words start at cell word `word`.
    #[inline]
    pub(crate) fn new(series: &'a Series, index: usize, word: usize) -> Self {
        CellRef {
            series,
            index,
            word,
            kind: PhantomData,
        }
    }
}

// By hand: derived, they would ask `C` for them.
impl<C> Clone for CellRef<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for CellRef<'_, C> {}

impl<C> fmt::Debug for CellRef<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CellRef")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Counter cells: whole units.
#[derive(Debug)]
pub enum CounterCell {}

impl CellRef<'_, CounterCell> {
    /// Adds `units`.
    #[inline]
    pub fn inc_by(&self, units: u64) {
        self.series.mark(self.index);
        self.series.add(self.word, units);
    }

    /// Adds `units`, with `exemplar` recorded for them, valued in exposed
    /// units: `units / scale`.
    pub fn inc_by_with_exemplar(&self, units: u64, scale: u64, exemplar: &Exemplar) {
        self.inc_by(units);
        let value = units as f64 / scale as f64;
        // A counter cell is one word: as many slots as words.
        self.series
            .exemplars_or_new(|| self.series.cells().len())
            .set(self.index, Sample::now(exemplar, value));
    }
}

impl Cell for CounterCell {
    /// Units per exposed unit.
    type Config = u64;

    fn words(_: &Descriptor) -> usize {
        1
    }

    fn exemplar_slots(_: &Descriptor) -> usize {
        1
    }

    fn encode<'a>(
        words: impl Iterator<Item = &'a [AtomicU64]>,
        exemplars: &[Option<Sample>],
        _: Option<&NativeCell>,
        scale: u64,
        _: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result {
        let units = words.fold(0u64, |sum, c| sum.wrapping_add(c[0].load(Relaxed)));
        let exemplar = exemplars.first().copied().flatten().map(|s| s.encoded());
        if scale == 1 {
            encoder.encode_counter::<TraceLabels, _, f64>(&units, exemplar.as_ref())
        } else {
            // Exact while the total is below 2^53 units: 9 million dollars in
            // nano-dollars.
            let value = units as f64 / scale as f64;
            encoder.encode_counter::<TraceLabels, _, f64>(&value, exemplar.as_ref())
        }
    }
}

/// Gauge cells: an `i64`, or the bits of an `f64`. Never striped: a
/// gauge's value is the last one set, which stripes could not add up.
#[derive(Debug)]
pub enum GaugeCell {}

impl CellRef<'_, GaugeCell> {
    /// Sets an integer gauge.
    #[inline]
    pub fn set_i64(&self, value: i64) {
        self.cell().store(value as u64, Relaxed);
    }

    /// Adds to an integer gauge (two's complement: a wrapping add of the bits
    /// is a wrapping add of the `i64`).
    #[inline]
    pub fn add_i64(&self, delta: i64) {
        self.cell().fetch_add(delta as u64, Relaxed);
    }

    /// Sets a float gauge.
    #[inline]
    pub fn set_f64(&self, value: f64) {
        self.cell().store(value.to_bits(), Relaxed);
    }

    /// The gauge's word, noted as recorded into.
    #[inline]
    fn cell(&self) -> &AtomicU64 {
        self.series.mark(self.index);
        &self.series.cells()[self.word]
    }
}

impl Cell for GaugeCell {
    /// Whether the gauge holds floats.
    type Config = bool;

    fn words(_: &Descriptor) -> usize {
        1
    }

    fn exemplar_slots(_: &Descriptor) -> usize {
        0
    }

    fn encode<'a>(
        mut words: impl Iterator<Item = &'a [AtomicU64]>,
        _: &[Option<Sample>],
        _: Option<&NativeCell>,
        float: bool,
        _: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result {
        let bits = words.next().expect("a series' own words")[0].load(Relaxed);
        if float {
            encoder.encode_gauge(&f64::from_bits(bits))
        } else {
            encoder.encode_gauge(&(bits as i64))
        }
    }
}

/// Histogram cells: a count per bucket (not cumulative), the `+Inf`
/// bucket's last, then the sum's bits; and, for a family with native
/// buckets, the series' native cell (see the `native` module).
///
/// The count is not stored: a scrape adds up the buckets, so the count and
/// the buckets always agree, whatever recorders do meanwhile. A family of
/// native buckets only does not count into its `+Inf` word; its count is
/// that of the native buckets.
#[derive(Debug)]
pub enum HistogramCell {}

impl CellRef<'_, HistogramCell> {
    /// Counts a value that was checked to be finite and not negative, into
    /// the classic buckets, the native ones or both, as `desc` has them.
    #[inline]
    pub fn observe(&self, desc: &Descriptor, value: f64) {
        self.observe_into(desc, value, bucket_of(desc.buckets, value));
    }

    /// Counts a value that was checked to be finite and not negative, with
    /// `exemplar` as its classic bucket's latest.
    pub fn observe_with_exemplar(&self, desc: &Descriptor, value: f64, exemplar: &Exemplar) {
        let bucket = bucket_of(desc.buckets, value);
        self.observe_into(desc, value, bucket);
        let per_cell = desc.buckets.len() + 1;
        self.series
            .exemplars_or_new(|| self.cells(desc) * per_cell)
            .set(self.index * per_cell + bucket, Sample::now(exemplar, value));
    }

    #[inline]
    fn observe_into(&self, desc: &Descriptor, value: f64, bucket: usize) {
        let bounds = desc.buckets;
        self.series.mark(self.index);
        if let Some(native) = desc.native {
            self.series
                .native_or_new(self.index, || self.cells(desc))
                .observe(native, value);
        }
        if desc.native.is_none() || !bounds.is_empty() {
            self.series.add(self.word + bucket, 1);
        }
        self.series.add_f64(self.word + bounds.len() + 1, value);
    }

    /// How many cells the series has.
    fn cells(&self, desc: &Descriptor) -> usize {
        self.series.cells().len() / HistogramCell::words(desc)
    }
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

    fn words(desc: &Descriptor) -> usize {
        desc.buckets.len() + 2
    }

    fn exemplar_slots(desc: &Descriptor) -> usize {
        desc.buckets.len() + 1
    }

    fn encode<'a>(
        words: impl Iterator<Item = &'a [AtomicU64]>,
        exemplars: &[Option<Sample>],
        native: Option<&NativeCell>,
        (): (),
        desc: &Descriptor,
        encoder: &mut MetricEncoder,
    ) -> fmt::Result {
        let uppers = desc.buckets.iter().copied().chain([f64::INFINITY]);
        let mut buckets: Vec<(f64, u64)> = uppers.map(|upper| (upper, 0)).collect();
        let mut sum = 0.0;
        for copy in words {
            let (counts, sum_bits) = copy.split_at(buckets.len());
            for ((_, n), count) in buckets.iter_mut().zip(counts) {
                *n += count.load(Relaxed);
            }
            sum += f64::from_bits(sum_bits[0].load(Relaxed));
        }
        let mut count = buckets.iter().map(|(_, n)| n).sum();
        let exemplars: HashMap<usize, _> = exemplars
            .iter()
            .enumerate()
            .filter_map(|(bucket, sample)| Some((bucket, sample.as_ref()?.encoded())))
            .collect();
        let exemplars = (!exemplars.is_empty()).then_some(&exemplars);
        let Some(declared) = desc.native else {
            return encoder.encode_histogram::<TraceLabels>(sum, count, &buckets, exemplars);
        };
        let snapshot = native.map(NativeCell::snapshot).unwrap_or_default();
        if desc.buckets.is_empty() {
            // The text formats read only the classic buckets: `+Inf`.
            count = snapshot.count();
            buckets = vec![(f64::INFINITY, count)];
        }
        // With classic buckets too, the count is theirs: a record between
        // reading them and the native ones can set the two one apart.
        let (spans, deltas) = snapshot.spans_and_deltas();
        let none = NativeHistogramBuckets {
            spans: &[],
            deltas: &[],
        };
        let native = NativeHistogram {
            schema: i32::from(snapshot.schema.unwrap_or(declared.schema)),
            zero_threshold: ZERO_THRESHOLD,
            zero_count: snapshot.zero_count,
            negative: none,
            positive: NativeHistogramBuckets {
                spans: &spans,
                deltas: &deltas,
            },
            created: None,
        };
        encoder.encode_histogram_with_native::<TraceLabels>(sum, count, &buckets, exemplars, native)
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
