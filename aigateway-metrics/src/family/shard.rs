//! Copies of a series' cells, one per recording thread, added up at scrape.
//!
//! Two cores adding to the same cell pass its cache line back and forth on
//! every record: with both recording into the same series, a record cost
//! about twice its one-core time. So each thread records into cells of its
//! own, made on its first record into the series (on the cache-miss path;
//! its per-thread cache slot then points straight at them), and a scrape
//! adds up every copy. Totals stay exact: every copy is atomic, and each
//! counter copy only grows, so their sum only grows from scrape to scrape.
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
//! Threads are numbered in the order they first record, modulo the number
//! of processors (at most [`MAX_SHARDS`]): with as many threads as cores,
//! as in a tokio runtime, each has its copy, and more threads share them.
//! Gauges are not copied (their value is the last one set, which copies
//! could not add up). Families without open-set labels, whose one series
//! every thread records into, and the overflow series, which a flood of new
//! tenants sends every thread's records to, are copied like the others.
//!
//! Memory: a series holds at most [`MAX_SHARDS`] copies, and only for
//! threads that recorded into it.

use std::cell::Cell as StdCell;
use std::ptr::NonNull;
use std::sync::atomic::{
    AtomicPtr, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::sync::LazyLock;

use parking_lot::Mutex;

use crate::cell::Cell;
use crate::descriptor::Descriptor;
use crate::lines::Lines;

/// The most copies of a series' cells.
pub(super) const MAX_SHARDS: usize = 4;

/// How many copies a series may have here: one per processor, up to
/// [`MAX_SHARDS`].
static SHARDS: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_SHARDS)
});

thread_local! {
    /// This thread's copy number, or `MAX_SHARDS` until its first record.
    static THIS_THREAD: StdCell<usize> = const { StdCell::new(MAX_SHARDS) };
}

/// The copy this thread records into: 0 to `SHARDS - 1`.
#[inline]
pub(super) fn this_thread() -> usize {
    // A `Cell<usize>` has nothing to drop, so the thread-local is there
    // for as long as the thread runs.
    let n = THIS_THREAD.with(StdCell::get);
    if n < MAX_SHARDS {
        n
    } else {
        number_this_thread()
    }
}

#[cold]
fn number_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Relaxed) % *SHARDS;
    THIS_THREAD.with(|shard| shard.set(n));
    n
}

/// Makes this thread record into copy `n`: for tests that need copies
/// whatever the machine's processors.
#[cfg(test)]
pub(super) fn set_this_thread(n: usize) {
    assert!(n < MAX_SHARDS, "copy {n} of at most {MAX_SHARDS}");
    THIS_THREAD.with(|shard| shard.set(n));
}

/// A series' cells and the recording threads' copies of them: what a
/// series shares with the handles to it, which keep it alive.
pub(super) struct CellSet<C> {
    desc: &'static Descriptor,
    /// The series' own cells: what gauges record into.
    pub(super) shared: Box<[C]>,
    pub(super) copies: Shards<C>,
}

impl<C: Cell> CellSet<C> {
    /// `len` cells, no copies yet.
    pub(super) fn new(desc: &'static Descriptor, len: usize) -> Self {
        CellSet {
            desc,
            shared: (0..len).map(|_| C::new(desc)).collect(),
            copies: Shards::new(),
        }
    }

    /// The first of the `shared.len()` cells this thread records into: its
    /// copy (made if need be) for counters and histograms, the shared cells
    /// for gauges. They live as long as `self`.
    #[inline]
    pub(super) fn for_this_thread(&self) -> NonNull<C> {
        if C::SHARDED {
            let len = self.shared.len();
            self.copies.first_cell(this_thread(), self.desc, len)
        } else {
            // From the whole slice, so that the pointer may reach every
            // cell (Miri caught one made from `&shared[0]`).
            NonNull::from(&*self.shared).cast()
        }
    }
}

/// The copies of a series' cells, by thread number.
pub(super) struct Shards<C> {
    made: Mutex<Vec<(usize, Lines<C>)>>,
    /// The first cell of each thread number's copy, once made: what a
    /// record reads, without the lock.
    first: [AtomicPtr<C>; MAX_SHARDS],
}

impl<C: Cell> Shards<C> {
    pub fn new() -> Self {
        Shards {
            made: Mutex::new(Vec::new()),
            first: [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_SHARDS],
        }
    }

    /// The first cell of copy `shard`, made if need be. The cells
    /// stay where they are as long as `self` lives: copies are blocks of
    /// their own, never removed. A copy takes whole cache lines, so that no
    /// other thread's writes share them, whatever the allocator.
    #[inline]
    pub fn first_cell(&self, shard: usize, desc: &Descriptor, len: usize) -> NonNull<C> {
        match NonNull::new(self.first[shard].load(Acquire)) {
            Some(first) => first,
            None => self.make(shard, desc, len),
        }
    }

    #[cold]
    fn make(&self, shard: usize, desc: &Descriptor, len: usize) -> NonNull<C> {
        let mut shards = self.made.lock();
        let position = match shards.iter().position(|(n, _)| *n == shard) {
            Some(position) => position,
            None => {
                // Room for this copy only: most series are recorded into
                // by few threads, and a family holds thousands of series.
                shards.reserve_exact(1);
                shards.push((shard, Lines::new(len, |_| C::new(desc))));
                shards.len() - 1
            }
        };
        let first = NonNull::from(&*shards[position].1).cast::<C>();
        // Release: a thread that loads the pointer sees the cells made.
        self.first[shard].store(first.as_ptr(), Release);
        first
    }

    /// Calls `f` with the copies, in the order they were made.
    pub fn with<R>(&self, f: impl FnOnce(&[(usize, Lines<C>)]) -> R) -> R {
        f(&self.made.lock())
    }
}
