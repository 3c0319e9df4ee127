//! Recording into a series that exists allocates nothing, through every
//! recording call of the gateway API. Counted by a global allocator that
//! counts each thread's allocations, so that tests running beside this one
//! cannot disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use aigateway_metrics::{
    CircuitState, GatewayMetrics, Model, Provider, ProviderErrorType, Status, TenantId,
};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the thread-local may be gone while a thread exits.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn record_everything(m: &GatewayMetrics, i: u64) {
    let tenant = if i.is_multiple_of(2) {
        "acme"
    } else {
        "globex"
    };
    let (t, p, md) = (TenantId(tenant), Provider("openai"), Model("gpt-4o-mini"));
    m.record_request(t, p, md, Status::Success, 0.25).unwrap();
    m.record_request_duration(t, p, md, Status::Error, Duration::from_millis(30));
    m.record_tokens(t, p, md, 100, 50);
    m.record_cost(t, p, md, 0.000015).unwrap();
    m.record_cache_hit(t);
    m.record_cache_miss(t);
    m.record_rate_limit_hit(t);
    m.set_circuit_breaker_state(p, CircuitState::HalfOpen);
    m.record_provider_error(p, ProviderErrorType::Timeout);
    m.set_budget_usage(t, 0.5).unwrap();
    drop(m.stream_started());
    // Rejected values allocate nothing either.
    m.record_cost(t, p, md, f64::NAN).unwrap_err();
}

#[test]
fn recording_into_existing_series_allocates_nothing() {
    let m = GatewayMetrics::default();
    // The first records create the series, which allocates.
    let first = allocations_in(|| {
        record_everything(&m, 0);
        record_everything(&m, 1);
    });
    assert!(first > 0, "the counter counts");
    let after = allocations_in(|| {
        for i in 0..10_000 {
            record_everything(&m, i);
        }
    });
    assert_eq!(after, 0, "allocations while recording into existing series");
}

#[test]
fn recording_through_bound_handles_allocates_nothing() {
    let m = GatewayMetrics::default();
    let (t, p, md) = (TenantId("acme"), Provider("openai"), Model("gpt-4o-mini"));
    let mut handles = None;
    // Binding handles to new series makes the series.
    let made = allocations_in(|| {
        handles = Some((
            m.tokens
                .bind(t, p, md, aigateway_metrics::TokenType::Output),
            m.cost.bind(t, p, md),
            m.request_duration.bind(t, p, md),
            m.budget_usage.bind(t),
            m.active_streams.bind(),
        ))
    });
    assert!(made > 0, "the counter counts");
    let (output, cost, duration, budget, streams) = handles.unwrap();
    let record = |i: u64| {
        output.inc_by(i);
        cost.inc_by(aigateway_metrics::Usd::from_nanos(i));
        duration.observe(i as f64 / 1000.0).unwrap();
    };
    let after = allocations_in(|| {
        for i in 0..10_000 {
            record(i);
            duration.observe(f64::NAN).unwrap_err();
            budget.set(i as f64 / 10_000.0).unwrap();
            streams.add(1);
            // Binding an existing series again allocates nothing either.
            drop(m.tokens.bind(t, p, md, aigateway_metrics::TokenType::Input));
        }
    });
    assert_eq!(after, 0, "allocations while recording through handles");
}

/// A request's records through the tenant's kept series, as the example
/// gateway records, rejected values included.
#[test]
fn recording_through_kept_series_allocates_nothing() {
    let m = GatewayMetrics::default();
    let (t, p, md) = (TenantId("acme"), Provider("openai"), Model("gpt-4o-mini"));
    let mut kept = None;
    // Keeping a tenant's and a route's series makes them.
    let made = allocations_in(|| kept = Some((m.tenant_series(t), m.route_series(t, p, md))));
    assert!(made > 0, "the counter counts");
    let (tenant, route) = kept.unwrap();
    let request = |i: u64| {
        route.record_request_duration(Status::Success, Duration::from_micros(i));
        route.record_request(Status::Error, 0.25).unwrap();
        route.record_request(Status::Error, f64::NAN).unwrap_err();
        route.record_tokens(12, 40);
        route.record_cost(aigateway_metrics::Usd::from_nanos(i));
        tenant.record_cache_hit();
        tenant.record_cache_miss();
        tenant.record_rate_limit_hit();
        tenant.set_budget_usage(i as f64 / 10_000.0).unwrap();
        tenant.set_budget_usage(-1.0).unwrap_err();
    };
    let after = allocations_in(|| {
        for i in 0..10_000 {
            request(i);
        }
    });
    assert_eq!(after, 0, "allocations while recording through kept series");
}

/// Records with an exemplar allocate once per series, for its exemplars;
/// then nothing, by every path: a lookup, a kept series, a request
/// recorder.
#[test]
fn recording_with_exemplars_allocates_once_per_series() {
    use aigateway_metrics::{Exemplar, RequestRecorder, Usd};
    use std::sync::Arc;
    let m = GatewayMetrics::default();
    let (t, p, md) = (TenantId("acme"), Provider("openai"), Model("gpt-4o-mini"));
    let trace = |i: u64| {
        let mut trace_id = [1; 16];
        trace_id[..8].copy_from_slice(&i.to_le_bytes());
        Exemplar::new(trace_id, (i + 1).to_le_bytes()).unwrap()
    };
    let record = |route: &Arc<_>, i: u64| {
        let exemplar = trace(i);
        m.request_duration
            .observe_with_exemplar(t, p, md, 0.5, &exemplar)
            .unwrap();
        m.cost
            .inc_by_with_exemplar(t, p, md, Usd::from_nanos(i), &exemplar);
        let mut request = RequestRecorder::start();
        request.set_route_series(Arc::clone(route));
        request.set_exemplar(exemplar);
        request.finish(Status::Success);
    };
    let mut kept = None;
    let made = allocations_in(|| {
        let route = Arc::new(m.route_series(t, p, md));
        record(&route, 0);
        kept = Some(route);
    });
    assert!(made > 0, "the counter counts");
    let route = kept.unwrap();
    let after = allocations_in(|| (1..10_000).for_each(|i| record(&route, i)));
    assert_eq!(after, 0, "allocations while recording with exemplars");
}
