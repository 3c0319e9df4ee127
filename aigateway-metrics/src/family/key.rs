//! Hashing and comparing the open-set label values of a series.
//!
//! The hash covers the values' bytes only, so ("ab", "c") and ("a", "bc")
//! hash alike: the hash only picks a bucket or a cache slot, and a series is
//! found only when every value is equal, so the two never share a series.

use std::cmp::Ordering;
use std::hash::{BuildHasher, Hasher};

/// The open-set values of a series, kept in one allocation: comparing a
/// record's values with them reads one run of bytes, not one allocation per
/// label, which matters when a busy program has pushed them out of the
/// processor's caches between records.
pub(super) struct Key<const K: usize> {
    /// The values, one after another.
    bytes: Box<str>,
    /// Where each value ends in `bytes`.
    ends: [u32; K],
}

impl<const K: usize> Key<K> {
    /// The key of `values`, each at most `u32::MAX` bytes long (the family
    /// keeps none over [`super::MAX_LABEL_VALUE_LEN`]).
    pub(super) fn new(values: [&str; K]) -> Self {
        let mut bytes = String::with_capacity(values.iter().map(|v| v.len()).sum());
        let ends = values.map(|value| {
            bytes.push_str(value);
            u32::try_from(bytes.len()).expect("label values are short")
        });
        Key {
            bytes: bytes.into_boxed_str(),
            ends,
        }
    }

    /// The values, in order.
    pub(super) fn values(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends);
        starts
            .zip(self.ends)
            .map(|(start, end)| &self.bytes[start as usize..end as usize])
    }

    /// Value `i`.
    pub(super) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start as usize..self.ends[i] as usize]
    }

    /// Whether `values` are this key's, value by value.
    #[inline(always)]
    pub(super) fn equals(&self, values: &[&str; K]) -> bool {
        let bytes = self.bytes.as_bytes();
        let mut start = 0;
        for (value, &end) in values.iter().zip(&self.ends) {
            let end = end as usize;
            match bytes.get(start..end) {
                Some(own) if same(own, value.as_bytes()) => start = end,
                _ => return false,
            }
        }
        true
    }
}

/// Value by value, as the exposition lists series.
impl<const K: usize> Ord for Key<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.values().cmp(other.values())
    }
}

impl<const K: usize> PartialOrd for Key<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const K: usize> PartialEq for Key<K> {
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends && self.bytes == other.bytes
    }
}

impl<const K: usize> Eq for Key<K> {}

/// The hash of a series' open-set values.
///
/// `inline(always)`, like `Key::equals`: both are on every record, and with
/// several families in a program the compiler stopped inlining them.
#[inline(always)]
pub(super) fn hash<'a, S: BuildHasher>(
    state: &S,
    values: impl IntoIterator<Item = &'a str>,
) -> u64 {
    let mut hasher = state.build_hasher();
    for value in values {
        hasher.write(value.as_bytes());
    }
    hasher.finish()
}

/// Byte equality, without a call to `memcmp` for the short values label
/// values mostly are (tenant ids, model names, UUIDs): up to 32 bytes are
/// compared as a first and a last chunk, which overlap when shorter than
/// twice the chunk.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        16..=32 => ends::<16>(a) == ends::<16>(b),
        8..=15 => ends::<8>(a) == ends::<8>(b),
        4..=7 => ends::<4>(a) == ends::<4>(b),
        0..=3 => a == b,
        _ => a == b,
    }
}

/// The first and the last `N` bytes of `s`, which is at least `N` long.
#[inline]
fn ends<const N: usize>(s: &[u8]) -> (&[u8; N], &[u8; N]) {
    match (s.first_chunk(), s.last_chunk()) {
        (Some(first), Some(last)) => (first, last),
        _ => unreachable!("called with at least {N} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_hashes_like_its_values_and_gives_them_back() {
        let state = hashbrown::DefaultHashBuilder::default();
        for values in [
            ["", "", ""],
            ["a", "bc", ""],
            ["tenant", "openai", "gpt-4o"],
        ] {
            let key = Key::new(values);
            assert_eq!(hash(&state, key.values()), hash(&state, values));
            assert!(key.equals(&values));
            assert_eq!(key.values().collect::<Vec<_>>(), values);
            assert_eq!([key.get(0), key.get(1), key.get(2)], values);
        }
    }

    /// Every length around the word boundaries, equal and with each single
    /// byte changed.
    #[test]
    fn same_compares_every_byte_at_every_length() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n as u8)
                .map(|i| i.wrapping_mul(37).wrapping_add(1))
                .collect();
            assert!(same(&a, &a.clone()), "length {n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x80;
                assert!(!same(&a, &b), "length {n}, byte {i}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn values_split_differently_are_not_equal() {
        assert!(!Key::new(["ab", "c"]).equals(&["a", "bc"]));
        assert!(!Key::new(["", "abc"]).equals(&["abc", ""]));
        assert!(!Key::new(["abc", ""]).equals(&["ab", ""]));
        assert!(Key::new(["ab", "c"]) != Key::new(["a", "bc"]));
    }

    #[test]
    fn keys_sort_value_by_value() {
        let mut keys = [["b", "a"], ["a", "zz"], ["ab", ""], ["a", "b"]].map(Key::new);
        keys.sort();
        let sorted: Vec<Vec<&str>> = keys.iter().map(|k| k.values().collect()).collect();
        assert_eq!(sorted, [["a", "b"], ["a", "zz"], ["ab", ""], ["b", "a"]]);
    }
}
