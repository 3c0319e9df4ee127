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

/// Sets per thread, of [`WAYS`] slots each. A set is one cache line, so a
/// thread that records holds 64 KiB of cache, allocated on its first
/// record: room for the series a gateway thread records into at once (a
/// few families times a few hundred tenants) without many collisions.
/// With 600 series per thread, as in the example gateway, about one
/// lookup in ten misses (the sets that drew three series or more). 2,048
/// sets missed less, but the series a thread's cache holds on to, with
/// their copies, then came to 1.5 MiB, which `tests/cardinality.rs` does
/// not allow.
const SETS: usize = 1024;
/// Slots per set. With two, two hot series that map to the same set do not
/// push each other out on every record.
const WAYS: usize = 2;

/// A cached series: an `Arc<T>` turned into a raw pointer, which the slot
/// owns, and a pointer to the series' first cell. Four words, so that a set
/// of two is one cache line: a cold lookup waits for one line of the cache,
/// not two.
///
/// The cells are reached from the slot in one load, not through the series:
/// the cell a record adds to is then known before the key is compared, and
/// the processor can go ahead while it checks.
struct Slot {
    /// The family's id in the low half, the top half of the key's hash in
    /// the high one (only to skip most keys that differ unread).
    tag: u64,
    generation: u64,
    series: NonNull<Release>,
    cells: NonNull<()>,
}

/// What gives back a slot's count of a series, knowing its type: the
/// first field of every type a slot holds (see [`Cached`]), so that a slot
/// need not spend a word on it.
pub(super) struct Release(unsafe fn(NonNull<Release>));

impl Release {
    /// The `Release` for an `Arc<T>`.
    pub fn of<T: Cached>() -> Release {
        Release(release::<T>)
    }
}

/// A type the cache may hold.
///
/// # Safety
/// The type must be `#[repr(C)]` with a [`Release`] made by
/// `Release::of::<Self>()` as its first field.
pub(super) unsafe trait Cached {}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: `series` came from `Arc::into_raw` of a `Cached` type,
        // which starts with the `Release` made for it; the slot owns one
        // count.
        unsafe {
            let release = self.series.as_ref().0;
            release(self.series)
        }
    }
}

/// # Safety
/// `series` must come from `Arc::<T>::into_raw`, and own one count.
unsafe fn release<T>(series: NonNull<Release>) {
    drop(unsafe { Arc::from_raw(series.cast::<T>().as_ptr()) });
}

/// The slots of one set, in one cache line.
#[repr(align(64))]
struct Set([Option<Slot>; WAYS]);

type Sets = [Set; SETS];

const _: () = assert!(std::mem::size_of::<Set>() == 64, "a set is one cache line");

thread_local! {
    static CACHE: RefCell<Option<Box<Sets>>> = const { RefCell::new(None) };
}

/// A number no other family in the process has. The type of a family's
/// series is fixed by the family, so a slot's family id tells the type of
/// its series. A slot keeps 32 bits of it, in its tag.
pub(super) fn new_family_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Relaxed);
    assert!(id <= u64::from(u32::MAX), "more than 2^32 families made");
    id
}

#[inline]
fn set_of(family: u64, hash: u64) -> usize {
    (hash ^ family.wrapping_mul(0x9e37_79b9_7f4a_7c15)) as usize % SETS
}

/// A slot's tag: the family, exact, and the top of the hash.
#[inline]
fn tag(family: u64, hash: u64) -> u64 {
    family | (hash & 0xffff_ffff_0000_0000)
}

impl Slot {
    #[inline]
    fn holds(&self, tag: u64, generation: u64) -> bool {
        self.tag == tag && self.generation == generation
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
            let tag = tag(family, hash);
            let slot = match &cache.as_ref()?[set_of(family, hash)].0 {
                [Some(slot), _] | [_, Some(slot)] if slot.holds(tag, generation) => slot,
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
pub(super) fn put<T: Cached, C>(
    family: u64,
    hash: u64,
    generation: u64,
    series: Arc<T>,
    cells: NonNull<C>,
) {
    let series = NonNull::new(Arc::into_raw(series).cast_mut()).expect("an `Arc` is not null");
    let slot = Slot {
        tag: tag(family, hash),
        generation,
        series: series.cast(),
        cells: cells.cast(),
    };
    // `try_with`: a thread being torn down has no cache any more.
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        let sets = cache.get_or_insert_with(new_sets);
        let set = &mut sets[set_of(family, hash)].0;
        set.rotate_right(1);
        set[0] = Some(slot);
    });
}

/// Empty sets, made on the heap: a `Sets` is too large for some stacks.
fn new_sets() -> Box<Sets> {
    let sets: Box<[Set]> = (0..SETS).map(|_| Set([const { None }; WAYS])).collect();
    sets.try_into()
        .unwrap_or_else(|_| unreachable!("made with SETS sets"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Value {
        release: Release,
        value: u32,
    }

    // SAFETY: `repr(C)`, and `value` makes `release` with `Release::of`.
    unsafe impl Cached for Value {}

    fn value(value: u32) -> Arc<Value> {
        Arc::new(Value {
            release: Release::of::<Value>(),
            value,
        })
    }

    fn cached(family: u64, hash: u64, generation: u64) -> Option<u32> {
        get(family, hash, generation, |v: &Value, _: NonNull<u32>| {
            Some(v.value)
        })
    }

    fn put_value(family: u64, hash: u64, generation: u64, value: Arc<Value>) {
        let cells = NonNull::from(&value.value);
        put(family, hash, generation, value, cells);
    }

    /// Hashes whose low bits agree fall in the same set: the set keeps the
    /// two put last, and drops (frees) the one before. (Their top halves
    /// differ, as the slot's tag compares those.)
    #[test]
    fn a_set_keeps_the_two_latest_series() {
        let family = new_family_id();
        let [h1, h2, h3] = [1, 2, 3].map(|k| 7 + k * SETS as u64 + (k << 32));
        let first = value(1);
        put_value(family, h1, 0, Arc::clone(&first));
        put_value(family, h2, 0, value(2));
        assert_eq!(
            (cached(family, h1, 0), cached(family, h2, 0)),
            (Some(1), Some(2))
        );
        assert_eq!(Arc::strong_count(&first), 2);

        put_value(family, h3, 0, value(3));
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
        put_value(family, 42, 3, value(9));
        assert_eq!(cached(family, 42, 3), Some(9));
        assert_eq!(cached(family, 42, 4), None);
        assert_eq!(cached(new_family_id(), 42, 3), None);
    }
}
