//! Native histogram buckets: exponential buckets whose bounds are powers of
//! `2^(2^-schema)`, counted sparsely and exposed in Prometheus' protobuf
//! format.
//!
//! A histogram cell's native buckets are windows of counters: each window
//! holds `max_buckets` consecutive buckets at one schema. The first is
//! made around a cell's first value. A value outside the current window
//! makes the next, linked after it: the buckets counted so far and the
//! value's, recentred at the same schema if they fit, else at the finest
//! coarser schema (each step merges pairs of buckets) at which they do.
//! Records go to the newest window, with one atomic add, and never move: a
//! scrape adds every window's counts up at the newest schema, so no record
//! is lost or counted twice however recorders and a widening meet. A cell
//! has at most two windows per schema, 26 in all; their memory is made on
//! a cell's first record and when it widens, and freed with its series.
//! (A record racing a widening into the window it leaves can put one
//! bucket past `max_buckets` at the next scrape.)

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

/// The finest and coarsest schemas Prometheus reads.
pub const SCHEMA_MAX: i8 = 8;
/// See [`SCHEMA_MAX`].
pub const SCHEMA_MIN: i8 = -4;

/// Values at or below this count in the zero bucket: 2^-128, as
/// client_golang's default.
pub const ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

/// How a histogram family counts native buckets: from its `native(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Native {
    /// The schema of a series' first window: bucket bounds are powers of
    /// `2^(2^-schema)`, from -4 (a factor of 65,536) to 8 (1.0027).
    pub schema: i8,
    /// The most buckets a series exposes; past it, the series widens to a
    /// coarser schema.
    pub max_buckets: u16,
}

impl Native {
    /// The bucket bound of a family that gives none: 160, as client_golang
    /// suggests.
    pub const DEFAULT_MAX_BUCKETS: u16 = 160;
}

/// The native buckets of one histogram cell. Public only for the cells'
/// trait, in a module the crate does not export.
#[derive(Debug, Default)]
pub struct NativeCell {
    zero: AtomicU64,
    first: OnceLock<Box<Window>>,
}

/// `max_buckets` consecutive buckets at one schema, from key `offset`.
#[derive(Debug)]
struct Window {
    schema: i8,
    offset: i32,
    counts: Box<[AtomicU64]>,
    /// Whether no window before this one has its schema: a schema's first
    /// window may be followed by one recentred at the same schema, the
    /// second only by a coarser one, so that a cell has at most two
    /// windows per schema.
    first_of_schema: bool,
    next: OnceLock<Box<Window>>,
}

impl NativeCell {
    /// Counts `value`, finite and not negative.
    pub(crate) fn observe(&self, native: Native, value: f64) {
        if value <= ZERO_THRESHOLD {
            self.zero.fetch_add(1, Relaxed);
            return;
        }
        let first: &Window = self
            .first
            .get_or_init(|| Box::new(Window::around(native, value)));
        let mut window = first;
        loop {
            while let Some(next) = window.next.get() {
                window = next;
            }
            let key = key(value, window.schema);
            if let Some(count) = window.count(key) {
                count.fetch_add(1, Relaxed);
                return;
            }
            // Whoever links first wins; the others go on from its window.
            window = window
                .next
                .get_or_init(|| Box::new(window.widened(first, key)));
        }
    }

    /// The cell's counts: the newest schema, the zero bucket's count, and
    /// each bucket's count by key, ascending, those at zero left out.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let zero_count = self.zero.load(Relaxed);
        let Some(first) = self.first.get() else {
            return Snapshot {
                schema: None,
                zero_count,
                buckets: Vec::new(),
            };
        };
        let mut windows = vec![&**first];
        while let Some(next) = windows.last().and_then(|w| w.next.get()) {
            windows.push(next);
        }
        let newest = windows.last().expect("the first window");
        let mut buckets = std::collections::BTreeMap::<i32, u64>::new();
        for window in &windows {
            let coarser = window.schema - newest.schema;
            for (i, count) in window.counts.iter().enumerate() {
                let n = count.load(Relaxed);
                if n > 0 {
                    *buckets
                        .entry(coarsen(window.offset + i as i32, coarser))
                        .or_default() += n;
                }
            }
        }
        let buckets = buckets.into_iter().collect();
        Snapshot {
            schema: Some(newest.schema),
            zero_count,
            buckets,
        }
    }
}

/// What a scrape reads of a cell's native buckets.
#[derive(Default)]
pub(crate) struct Snapshot {
    /// The newest window's schema; `None` before a value above the zero
    /// threshold.
    pub schema: Option<i8>,
    pub zero_count: u64,
    /// (key, count), keys ascending, counts above zero.
    pub buckets: Vec<(i32, u64)>,
}

impl Snapshot {
    /// Every value counted.
    pub(crate) fn count(&self) -> u64 {
        self.zero_count + self.buckets.iter().map(|(_, n)| n).sum::<u64>()
    }

