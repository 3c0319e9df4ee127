//! A family's series by the hash of their key: open addressing over slots
//! of a hash and a pointer, read without a lock, changed under a mutex.
//!
//! A lookup loads the table, then slot after slot from the key's hash
//! until the slot with its hash and key, or an empty one. It writes nothing
//! shared: no lock word, no reference count. What it reads stays alive
//! through a [`seize`] guard, held only for the lookup: a removed series,
//! and a table that grew into a larger one, are retired to the collector,
//! which frees them once no guard from before their removal is held.
//!
//! Inserting, removing and growing take the mutex. A removal first marks
//! the slot removed, then checks once more whether the series may go (a
//! record or a handle may have reached it meanwhile), and puts it back if
//! not: a lookup that marks its series, or a bind that holds it, then finds
//! its slot unchanged knows the series stays (see [`Map::still_holds`]).
//! `tests/removal_protocol.rs` checks this with loom.

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::LazyLock;

use parking_lot::{Mutex, MutexGuard};
use seize::{Collector, Guard, LocalGuard};

use crate::series::{Series, SeriesArc};

/// What keeps what lookups read alive, for every family.
static COLLECTOR: LazyLock<Collector> = LazyLock::new(Collector::new);

thread_local! {
    /// Whether this thread has the collector's thread state.
    static ENTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Gone once this thread is being torn down past it: made right after
    /// the collector's thread state, so that it goes first.
    static ALIVE: Alive = const { Alive };
}

struct Alive;

impl Drop for Alive {
    fn drop(&mut self) {}
}

/// A guard for one lookup: what it finds stays alive while the guard
/// lives. `None` in a thread-local destructor that runs once this thread's
/// collector state may be gone: the caller then takes the mutex.
#[inline]
pub(super) fn guard() -> Option<LocalGuard<'static>> {
    if !ENTERED.with(std::cell::Cell::get) {
        drop(COLLECTOR.enter());
        ALIVE.with(|_| ());
        ENTERED.with(|entered| entered.set(true));
    }
    ALIVE.try_with(|_| COLLECTOR.enter()).ok()
}

/// Starts freeing what this thread retired. The collector frees a thread's
/// retired objects by batches of 32: left to fill, a batch could hold the
/// tables a family grew out of (megabytes, for a million series) for as
/// long as the thread retires nothing more.
fn flush_retired() {
    if let Some(guard) = guard() {
        guard.flush();
    }
}

/// The pointer of a removed slot, at which no series is: probing goes on
/// past it.
fn removed() -> *mut c_void {
    NonNull::<u64>::dangling().as_ptr().cast()
}

/// Whether a slot's pointer is a series.
fn is_series(ptr: *mut c_void) -> bool {
    !ptr.is_null() && ptr != removed()
}

/// One slot: the hash of its series' key, written before the pointer.
struct Slot {
    hash: AtomicU64,
    /// Null for a slot never used, [`removed`], or a series from
    /// `ThinArc::into_raw`, which the map owns.
    series: AtomicPtr<c_void>,
}

struct Table {
    /// A power of two of them, at most half of them used or removed, so
    /// that a probe always ends at an empty one.
    slots: Box<[Slot]>,
}

impl Table {
    fn with_slots(len: usize) -> Box<Table> {
        let slots = (0..len)
            .map(|_| Slot {
                hash: AtomicU64::new(0),
                series: AtomicPtr::new(std::ptr::null_mut()),
            })
            .collect();
        Box::new(Table { slots })
    }

    /// The slots from `hash`'s, in probing order.
    fn probe(&self, hash: u64) -> impl Iterator<Item = &Slot> {
        let mask = self.slots.len() - 1;
        let start = hash as usize & mask;
        (0..self.slots.len()).map(move |i| &self.slots[(start + i) & mask])
    }

    /// The first slot from `hash`'s free for a series: empty or removed.
    fn free_slot(&self, hash: u64) -> &Slot {
        self.probe(hash)
            .find(|s| !is_series(s.series.load(Relaxed)))
            .expect("a table is at most half full")
    }

    /// The series of `hash` for which `matches` holds, reading slots with
    /// `load`.
    ///
    /// # Safety
    /// What `load` gives must stay alive for `'g`.
    #[inline]
    unsafe fn find<'g>(
        &'g self,
        load: impl Fn(&AtomicPtr<c_void>) -> *mut c_void,
        hash: u64,
        matches: impl Fn(&Series) -> bool,
    ) -> Option<Found<'g>> {
        for slot in self.probe(hash) {
            let ptr = load(&slot.series);
            if ptr.is_null() {
                return None;
            }
            if ptr != removed() && slot.hash.load(Relaxed) == hash {
                // SAFETY: alive for `'g`, as the caller promises.
                let series = unsafe { borrow(ptr) };
                if matches(series) {
                    return Some(Found {
                        series,
                        table: self,
                        slot,
                        ptr,
                    });
                }
            }
        }
        unreachable!("a table is at most half full")
    }
}

