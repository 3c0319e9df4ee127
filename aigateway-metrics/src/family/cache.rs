//! A cache per thread in front of a family's shared map.
//!
//! The shared map sits behind a read-write lock, and taking even the read
//! lock writes to the lock's cache line: with two cores recording, that line
//! moves between them on every record. A thread that finds a series in its
//! own cache writes nothing shared but the cell it records into.
//!
//! The cache is of fixed size, allocated on a thread's first record, with
//! two slots per set: a series takes the first slot of its set, pushing the
//! one there to the second and dropping the one in the second. So a flood of
//! new label values costs the flooding thread slow lookups, never memory.
//!
//! An entry is valid for one family and one generation of it: forgetting
//! series bumps the family's generation, so that no thread finds its entries
//! of that family any more. A stale entry still holds its series until it is
//! pushed out or its thread ends: at most a cache's worth per thread.

use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Sets per thread, of [`WAYS`] slots each. A slot is six words, so a
/// thread that records holds 96 KiB of cache, allocated on its first
/// record: room for the series a gateway thread records into at once (a
/// few families times a few hundred tenants) without many collisions.
const SETS: usize = 1024;
/// Slots per set. With two, two hot series that map to the same set do not
/// push each other out on every record.
const WAYS: usize = 2;

/// A cached series: an `Arc<T>` turned into a raw pointer, which the slot
/// owns, and a pointer to the series' first cell.
///
/// The cells are reached from the slot in one load, not through the series:
/// the cell a record adds to is then known before the key is compared, and
/// the processor can go ahead while it checks.
struct Slot {
    family: u64,
    hash: u64,
    generation: u64,
    series: NonNull<()>,
    cells: NonNull<()>,
    /// Gives back the slot's count of `series`, knowing its type.
    release: unsafe fn(NonNull<()>),
}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: `series` came from `Arc::into_raw` of the type `release`
        // was made for, and the slot owns that count.
        unsafe { (self.release)(self.series) }
    }
}

/// # Safety
/// `series` must come from `Arc::<T>::into_raw`, and own one count.
unsafe fn release<T>(series: NonNull<()>) {
    drop(unsafe { Arc::from_raw(series.cast::<T>().as_ptr()) });
}

type Sets = [[Option<Slot>; WAYS]; SETS];

thread_local! {
    static CACHE: RefCell<Option<Box<Sets>>> = const { RefCell::new(None) };
}

/// A number no other family in the process has. The type of a family's
/// series is fixed by the family, so a slot's family id tells the type of
/// its series.
pub(super) fn new_family_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Relaxed)
}

#[inline]
fn set_of(family: u64, hash: u64) -> usize {
    (hash ^ family.wrapping_mul(0x9e37_79b9_7f4a_7c15)) as usize % SETS
}

impl Slot {
    #[inline]
    fn holds(&self, family: u64, hash: u64, generation: u64) -> bool {
        self.family == family && self.hash == hash && self.generation == generation
    }
}

/// Calls `f` with the cached series of `family` and `hash` and a pointer to
/// its first cell, if this thread has it for this generation; `f` checks
/// the key.
///
/// `T` and `C` must be the types of the series of `family` and of their
/// cells, as given to [`put`].
#[inline]
pub(super) fn get<T, C, R>(
    family: u64,
    hash: u64,
    generation: u64,
    f: impl FnOnce(&T, NonNull<C>) -> Option<R>,
) -> Option<R> {
    CACHE
        .try_with(|cache| {
            let cache = cache.borrow();
            let slot = match &cache.as_ref()?[set_of(family, hash)] {
                [Some(slot), _] | [_, Some(slot)] if slot.holds(family, hash, generation) => slot,
                _ => return None,
            };
            // SAFETY: the slot owns a count of the series, alive while the
            // cache is borrowed, and the series is a `T`: ids are unique per
            // family, and a family puts only its own series type.
            let series = unsafe { slot.series.cast::<T>().as_ref() };
            f(series, slot.cells.cast())
        })
        .ok()
        .flatten()
}

/// Caches `series` of `family`, whose cells start at `cells`, for this
/// thread, in the first slot of its set; what sat there moves to the
/// second, and what sat in the second is dropped.
///
/// `cells` must stay valid as long as `series` is alive.
pub(super) fn put<T, C>(
    family: u64,
    hash: u64,
    generation: u64,
    series: Arc<T>,
    cells: NonNull<C>,
) {
    let series = NonNull::new(Arc::into_raw(series).cast_mut()).expect("an `Arc` is not null");
    let slot = Slot {
        family,
        hash,
        generation,
        series: series.cast(),
        cells: cells.cast(),
        release: release::<T>,
    };
    // `try_with`: a thread being torn down has no cache any more.
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        let sets = cache.get_or_insert_with(new_sets);
        let set = &mut sets[set_of(family, hash)];
        set.rotate_right(1);
        set[0] = Some(slot);
    });
}

/// Empty sets, made on the heap: a `Sets` is too large for some stacks.
fn new_sets() -> Box<Sets> {
    let sets: Box<[[Option<Slot>; WAYS]]> = (0..SETS).map(|_| [const { None }; WAYS]).collect();
    sets.try_into()
        .unwrap_or_else(|_| unreachable!("made with SETS sets"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(family: u64, hash: u64, generation: u64) -> Option<u32> {
        get(family, hash, generation, |value: &u32, _: NonNull<u32>| {
            Some(*value)
        })
    }

    fn put_value(family: u64, hash: u64, generation: u64, value: Arc<u32>) {
        let cells = NonNull::from(&*value);
        put(family, hash, generation, value, cells);
    }

    /// Hashes whose low bits agree fall in the same set: the set keeps the
    /// two put last, and drops (frees) the one before.
    #[test]
    fn a_set_keeps_the_two_latest_series() {
        let family = new_family_id();
        let [h1, h2, h3] = [7, 7 + SETS as u64, 7 + 2 * SETS as u64];
        let first = Arc::new(1u32);
        put_value(family, h1, 0, Arc::clone(&first));
        put_value(family, h2, 0, Arc::new(2u32));
        assert_eq!(
            (cached(family, h1, 0), cached(family, h2, 0)),
            (Some(1), Some(2))
        );
        assert_eq!(Arc::strong_count(&first), 2);

        put_value(family, h3, 0, Arc::new(3u32));
        assert_eq!(cached(family, h1, 0), None);
        assert_eq!(
            (cached(family, h2, 0), cached(family, h3, 0)),
            (Some(2), Some(3))
        );
        assert_eq!(
            Arc::strong_count(&first),
            1,
            "the dropped slot let go of it"
        );
    }

    #[test]
    fn another_generation_or_family_misses() {
        let family = new_family_id();
        put_value(family, 42, 3, Arc::new(9u32));
        assert_eq!(cached(family, 42, 3), Some(9));
        assert_eq!(cached(family, 42, 4), None);
        assert_eq!(cached(new_family_id(), 42, 3), None);
    }
}
