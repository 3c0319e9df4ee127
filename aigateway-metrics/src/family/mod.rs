//! The series of one family.
//!
//! A family maps each combination of open-set label values (tenant, model,
//! ...) to an array of cells, one per combination of closed-set values
//! (status, error type, ...). Recording looks up the open-set values without
//! allocating, then touches one cell. Every cell of a combination is exposed,
//! so the closed-set values of a known tenant show up at zero rather than
//! missing. Counters and histograms also keep a copy of a series' cells
//! per recording thread, added up at scrape (see [`shard`]).
//!
//! A family holds at most its series limit of open-set combinations. Past it,
//! records of new combinations go to one overflow series, whose open-set
//! labels all read [`OVERFLOW`]: totals stay right, memory stays bounded, and
//! `aigateway_metrics_series_overflow_total` counts those records. So do
//! records whose open-set values are longer than [`MAX_LABEL_VALUE_LEN`].

mod cache;
mod encode;
mod expiry;
mod key;
mod shard;
pub(crate) use shard::owns_its_copy;

use shard::CellSet;

use std::fmt;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use parking_lot::RwLock;
use prometheus_client::registry::Registry;

use crate::cell::Cell;
use crate::descriptor::Descriptor;
use crate::stats::FamilyStats;
use crate::value::ValueError;

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
    /// Unique in the process, for the per-thread caches.
    id: u64,
    desc: &'static Descriptor,
    config: C::Config,
    cells_per_series: usize,
    limit: AtomicUsize,
    hasher: DefaultHashBuilder,
    /// Bumped when series are removed, which drops them from every cache.
    generation: AtomicU64,
    series: RwLock<HashTable<Arc<Series<C, K>>>>,
    /// The one series of a family without open-set labels.
    fixed: Arc<CellSet<C>>,
    overflow: Arc<CellSet<C>>,
    overflow_used: AtomicBool,
    stats: Arc<FamilyStats>,
    /// Idle time after which a series is removed, in nanoseconds; 0: never.
    expire_after: AtomicU64,
}

/// One combination of open-set values and its cells.
#[repr(C)]
struct Series<C, const K: usize> {
    /// For the per-thread caches, which hold series of any type.
    release: cache::Release,
    key: [Box<str>; K],
    /// Its cells and each recording thread's copy of them (see [`shard`]),
    /// shared with the guards, timers and bound handles made for it
    /// ([`SeriesCell`]).
    cells: Arc<CellSet<C>>,
    /// Recorded into through a lookup since the last expiry pass.
    touched: AtomicBool,
}

impl<C: Cell, const K: usize> Family<C, K> {
    /// An empty family.
    pub fn new(desc: &'static Descriptor, config: C::Config) -> Self {
        let open = desc.labels.iter().filter(|l| l.values.is_none()).count();
        assert_eq!(open, K, "{}: descriptor and storage disagree", desc.name);
        let cells_per_series = desc.cells_per_series();
        Family {
            inner: Arc::new(Inner {
                id: cache::new_family_id(),
                desc,
                config,
                cells_per_series,
                limit: AtomicUsize::new(desc.series_limit),
                hasher: DefaultHashBuilder::default(),
                generation: AtomicU64::new(0),
                series: RwLock::new(HashTable::new()),
                fixed: new_cells(desc, if K == 0 { cells_per_series } else { 0 }),
                overflow: new_cells(desc, if K == 0 { 0 } else { cells_per_series }),
                overflow_used: AtomicBool::new(false),
                stats: Arc::new(FamilyStats::new(desc.name)),
                expire_after: AtomicU64::new(0),
            }),
        }
    }

    /// The library's counts about this family.
    pub fn stats(&self) -> Arc<FamilyStats> {
        Arc::clone(&self.inner.stats)
    }

