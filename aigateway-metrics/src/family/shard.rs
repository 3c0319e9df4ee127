//! Copies of a series' cells, one per recording thread, added up at scrape.
//!
//! Two cores adding to the same cell pass its cache line back and forth on
//! every record: with both recording into the same series, a record cost
//! about twice its one-core time. So each thread records into cells of its
//! own, made on its first record into the series (on the cache-miss path;
//! its per-thread cache slot then points straight at them), and a scrape
//! adds up every copy. Totals stay exact: a copy is written by one thread
//! at a time, or atomically (see below), and each counter copy only grows,
//! so their sum only grows from scrape to scrape.
//!
//! A copy takes cache lines of its own (see [`Lines`]), and so do a
//! histogram's buckets: no other thread writes to them. Measured before
//! that: with copies as plain heap blocks, or with one thread recording
//! into the series' own cells, two threads still cost 1.7x one whenever
//! the allocator had put two threads' blocks side by side.
//!
//! Handles held after one lookup (bound handles, the gateway's kept series,
//! histogram timers) record into their thread's copy too: a tenant's kept
//! series served by every core would otherwise pass its lines between them
//! on every request.
//!
//! A thread's copy is its own: on its first record, a thread takes the
//! lowest of [`MAX_SHARDS`] copy numbers no live thread has, and gives it
//! back when it ends. Only it writes to those copies, so a record adds with
//! a load and a store, not a locked instruction (the benchmark's request
//! through kept series took 21 ns instead of 32). Threads beyond those share
//! [`MAX_SHARDS`] more copies, one per processor at most, and add to them
//! atomically: with as many threads as cores, as in a tokio runtime, each
//! owns its copy. A thread giving its number back first records into a
//! shared copy, and empties its lookup cache, which points at the copies
//! the next owner will write to.
//!
//! Gauges are not copied (their value is the last one set, which copies
//! could not add up). Families without open-set labels, whose one series
//! every thread records into, and the overflow series, which a flood of new
//! tenants sends every thread's records to, are copied like the others.
//!
//! Memory: a series holds at most twice [`MAX_SHARDS`] copies, and only
//! for threads that recorded into it.

use std::cell::Cell as StdCell;
use std::ptr::NonNull;
use std::sync::atomic::{
    AtomicPtr, AtomicU64, AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed,
    Ordering::Release,
};
use std::sync::LazyLock;

use crate::cell::Cell;
use crate::descriptor::Descriptor;
use crate::lines::Lines;

/// The most threads that own a copy each, and the most copies threads
/// beyond those share.
pub(super) const MAX_SHARDS: usize = 4;

/// Copy numbers: `0..MAX_SHARDS` are owned, one thread each; from
/// `MAX_SHARDS`, shared.
const COPIES: usize = 2 * MAX_SHARDS;

/// A thread's number before its first record.
const UNNUMBERED: usize = usize::MAX;

/// How many shared copies a series may have here: one per processor, up
/// to [`MAX_SHARDS`].
static SHARDS: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_SHARDS)
});

/// The owned copy numbers taken by live threads, one bit each.
static OWNED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's copy number, or `UNNUMBERED` until its first record.
    /// A `Cell<usize>` has nothing to drop, so this thread-local is there
    /// for as long as the thread runs, destructors of others included.
    static THIS_THREAD: StdCell<usize> = const { StdCell::new(UNNUMBERED) };
    /// Gives this thread's owned number back when the thread ends.
    static OWNER: Owner = const { Owner(StdCell::new(None)) };
}

/// The copy this thread records into: owned (below `MAX_SHARDS`) or
/// shared.
#[inline]
pub(super) fn this_thread() -> usize {
    let n = THIS_THREAD.with(StdCell::get);
    if n < COPIES {
        n
    } else {
        number_this_thread()
    }
}

/// Whether this thread records into a copy no other thread writes to, so
/// that a load and a store add to a cell, without a locked instruction.
///
/// Only for cells reached through [`CellSet::for_this_thread`] on this
/// thread, or through this thread's lookup cache (which the thread's owned
/// number outlives, see [`Owner`]).
#[inline]
pub(crate) fn owns_its_copy() -> bool {
    THIS_THREAD.with(StdCell::get) < MAX_SHARDS
}

/// Numbers this thread: the lowest owned number no live thread has, else
/// a shared one.
#[cold]
fn number_this_thread() -> usize {
    static NEXT_SHARED: AtomicUsize = AtomicUsize::new(0);
    let n = claim().unwrap_or_else(|| shared(NEXT_SHARED.fetch_add(1, Relaxed)));
    THIS_THREAD.with(|shard| shard.set(n));
    n
}

/// Shared copy number `k`, of as many as there are processors (up to
/// [`MAX_SHARDS`]).
fn shared(k: usize) -> usize {
    MAX_SHARDS + k % *SHARDS
}