/// The series of one family.
pub(super) struct Map {
    /// A `Table` from `Box::into_raw`; replaced, and retired, when it
    /// grows.
    table: AtomicPtr<Table>,
    /// Held to insert, remove or grow.
    writer: Mutex<()>,
    /// How many slots of the current table hold a series, and how many
    /// were removed; written under `writer`.
    live: AtomicUsize,
    removed: AtomicUsize,
}

/// A series a lookup found, and where: to check it is still there.
pub(super) struct Found<'g> {
    pub series: &'g Series,
    table: *const Table,
    slot: &'g Slot,
    ptr: *mut c_void,
}

impl Found<'_> {
    /// A count of the series, for a handle.
    pub fn to_arc(&self) -> SeriesArc {
        self.with_arc(SeriesArc::clone)
    }

    /// Calls `f` with the series as the map holds it, no count taken.
    fn with_arc<R>(&self, f: impl FnOnce(&SeriesArc) -> R) -> R {
        // SAFETY: a live series while `self` lives.
        f(&*unsafe { view(self.ptr) })
    }
}

/// The series at `ptr`, without a count of its own: dropped, it gives none
/// back.
///
/// # Safety
/// `ptr` must come from `ThinArc::into_raw` of a series that stays alive
/// while the result is used.
unsafe fn view(ptr: *mut c_void) -> ManuallyDrop<SeriesArc> {
    ManuallyDrop::new(unsafe { SeriesArc::from_raw(ptr) })
}

/// # Safety
/// `ptr` must come from `ThinArc::into_raw` of a series that stays alive
/// for `'a`.
unsafe fn borrow<'a>(ptr: *mut c_void) -> &'a Series {
    // SAFETY: as the caller promises; the block lives for `'a`, wherever
    // the `ThinArc` value is.
    unsafe {
        let arc = view(ptr);
        let series: *const Series = &**arc;
        &*series
    }
}

impl Map {
    pub fn new() -> Map {
        Map {
            table: AtomicPtr::new(Box::into_raw(Table::with_slots(16))),
            writer: Mutex::new(()),
            live: AtomicUsize::new(0),
            removed: AtomicUsize::new(0),
        }
    }