    /// Calls `f` with cell `index` of the series of `key`, creating the
    /// series if it does not exist yet.
    #[inline]
    pub fn with<R>(&self, key: [&str; K], index: usize, f: impl FnOnce(&C) -> R) -> R {
        assert!(
            index < self.inner.cells_per_series,
            "cell index out of range"
        );
        // SAFETY: `lookup` gives the first of `cells_per_series` live cells.
        self.lookup(key, |cells| f(unsafe { cells.add(index).as_ref() }))
    }

    /// Calls `f` with all the cells of the series of `key` (one per
    /// combination of closed-set values), creating the series if it does not
    /// exist yet: for records of several cells of one series, with one
    /// lookup.
    #[inline]
    pub fn with_cells<R>(&self, key: [&str; K], f: impl FnOnce(&[C]) -> R) -> R {
        let len = self.inner.cells_per_series;
        // SAFETY: `lookup` gives the first of `cells_per_series` live cells.
        self.lookup(key, |cells| {
            f(unsafe { NonNull::slice_from_raw_parts(cells, len).as_ref() })
        })
    }

    /// Calls `f` with a pointer to the first cell of the series of `key`
    /// (created if need be), of `cells_per_series` cells that stay alive
    /// until `f` returns.
    #[inline]
    fn lookup<R>(&self, key: [&str; K], f: impl FnOnce(NonNull<C>) -> R) -> R {
        let inner = &*self.inner;
        if K == 0 {
            return f(inner.fixed.for_this_thread());
        }
        let hash = key::hash(&inner.hasher, &key);
        let generation = inner.generation.load(Relaxed);
        let mut f = Some(f);
        let cached = cache::get(
            inner.id,
            hash,
            generation,
            |series: &Series<C, K>, cells| {
                if !key::equal(&series.key, &key) {
                    return None;
                }
                let f = f.take().expect("a cache lookup runs `f` once at most");
                inner.touch(series);
                // The cache holds the series, and so its cells, meanwhile.
                Some(f(cells))
            },
        );
        if let Some(result) = cached {
            return result;
        }
        let f = f
            .take()
            .expect("`f` runs only when the cached key matches, and then returns above");
        self.lookup_uncached(key, hash, generation, f)
    }

    /// [`Family::lookup`] of a series not in this thread's cache: out of
    /// line, so that the cached path is small enough to inline.
    #[inline(never)]
    fn lookup_uncached<R>(
        &self,
        key: [&str; K],
        hash: u64,
        generation: u64,
        f: impl FnOnce(NonNull<C>) -> R,
    ) -> R {
        let inner = &*self.inner;
        let Some(series) = self.find_or_insert(key, hash, Arc::clone) else {
            return f(self.overflowed().for_this_thread());
        };
        let first = series.cells.for_this_thread();
        // `series` holds the cells and their copies while `f` runs; then
        // the cache takes it.
        let result = f(first);
        cache::put(inner.id, hash, generation, series, first);
        result
    }

    /// Cell `index` of the series of `key`, created if need be, or of the
    /// overflow series once the family is full; for guards, timers and
    /// bound handles, which outlive the lookup.
    pub fn cell(&self, key: [&str; K], index: usize) -> SeriesCell<C> {
        assert!(
            index < self.inner.cells_per_series,
            "cell index out of range"
        );
        let cells = if K == 0 {
            Arc::clone(&self.inner.fixed)
        } else {
            let hash = key::hash(&self.inner.hasher, &key);
            self.find_or_insert(key, hash, |series| Arc::clone(&series.cells))
                .unwrap_or_else(|| Arc::clone(self.overflowed()))
        };
        SeriesCell {
            cells,
            index,
            notes_drop: true,
        }
    }

