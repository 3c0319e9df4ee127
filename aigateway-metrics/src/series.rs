//! One series in one allocation: a header, then its cells, a bit per cell
//! recorded into, then its key, all words. A lookup that finds the
//! series' pointer reads the key it compares and the cells it adds to from
//! the same block, no pointer further; a handle's record reads the header
//! and the cells only, which come first.
//!
//! The cells are the family's cells in order, each a fixed number of words
//! (see [`crate::cell::Cell::words`]). The key is each open-set value as
//! its length in bytes, then its bytes, eight to a word, zero-padded.
//!
//! A cell that two threads add to at once is passed between their cores
//! on every record. The first add that finds the word changed under it
//! (a failed compare-exchange) gives the series stripes: a copy of its cell
//! words per stripe, in cache lines of their own, one stripe per recording
//! thread while there are no more threads than processors. Adds go to the
//! thread's stripe from then on, and a scrape adds up the words and every
//! stripe. A series no two threads contend for never has stripes.

use std::cell::Cell as StdCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::LazyLock;

use once_cell::race::OnceBox;
use triomphe::{HeaderSlice, HeaderWithLength, ThinArc};

use crate::exemplar::Exemplars;
use crate::native::NativeCell;

/// A series, owned: what the family's map and each handle hold.
pub(crate) type SeriesArc = ThinArc<Header, AtomicU64>;

/// A series, borrowed: its header and words.
pub type Series = HeaderSlice<HeaderWithLength<Header>, [AtomicU64]>;

/// What a series knows besides its words: 24 bytes, so that the cells
/// start in the block's first cache line or the next.
#[derive(Debug)]
pub struct Header {
    /// How many words the cells take: the recorded bits start after them.
    cell_words: u16,
    /// Where the key starts.
    key_at: u16,
    /// Recorded into through a lookup since the last expiry pass.
    pub touched: AtomicBool,
    /// When it was last seen active, in nanoseconds (see `expiry::now`).
    pub active_at: AtomicU64,
    /// What few series have, made when one of them first needs it.
    extras: OnceBox<Extras>,
}

/// What a series has only once it needs it, each part made then.
#[derive(Debug, Default)]
pub struct Extras {
    /// Each stripe's copy of the cell words, made on the first contended
    /// add.
    stripes: OnceBox<Vec<AtomicU64>>,
    /// The latest exemplar of each cell or bucket, made on the first
    /// record with one.
    exemplars: OnceBox<Exemplars>,
    /// A native histogram's buckets, one per cell, made on the first record.
    native: OnceBox<Box<[NativeCell]>>,
}

/// Words before each stripe and after the last: a cache line between two
/// stripes, and between a stripe and the memory around them, so that no
/// stripe shares a line with another thread's writes whatever the
/// allocation's alignment.
const GAP: usize = 8;

/// How many stripes a contended series gets: one per processor, up to 8.
static STRIPES: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
});

thread_local! {
    /// This thread's stripe, taken in turn on its first add into a series
    /// with stripes.
    static STRIPE: StdCell<usize> = const { StdCell::new(usize::MAX) };
}

/// This thread's stripe number.
#[inline]
fn this_thread_stripe() -> usize {
    STRIPE.with(|stripe| match stripe.get() {
        usize::MAX => {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Relaxed) % *STRIPES;
            stripe.set(n);
            n
        }
        n => n,
    })
}

/// A new series of `key` with `cells` cells of `cell_words` words in all,
/// at zero, active `now`.
pub(crate) fn new_series(key: &[&str], cells: usize, cell_words: usize, now: u64) -> SeriesArc {
    let key_at = cell_words + cells.div_ceil(64);
    let header = Header {
        cell_words: u16::try_from(cell_words).expect("a series' cells fit in 65,536 words"),
        key_at: u16::try_from(key_at).expect("a series' cells fit in 65,536 words"),
        touched: AtomicBool::new(false),
        active_at: AtomicU64::new(now),
        extras: OnceBox::new(),
    };
    let key_words = key
        .iter()
        .flat_map(|v| std::iter::once(v.len() as u64).chain(v.as_bytes().chunks(8).map(pack)));
    let words: Vec<u64> = std::iter::repeat_n(0, key_at).chain(key_words).collect();
    ThinArc::from_header_and_iter(header, words.into_iter().map(AtomicU64::new))
}