/// Takes the lowest free owned number, and has [`OWNER`] give it back when
/// the thread ends; `None` if all are taken, or if this thread is being
/// torn down (nothing would give the number back).
fn claim() -> Option<usize> {
    OWNER
        .try_with(|owner| {
            let all = (1 << MAX_SHARDS) - 1;
            // Acquire: the thread that gave the number back wrote its copies
            // before; this thread's plain stores must come after those.
            let taken = OWNED
                .fetch_update(Acquire, Relaxed, |taken| {
                    let free = !taken & all;
                    (free != 0).then(|| taken | (1 << free.trailing_zeros()))
                })
                .ok()?;
            let n = (!taken & all).trailing_zeros() as usize;
            owner.0.set(Some(n));
            Some(n)
        })
        .ok()
        .flatten()
}

/// This thread's owned number, given back when the thread ends.
struct Owner(StdCell<Option<usize>>);

impl Drop for Owner {
    fn drop(&mut self) {
        let Some(n) = self.0.take() else { return };
        // Destructors of other thread-locals may still record: from now on,
        // into a shared copy, atomically.
        THIS_THREAD.with(|shard| shard.set(shared(n)));
        // The lookup cache points at the owned copies: once another thread
        // owns them, a record through it would race with that thread's. A
        // cache that cannot be emptied keeps the number from being reused.
        if super::cache::empty_this_thread() {
            // Release: the next owner sees every store to the copies.
            OWNED.fetch_and(!(1 << n), Release);
        }
    }
}

/// Makes this thread record into copy `n` (owned by this thread, if below
/// `MAX_SHARDS`): for tests that need copies whatever the machine's
/// processors. Each test thread takes a number of its own.
#[cfg(test)]
pub(super) fn set_this_thread(n: usize) {
    assert!(n < COPIES, "copy {n} of at most {COPIES}");
    THIS_THREAD.with(|shard| shard.set(n));
}

/// A series' cells and the recording threads' copies of them: what a
/// series shares with the handles to it, which keep it alive.
pub(super) struct CellSet<C> {
    desc: &'static Descriptor,
    /// The series' own cells: what gauges record into.
    pub(super) shared: Box<[C]>,
    /// The first cell of each copy number's copy, once made: a block of
    /// `shared.len()` cells made by [`Lines::into_raw`], owned here and
    /// never removed, so that its cells stay where they are as long as
    /// `self` lives. A record reads it without a lock.
    copies: [AtomicPtr<C>; COPIES],
    /// When the series was last seen active (see [`super::expiry`]): made,
    /// recorded into at a pass, or let go by a handle.
    pub(super) active_at: AtomicU64,
}

impl<C: Cell> CellSet<C> {
    /// `len` cells, no copies yet.
    pub(super) fn new(desc: &'static Descriptor, len: usize) -> Self {
        CellSet {
            desc,
            shared: (0..len).map(|_| C::new(desc)).collect(),
            copies: [const { AtomicPtr::new(std::ptr::null_mut()) }; COPIES],
            active_at: AtomicU64::new(super::expiry::now()),
        }
    }

    /// The first of the `shared.len()` cells this thread records into: its
    /// copy (made if need be) for counters and histograms, the shared cells
    /// for gauges. They live as long as `self`.
    #[inline]
    pub(super) fn for_this_thread(&self) -> NonNull<C> {
        if C::SHARDED {
            let n = this_thread();
            match NonNull::new(self.copies[n].load(Acquire)) {
                Some(first) => first,
                None => self.make(n),
            }
        } else {
            // From the whole slice, so that the pointer may reach every
            // cell (Miri caught one made from `&shared[0]`).
            NonNull::from(&*self.shared).cast()
        }
    }

    /// Makes copy `n`, unless another thread sharing the number just did.
    /// A copy takes whole cache lines, so that no other thread's writes
    /// share them, whatever the allocator; and room for itself only, as
    /// most series are recorded into by few threads, and a family holds
    /// thousands of series.
    #[cold]
    fn make(&self, n: usize) -> NonNull<C> {
        let len = self.shared.len();
        let made = Lines::new(len, |_| C::new(self.desc)).into_raw();
        // Release: a thread that loads the pointer sees the cells made;
        // Acquire: this one sees the cells of a copy made meanwhile.
        let null = std::ptr::null_mut();
        match self.copies[n].compare_exchange(null, made.as_ptr(), AcqRel, Acquire) {
            Ok(_) => made,
            Err(theirs) => {
                // SAFETY: `made` came from `into_raw` of `len` cells above,
                // and went nowhere else.
                drop(unsafe { Lines::<C>::from_raw(made, len) });
                NonNull::new(theirs).expect("the exchange failed on a copy made")
            }
        }
    }

    /// The copies made, by copy number: what a scrape adds up.
    pub(super) fn copies(&self) -> impl Iterator<Item = &[C]> {
        let len = self.shared.len();
        self.copies.iter().filter_map(move |first| {
            let first = NonNull::new(first.load(Acquire))?;
            // SAFETY: a copy is `len` cells, alive as long as `self`.
            Some(unsafe { NonNull::slice_from_raw_parts(first, len).as_ref() })
        })
    }
}

impl<C> Drop for CellSet<C> {
    fn drop(&mut self) {
        let len = self.shared.len();
        for first in &mut self.copies {
            if let Some(first) = NonNull::new(*first.get_mut()) {
                // SAFETY: made by `into_raw` of `len` cells in `make`, and
                // put back together once, here.
                drop(unsafe { Lines::<C>::from_raw(first, len) });
            }
        }
    }
}
