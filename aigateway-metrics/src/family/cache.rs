//! A cache per thread in front of a family's shared map.
//!
//! The shared map sits behind a read-write lock, and taking even the read
//! lock writes to the lock's cache line: with two cores recording, that line
//! moves between them on every record. A thread that finds a series in its
//! own cache writes nothing shared but the cell it records into.
//!
//! The cache is of fixed size, allocated on a thread's first record, with
//! two slots per set, and two sets a series may sit in (two-choice hashing):
//! a series takes room in its first set, else in its second, else the first
//! slot of its first set, pushing the one there to the second slot and
//! dropping the one in the second. A lookup reads the first set, and the
//! second only if the series is not in the first. So a thread's series
//! mostly fit even when some sets draw more than two, and a flood of new
//! label values costs the flooding thread slow lookups, never memory.
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
/// few families times a few hundred tenants). With 600 series per thread,
/// as in the example gateway, about one lookup in ten missed when each
/// series had one set (the sets that drew three series or more); with two
/// sets to choose from, all but a few fit (`six_hundred_series_mostly_stay_cached`). 2,048 sets of one choice missed
/// less too, but the series a thread's cache holds on to, with their
/// copies, then came to 1.5 MiB, which `tests/cardinality.rs` does not
/// allow; two choices keep the 2,048 slots.
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

/// The two sets a series of `family` with `hash` may sit in: from
/// different bits of the hash, so that series that share one set mostly
/// do not share the other.
#[inline]
fn sets_of(family: u64, hash: u64) -> [usize; 2] {
    let mixed = hash ^ family.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    [mixed as usize % SETS, (mixed >> 16) as usize % SETS]
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

    /// Whether the slot holds a series of an earlier generation of
    /// `family`, which no lookup can find any more.
    fn is_stale(&self, family: u64, generation: u64) -> bool {
        self.tag as u32 == family as u32 && self.generation != generation
    }
}

impl Set {
    /// The slot holding the series of `tag` in `generation`, if any.
    #[inline]
    fn holding(&self, tag: u64, generation: u64) -> Option<&Slot> {
        match &self.0 {
            [Some(slot), _] | [_, Some(slot)] if slot.holds(tag, generation) => Some(slot),
            _ => None,
        }
    }

    /// The first slot that is empty, or that holds what no lookup of
    /// `family` in `generation` can find.
    fn room(&self, family: u64, generation: u64) -> Option<usize> {
        self.0.iter().position(|slot| match slot {
            None => true,
            Some(slot) => slot.is_stale(family, generation),
        })
    }

    /// Puts `slot` first: into `room` (see [`Set::room`]), or, with none,
    /// pushing the first slot's series to the second and dropping the
    /// second's.
    fn push(&mut self, slot: Slot, room: Option<usize>) {
        let last = room.unwrap_or(WAYS - 1);
        self.0[..=last].rotate_right(1);
        self.0[0] = Some(slot);
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
            let sets = cache.as_ref()?;
            let tag = tag(family, hash);
            let [first, second] = sets_of(family, hash);
            let slot = match sets[first].holding(tag, generation) {
                Some(slot) => slot,
                None => sets[second].holding(tag, generation)?,
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
        let [first, second] = sets_of(family, hash);
        // Room in the first set, else in the second, else the first, full.
        let (set, room) = [first, second]
            .into_iter()
            .find_map(|set| Some((set, Some(sets[set].room(family, generation)?))))
            .unwrap_or((first, None));
        sets[set].push(slot, room);
    });
}

/// Drops this thread's cached series; whether the cache is now empty (or
/// gone: the thread is being torn down). For a thread giving its owned
/// copy number back, so that nothing it cached points at those copies.
pub(super) fn empty_this_thread() -> bool {
    CACHE
        .try_with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => {
                *cache = None;
                true
            }
            Err(_) => false,
        })
        .unwrap_or(true)
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

    /// Five hashes whose two sets are the same two sets, `7` and `9`.
    /// (Their top halves differ, as the slot's tag compares those.)
    fn five_in_two_sets(family: u64) -> [u64; 5] {
        let mix = family.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let hashes = [1u64, 2, 3, 4, 5].map(|k| (7 | 9 << 16 | k << 10 | k << 32) ^ mix);
        for hash in hashes {
            assert_eq!(sets_of(family, hash), [7, 9]);
        }
        hashes
    }

    /// A series goes to its second set when its first is full; with both
    /// full, the first set keeps the two put last into it, and drops (frees)
    /// the one before.
    #[test]
    fn two_sets_hold_four_series_then_the_first_keeps_the_latest() {
        let family = new_family_id();
        let hashes = five_in_two_sets(family);
        let values: Vec<Arc<Value>> = (1..=5).map(value).collect();
        for (hash, v) in hashes.iter().zip(&values).take(4) {
            put_value(family, *hash, 0, Arc::clone(v));
        }
        let found = |hashes: &[u64]| {
            hashes
                .iter()
                .map(|h| cached(family, *h, 0))
                .collect::<Vec<_>>()
        };
        assert_eq!(found(&hashes), [Some(1), Some(2), Some(3), Some(4), None]);

        put_value(family, hashes[4], 0, Arc::clone(&values[4]));
        assert_eq!(found(&hashes), [None, Some(2), Some(3), Some(4), Some(5)]);
        let counts: Vec<usize> = values.iter().map(Arc::strong_count).collect();
        assert_eq!(
            counts,
            [1, 2, 2, 2, 2],
            "the dropped slot let go of the first"
        );
    }

    /// Slots holding an earlier generation of the family are room: new
    /// series take them before the second set, and free what they held.
    #[test]
    fn a_stale_slot_is_room() {
        let family = new_family_id();
        let hashes = five_in_two_sets(family);
        let old: Vec<Arc<Value>> = (1..=2).map(value).collect();
        for (hash, v) in hashes.iter().zip(&old) {
            put_value(family, *hash, 0, Arc::clone(v));
        }
        for (i, hash) in hashes.iter().enumerate().skip(2) {
            put_value(family, *hash, 1, value(i as u32 + 1));
        }
        let found: Vec<_> = hashes.iter().map(|h| cached(family, *h, 1)).collect();
        assert_eq!(found, [None, None, Some(3), Some(4), Some(5)]);
        let counts: Vec<usize> = old.iter().map(Arc::strong_count).collect();
        assert_eq!(counts, [1, 1], "series 3 and 4 took the stale slots");
    }

    /// The example gateway's load: 600 series per thread, looked up in
    /// turn, each put back on a miss. With one set per series, 55 to 66
    /// lookups of a round missed (the sets that drew three series or more
    /// pushed each other out on every round); with two sets to choose
    /// from, at most 3 in a simulation of 300 family ids.
    #[test]
    fn six_hundred_series_mostly_stay_cached() {
        let family = new_family_id();
        // splitmix64: hashes as random as a real hasher's, the same on
        // every run.
        let mut state = 1u64;
        let hashes: Vec<u64> = (0..600)
            .map(|_| {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let z = (state ^ (state >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            })
            .collect();
        let mut misses = 0;
        for round in 0..3 {
            misses = 0;
            for (i, hash) in hashes.iter().enumerate() {
                if cached(family, *hash, 0).is_none() {
                    put_value(family, *hash, 0, value(i as u32));
                    misses += 1;
                }
            }
            if round == 0 {
                assert_eq!(misses, 600, "a cold cache holds nothing");
            }
        }
        assert!(
            misses <= 6,
            "{misses} of 600 lookups missed in the third round"
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