/// Up to eight bytes as a word, little-endian, zero-padded.
#[inline]
fn pack(chunk: &[u8]) -> u64 {
    match <[u8; 8]>::try_from(chunk) {
        Ok(word) => u64::from_le_bytes(word),
        Err(_) => chunk
            .iter()
            .rev()
            .fold(0, |word, &byte| word << 8 | u64::from(byte)),
    }
}

/// Reading a series' key, and adding to its cells.
pub trait SeriesExt {
    /// The header.
    fn head(&self) -> &Header;
    /// Whether the series' key is `key`.
    fn has_key(&self, key: &[&str]) -> bool;
    /// Whether open-set value `position` of the key is `value`.
    fn value_is(&self, position: usize, value: &str) -> bool;
    /// The key's values' bytes, appended to `out` one after another, and
    /// where each ends in it.
    fn key_into<const K: usize>(&self, out: &mut Vec<u8>) -> [usize; K];
    /// The cell words.
    fn cells(&self) -> &[AtomicU64];
    /// The key words.
    fn key(&self) -> &[AtomicU64];
    /// Adds `n` to cell word `word`, striped once contended.
    fn add(&self, word: usize, n: u64);
    /// Adds `value` to the `f64` in cell word `word`, striped once
    /// contended.
    fn add_f64(&self, word: usize, value: f64);
    /// Notes cell `index` as recorded into.
    fn mark(&self, index: usize);
    /// Whether cell `index` was ever recorded into.
    fn was_recorded(&self, index: usize) -> bool;
    /// The cell words, then each stripe's copy of them: what a scrape adds
    /// up.
    fn cells_and_stripes(&self) -> impl Iterator<Item = &[AtomicU64]>;
    /// What the series has made of what few series need, if anything.
    fn extras(&self) -> Option<&Extras>;
    /// The series' exemplars, if any was recorded.
    fn exemplars(&self) -> Option<&Exemplars>;
    /// The series' exemplars, made with `slots()` slots if need be.
    fn exemplars_or_new(&self, slots: impl FnOnce() -> usize) -> &Exemplars;
    /// The native buckets of cell `index`, if any was recorded.
    fn native(&self, index: usize) -> Option<&NativeCell>;
    /// The native buckets of cell `index` of `cells()`, made if need be.
    fn native_or_new(&self, index: usize, cells: impl FnOnce() -> usize) -> &NativeCell;
}

impl SeriesExt for Series {
    #[inline]
    fn head(&self) -> &Header {
        &self.header.header
    }

    #[inline]
    fn has_key(&self, key: &[&str]) -> bool {
        let mut words = self.key().iter().map(|w| w.load(Relaxed));
        key.iter().all(|v| next_value_is(&mut words, v))
    }

    fn value_is(&self, position: usize, value: &str) -> bool {
        let mut words = self.key().iter().map(|w| w.load(Relaxed));
        for _ in 0..position {
            let len = words.next().expect("a length per value") as usize;
            words.by_ref().take(len.div_ceil(8)).for_each(drop);
        }
        next_value_is(&mut words, value)
    }

    fn key_into<const K: usize>(&self, out: &mut Vec<u8>) -> [usize; K] {
        let mut words = self.key().iter().map(|w| w.load(Relaxed));
        std::array::from_fn(|_| {
            let len = words.next().expect("a length per value") as usize;
            let end = out.len() + len;
            for word in words.by_ref().take(len.div_ceil(8)) {
                out.extend_from_slice(&word.to_le_bytes());
            }
            out.truncate(end);
            end
        })
    }

    #[inline]
    fn cells(&self) -> &[AtomicU64] {
        &self.slice[..usize::from(self.head().cell_words)]
    }

    #[inline]
    fn key(&self) -> &[AtomicU64] {
        &self.slice[usize::from(self.head().key_at)..]
    }

    #[inline]
    fn add(&self, word: usize, n: u64) {
        let add = |units: u64| units.wrapping_add(n);
        update(self, word, add, |stripe| {
            stripe.fetch_add(n, Relaxed);
        });
    }

    #[inline]
    fn add_f64(&self, word: usize, value: f64) {
        let add = |bits: u64| (f64::from_bits(bits) + value).to_bits();
        update(self, word, add, |stripe| {
            let mut current = stripe.load(Relaxed);
            while let Err(actual) =
                stripe.compare_exchange_weak(current, add(current), Relaxed, Relaxed)
            {
                current = actual;
            }
        });
    }

