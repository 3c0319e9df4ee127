//! A small cache per thread in front of a family's shared map.
//!
//! The shared map sits behind a read-write lock, and taking even the read
//! lock writes to the lock's cache line: with two cores recording, that line
//! moves between them on every record. A thread that finds a series in its
//! own cache writes nothing shared but the cell it records into.
//!
//! The cache is direct-mapped and of fixed size: a series replaces whatever
//! sat in its slot, so a flood of new label values costs the flooding thread
//! slow lookups, never memory. An entry is valid for one family and one
//! generation of it: forgetting series bumps the family's generation, which
//! drops every thread's entries of that family.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Slots per thread. Each holds an `Arc` and four words.
const SLOTS: usize = 256;

struct Slot {
    family: u64,
    hash: u64,
    generation: u64,
    /// The series, as `Arc::as_ptr` of `_keep`.
    series: *const (),
    /// Keeps `series` alive while the slot holds it.
    _keep: Arc<dyn Any + Send + Sync>,
}

thread_local! {
    static CACHE: RefCell<[Option<Slot>; SLOTS]> = const { RefCell::new([const { None }; SLOTS]) };
}

/// A number no other family in the process has. The type of a family's
/// series is fixed by the family, so a slot's family id tells the type of
/// its series.
pub(super) fn new_family_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Relaxed)
}

#[inline]
fn slot_of(family: u64, hash: u64) -> usize {
    (hash ^ family.wrapping_mul(0x9e37_79b9_7f4a_7c15)) as usize % SLOTS
}

/// Calls `f` with the cached series of `family` and `hash`, if this thread
/// has it for this generation; `f` checks the key.
///
/// `T` must be the type of the series of `family`, as given to [`put`].
#[inline]
pub(super) fn get<T: Any, R>(
    family: u64,
    hash: u64,
    generation: u64,
    f: impl FnOnce(&T) -> Option<R>,
) -> Option<R> {
    CACHE
        .try_with(|cache| {
            let cache = cache.borrow();
            match &cache[slot_of(family, hash)] {
                Some(slot)
                    if slot.family == family
                        && slot.hash == hash
                        && slot.generation == generation =>
                {
                    // SAFETY: `series` points into `_keep`, alive while the
                    // slot is borrowed, and is a `T`: ids are unique per
                    // family, and a family puts only its own series type.
                    f(unsafe { &*slot.series.cast::<T>() })
                }
                _ => None,
            }
        })
        .ok()
        .flatten()
}

/// Caches `series` of `family` for this thread.
pub(super) fn put<T: Any + Send + Sync>(family: u64, hash: u64, generation: u64, series: Arc<T>) {
    // `try_with`: a thread being torn down has no cache any more.
    let _ = CACHE.try_with(|cache| {
        if let Ok(mut cache) = cache.try_borrow_mut() {
            cache[slot_of(family, hash)] = Some(Slot {
                family,
                hash,
                generation,
                series: Arc::as_ptr(&series).cast(),
                _keep: series,
            });
        }
    });
}
