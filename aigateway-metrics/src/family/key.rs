//! The open-set label values of a series, as a map key: owned in the map,
//! borrowed from the caller for lookups, which therefore allocate nothing.

use hashbrown::Equivalent;

/// The open-set values of a series, owned.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Key<const K: usize>(pub [Box<str>; K]);

/// The open-set values of a series, borrowed. It hashes as [`Key`] does (an
/// array of strings), so that it finds the same entry.
#[derive(Hash)]
pub(super) struct KeyRef<'a, const K: usize>(pub [&'a str; K]);

impl<const K: usize> Equivalent<Key<K>> for KeyRef<'_, K> {
    fn equivalent(&self, key: &Key<K>) -> bool {
        self.0.iter().zip(&key.0).all(|(a, b)| *a == &**b)
    }
}

impl<const K: usize> From<&KeyRef<'_, K>> for Key<K> {
    fn from(key: &KeyRef<'_, K>) -> Self {
        Key(key.0.map(Box::from))
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    /// A lookup finds an entry only if both hash alike.
    #[test]
    fn borrowed_and_owned_keys_hash_alike() {
        let state = hashbrown::DefaultHashBuilder::default();
        for values in [
            ["", "", ""],
            ["a", "bc", ""],
            ["ab", "c", ""],
            ["tenant", "openai", "gpt-4o"],
        ] {
            let owned = Key(values.map(Box::from));
            assert_eq!(state.hash_one(&owned), state.hash_one(KeyRef(values)));
            assert!(KeyRef(values).equivalent(&owned));
        }
        assert!(!KeyRef(["ab", "c", ""]).equivalent(&Key(["a", "bc", ""].map(Box::from))));
    }
}
