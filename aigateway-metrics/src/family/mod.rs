//! The series of one family.
//!
//! A family maps each combination of open-set label values (tenant, model,
//! ...) to a series: one block of words holding the key and a cell per
//! combination of closed-set values (status, error type, ...); see
//! [`crate::series`]. Every cell of a series is exposed, so the closed-set
//! values of a known tenant show up at zero rather than missing, unless
//! the family is declared `expose = "recorded"` ([`crate::Expose`]).
//!
//! A record hashes its open-set values and looks them up in the family's
//! [`table`]: an array of (hash, pointer) slots read without a lock, which
//! leads to the series' block, where the key is compared and the cell
//! added to. Two cache lines or three for a series not in the processor's
//! caches, and nothing written but the cell: no lock word, no reference
//! count. A new series takes the table's mutex to be inserted. Cells two
//! threads contend for get stripes of their own (see [`crate::series`]).
//!
//! Handles (bound handles, guards, timers: a [`SeriesCell`]) hold a count
//! of their series' block and record into it with no lookup.
//!
//! A family holds at most its series limit of open-set combinations. Past it,
//! records of new combinations go to one overflow series, whose open-set
//! labels all read [`OVERFLOW`]: totals stay right, memory stays bounded, and
//! `aigateway_metrics_series_overflow_total` counts those records. So do
//! records whose open-set values are longer than [`MAX_LABEL_VALUE_LEN`].
//!
//! Series leave the table by `forget` and by expiry (see [`expiry`]); a
//! removal and a record that meet are ordered by the table (see
//! [`table`]), so that no record goes to a series the table let go of.

mod encode;
mod expiry;
mod key;
mod table;

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use prometheus_client::registry::Registry;

use crate::cell::{Cell, CellRef};
use crate::descriptor::Descriptor;
use crate::series::{new_series, Series, SeriesArc, SeriesExt};
use crate::stats::FamilyStats;
use crate::value::ValueError;
use table::Map;

/// The value of every open-set label of the overflow series. A recorded
/// value equal to it goes to the overflow series too, so that no series can
/// pass for it.
pub const OVERFLOW: &str = "__overflow__";

/// The longest open-set label value kept, in bytes. A longer one (no tenant
/// id or model name is that long) goes to the overflow series: it is not
/// cut, since two cut values could then share a series.
pub const MAX_LABEL_VALUE_LEN: usize = 1024;

/// The storage behind a family handle. Cheap to clone: clones share series.
pub struct Family<C: Cell, const K: usize> {
    inner: Arc<Inner<C, K>>,
}

struct Inner<C: Cell, const K: usize> {
    desc: &'static Descriptor,
    config: C::Config,
    cells_per_series: usize,
    /// Words per cell.
    cell_words: usize,
    limit: AtomicUsize,
    hasher: foldhash::fast::RandomState,
    series: Map,
    /// The one series of a family without open-set labels.
    fixed: SeriesArc,
    overflow: SeriesArc,
    overflow_used: AtomicBool,
    stats: Arc<FamilyStats>,
    /// Idle time after which a series is removed, in nanoseconds; 0: never.
    expire_after: AtomicU64,
    cell: PhantomData<fn() -> C>,
}

impl<C: Cell, const K: usize> Family<C, K> {
    /// An empty family.
    pub fn new(desc: &'static Descriptor, config: C::Config) -> Self {
        let open = desc.labels.iter().filter(|l| l.values.is_none()).count();
        assert_eq!(open, K, "{}: descriptor and storage disagree", desc.name);
        let cells_per_series = desc.cells_per_series();
        assert!(
            cells_per_series <= usize::from(u16::MAX),
            "{}: more than 65,535 combinations of closed-set values",
            desc.name
        );
        let cell_words = C::words(desc);
        let words = cells_per_series * cell_words;
        let now = expiry::now();
        Family {
            inner: Arc::new(Inner {
                desc,
                config,
                cells_per_series,
                cell_words,
                limit: AtomicUsize::new(desc.series_limit),
                hasher: foldhash::fast::RandomState::default(),
                series: Map::new(),
                fixed: new_series(&[], cells_per_series, words, now),
                overflow: new_series(&[], cells_per_series, words, now),
                overflow_used: AtomicBool::new(false),
                stats: Arc::new(FamilyStats::new(desc.name)),
                expire_after: AtomicU64::new(0),
                cell: PhantomData,
            }),
        }
    }

