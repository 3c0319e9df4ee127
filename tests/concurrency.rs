//! Recording from several threads at once loses nothing.

mod support;

use std::thread;

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, Model, Provider, Status, TenantId};

const THREADS: usize = 4;
const PER_THREAD: u64 = 50_000;

#[test]
fn concurrent_increments_are_all_counted() {
    let m = GatewayMetrics::default();
    thread::scope(|s| {
        for t in 0..THREADS {
            let m = &m;
            s.spawn(move || {
                let own = format!("tenant-{t}");
                for i in 0..PER_THREAD {
                    // Half into one shared series, half into one per thread,
                    // whose first record races with the others' lookups.
                    let tenant = if i % 2 == 0 { "shared" } else { own.as_str() };
                    let tenant = TenantId(tenant);
                    m.requests
                        .inc(tenant, Provider("openai"), Model("m"), Status::Success);
                    m.record_tokens(tenant, Provider("openai"), Model("m"), 2, 3);
                    m.record_cost(tenant, Provider("openai"), Model("m"), 0.001)
                        .unwrap();
                    m.record_request(tenant, Provider("openai"), Model("m"), Status::Error, 0.2)
                        .unwrap();
                }
            });
        }
    });
    let mut registry = Registry::default();
    m.register(&mut registry);
    let text = encode(&registry, Format::Prometheus);
    let value = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let shared = (THREADS as u64 * PER_THREAD / 2) as f64;
    let own = (PER_THREAD / 2) as f64;
    let labels = |tenant: &str| format!("tenant_id=\"{tenant}\",provider=\"openai\",model=\"m\"");
    assert_eq!(
        value(&format!(
            "aigateway_requests_total{{{},status=\"success\"}}",
            labels("shared")
        )),
        shared
    );
    assert_eq!(
        value(&format!(
            "aigateway_requests_total{{{},status=\"error\"}}",
            labels("shared")
        )),
        shared
    );
    assert_eq!(
        value(&format!(
            "aigateway_tokens_total{{{},type=\"input\"}}",
            labels("shared")
        )),
        2.0 * shared
    );
    assert_eq!(
        value(&format!(
            "aigateway_tokens_total{{{},type=\"output\"}}",
            labels("shared")
        )),
        3.0 * shared
    );
    assert_eq!(
        value(&format!("aigateway_cost_usd_total{{{}}}", labels("shared"))),
        shared / 1000.0
    );
    assert_eq!(
        value(&format!(
            "aigateway_request_duration_seconds_count{{{}}}",
            labels("shared")
        )),
        shared
    );
    for t in 0..THREADS {
        let tenant = format!("tenant-{t}");
        assert_eq!(
            value(&format!(
                "aigateway_requests_total{{{},status=\"success\"}}",
                labels(&tenant)
            )),
            own
        );
        assert_eq!(
            value(&format!(
                "aigateway_request_duration_seconds_count{{{}}}",
                labels(&tenant)
            )),
            own
        );
    }
}

#[test]
fn concurrent_stream_guards_return_to_zero() {
    let m = GatewayMetrics::default();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..10_000 {
                    let _a = m.stream_started();
                    let _b = m.stream_started();
                }
            });
        }
    });
    let mut registry = Registry::default();
    m.active_streams.register(&mut registry);
    assert!(
        support::without_self_metrics(&encode(&registry, Format::Prometheus))
            .ends_with("\naigateway_active_streams 0\n")
    );
}

/// A thread's records into a series go to a copy of its cells that only
/// this thread writes to, while it owns one (threads beyond the copies
/// that can be owned share copies, atomically). When a thread ends, its
/// copy goes to the next thread: records made after that, from other
/// thread-locals' destructors, must not go to it any more.
mod threads_come_and_go {
    use std::cell::RefCell;
    use std::sync::Arc;
    use std::thread;

    use super::*;

    const ROUNDS: usize = 8;
    /// More at once than the copies a thread can own (four).
    const AT_ONCE: usize = 10;
    const RECORDS: u64 = 20_000;
    const AT_EXIT: u64 = 5_000;

    fn record(m: &GatewayMetrics) {
        let (t, p, md) = (TenantId("shared"), Provider("openai"), Model("m"));
        m.record_request(t, p, md, Status::Success, 0.25).unwrap();
    }

    /// Records `AT_EXIT` requests when its thread ends. Set before the
    /// thread's first record, it is dropped after what that record set up
    /// (thread-locals are dropped last set, first dropped): after the
    /// thread has given its copy back.
    struct RecordAtExit(RefCell<Option<Arc<GatewayMetrics>>>);

    impl Drop for RecordAtExit {
        fn drop(&mut self) {
            if let Some(m) = self.0.take() {
                (0..AT_EXIT).for_each(|_| record(&m));
            }
        }
    }

    thread_local! {
        static AT_EXIT_RECORDER: RecordAtExit = const { RecordAtExit(RefCell::new(None)) };
    }

    #[test]
    fn threads_that_come_and_go_lose_nothing() {
        let m = Arc::new(GatewayMetrics::default());
        for _ in 0..ROUNDS {
            let threads: Vec<_> = (0..AT_ONCE)
                .map(|_| {
                    let m = Arc::clone(&m);
                    thread::spawn(move || {
                        AT_EXIT_RECORDER.with(|r| *r.0.borrow_mut() = Some(Arc::clone(&m)));
                        let (t, p, md) = (TenantId("shared"), Provider("openai"), Model("m"));
                        let route = m.route_series(t, p, md);
                        for _ in 0..RECORDS {
                            record(&m);
                            route.record_request(Status::Success, 0.25).unwrap();
                        }
                    })
                })
                .collect();
            // `join`, not a scope: it waits for the thread-locals'
            // destructors too.
            for thread in threads {
                thread.join().unwrap();
            }
        }
        let mut registry = Registry::default();
        m.register(&mut registry);
        let text = encode(&registry, Format::Prometheus);
        let labels = "tenant_id=\"shared\",provider=\"openai\",model=\"m\"";
        let n = ROUNDS as u64 * AT_ONCE as u64 * (2 * RECORDS + AT_EXIT);
        for line in [
            format!("aigateway_requests_total{{{labels},status=\"success\"}} {n}"),
            format!("aigateway_request_duration_seconds_count{{{labels}}} {n}"),
            format!(
                "aigateway_request_duration_seconds_sum{{{labels}}} {}.0",
                n / 4
            ),
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }
}
