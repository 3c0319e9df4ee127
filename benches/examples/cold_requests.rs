//! The records of one gateway request with the processor's caches pushed
//! out between requests, for cachegrind: its counts of instructions and
//! cache misses do not move with the host, as timings do.
//!
//! ```text
//! cargo build --release -p aigateway-metrics-bench --example cold_requests
//! valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64 --LL=524288,8,64 \
//!     target/release/examples/cold_requests 20000 1024
//! valgrind ... target/release/examples/cold_requests 20000 1024 skip
//! valgrind ... target/release/examples/cold_requests 20000 1024 kept
//! ```
//!
//! The difference between a run's totals and those of the `skip` run,
//! divided by the requests, is what the records cost per request: `skip`
//! walks the same memory and records nothing; `kept` records through each
//! tenant's kept series (`TenantSeries`, `RouteSeries`, bound before the
//! loop), as the example gateway does, rather than looking the labels up.
//! Arguments: requests (20,000), KiB walked between requests (1,024), and
//! `skip` or `kept`.

use std::hint::black_box;
use std::time::Duration;

use aigateway_metrics_bench::RequestScenario;

fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map_or(20_000, |a| a.parse().expect("requests"));
    let walk_kib: usize = args.next().map_or(1024, |a| a.parse().expect("KiB"));
    let mode = args.next();
    let (record, kept) = (
        mode.as_deref() != Some("skip"),
        mode.as_deref() == Some("kept"),
    );
    let scenario = RequestScenario::new("gpt-4o-mini-2024-07-18");
    let mut memory = vec![0u64; walk_kib * 1024 / 8];
    for i in 0..requests {
        // The gateway's own work between two requests: a line at a time.
        for word in memory.iter_mut().step_by(8) {
            *word = word.wrapping_add(1);
        }
        black_box(&mut memory);
        if !record {
            continue;
        }
        let took = Duration::from_micros(i as u64);
        if kept {
            scenario.record_kept(i, took);
        } else {
            scenario.record(i, took);
        }
    }
}
