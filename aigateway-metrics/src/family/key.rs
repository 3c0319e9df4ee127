//! Hashing and comparing the open-set label values of a series.
//!
//! The hash covers the values' bytes only, so ("ab", "c") and ("a", "bc")
//! hash alike: the hash only picks a bucket or a cache slot, and a series is
//! found only when every value is equal, so the two never share a series.

use std::hash::{BuildHasher, Hasher};

/// The hash of a series' open-set values.
///
/// `inline(always)`, like `equal`: both are on every record, and with
/// several families in a program the compiler stopped inlining them.
#[inline(always)]
pub(super) fn hash<S: BuildHasher, V: AsRef<str>>(state: &S, values: &[V]) -> u64 {
    let mut hasher = state.build_hasher();
    for value in values {
        hasher.write(value.as_ref().as_bytes());
    }
    hasher.finish()
}

/// Whether owned and borrowed values are the same, value by value.
#[inline(always)]
pub(super) fn equal<const K: usize>(owned: &[Box<str>; K], borrowed: &[&str; K]) -> bool {
    owned
        .iter()
        .zip(borrowed)
        .all(|(a, b)| same(a.as_bytes(), b.as_bytes()))
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
    fn owned_and_borrowed_values_hash_alike() {
        let state = hashbrown::DefaultHashBuilder::default();
        for values in [
            ["", "", ""],
            ["a", "bc", ""],
            ["tenant", "openai", "gpt-4o"],
        ] {
            let owned: [Box<str>; 3] = values.map(Box::from);
            assert_eq!(hash(&state, &owned), hash(&state, &values));
            assert!(equal(&owned, &values));
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
        assert!(!equal(&["ab", "c"].map(Box::from), &["a", "bc"]));
        assert!(!equal(&["", "abc"].map(Box::from), &["abc", ""]));
    }
}