    /// The buckets as Prometheus' spans (offset from the previous span's
    /// end, or the first key; length) and deltas (each count less the one
    /// before).
    pub(crate) fn spans_and_deltas(&self) -> (Vec<(i32, u32)>, Vec<i64>) {
        let (mut spans, mut deltas) = (Vec::new(), Vec::new());
        let (mut end, mut previous) = (None::<i32>, 0i64);
        for &(key, count) in &self.buckets {
            match (end, spans.last_mut()) {
                (Some(e), Some((_, length))) if key == e => *length += 1,
                _ => spans.push((key - end.unwrap_or(0), 1)),
            }
            end = Some(key + 1);
            deltas.push(count as i64 - previous);
            previous = count as i64;
        }
        (spans, deltas)
    }
}

impl Window {
    /// The first window of a cell: at the declared schema, `value`'s bucket
    /// in its middle.
    fn around(native: Native, value: f64) -> Window {
        let width = i32::from(native.max_buckets.max(1));
        let key = key(value, native.schema);
        Window::new(native.schema, key - width / 2, width)
    }

    fn new(schema: i8, offset: i32, width: i32) -> Window {
        Window {
            schema,
            offset,
            counts: (0..width).map(|_| AtomicU64::new(0)).collect(),
            first_of_schema: true,
            next: OnceLock::new(),
        }
    }

    /// The counter of bucket `key`, if the window holds it.
    #[inline]
    fn count(&self, key: i32) -> Option<&AtomicU64> {
        let slot = usize::try_from(key.checked_sub(self.offset)?).ok()?;
        self.counts.get(slot)
    }

    /// The window after this one, the newest of those from `first`, for a
    /// value of bucket `key` (at this window's schema) that it does not
    /// hold: the buckets counted so far and `key`, centred in as many
    /// buckets, at this schema if they fit and this window is its schema's
    /// first, else at the finest coarser schema at which they fit (at the
    /// coarsest, in as many as they need).
    fn widened(&self, first: &Window, key: i32) -> Window {
        let width = self.counts.len() as i32;
        let (mut low, mut high) = (key, key);
        let mut window = Some(first);
        while let Some(w) = window {
            let coarser = w.schema - self.schema;
            for (i, count) in w.counts.iter().enumerate() {
                if count.load(Relaxed) > 0 {
                    let k = coarsen(w.offset + i as i32, coarser);
                    (low, high) = (low.min(k), high.max(k));
                }
            }
            window = w.next.get().map(|next| &**next);
        }
        // At the coarsest schema, the window grows instead.
        let mut coarser = if self.first_of_schema || self.schema == SCHEMA_MIN {
            0
        } else {
            1
        };
        loop {
            let schema = self.schema - coarser;
            let (l, h) = (coarsen(low, coarser), coarsen(high, coarser));
            let span = h - l + 1;
            if span <= width || schema == SCHEMA_MIN {
                let mut next = Window::new(schema, l - (width - span).max(0) / 2, width.max(span));
                next.first_of_schema = coarser > 0;
                return next;
            }
            coarser += 1;
        }
    }
}

/// The bucket of `value` (above the zero threshold) at `schema`: the key
/// `k` with `base^(k-1) < value <= base^k`, `base = 2^(2^-schema)`, as
/// Prometheus computes it from the value's binary exponent and fraction.
#[inline]
fn key(value: f64, schema: i8) -> i32 {
    let (fraction, exponent) = frexp(value);
    if schema > 0 {
        let bounds = octave_bounds(schema);
        let per_octave = bounds.len() as i32;
        // The first sub-bucket whose bound is not below `fraction`, in
        // [0.5, 1): estimated from the logarithm, then set right by the
        // bounds on either side, which it can miss by a rounding step.
        let estimate = ((fraction * 2.0).log2() * f64::from(per_octave)).ceil() as i32;
        let mut j = estimate.clamp(0, per_octave - 1) as usize;
        if j > 0 && fraction <= bounds[j - 1] {
            j -= 1;
        } else if fraction > bounds[j] {
            j += 1;
        }
        j as i32 + (exponent - 1) * per_octave
    } else {
        let key = if fraction == 0.5 {
            exponent - 1
        } else {
            exponent
        };
        coarsen(key, -schema)
    }
}

/// The bounds of a positive `schema`'s buckets within an octave, as
/// fractions in [0.5, 1): `2^(j / 2^schema) / 2` for each sub-bucket `j`.
fn octave_bounds(schema: i8) -> &'static [f64] {
    static BOUNDS: [OnceLock<Box<[f64]>>; SCHEMA_MAX as usize] =
        [const { OnceLock::new() }; SCHEMA_MAX as usize];
    BOUNDS[schema as usize - 1].get_or_init(|| {
        let per_octave = 1u32 << schema;
        (0..per_octave)
            .map(|j| 0.5 * 2f64.powf(f64::from(j) / f64::from(per_octave)))
            .collect()
    })
}

