//! Hashing and comparing the open-set label values of a series.
//!
//! The hash covers the values' bytes only, so ("ab", "c") and ("a", "bc")
//! hash alike: the hash only picks a bucket or a cache slot, and a series is
//! found only when every value is equal, so the two never share a series.

use std::hash::{BuildHasher, Hasher};

/// The hash of a series' open-set values.
#[inline]
pub(super) fn hash<S: BuildHasher, V: AsRef<str>>(state: &S, values: &[V]) -> u64 {
    let mut hasher = state.build_hasher();
    for value in values {
        hasher.write(value.as_ref().as_bytes());
    }
    hasher.finish()
}

/// Whether owned and borrowed values are the same, value by value.
#[inline]
pub(super) fn equal<const K: usize>(owned: &[Box<str>; K], borrowed: &[&str; K]) -> bool {
    owned.iter().zip(borrowed).all(|(a, b)| **a == **b)
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

    #[test]
    fn values_split_differently_are_not_equal() {
        assert!(!equal(&["ab", "c"].map(Box::from), &["a", "bc"]));
        assert!(!equal(&["", "abc"].map(Box::from), &["abc", ""]));
    }
}
