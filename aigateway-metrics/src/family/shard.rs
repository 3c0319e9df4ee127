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
//! Threads are numbered in the order they first record, modulo the number
//! of processors (at most [`MAX_SHARDS`]): with as many threads as cores,
//! as in a tokio runtime, each has its copy, and more threads share them.
//! Gauges are not copied (their value is the last one set, which copies
//! could not add up), nor are the cells of families without open-set labels
//! and of the overflow series: those are shared by all threads.
//!
//! Memory: a series holds at most [`MAX_SHARDS`] copies, and only for
//! threads that recorded into it.

use std::cell::Cell as StdCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
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
    static THIS_THREAD: StdCell<Option<usize>> = const { StdCell::new(None) };
}

/// The copy this thread records into: 0 to `SHARDS - 1`.
pub(super) fn this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    THIS_THREAD
        .try_with(|shard| match shard.get() {
            Some(n) => n,
            None => {
                let n = NEXT.fetch_add(1, Relaxed) % *SHARDS;
                shard.set(Some(n));
                n
            }
        })
        .unwrap_or(0)
}

/// Makes this thread record into copy `n`: for tests that need copies
/// whatever the machine's processors.
#[cfg(test)]
pub(super) fn set_this_thread(n: usize) {
    THIS_THREAD.with(|shard| shard.set(Some(n)));
}

/// The copies of a series' cells, by thread number.
pub(super) struct Shards<C>(Mutex<Vec<(usize, Lines<C>)>>);

impl<C: Cell> Shards<C> {
    pub fn new() -> Self {
        Shards(Mutex::new(Vec::new()))
    }

    /// The first cell of copy `shard`, made if need be. The cells
    /// stay where they are as long as `self` lives: copies are blocks of
    /// their own, never removed. A copy takes whole cache lines, so that no
    /// other thread's writes share them, whatever the allocator.
    pub fn first_cell(&self, shard: usize, desc: &Descriptor, len: usize) -> NonNull<C> {
        let mut shards = self.0.lock();
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
        NonNull::from(&*shards[position].1).cast()
    }

    /// Calls `f` with the copies, in the order they were made.
    pub fn with<R>(&self, f: impl FnOnce(&[(usize, Lines<C>)]) -> R) -> R {
        f(&self.0.lock())
    }
}
