//! Compile-time guarantees, each shown by a program that must not compile
//! (with its reviewed compiler output beside it in `tests/ui/`), and by
//! programs that must.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`,
//! then read every changed one before committing.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/call-site/*.rs");
    t.compile_fail("tests/ui/definition/*.rs");
    t.compile_fail("tests/ui/group/*.rs");
    t.compile_fail("tests/ui/label-value/*.rs");
}