    /// What the family is, as exposed.
    #[inline]
    pub fn descriptor(&self) -> &'static Descriptor {
        self.inner.desc
    }

    /// The library's counts about this family.
    pub fn stats(&self) -> Arc<FamilyStats> {
        Arc::clone(&self.inner.stats)
    }

    /// Calls `f` with cell `index` of the series of `key`, creating the
    /// series if it does not exist yet.
    #[inline]
    pub fn with<R>(&self, key: [&str; K], index: usize, f: impl FnOnce(CellRef<'_, C>) -> R) -> R {
        let word = self.word_of(index);
        self.lookup(key, |series| f(CellRef::new(series, index, word)))
    }

    /// Calls `f` with all the cells of the series of `key` (one per
    /// combination of closed-set values), creating the series if it does not
    /// exist yet: for records of several cells of one series, with one
    /// lookup.
    #[inline]
    pub fn with_cells<R>(&self, key: [&str; K], f: impl FnOnce(Cells<'_, C>) -> R) -> R {
        let cell_words = self.inner.cell_words;
        self.lookup(key, |series| {
            f(Cells {
                series,
                cell_words,
                cell: PhantomData,
            })
        })
    }

    /// The first word of cell `index`.
    #[inline]
    fn word_of(&self, index: usize) -> usize {
        assert!(
            index < self.inner.cells_per_series,
            "cell index out of range"
        );
        index * self.inner.cell_words
    }

    /// Calls `f` with the series of `key`, created if need be, or the
    /// overflow series once the family is full.
    #[inline]
    fn lookup<R>(&self, key: [&str; K], f: impl FnOnce(&Series) -> R) -> R {
        let inner = &*self.inner;
        if K == 0 {
            return f(&inner.fixed);
        }
        let hash = key::hash(&inner.hasher, &key);
        let Some(guard) = table::guard() else {
            return self.lookup_locked(key, hash, f);
        };
        if let Some(found) = inner.series.find(&guard, hash, |s| s.has_key(&key)) {
            let touched = &found.series.head().touched;
            // The first record since an expiry pass marks the series and
            // checks no removal took it meanwhile (see `table`).
            let stays = touched.load(Relaxed) || {
                touched.swap(true, SeqCst);
                inner.series.still_holds(&found)
            };
            if stays {
                return f(found.series);
            }
        }
        drop(guard);
        self.lookup_locked(key, hash, f)
    }

    /// [`Family::lookup`] of a series not found, or met by a removal:
    /// under the table's mutex. Out of line, so that the lookup is small
    /// enough to inline.
    #[inline(never)]
    fn lookup_locked<R>(&self, key: [&str; K], hash: u64, f: impl FnOnce(&Series) -> R) -> R {
        let mut f = Some(f);
        let recorded = self.find_or_insert(key, hash, |series, _| {
            series.head().touched.store(true, Relaxed);
            (f.take().expect("called once"))(series)
        });
        match recorded {
            Some(result) => result,
            None => (f.take().expect("not called"))(self.overflowed()),
        }
    }

    /// `hold` of the series of `key` under the table's mutex, inserted if
    /// need be; `None` when it belongs in the overflow series.
    fn find_or_insert<R>(
        &self,
        key: [&str; K],
        hash: u64,
        hold: impl FnOnce(&Series, &SeriesArc) -> R,
    ) -> Option<R> {
        let inner = &*self.inner;
        let make = |live: usize| {
            let full = live >= inner.limit.load(Relaxed)
                || key
                    .iter()
                    .any(|v| *v == OVERFLOW || v.len() > MAX_LABEL_VALUE_LEN);
            let words = inner.cells_per_series * inner.cell_words;
            (!full).then(|| new_series(&key, inner.cells_per_series, words, expiry::now()))
        };
        inner
            .series
            .find_or_insert(hash, |s| s.has_key(&key), make, hold)
    }

    /// Cell `index` of the series of `key`, created if need be, or of the
    /// overflow series once the family is full; for guards, timers and
    /// bound handles, which outlive the lookup.
    pub fn cell(&self, key: [&str; K], index: usize) -> SeriesCell<C> {
        let word = self.word_of(index);
        let inner = &*self.inner;
        let series = if K == 0 {
            inner.fixed.clone()
        } else {
            let hash = key::hash(&inner.hasher, &key);
            // Held, then checked not removed meanwhile (see `table`).
            let held = table::guard().and_then(|guard| {
                let found = inner.series.find(&guard, hash, |s| s.has_key(&key))?;
                let arc = found.to_arc();
                inner.series.still_holds(&found).then_some(arc)
            });
            held.or_else(|| self.find_or_insert(key, hash, |_, arc| arc.clone()))
                .unwrap_or_else(|| {
                    self.overflowed();
                    inner.overflow.clone()
                })
        };
        SeriesCell {
            series,
            word: word as u32,
            index: index as u16,
            notes_drop: true,
            cell: PhantomData,
        }
    }

    /// The overflow series, for a record or a handle that belongs in it,
    /// counted.
    fn overflowed(&self) -> &Series {
        self.inner.stats.count_overflow();
        self.inner.overflow_used.store(true, Relaxed);
        &self.inner.overflow
    }

    /// The most open-set combinations the family keeps.
    pub fn series_limit(&self) -> usize {
        self.inner.limit.load(Relaxed)
    }

    /// Sets the series limit. Lowering it below the current count keeps the
    /// existing series; only new combinations go to the overflow series.
    pub fn set_series_limit(&self, limit: usize) {
        self.inner.limit.store(limit, Relaxed);
    }

    /// How many open-set combinations the family holds, overflow not counted.
    pub fn series_count(&self) -> usize {
        self.inner.series.len()
    }

    /// Removes every series whose open-set label at `position` (among the
    /// open-set labels) has `value`, and returns how many were removed.
    /// Counters of removed series start again from zero if recorded anew,
    /// which `rate()` reads as a reset.
    pub fn forget(&self, position: usize, value: &str) -> usize {
        assert!(
            position < K,
            "{}: no open-set label {position}",
            self.inner.desc.name
        );
        self.inner
            .series
            .retain(|series, _| series.value_is(position, value))
    }

    /// Counts a rejected value in the family's self-metrics and gives it back.
    pub fn reject(&self, error: ValueError) -> ValueError {
        self.inner.stats.count_rejected(&error);
        error
    }

    /// Registers the family, so that encoding the registry exposes it and
    /// its self-metrics.
    pub fn register(&self, registry: &mut Registry) {
        crate::stats::register(registry, Box::new(self.clone()));
    }
}

/// Every cell of one series, from [`Family::with_cells`].
pub struct Cells<'a, C> {
    series: &'a Series,
    cell_words: usize,
    cell: PhantomData<fn() -> C>,
}

