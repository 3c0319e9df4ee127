//! Hashing the open-set label values of a series.
//!
//! The hash covers the values' bytes only, so ("ab", "c") and ("a", "bc")
//! hash alike: the hash only picks a slot, and a series is found only when
//! every value is equal (see [`crate::series`]), so the two never share a
//! series.

use std::hash::{BuildHasher, Hasher};

/// The hash of a series' open-set values.
///
/// `inline(always)`: it is on every looked-up record, and with several
/// families in a program the compiler stopped inlining it.
#[inline(always)]
pub(super) fn hash<S: BuildHasher>(state: &S, values: &[&str]) -> u64 {
    let mut hasher = state.build_hasher();
    for value in values {
        hasher.write(value.as_bytes());
    }
    hasher.finish()
}
