//! Unbounded label values cannot bloat the process: a family keeps at most
//! its series limit of open-set combinations, records of further ones go to
//! one overflow series (so totals stay right), and a forgotten tenant's
//! series are gone. Memory is measured with a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::Mutex;

use aigateway_metrics::prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use aigateway_metrics::prometheus_client::metrics::counter::Counter;
use aigateway_metrics::prometheus_client::metrics::family::Family;
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, CircuitState, FallbackModel, FallbackProvider, FallbackReason, Format, GatewayMetrics,
    Model, Provider, RetryReason, Status, TenantId, MAX_LABEL_VALUE_LEN,
};

/// Bytes allocated and not yet freed, by the whole process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// Bytes allocated by this thread less bytes it freed: what the
    /// per-series figure counts, so that another test's thread ending (and
    /// freeing its lookup cache) meanwhile does not count.
    static THIS_THREAD: Cell<isize> = const { Cell::new(0) };
}

struct Counting;

impl Counting {
    fn count(bytes: isize) {
        LIVE.fetch_add(bytes, Relaxed);
        // A `Cell` has no destructor: it is there as long as the thread.
        let _ = THIS_THREAD.try_with(|live| live.set(live.get() + bytes));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The memory test measures the whole process: no other test may run then.
static SERIAL: Mutex<()> = Mutex::new(());

fn exposition(m: &GatewayMetrics) -> String {
    let mut registry = Registry::default();
    m.register(&mut registry);
    encode(&registry, Format::Prometheus)
}

/// The sum of the samples of `name` with labels, and how many there are.
fn sum_and_count(text: &str, name: &str) -> (f64, usize) {
    let prefix = format!("{name}{{");
    let values: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    (values.iter().sum(), values.len())
}

#[test]
fn a_full_family_records_into_one_overflow_series() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = GatewayMetrics::default();
    m.cache_hits.set_series_limit(3);
    for tenant in ["a", "b", "c", "d", "e", "a", "__overflow__"] {
        m.record_cache_hit(TenantId(tenant));
    }
    m.record_cache_hit(TenantId(&"x".repeat(MAX_LABEL_VALUE_LEN + 1)));
    let text = exposition(&m);
    let hits: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("aigateway_cache_hits_total{"))
        .collect();
    assert_eq!(
        hits,
        [
            "aigateway_cache_hits_total{tenant_id=\"a\"} 2",
            "aigateway_cache_hits_total{tenant_id=\"b\"} 1",
            "aigateway_cache_hits_total{tenant_id=\"c\"} 1",
            "aigateway_cache_hits_total{tenant_id=\"__overflow__\"} 4",
        ]
    );
    assert!(text
        .lines()
        .any(|l| l
            == "aigateway_metrics_series_overflow_total{family=\"aigateway_cache_hits_total\"} 4"));
    assert_eq!(m.cache_hits.series_count(), 3);
    // Raising the limit lets new tenants in again.
    m.cache_hits.set_series_limit(4);
    m.record_cache_hit(TenantId("f"));
    assert!(exposition(&m).contains("aigateway_cache_hits_total{tenant_id=\"f\"} 1\n"));
}

#[test]
fn one_million_tenants_and_models_keep_memory_bounded() {
    const RECORDS: usize = 1_000_000;
    /// The bound this test holds the library to; the measured figure is
    /// printed with `--nocapture`.
    const BOUND: isize = 16 << 20;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = LIVE.load(Relaxed);
    let m = GatewayMetrics::default();
    let mut tenant = String::new();
    let mut model = String::new();
    for i in 0..RECORDS {
        use std::fmt::Write;
        tenant.clear();
        model.clear();
        write!(tenant, "tenant-{i:07}").unwrap();
        write!(model, "model-{}", i * 7919 % RECORDS).unwrap();
        let (t, p, md) = (TenantId(&tenant), Provider("openai"), Model(&model));
        m.record_request(t, p, md, Status::Success, 0.3).unwrap();
        m.record_tokens(t, p, md, 3, 5);
        m.record_cache_miss(t);
    }
    let grown = LIVE.load(Relaxed) - before;
    println!(
        "{RECORDS} distinct tenants and models: {} KiB live",
        grown / 1024
    );
    assert!(
        grown < BOUND,
        "{grown} bytes live, over the bound of {BOUND}"
    );

    let text = exposition(&m);
    for (name, per_record) in [
        ("aigateway_requests_total", 1.0),
        ("aigateway_tokens_total", 8.0),
        ("aigateway_cache_misses_total", 1.0),
    ] {
        let (sum, _) = sum_and_count(&text, name);
        assert_eq!(sum, per_record * RECORDS as f64, "{name}");
    }
    // The limit holds, plus one overflow series.
    let (_, requests) = sum_and_count(&text, "aigateway_requests_total");
    assert_eq!(requests, (10_000 + 1) * 6, "six statuses per series");
    let (count, _) = sum_and_count(&text, "aigateway_request_duration_seconds_count");
    assert_eq!(count, RECORDS as f64);
    let overflowed = text
        .lines()
        .find(|l| {
            l.starts_with(
                "aigateway_metrics_series_overflow_total{family=\"aigateway_requests_total\"}",
            )
        })
        .unwrap();
    assert!(
        overflowed.ends_with(&format!(" {}", RECORDS - 10_000)),
        "{overflowed}"
    );
    drop(m);
    drop(text);
    let leaked = LIVE.load(Relaxed) - before;
    assert!(
        leaked < 1 << 20,
        "{leaked} bytes still live after the metrics were dropped"
    );
}