impl<'a, C> Cells<'a, C> {
    /// Cell `index`, in the order of the family's closed-set values.
    #[inline]
    pub fn get(&self, index: usize) -> CellRef<'a, C> {
        let word = index * self.cell_words;
        assert!(word < self.series.cells().len(), "cell index out of range");
        CellRef::new(self.series, index, word)
    }
}

/// One cell of a series, held after one lookup: what guards, timers and
/// bound handles record into. It holds a count of its series, which keeps
/// the series from expiring while it lives. When dropped it notes the time
/// as the series' last activity, unless made [`SeriesCell::holding_only`].
pub struct SeriesCell<C> {
    series: SeriesArc,
    word: u32,
    index: u16,
    notes_drop: bool,
    cell: PhantomData<fn() -> C>,
}

impl<C> SeriesCell<C> {
    /// The cell, to record into.
    #[inline]
    pub fn get(&self) -> CellRef<'_, C> {
        CellRef::new(&self.series, self.index.into(), self.word as usize)
    }

    /// The cell, whose drop notes nothing: for a guard, whose increment
    /// and decrement cancel out, so that holding the series is all it does.
    pub fn holding_only(mut self) -> Self {
        self.notes_drop = false;
        self
    }
}

impl<C> Drop for SeriesCell<C> {
    /// Notes the time: what a handle recorded counts as activity of its
    /// series until it is dropped.
    fn drop(&mut self) {
        if self.notes_drop {
            self.series
                .head()
                .active_at
                .fetch_max(expiry::now(), Relaxed);
        }
    }
}