    /// `hold` of the series of `key` from the shared map, inserted if need
    /// be; `None` when it belongs in the overflow series. The series is
    /// marked touched, and `hold` runs, under the map's lock, so that no
    /// expiry pass removes the series before its caller holds it.
    fn find_or_insert<R>(
        &self,
        key: [&str; K],
        hash: u64,
        hold: impl FnOnce(&Arc<Series<C, K>>) -> R,
    ) -> Option<R> {
        let inner = &*self.inner;
        let hold = |series: &Arc<Series<C, K>>| {
            inner.touch(series);
            hold(series)
        };
        let full = |len| {
            len >= inner.limit.load(Relaxed)
                || key
                    .iter()
                    .any(|v| *v == OVERFLOW || v.len() > MAX_LABEL_VALUE_LEN)
        };
        let matches = |series: &Arc<Series<C, K>>| key::equal(&series.key, &key);
        {
            let series = inner.series.read();
            if let Some(found) = series.find(hash, matches) {
                return Some(hold(found));
            }
            if full(series.len()) {
                return None;
            }
        }
        let mut series = inner.series.write();
        if let Some(found) = series.find(hash, matches) {
            return Some(hold(found));
        }
        if full(series.len()) {
            return None;
        }
        let created = Arc::new(Series {
            release: cache::Release::of::<Series<C, K>>(),
            key: key.map(Box::from),
            cells: new_cells(inner.desc, inner.cells_per_series),
            touched: AtomicBool::new(false),
        });
        let held = hold(&created);
        series.insert_unique(hash, created, |s| key::hash(&inner.hasher, &s.key));
        Some(held)
    }

    /// The overflow series, for a record or a handle that belongs in it,
    /// counted.
    fn overflowed(&self) -> &Arc<CellSet<C>> {
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
        self.inner.series.read().len()
    }

    /// Removes every series whose open-set label `label` has `value`, and
    /// returns how many were removed. Counters of removed series start again
    /// from zero if recorded anew, which `rate()` reads as a reset.
    pub fn forget(&self, label: &str, value: &str) -> usize {
        let Some(position) = self
            .inner
            .desc
            .labels
            .iter()
            .filter(|l| l.values.is_none())
            .position(|l| l.name == label)
        else {
            return 0;
        };
        let mut series = self.inner.series.write();
        let before = series.len();
        series.retain(|s| &*s.key[position] != value);
        let removed = before - series.len();
        if removed > 0 {
            self.inner.generation.fetch_add(1, Relaxed);
        }
        removed
    }

    /// Counts a rejected value in the family's self-metrics and gives it back.
    pub fn reject(&self, error: ValueError) -> ValueError {
        self.inner.stats.count_rejected(&error);
        error
    }

    /// Registers the family, so that encoding the registry exposes it.
    pub fn register(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(self.clone()));
    }
}

/// One cell of a series, held after one lookup: what guards, timers and
/// bound handles record into. It holds the series' cells and their copies,
/// which keeps the series from expiring while it lives, and gives the
/// cell of the recording thread's copy, as a looked-up record does. When
/// dropped it notes the time as the series' last activity, unless made
/// [`SeriesCell::holding_only`].
pub struct SeriesCell<C> {
    cells: Arc<CellSet<C>>,
    index: usize,
    notes_drop: bool,
}

impl<C> SeriesCell<C> {
    /// The cell, whose drop notes nothing: for a guard, whose increment
    /// and decrement cancel out, so that holding the series is all it does.
    pub fn holding_only(mut self) -> Self {
        self.notes_drop = false;
        self
    }
}

impl<C: Cell> Deref for SeriesCell<C> {
    type Target = C;

    #[inline]
    fn deref(&self) -> &C {
        // SAFETY: `index` was checked against the series' cells when the
        // handle was made, and this thread's copy has as many, alive as
        // long as `self.cells`.
        unsafe { self.cells.for_this_thread().add(self.index).as_ref() }
    }
}

impl<C> Drop for SeriesCell<C> {
    /// Notes the time: what a handle recorded counts as activity of its
    /// series until it is dropped.
    fn drop(&mut self) {
        if self.notes_drop {
            self.cells.active_at.fetch_max(expiry::now(), Relaxed);
        }
    }
}