    #[inline]
    fn mark(&self, index: usize) {
        let (word, bit) = recorded_bit(self, index);
        if word.load(Relaxed) & bit == 0 {
            word.fetch_or(bit, Relaxed);
        }
    }

    fn was_recorded(&self, index: usize) -> bool {
        let (word, bit) = recorded_bit(self, index);
        word.load(Relaxed) & bit != 0
    }

    fn cells_and_stripes(&self) -> impl Iterator<Item = &[AtomicU64]> {
        let cells = self.cells();
        let stripes = self.extras().and_then(|e| e.stripes.get());
        let stripes = stripes.map_or(&[][..], |s| &s[GAP..]);
        let per = cells.len() + GAP;
        std::iter::once(cells).chain(
            stripes
                .chunks_exact(per)
                .map(move |stripe| &stripe[..cells.len()]),
        )
    }

    #[inline]
    fn extras(&self) -> Option<&Extras> {
        self.head().extras.get()
    }

    fn exemplars(&self) -> Option<&Exemplars> {
        self.extras()?.exemplars.get()
    }

    fn exemplars_or_new(&self, slots: impl FnOnce() -> usize) -> &Exemplars {
        extras_or_new(self)
            .exemplars
            .get_or_init(|| Box::new(Exemplars::new(slots())))
    }

    fn native(&self, index: usize) -> Option<&NativeCell> {
        self.extras()?.native.get()?.get(index)
    }

    #[inline]
    fn native_or_new(&self, index: usize, cells: impl FnOnce() -> usize) -> &NativeCell {
        let all = extras_or_new(self)
            .native
            .get_or_init(|| Box::new((0..cells()).map(|_| NativeCell::default()).collect()));
        &all[index]
    }
}

/// The word and bit that say whether cell `index` of `series` was
/// recorded into.
#[inline]
fn recorded_bit(series: &Series, index: usize) -> (&AtomicU64, u64) {
    let word = usize::from(series.head().cell_words) + index / 64;
    (&series.slice[word], 1 << (index % 64))
}

/// This thread's stripe of `series`' cell words, if it has stripes.
#[inline]
fn stripe(series: &Series) -> Option<&[AtomicU64]> {
    let stripes = series.extras()?.stripes.get()?;
    Some(stripe_of(series, stripes))
}

/// This thread's stripe of `series`, the stripes made if need be.
#[cold]
fn striped(series: &Series) -> &[AtomicU64] {
    let per = series.cells().len() + GAP;
    let stripes = extras_or_new(series).stripes.get_or_init(|| {
        Box::new(
            (0..GAP + per * *STRIPES)
                .map(|_| AtomicU64::new(0))
                .collect(),
        )
    });
    stripe_of(series, stripes)
}

/// The series' extras, made if need be.
fn extras_or_new(series: &Series) -> &Extras {
    series.head().extras.get_or_init(Box::default)
}

/// Gives `series` stripes, as a contended add does.
#[cfg(test)]
pub(crate) fn stripe_now(series: &Series) {
    striped(series);
}

#[inline]
fn stripe_of<'a>(series: &Series, stripes: &'a [AtomicU64]) -> &'a [AtomicU64] {
    let len = series.cells().len();
    let at = GAP + this_thread_stripe() * (len + GAP);
    &stripes[at..at + len]
}

/// Whether the next value of a key's `words` is `value`: its length, then
/// its bytes.
#[inline]
fn next_value_is(words: &mut impl Iterator<Item = u64>, value: &str) -> bool {
    words.next() == Some(value.len() as u64)
        && value
            .as_bytes()
            .chunks(8)
            .all(|chunk| words.next() == Some(pack(chunk)))
}

/// Applies `f` to cell word `word` of `series`, or, if the series has
/// stripes, `to_stripe` to this thread's stripe of it (which threads past
/// the processors' number share); gives the series stripes if another
/// thread changed its own word meanwhile.
#[inline]
fn update(
    series: &Series,
    word: usize,
    f: impl Fn(u64) -> u64,
    to_stripe: impl FnOnce(&AtomicU64),
) {
    if let Some(stripe) = stripe(series) {
        return to_stripe(&stripe[word]);
    }
    let cell = &series.cells()[word];
    let current = cell.load(Relaxed);
    if cell
        .compare_exchange(current, f(current), Relaxed, Relaxed)
        .is_err()
    {
        to_stripe(&striped(series)[word]);
    }
}
