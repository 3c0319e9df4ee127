//! Recording from several threads at once loses nothing.

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
    assert!(encode(&registry, Format::Prometheus).ends_with("\naigateway_active_streams 0\n"));
}
