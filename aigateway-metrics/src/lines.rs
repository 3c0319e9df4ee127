//! Values in cache lines of their own.
//!
//! Cells one thread records into must not share a cache line with memory
//! another thread writes, or the line moves between the cores on every
//! record (false sharing). A heap block from `Box` or `Vec` is aligned to
//! 16 bytes at most, so its first and last lines may hold a neighbour's
//! bytes. [`Lines`] allocates whole lines: aligned to 64 bytes, its size
//! rounded up to a multiple of 64.

use std::alloc::{self, Layout};
use std::ops::Deref;
use std::ptr::NonNull;

/// The cache line size of x86-64 and most ARM cores.
const LINE: usize = 64;

/// A fixed number of `T`s in a block of whole cache lines.
pub(crate) struct Lines<T> {
    first: NonNull<T>,
    len: usize,
}

// SAFETY: `Lines<T>` owns its `T`s, like a `Box<[T]>`.
unsafe impl<T: Send> Send for Lines<T> {}
// SAFETY: as above; `&Lines<T>` only gives `&T`s.
unsafe impl<T: Sync> Sync for Lines<T> {}

impl<T> Lines<T> {
    /// `len` values, value `i` made by `make(i)`. Should `make` panic, the
    /// block and the values made so far are leaked, not freed.
    pub fn new(len: usize, mut make: impl FnMut(usize) -> T) -> Self {
        let layout = Self::layout(len);
        let first = if layout.size() == 0 {
            NonNull::dangling()
        } else {
            // SAFETY: the layout's size is not zero.
            let block = unsafe { alloc::alloc(layout) };
            NonNull::new(block)
                .unwrap_or_else(|| alloc::handle_alloc_error(layout))
                .cast()
        };
        for i in 0..len {
            // SAFETY: the block has room for `len` values, aligned for `T`.
            unsafe { first.add(i).write(make(i)) };
        }
        Lines { first, len }
    }

    /// The first value, owning the block: give it back to
    /// [`Lines::from_raw`] with the same `len` to drop the values and free
    /// the block.
    pub fn into_raw(self) -> NonNull<T> {
        let first = self.first;
        std::mem::forget(self);
        first
    }

    /// The values `into_raw` gave out.
    ///
    /// # Safety
    /// `first` must come from `into_raw` of a `Lines<T>` of `len` values,
    /// and be put back once.
    pub unsafe fn from_raw(first: NonNull<T>, len: usize) -> Self {
        Lines { first, len }
    }

    /// The block for `len` values: aligned to a line, whole lines long.
    fn layout(len: usize) -> Layout {
        Layout::array::<T>(len)
            .and_then(|layout| layout.align_to(LINE))
            .map(|layout| layout.pad_to_align())
            .expect("a block of cells fits in memory")
    }
}

impl<T> Deref for Lines<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        // SAFETY: `first` points to `len` values written by `new`, alive
        // until `drop`.
        unsafe { NonNull::slice_from_raw_parts(self.first, self.len).as_ref() }
    }
}

impl<T> Drop for Lines<T> {
    fn drop(&mut self) {
        let layout = Self::layout(self.len);
        // SAFETY: `new` wrote `len` values to a block allocated with this
        // layout (or none, if its size is zero); they are dropped, and the
        // block freed, once.
        unsafe {
            std::ptr::drop_in_place(NonNull::slice_from_raw_parts(self.first, self.len).as_ptr());
            if layout.size() != 0 {
                alloc::dealloc(self.first.as_ptr().cast(), layout);
            }
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Lines<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

    /// Whole lines, each value made once and dropped once; under Miri,
    /// no leak and no access out of the block.
    #[test]
    fn values_fill_whole_lines_and_are_dropped_once() {
        static DROPPED: AtomicUsize = AtomicUsize::new(0);
        struct Counted(usize);
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPPED.fetch_add(1, Relaxed);
            }
        }
        for len in [0, 1, 7, 8, 9] {
            let before = DROPPED.load(Relaxed);
            let lines = Lines::new(len, Counted);
            assert_eq!(
                lines.iter().map(|c| c.0).collect::<Vec<_>>(),
                Vec::from_iter(0..len)
            );
            if len > 0 {
                assert_eq!(lines.as_ptr() as usize % LINE, 0, "{len} values");
            }
            assert_eq!(Lines::<Counted>::layout(len).size() % LINE, 0);
            drop(lines);
            assert_eq!(DROPPED.load(Relaxed) - before, len);
        }
        let before = DROPPED.load(Relaxed);
        let first = Lines::new(3, Counted).into_raw();
        assert_eq!(
            DROPPED.load(Relaxed),
            before,
            "the values outlive `into_raw`"
        );
        // SAFETY: from `into_raw` of 3 values, put back once.
        let lines = unsafe { Lines::from_raw(first, 3) };
        assert_eq!(lines.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1, 2]);
        drop(lines);
        assert_eq!(DROPPED.load(Relaxed) - before, 3);

        let atomics = Lines::new(11, |i| AtomicU64::new(i as u64));
        atomics[10].fetch_add(1, Relaxed);
        let values: Vec<u64> = atomics.iter().map(|a| a.load(Relaxed)).collect();
        assert_eq!(values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    }
}
