//! The protocol by which `family/table.rs` orders a removal against a
//! record, a bind and a handle's drop that meet it, checked with loom over
//! every interleaving and every outcome the memory model allows. It models
//! the protocol's atomics with the same operations and orderings as the
//! code (loom cannot run the code itself: seize and triomphe are not built
//! on loom's types), and a variant without the fences shows the check
//! fails where the protocol is broken.
//!
//! The series starts idle: in the table, not touched since the last pass,
//! held by no handle, last active long ago.

use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use loom::sync::Arc;
use loom::thread;

const LIVE: usize = 1;
const REMOVED: usize = 2;
const LONG_AGO: u64 = 1;
const NOW: u64 = 100;

struct Series {
    slot: AtomicUsize,
    touched: AtomicBool,
    /// The map's count, and one per handle.
    count: AtomicUsize,
    active_at: AtomicU64,
    cell: AtomicU64,
}

impl Series {
    fn idle() -> Arc<Series> {
        Arc::new(Series {
            slot: AtomicUsize::new(LIVE),
            touched: AtomicBool::new(false),
            count: AtomicUsize::new(1),
            active_at: AtomicU64::new(LONG_AGO),
            cell: AtomicU64::new(0),
        })
    }
}

/// `Map::retain` with expiry's `goes`: whether it removed the series.
fn remove_if_idle(s: &Series, fences: bool) -> bool {
    let goes = |s: &Series| {
        let held = s.count.load(Relaxed) > 1;
        fence(Acquire);
        !held && !s.touched.load(Relaxed) && s.active_at.load(Relaxed) < NOW
    };
    if !goes(s) {
        return false;
    }
    s.slot.store(REMOVED, SeqCst);
    if fences {
        fence(SeqCst);
    }
    if goes(s) {
        true
    } else {
        s.slot.store(LIVE, SeqCst);
        false
    }
}

/// `Family::lookup`'s first record after a pass: whether it recorded
/// into the series found (else it goes to the mutex, after the removal).
fn record(s: &Series, fences: bool) -> bool {
    if s.slot.load(Acquire) != LIVE {
        return false;
    }
    if !s.touched.load(Relaxed) {
        s.touched.swap(true, SeqCst);
        if fences {
            fence(SeqCst);
        }
        if s.slot.load(SeqCst) != LIVE {
            return false;
        }
    }
    s.cell.fetch_add(1, Relaxed);
    true
}

/// `Family::cell`: whether the handle it made holds the series found.
fn bind(s: &Series, fences: bool) -> bool {
    if s.slot.load(Acquire) != LIVE {
        return false;
    }
    s.count.fetch_add(1, Relaxed);
    if fences {
        fence(SeqCst);
    }
    if s.slot.load(SeqCst) == LIVE {
        true
    } else {
        s.count.fetch_sub(1, Release);
        false
    }
}

fn record_against_removal(fences: bool) {
    loom::model(move || {
        let s = Series::idle();
        let recorder = {
            let s = Arc::clone(&s);
            thread::spawn(move || record(&s, fences))
        };
        let removed = remove_if_idle(&s, fences);
        let recorded = recorder.join().unwrap();
        assert!(!(recorded && removed), "a record went to a removed series");
    });
}

fn bind_against_removal(fences: bool) {
    loom::model(move || {
        let s = Series::idle();
        let binder = {
            let s = Arc::clone(&s);
            thread::spawn(move || bind(&s, fences))
        };
        let removed = remove_if_idle(&s, fences);
        let bound = binder.join().unwrap();
        assert!(!(bound && removed), "a handle holds a removed series");
    });
}

#[test]
fn a_record_that_meets_a_removal_keeps_the_series_or_goes_elsewhere() {
    record_against_removal(true);
}

#[test]
fn a_bind_that_meets_a_removal_keeps_the_series_or_goes_elsewhere() {
    bind_against_removal(true);
}

#[test]
#[should_panic(expected = "a record went to a removed series")]
fn without_the_fences_a_record_can_be_lost() {
    record_against_removal(false);
}

#[test]
#[should_panic(expected = "a handle holds a removed series")]
fn without_the_fences_a_handle_can_hold_a_removed_series() {
    bind_against_removal(false);
}

/// A handle's drop notes the time, then gives its count back: a pass that
/// sees the count gone sees the time too, and keeps the series.
#[test]
fn a_pass_that_sees_a_handle_gone_sees_when_it_went() {
    loom::model(|| {
        let s = Series::idle();
        s.count.store(2, Relaxed);
        let handle = {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                s.active_at.fetch_max(NOW, Relaxed);
                s.count.fetch_sub(1, Release);
            })
        };
        let removed = remove_if_idle(&s, true);
        handle.join().unwrap();
        assert!(!removed, "removed a series a handle had just recorded into");
    });
}