/// The same label sets, kept by prometheus-client: a `Family` keyed by the
/// label struct, as its documentation shows.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcRequestLabels {
    tenant_id: String,
    provider: String,
    model: String,
    status: PcStatus,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum PcStatus {
    Success,
    Error,
    RateLimited,
    BudgetExceeded,
    InvalidRequest,
    Cancelled,
}

/// Bytes that `make` leaves allocated, per series it makes.
fn bytes_per_series<T>(series: usize, make: impl FnOnce() -> T) -> f64 {
    let before = THIS_THREAD.with(Cell::get);
    let made = make();
    let grown = THIS_THREAD.with(Cell::get) - before;
    drop(made);
    grown as f64 / series as f64
}

/// `aigateway_requests_total` for 2,000 tenants: 12,000 series, each of
/// the six statuses of each tenant, here and in prometheus-client.
#[test]
fn a_series_takes_no_more_memory_than_in_prometheus_client() {
    const TENANTS: usize = 2_000;
    const SERIES: usize = TENANTS * 6;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tenants: Vec<String> = (0..TENANTS).map(|i| format!("tenant-{i:05}")).collect();
    let statuses = [
        (Status::Success, PcStatus::Success),
        (Status::Error, PcStatus::Error),
        (Status::RateLimited, PcStatus::RateLimited),
        (Status::BudgetExceeded, PcStatus::BudgetExceeded),
        (Status::InvalidRequest, PcStatus::InvalidRequest),
        (Status::Cancelled, PcStatus::Cancelled),
    ];
    // This thread's lookup cache is made on its first record, once per
    // thread rather than per series: make it before measuring.
    GatewayMetrics::default().record_cache_hit(TenantId("warm-up"));

    let ours = bytes_per_series(SERIES, || {
        let m = GatewayMetrics::default();
        for tenant in &tenants {
            for (status, _) in statuses {
                let (t, p, md) = (TenantId(tenant), Provider("openai"), Model("gpt-4o-mini"));
                m.requests.inc(t, p, md, status);
            }
        }
        assert_eq!(m.requests.series_count(), TENANTS);
        m
    });
    let theirs = bytes_per_series(SERIES, || {
        let family = Family::<PcRequestLabels, Counter>::default();
        for tenant in &tenants {
            for (_, status) in statuses {
                let key = PcRequestLabels {
                    tenant_id: tenant.clone(),
                    provider: "openai".to_owned(),
                    model: "gpt-4o-mini".to_owned(),
                    status,
                };
                family.get_or_create(&key).inc();
            }
        }
        family
    });
    println!("bytes per series: aigateway-metrics {ours:.1}, prometheus-client {theirs:.1}");
    assert!(
        ours <= theirs,
        "{ours:.1} bytes per series, prometheus-client {theirs:.1}"
    );
}

#[test]
fn a_forgotten_tenant_is_gone_from_every_family() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = GatewayMetrics::default();
    for tenant in [TenantId("gone"), TenantId("kept")] {
        m.record_request(tenant, Provider("openai"), Model("m"), Status::Success, 0.2)
            .unwrap();
        m.record_tokens(tenant, Provider("openai"), Model("m"), 1, 2);
        m.record_cost(tenant, Provider("openai"), Model("m"), 0.5)
            .unwrap();
        m.init_tenant(tenant);
        m.set_budget_usage(tenant, 0.4).unwrap();
    }
    // requests, duration, tokens, cost, hits, misses, rate limits, budget.
    assert_eq!(m.forget_tenant(TenantId("gone")), 8);
    let text = exposition(&m);
    assert!(!text.contains("\"gone\""), "{text}");
    assert!(text.contains("aigateway_budget_usage_ratio{tenant_id=\"kept\"} 0.4\n"));
    // Recorded again, it starts from zero.
    m.record_cost(TenantId("gone"), Provider("openai"), Model("m"), 0.25)
        .unwrap();
    assert!(exposition(&m).contains(
        "aigateway_cost_usd_total{tenant_id=\"gone\",provider=\"openai\",model=\"m\"} 0.25\n"
    ));
}