/// `key` at a schema `by` steps coarser: `ceil(key / 2^by)`.
#[inline]
fn coarsen(key: i32, by: i8) -> i32 {
    let by = i32::from(by);
    (key + (1 << by) - 1) >> by
}

/// `value = fraction * 2^exponent`, `fraction` in [0.5, 1), for a normal,
/// positive `value`.
#[inline]
fn frexp(value: f64) -> (f64, i32) {
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let fraction = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (fraction, exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucket factor of `schema`: `2^(2^-schema)`.
    fn growth(schema: i8) -> f64 {
        2f64.powf(2f64.powi(-i32::from(schema)))
    }

    /// Each key's bucket holds the values between its bounds, the upper
    /// one included, at every schema, across octaves.
    #[test]
    fn a_value_falls_in_the_bucket_whose_bounds_hold_it() {
        for schema in SCHEMA_MIN..=SCHEMA_MAX {
            let base = growth(schema);
            for value in [1e-9, 0.001, 0.0137, 0.5, 1.0, 1.5, 2.0, 3.3, 100.0, 7e5] {
                let k = key(value, schema);
                let upper = base.powi(k);
                let lower = base.powi(k - 1);
                assert!(
                    lower < value * (1.0 + 1e-12) && value <= upper * (1.0 + 1e-12),
                    "schema {schema}: {value} in key {k}, ({lower}, {upper}]"
                );
            }
            // Powers of two are upper bounds.
            assert_eq!(key(1.0, schema), 0);
            assert_eq!(
                key(2.0, schema),
                coarsen(1 << schema.max(0), (-schema).max(0))
            );
        }
    }

    /// Values past a window widen the cell; every value is counted once,
    /// in the bucket its key falls in at the newest schema.
    #[test]
    fn widening_keeps_every_count_in_its_coarser_bucket() {
        let native = Native {
            schema: 3,
            max_buckets: 16,
        };
        let cell = NativeCell::default();
        let values = [1.0, 1.05, 0.9, 3.0, 1000.0, 1e-6, 0.0, 1e9];
        for v in values {
            cell.observe(native, v);
        }
        let snapshot = cell.snapshot();
        let schema = snapshot.schema.unwrap();
        assert!(schema < 3, "widened");
        assert_eq!(snapshot.count(), values.len() as u64);
        assert_eq!(snapshot.zero_count, 1);
        assert!(snapshot.buckets.len() <= 16 + 1);
        let mut expected: Vec<(i32, u64)> = Vec::new();
        for v in values.iter().filter(|v| **v > ZERO_THRESHOLD) {
            let k = key(*v, schema);
            match expected.iter_mut().find(|(key, _)| *key == k) {
                Some((_, n)) => *n += 1,
                None => expected.push((k, 1)),
            }
        }
        expected.sort();
        assert_eq!(snapshot.buckets, expected);
    }

    #[test]
    fn spans_and_deltas_are_prometheus_encoding() {
        let snapshot = Snapshot {
            schema: Some(0),
            zero_count: 0,
            buckets: vec![(-2, 3), (-1, 1), (2, 4), (5, 4)],
        };
        assert_eq!(
            snapshot.spans_and_deltas(),
            (vec![(-2, 2), (2, 1), (2, 1)], vec![3, -2, 3, 0])
        );
    }

    /// At the coarsest schema a window past its bound grows: values at
    /// the ends of the doubles' range all fit.
    #[test]
    fn the_coarsest_schema_takes_any_value() {
        let native = Native {
            schema: -3,
            max_buckets: 2,
        };
        let cell = NativeCell::default();
        let values = [1.0, 1e-300, 1e300, 3.0, f64::MAX, 1e-30];
        for v in values {
            cell.observe(native, v);
        }
        let snapshot = cell.snapshot();
        assert_eq!(snapshot.schema, Some(SCHEMA_MIN));
        assert_eq!(snapshot.count(), values.len() as u64);
    }

    /// Threads recording while others widen the cell lose nothing.
    #[test]
    fn recorders_and_widening_meet_without_loss() {
        let native = Native {
            schema: 8,
            max_buckets: 8,
        };
        let cell = NativeCell::default();
        let per_thread: u32 = if cfg!(miri) { 50 } else { 20_000 };
        std::thread::scope(|s| {
            for t in 0..4 {
                let cell = &cell;
                s.spawn(move || {
                    for i in 0..per_thread {
                        cell.observe(native, 1.0 + f64::from(t * per_thread + i) * 0.37);
                    }
                });
            }
        });
        assert_eq!(cell.snapshot().count(), 4 * u64::from(per_thread));
    }
}