    /// The series of `hash` for which `matches` holds, without a lock.
    #[inline]
    pub fn find<'g>(
        &self,
        guard: &'g LocalGuard<'_>,
        hash: u64,
        matches: impl Fn(&Series) -> bool,
    ) -> Option<Found<'g>> {
        // SAFETY: a table or series is freed only once retired, and `guard`
        // keeps what was retired after it was loaded.
        unsafe {
            let table = &*guard.protect(&self.table, Acquire);
            table.find(|ptr| guard.protect(ptr, Acquire), hash, matches)
        }
    }

    /// The current table, for the mutex's holder.
    fn table<'a>(&'a self, _: &'a MutexGuard<'_, ()>) -> &'a Table {
        // SAFETY: only the mutex's holder replaces or retires the table.
        unsafe { &*self.table.load(Relaxed) }
    }

    /// Whether `found` is still in the map, after its finder marked the
    /// series touched or took a count of it: then the removal that checks
    /// those after marking the slot (see [`Map::retain`]) keeps it.
    #[inline]
    pub fn still_holds(&self, found: &Found<'_>) -> bool {
        fence(SeqCst);
        std::ptr::eq(self.table.load(SeqCst), found.table)
            && found.slot.series.load(SeqCst) == found.ptr
    }

    /// `hold` of the series of `hash` for which `matches` holds, or, if
    /// none does, of the one `make` gives, inserted; `None` if `make` gives
    /// none. Under the mutex, so that no removal runs meanwhile.
    pub fn find_or_insert<R>(
        &self,
        hash: u64,
        matches: impl Fn(&Series) -> bool,
        make: impl FnOnce(usize) -> Option<SeriesArc>,
        hold: impl FnOnce(&Series, &SeriesArc) -> R,
    ) -> Option<R> {
        let locked = self.writer.lock();
        let table = self.table(&locked);
        // SAFETY: only the mutex's holder removes series or replaces the
        // table.
        if let Some(found) = unsafe { table.find(|ptr| ptr.load(Acquire), hash, &matches) } {
            return Some(found.with_arc(|arc| hold(found.series, arc)));
        }
        let live = self.live.load(Relaxed);
        let series = make(live)?;
        let held = hold(&series, &series);
        let ptr = SeriesArc::into_raw(series).cast_mut();
        let fits = (live + self.removed.load(Relaxed) + 1) * 2 <= table.slots.len();
        if fits {
            let slot = table.free_slot(hash);
            if slot.series.load(Relaxed) == removed() {
                self.removed.fetch_sub(1, Relaxed);
            }
            slot.hash.store(hash, Relaxed);
            slot.series.store(ptr, Release);
        } else {
            self.grow(table, (hash, ptr));
        }
        self.live.store(live + 1, Relaxed);
        drop(locked);
        if !fits {
            // Past every use of the old table, which this may free.
            flush_retired();
        }
        Some(held)
    }

    /// Replaces `table` with one twice as large as its series need, holding
    /// them and `new`, and retires it.
    fn grow(&self, table: &Table, new: (u64, *mut c_void)) {
        let live = self.live.load(Relaxed) + 1;
        let grown = Table::with_slots((live * 4).next_power_of_two());
        let live = table
            .slots
            .iter()
            .map(|s| (s.hash.load(Relaxed), s.series.load(Relaxed)));
        for (hash, ptr) in live.filter(|(_, ptr)| is_series(*ptr)).chain([new]) {
            let to = grown.free_slot(hash);
            to.hash.store(hash, Relaxed);
            to.series.store(ptr, Relaxed);
        }
        self.removed.store(0, Relaxed);
        let old = self.table.swap(Box::into_raw(grown), SeqCst);
        // SAFETY: reachable only through guards held already; the series
        // it points to moved to the new table, and are not freed with it.
        unsafe { COLLECTOR.retire(old, seize::reclaim::boxed) };
    }

    /// Removes the series for which `goes(series, held)` holds, `held`
    /// saying whether a handle holds it; returns how many. `goes` is asked
    /// again once the slot is marked removed, and the series stays if it
    /// says no then.
    pub fn retain(&self, goes: impl Fn(&Series, bool) -> bool) -> usize {
        let locked = self.writer.lock();
        let mut gone = 0;
        for slot in self.table(&locked).slots.iter() {
            let ptr = slot.series.load(Relaxed);
            if !is_series(ptr) {
                continue;
            }
            // SAFETY: a live series, which only this mutex's holder removes.
            let series = unsafe { view(ptr) };
            let held = || {
                let held = SeriesArc::strong_count(&series) > 1;
                // What a handle noted before giving its count back.
                fence(Acquire);
                held
            };
            if !goes(&series, held()) {
                continue;
            }
            slot.series.store(removed(), SeqCst);
            fence(SeqCst);
            if goes(&series, held()) {
                // SAFETY: reachable only through guards held already.
                unsafe { COLLECTOR.retire(ptr, free_series) };
                gone += 1;
            } else {
                slot.series.store(ptr, SeqCst);
            }
        }
        self.live.fetch_sub(gone, Relaxed);
        self.removed.fetch_add(gone, Relaxed);
        if gone > 0 {
            flush_retired();
        }
        gone
    }

    /// How many series the map holds.
    pub fn len(&self) -> usize {
        self.live.load(Relaxed)
    }

    /// Calls `f` with every series, without a lock.
    pub fn for_each(&self, mut f: impl FnMut(&Series)) {
        self.with_all(|all| all.iter().for_each(|series| f(series)));
    }

    /// Calls `f` with every series at once: without a lock, or under the
    /// mutex in a thread being torn down (see [`guard`]).
    pub fn with_all<R>(&self, f: impl FnOnce(&[&Series]) -> R) -> R {
        let all = |table: &Table, load: &dyn Fn(&AtomicPtr<c_void>) -> *mut c_void| {
            let series = table.slots.iter().map(|slot| load(&slot.series));
            // SAFETY: kept alive by the caller's guard or mutex, as in `find`.
            let all: Vec<&Series> = series
                .filter(|p| is_series(*p))
                .map(|p| unsafe { borrow(p) })
                .collect();
            all
        };
        match guard() {
            Some(guard) => {
                // SAFETY: kept by `guard`, as in `find`.
                let table = unsafe { &*guard.protect(&self.table, Acquire) };
                f(&all(table, &|ptr| guard.protect(ptr, Acquire)))
            }
            None => {
                let locked = self.writer.lock();
                f(&all(self.table(&locked), &|ptr| ptr.load(Acquire)))
            }
        }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: the map's own table, from `Box::into_raw`, now unreachable.
        let table = unsafe { Box::from_raw(*self.table.get_mut()) };
        for slot in table.slots.iter() {
            let ptr = slot.series.load(Relaxed);
            if is_series(ptr) {
                // SAFETY: the map's count of the series, given back once.
                drop(unsafe { SeriesArc::from_raw(ptr) });
            }
        }
    }
}

/// # Safety
/// `series` must be a count from `ThinArc::into_raw`, given back once.
unsafe fn free_series(series: *mut c_void, _: &Collector) {
    drop(unsafe { SeriesArc::from_raw(series) });
}