// By hand: a derived `Clone` would ask for `C: Clone`.
impl<C> Clone for SeriesCell<C> {
    fn clone(&self) -> Self {
        SeriesCell {
            series: self.series.clone(),
            word: self.word,
            index: self.index,
            notes_drop: self.notes_drop,
            cell: PhantomData,
        }
    }
}

impl<C> fmt::Debug for SeriesCell<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesCell")
            .field("word", &self.word)
            .finish_non_exhaustive()
    }
}

impl<C: Cell, const K: usize> Clone for Family<C, K> {
    fn clone(&self) -> Self {
        Family {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: Cell, const K: usize> fmt::Debug for Family<C, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.inner.desc.name)
            .field("series", &self.series_count())
            .field("series_limit", &self.series_limit())
            .finish()
    }
}

/// The table, the blocks and their stripes, small enough for Miri
/// (`.ci/run` runs these under it).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{CounterCell, HistogramCell};
    use crate::descriptor::{LabelDescriptor, MetricKind, DEFAULT_SERIES_LIMIT};

    static DESC: Descriptor = Descriptor {
        name: "aigateway_test_total",
        kind: MetricKind::Counter,
        help: "Test.",
        labels: &[
            LabelDescriptor {
                name: "tenant_id",
                values: None,
            },
            LabelDescriptor {
                name: "status",
                values: Some(&["success", "error"]),
            },
        ],
        buckets: &[],
        series_limit: DEFAULT_SERIES_LIMIT,
        expose: crate::Expose::All,
        native: None,
    };

    static HISTOGRAM: Descriptor = Descriptor {
        name: "aigateway_test_seconds",
        kind: MetricKind::Histogram,
        labels: &[LabelDescriptor {
            name: "tenant_id",
            values: None,
        }],
        buckets: &[1.0, 2.0],
        ..DESC
    };

    fn exposition<C: Cell, const K: usize>(family: &Family<C, K>) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(family.clone()));
        crate::encode(&registry, crate::Format::Prometheus)
    }

    fn samples<C: Cell, const K: usize>(family: &Family<C, K>) -> Vec<String> {
        exposition(family)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    }

    /// Exemplars are kept per cell and per bucket, the latest one, and
    /// written in OpenMetrics only; a series without one writes none.
    #[test]
    fn exemplars_are_the_latest_per_cell_and_bucket_in_openmetrics_only() {
        use crate::Exemplar;
        let trace = |n: u8| Exemplar::new([n; 16], [n; 8]).unwrap();
        let counter = Family::<CounterCell, 1>::new(&DESC, 1);
        counter.with(["a"], 0, |cell| cell.inc_by_with_exemplar(2, 1, &trace(1)));
        counter.with(["a"], 0, |cell| cell.inc_by_with_exemplar(3, 1, &trace(2)));
        counter.with(["a"], 1, |cell| cell.inc_by(1));
        counter.with(["b"], 1, |cell| cell.inc_by(1));
        let histogram = Family::<HistogramCell, 1>::new(&HISTOGRAM, ());
        let observe = |value, n| {
            histogram.with(["a"], 0, |cell| {
                cell.observe_with_exemplar(&HISTOGRAM, value, &trace(n))
            })
        };
        observe(0.5, 3);
        observe(1.5, 4);
        observe(9.0, 5);
        histogram.with(["a"], 0, |cell| cell.observe(&HISTOGRAM, 0.7));

        let openmetrics = |family: &dyn Fn(&mut Registry)| {
            let mut registry = Registry::default();
            family(&mut registry);
            let text = crate::encode(&registry, crate::Format::OpenMetrics);
            // Each exemplar's timestamp is when it was recorded: cut it.
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| match l.split_once(" # ") {
                    Some((sample, exemplar)) => {
                        let (exemplar, at) = exemplar.rsplit_once(' ').unwrap();
                        assert!(at.parse::<f64>().unwrap() > 1.7e9, "{l}");
                        format!("{sample} # {exemplar}")
                    }
                    None => l.to_owned(),
                })
                .collect::<Vec<_>>()
        };
        let ids = |n: u8| {
            let (t, s) = (format!("{n:02x}").repeat(16), format!("{n:02x}").repeat(8));
            format!("{{trace_id=\"{t}\",span_id=\"{s}\"}}")
        };
        assert_eq!(
            openmetrics(&|r| r.register_collector(Box::new(counter.clone()))),
            [
                format!(
                    "aigateway_test_total{{tenant_id=\"a\",status=\"success\"}} 5 # {} 3.0",
                    ids(2)
                ),
                "aigateway_test_total{tenant_id=\"a\",status=\"error\"} 1".to_owned(),
                "aigateway_test_total{tenant_id=\"b\",status=\"success\"} 0".to_owned(),
                "aigateway_test_total{tenant_id=\"b\",status=\"error\"} 1".to_owned(),
            ]
        );
        assert_eq!(
            openmetrics(&|r| r.register_collector(Box::new(histogram.clone()))),
            [
                "aigateway_test_seconds_sum{tenant_id=\"a\"} 11.7".to_owned(),
                "aigateway_test_seconds_count{tenant_id=\"a\"} 4".to_owned(),
                format!(
                    "aigateway_test_seconds_bucket{{le=\"1.0\",tenant_id=\"a\"}} 2 # {} 0.5",
                    ids(3)
                ),
                format!(
                    "aigateway_test_seconds_bucket{{le=\"2.0\",tenant_id=\"a\"}} 3 # {} 1.5",
                    ids(4)
                ),
                format!(
                    "aigateway_test_seconds_bucket{{le=\"+Inf\",tenant_id=\"a\"}} 4 # {} 9.0",
                    ids(5)
                ),
            ]
        );
        // The Prometheus text format has no exemplars.
        assert!(!exposition(&counter).contains(" # {"));
        assert!(!exposition(&histogram).contains(" # {"));
    }

    /// More series than the first table holds: it grows, and every series
    /// keeps its counts; looked up again, each is found, not made anew.
    #[test]
    fn the_table_grows_and_keeps_every_series() {
        const TENANTS: u64 = 100;
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        for round in 0..2 {
            for i in 0..TENANTS {
                family.with([&format!("t{i:03}")], 1, |cell| cell.inc_by(i + round));
            }
        }
        assert_eq!(family.series_count(), TENANTS as usize);
        let shown = samples(&family);
        for i in 0..TENANTS {
            let line = format!(
                "aigateway_test_total{{tenant_id=\"t{i:03}\",status=\"error\"}} {}",
                2 * i + 1
            );
            assert!(shown.contains(&line), "{line}");
        }
    }

    /// Forgotten series leave removed slots, which lookups probe past and
    /// new series take; the ones left are still found.
    #[test]
    fn removed_slots_are_probed_past_and_taken_again() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        for round in 0..3 {
            for i in 0..8 {
                family.with([&format!("t{i}")], 0, |cell| cell.inc_by(1));
            }
            for i in (0..8).step_by(2) {
                assert_eq!(family.forget(0, &format!("t{i}")), 1, "round {round}");
            }
        }
        // Odd tenants were recorded in each of the three rounds; even ones
        // only since their last removal.
        assert_eq!(family.series_count(), 4);
        for i in (1..8).step_by(2) {
            let line = format!("aigateway_test_total{{tenant_id=\"t{i}\",status=\"success\"}} 3");
            assert!(samples(&family).contains(&line), "{line}");
        }
    }

    /// Keys are compared value by value, whatever their lengths: values
    /// split differently are other series.
    #[test]
    fn keys_are_told_apart_by_every_byte_and_split() {
        static TWO: Descriptor = Descriptor {
            labels: &[
                LabelDescriptor {
                    name: "a",
                    values: None,
                },
                LabelDescriptor {
                    name: "b",
                    values: None,
                },
            ],
            ..DESC
        };
        let family = Family::<CounterCell, 2>::new(&TWO, 1);
        let keys = [
            ["ab", "c"],
            ["a", "bc"],
            ["", "abc"],
            ["abc", ""],
            ["abcdefgh", "i"],
            ["abcdefghi", ""],
        ];
        for (n, key) in keys.iter().enumerate() {
            for _ in 0..=n {
                family.with(*key, 0, |cell| cell.inc_by(1));
            }
        }
        assert_eq!(family.series_count(), keys.len());
        let shown = samples(&family);
        for (n, [a, b]) in keys.iter().enumerate() {
            let line = format!("aigateway_test_total{{a=\"{a}\",b=\"{b}\"}} {}", n + 1);
            assert!(shown.contains(&line), "{line} in {shown:#?}");
        }
    }

    /// A series with stripes adds up its own words and every stripe's, for
    /// counters and histograms: two threads record into one series, one of
    /// them after giving it stripes.
    #[test]
    fn a_striped_series_adds_up_its_stripes() {
        let counter = Family::<CounterCell, 1>::new(&DESC, 1);
        let histogram = Family::<HistogramCell, 1>::new(&HISTOGRAM, ());
        counter.with(["a"], 1, |cell| cell.inc_by(1));
        histogram.with(["a"], 0, |cell| cell.observe(&HISTOGRAM, 0.5));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    counter.lookup(["a"], crate::series::stripe_now);
                    histogram.lookup(["a"], crate::series::stripe_now);
                    for _ in 0..10 {
                        counter.with(["a"], 1, |cell| cell.inc_by(2));
                        histogram.with(["a"], 0, |cell| cell.observe(&HISTOGRAM, 1.5));
                    }
                });
            }
        });
        assert!(samples(&counter)
            .contains(&"aigateway_test_total{tenant_id=\"a\",status=\"error\"} 41".to_owned()));
        assert_eq!(
            samples(&histogram),
            [
                "aigateway_test_seconds_bucket{tenant_id=\"a\",le=\"1\"} 1",
                "aigateway_test_seconds_bucket{tenant_id=\"a\",le=\"2\"} 21",
                "aigateway_test_seconds_bucket{tenant_id=\"a\",le=\"+Inf\"} 21",
                "aigateway_test_seconds_sum{tenant_id=\"a\"} 30.5",
                "aigateway_test_seconds_count{tenant_id=\"a\"} 21",
            ]
        );
    }

    /// A handle holds its series past a removal pass, and records into it.
    #[test]
    fn a_handle_keeps_its_series_through_expiry() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        family.set_expiry(Some(std::time::Duration::from_nanos(1)));
        let held = family.cell(["held"], 0);
        family.with(["idle"], 0, |cell| cell.inc_by(1));
        std::thread::sleep(std::time::Duration::from_millis(2));
        family.expire_idle();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(family.expire_idle(), 1, "the idle series goes");
        held.get().inc_by(5);
        assert_eq!(
            samples(&family),
            [
                "aigateway_test_total{tenant_id=\"held\",status=\"success\"} 5",
                "aigateway_test_total{tenant_id=\"held\",status=\"error\"} 0",
            ]
        );
    }
}