// By hand: a derived `Clone` would ask for `C: Clone`, which cells are not.
impl<C> Clone for SeriesCell<C> {
    fn clone(&self) -> Self {
        SeriesCell {
            cells: Arc::clone(&self.cells),
            index: self.index,
            notes_drop: self.notes_drop,
        }
    }
}

impl<C> fmt::Debug for SeriesCell<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesCell")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

fn new_cells<C: Cell>(desc: &'static Descriptor, n: usize) -> Arc<CellSet<C>> {
    Arc::new(CellSet::new(desc, n))
}

// SAFETY: `repr(C)`, with `release` first, made by `find_or_insert` with
// `Release::of::<Self>()`.
unsafe impl<C, const K: usize> cache::Cached for Series<C, K> {}

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

/// The per-thread cache against the shared map, small enough for Miri
/// (`.ci/run` runs these under it): cached series are found, forgotten
/// ones are neither found nor kept alive, and a thread's cache lets go of
/// its series when the thread ends.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::CounterCell;
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
    };

    fn add(family: &Family<CounterCell, 1>, tenant: &str, status: usize) {
        family.with([tenant], status, |cell| cell.inc_by(1));
    }

    fn series(family: &Family<CounterCell, 1>, tenant: &str) -> Arc<Series<CounterCell, 1>> {
        let hash = key::hash(&family.inner.hasher, &[tenant]);
        family
            .find_or_insert([tenant], hash, Arc::clone)
            .expect("below the limit")
    }

    /// What a scrape shows: the series' cell and every thread's copy.
    fn total(series: &Series<CounterCell, 1>, status: usize) -> u64 {
        let copies: u64 = series.cells.copies().map(|c| c[status].units()).sum();
        series.cells.shared[status].units() + copies
    }

    fn count(family: &Family<CounterCell, 1>, tenant: &str, status: usize) -> u64 {
        total(&series(family, tenant), status)
    }

    #[test]
    fn cached_series_record_into_the_shared_ones() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for i in 0..20 {
                        add(&family, ["a", "b"][i % 2], i % 3 / 2);
                    }
                });
            }
        });
        // Per thread and tenant, 10 records, of which 3 (i = 2, 8, 14 for
        // "a"; 5, 11, 17 for "b") go to the second cell.
        for tenant in ["a", "b"] {
            assert_eq!(
                [count(&family, tenant, 0), count(&family, tenant, 1)],
                [14, 6]
            );
        }
    }

    /// Runs `record` on three threads, each with a copy number of its own,
    /// 1, 10 and 100 times.
    fn on_three_copies(record: impl Fn() + Sync) {
        std::thread::scope(|s| {
            for (n, times) in [(0, 1), (1, 10), (2, 100)] {
                let record = &record;
                s.spawn(move || {
                    shard::set_this_thread(n);
                    (0..times).for_each(|_| record());
                });
            }
        });
    }

    fn exposition<C: Cell, const K: usize>(family: &Family<C, K>) -> String {
        let mut registry = Registry::default();
        family.register(&mut registry);
        crate::encode(&registry, crate::Format::Prometheus)
    }

    /// Records of threads with copies of their own are all exposed, added
    /// up.
    #[test]
    fn a_scrape_adds_up_every_thread_s_copy() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        on_three_copies(|| add(&family, "a", 1));
        let a = series(&family, "a");
        assert_eq!(a.cells.shared[1].units(), 0, "only gauges use them");
        assert_eq!(a.cells.copies().count(), 3);
        assert_eq!(
            exposition(&family),
            "# HELP aigateway_test_total Test.\n\
             # TYPE aigateway_test_total counter\n\
             aigateway_test_total{tenant_id=\"a\",status=\"success\"} 0\n\
             aigateway_test_total{tenant_id=\"a\",status=\"error\"} 111\n"
        );
    }

    /// Handles made after one lookup record into their thread's copy, as
    /// looked-up records do, and a scrape adds up every copy: of a series,
    /// and of the overflow series.
    #[test]
    fn handles_record_into_their_thread_s_copy() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        family.set_series_limit(1);
        let (a, overflowed) = (family.cell(["a"], 1), family.cell(["b"], 0));
        on_three_copies(|| {
            a.inc_by(1);
            overflowed.inc_by(2);
        });
        assert_eq!(series(&family, "a").cells.copies().count(), 3);
        assert_eq!(
            exposition(&family),
            "# HELP aigateway_test_total Test.\n\
             # TYPE aigateway_test_total counter\n\
             aigateway_test_total{tenant_id=\"a\",status=\"success\"} 0\n\
             aigateway_test_total{tenant_id=\"a\",status=\"error\"} 111\n\
             aigateway_test_total{tenant_id=\"__overflow__\",status=\"success\"} 222\n\
             aigateway_test_total{tenant_id=\"__overflow__\",status=\"error\"} 0\n"
        );
    }

    /// A family without open-set labels has one series, which every thread
    /// records into: each into its copy.
    #[test]
    fn a_family_without_open_labels_has_copies_too() {
        static FIXED: Descriptor = Descriptor {
            name: "aigateway_test_errors_total",
            labels: &[LabelDescriptor {
                name: "status",
                values: Some(&["success", "error"]),
            }],
            ..DESC
        };
        let family = Family::<CounterCell, 0>::new(&FIXED, 1);
        on_three_copies(|| family.with([], 1, |cell| cell.inc_by(1)));
        assert_eq!(family.inner.fixed.copies().count(), 3);
        assert!(
            exposition(&family).ends_with("aigateway_test_errors_total{status=\"error\"} 111\n")
        );
    }

    /// A gauge's value is the last one set, which copies could not add up:
    /// every thread sets the series' own cell.
    #[test]
    fn gauges_are_not_copied() {
        static GAUGE: Descriptor = Descriptor {
            name: "aigateway_test_ratio",
            kind: MetricKind::Gauge,
            labels: &[LabelDescriptor {
                name: "tenant_id",
                values: None,
            }],
            ..DESC
        };
        let family = Family::<crate::cell::GaugeCell, 1>::new(&GAUGE, false);
        std::thread::scope(|s| {
            s.spawn(|| {
                shard::set_this_thread(1);
                family.with(["a"], 0, |cell| cell.set_i64(7));
            });
        });
        assert!(exposition(&family).ends_with("aigateway_test_ratio{tenant_id=\"a\"} 7\n"));
    }

    /// Every cell through one lookup, first uncached, then cached.
    #[test]
    fn with_cells_reaches_every_cell_of_the_series() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        for _ in 0..2 {
            family.with_cells(["a"], |cells| {
                assert_eq!(cells.len(), 2);
                cells[0].inc_by(1);
                cells[1].inc_by(10);
            });
        }
        assert_eq!([count(&family, "a", 0), count(&family, "a", 1)], [2, 20]);
    }

    #[test]
    fn a_forgotten_series_is_not_found_in_a_cache_and_is_freed() {
        let family = Family::<CounterCell, 1>::new(&DESC, 1);
        let (cached, forgotten) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                add(&family, "gone", 0);
                cached.wait();
                forgotten.wait();
                // Cached before the forget: the record goes to a new series.
                add(&family, "gone", 0);
            });
            cached.wait();
            let old = series(&family, "gone");
            assert_eq!(family.forget("tenant_id", "gone"), 1);
            forgotten.wait();
            // Held by this `Arc` only once the recording thread has ended.
            while Arc::strong_count(&old) > 1 {
                std::thread::yield_now();
            }
            assert_eq!(total(&old, 0), 1);
        });
        assert_eq!(count(&family, "gone", 0), 1, "the new series");
    }
}