/// What docs/operations.md says a tenant and a route cost a replica, in
/// series exposed: a route (tenant, provider, model) 22, a tenant's own
/// counters and gauge 4, a provider 8.
#[test]
fn a_route_costs_22_series_a_tenant_4_and_a_provider_8() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = GatewayMetrics::default();
    let count = |m: &GatewayMetrics, needle: &str| {
        exposition(m)
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains(needle))
            .count()
    };
    // A tenant's first request on a route, as the example gateway records it.
    let (t, p, md) = (TenantId("acme"), Provider("openai"), Model("gpt-4o"));
    m.init_tenant(t);
    m.set_budget_usage(t, 0.1).unwrap();
    m.record_request(t, p, md, Status::Success, 0.4).unwrap();
    m.record_tokens(t, p, md, 10, 20);
    m.record_cost(t, p, md, 0.001).unwrap();
    let route = "model=\"gpt-4o\"";
    // Requests: 6 statuses; duration: 10 buckets, +Inf, sum, count;
    // tokens: input, output; cost.
    assert_eq!(count(&m, route), 6 + 13 + 2 + 1);
    assert_eq!(count(&m, "tenant_id=\"acme\"") - count(&m, route), 4);
    // A second model of the same tenant costs another route, no more.
    m.record_request(t, p, Model("gpt-4o-mini"), Status::Success, 0.4)
        .unwrap();
    m.record_tokens(t, p, Model("gpt-4o-mini"), 1, 1);
    m.record_cost(t, p, Model("gpt-4o-mini"), 0.001).unwrap();
    assert_eq!(count(&m, "tenant_id=\"acme\""), 2 * 22 + 4);
    m.init_provider(p);
    m.set_circuit_breaker_state(p, CircuitState::Closed);
    // The breaker state, and one error series per error type.
    assert_eq!(count(&m, "provider=\"openai\"") - 2 * 22, 1 + 7);
}

/// What docs/operations.md says retries and fallbacks cost: 5 series for
/// a provider and model retried, 7 for each pair of routes a fallback
/// went between, whatever the tenants.
#[test]
fn a_retried_route_costs_5_series_and_a_fallback_pair_7() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = GatewayMetrics::default();
    let (p, md) = (Provider("openai"), Model("gpt-4o"));
    let to = (
        FallbackProvider("anthropic"),
        FallbackModel("claude-3-5-haiku"),
    );
    for _ in 0..3 {
        m.record_retry(p, md, RetryReason::Timeout);
        m.record_fallback(p, md, to.0, to.1, FallbackReason::CircuitOpen);
    }
    let text = exposition(&m);
    let count = |name: &str| text.lines().filter(|l| l.starts_with(name)).count();
    assert_eq!(count("aigateway_retries_total{"), 5);
    assert_eq!(count("aigateway_fallbacks_total{"), 7);
    m.record_fallback(
        p,
        md,
        to.0,
        FallbackModel("claude-3-5-sonnet"),
        FallbackReason::Timeout,
    );
    assert_eq!(
        exposition(&m)
            .lines()
            .filter(|l| l.starts_with("aigateway_fallbacks_total{"))
            .count(),
        2 * 7
    );
}

/// The rest of what docs/operations.md says a replica costs: a provider and
/// model's stream timings and overhead 49 series, shared by every tenant; 5
/// self-metric series per family; and 43 a replica has whatever it serves
/// (build info, active streams, the endpoint's families after scrapes in
/// both formats, the process's 7).
#[test]
fn a_provider_and_model_cost_49_series_a_family_5_and_a_replica_43() {
    use aigateway_metrics::axum::{ScrapeError, ScrapeMetrics};
    use aigateway_metrics::process::ProcessMetrics;

    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = GatewayMetrics::default();
    let (p, md) = (Provider("openai"), Model("gpt-4o"));
    for tenant in ["a", "b", "c"] {
        drop(m.route_series(TenantId(tenant), p, md));
    }
    let text = exposition(&m);
    let timings = text
        .lines()
        .filter(|l| {
            l.starts_with("aigateway_time_to_first_token_seconds")
                || l.starts_with("aigateway_time_per_output_token_seconds")
                || l.starts_with("aigateway_gateway_overhead_seconds")
        })
        .count();
    assert_eq!(timings, (16 + 3) + (13 + 3) + (11 + 3));
    let requests_family = "family=\"aigateway_requests_total\"";
    assert_eq!(
        text.lines().filter(|l| l.contains(requests_family)).count(),
        5
    );

    let mut registry = Registry::default();
    aigateway_metrics::gateway::build_info("1.0.0", "abc").register(&mut registry);
    m.active_streams.register(&mut registry);
    let scrapes = ScrapeMetrics::default();
    scrapes.register(&mut registry);
    for format in [Format::Prometheus, Format::OpenMetrics] {
        scrapes.duration.observe(format, 0.01).unwrap();
        scrapes.size.set(format, 1_000);
    }
    scrapes.errors.inc_by(ScrapeError::Encoding, 0);
    ProcessMetrics.register(&mut registry);
    let own = encode(&registry, Format::Prometheus)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("aigateway_metrics_series_overflow"))
        .filter(|l| !l.starts_with("aigateway_metrics_rejected_values"))
        .count();
    assert_eq!(own, 1 + 1 + 2 * (12 + 3) + 2 + 2 + 7);
}
