//! A `RequestRecorder` records its request exactly once, when dropped: with
//! the last status set, `cancelled` when none was (a future or stream
//! dropped early), `error` when a panic dropped it, and nothing at all
//! without a route.

mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{GatewayMetrics, Model, Provider, RequestRecorder, Status, TenantId, Usd};

const ROUTE: (TenantId<'static>, Provider<'static>, Model<'static>) =
    (TenantId("acme"), Provider("openai"), Model("gpt-4o"));

/// The requests and duration-count lines of `m` that are not zero.
fn recorded(m: &GatewayMetrics) -> Vec<String> {
    let mut registry = Registry::default();
    m.requests.register(&mut registry);
    m.request_duration.register(&mut registry);
    m.tokens.register(&mut registry);
    m.cost.register(&mut registry);
    support::samples(&registry)
        .into_iter()
        .filter(|l| {
            !l.contains("_bucket")
                && !l.contains("_sum")
                && !l.ends_with(" 0")
                && !l.ends_with(" 0.0")
        })
        .collect()
}

fn request(status: &str) -> String {
    format!("aigateway_requests_total{{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"{status}\"}} 1")
}

const ONE_DURATION: &str = "aigateway_request_duration_seconds_count{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"} 1";

fn routed(m: &GatewayMetrics) -> RequestRecorder {
    let mut r = RequestRecorder::start();
    let (t, p, md) = ROUTE;
    r.set_route(m, t, p, md);
    r
}

#[test]
fn the_last_status_set_is_recorded_once_at_drop() {
    let m = GatewayMetrics::default();
    let mut r = routed(&m);
    r.set_status(Status::Error);
    r.set_status(Status::Success);
    assert_eq!(
        recorded(&m),
        Vec::<String>::new(),
        "nothing before the drop"
    );
    drop(r);
    assert_eq!(recorded(&m), [request("success"), ONE_DURATION.into()]);
}

#[test]
fn finish_records_now() {
    let m = GatewayMetrics::default();
    routed(&m).finish(Status::RateLimited);
    assert_eq!(recorded(&m), [request("rate_limited"), ONE_DURATION.into()]);
}

#[test]
fn dropped_without_a_status_is_cancelled() {
    let m = GatewayMetrics::default();
    drop(routed(&m));
    assert_eq!(recorded(&m), [request("cancelled"), ONE_DURATION.into()]);
}

#[test]
fn a_future_dropped_before_it_finished_is_cancelled() {
    let m = GatewayMetrics::default();
    let mut r = routed(&m);
    {
        let mut stream = pin!(async move {
            r.record_tokens(12, 0);
            std::future::pending::<()>().await; // the client is slow...
            r.record_tokens(0, 40);
            r.set_status(Status::Success);
        });
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(stream.as_mut().poll(&mut cx), Poll::Pending);
    } // ...and goes away.
    assert_eq!(
        recorded(&m),
        [
            request("cancelled"),
            ONE_DURATION.into(),
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"input\"} 12".into(),
        ]
    );
}

#[test]
fn a_panic_without_a_status_is_an_error() {
    let m = GatewayMetrics::default();
    let r = routed(&m);
    let result = catch_unwind(AssertUnwindSafe(move || {
        let _r = r;
        panic!("handler bug");
    }));
    assert!(result.is_err());
    assert_eq!(recorded(&m), [request("error"), ONE_DURATION.into()]);
}

#[test]
fn it_moves_into_another_thread_with_its_series() {
    let m = GatewayMetrics::default();
    let mut r = routed(&m);
    std::thread::spawn(move || {
        r.record_tokens(3, 5);
        r.record_cost(Usd::from_nanos(1_500));
        r.set_status(Status::Success);
    })
    .join()
    .unwrap();
    assert_eq!(
        recorded(&m),
        [
            request("success"),
            ONE_DURATION.into(),
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"input\"} 3".into(),
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"output\"} 5".into(),
            "aigateway_cost_usd_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"} 0.0000015".into(),
        ]
    );
}

#[test]
fn kept_route_series_are_shared_not_looked_up() {
    let m = GatewayMetrics::default();
    let (t, p, md) = ROUTE;
    let kept = Arc::new(m.route_series(t, p, md));
    for status in [Status::Success, Status::Success, Status::Error] {
        let mut r = RequestRecorder::start();
        r.set_route_series(Arc::clone(&kept));
        r.finish(status);
    }
    assert_eq!(Arc::strong_count(&kept), 1);
    assert_eq!(
        recorded(&m),
        [
            "aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"success\"} 2".to_owned(),
            request("error"),
            "aigateway_request_duration_seconds_count{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"} 3".into(),
        ]
    );
}

#[test]
fn without_a_route_nothing_is_recorded() {
    let m = GatewayMetrics::default();
    let r = RequestRecorder::start();
    r.record_tokens(1, 1);
    r.finish(Status::InvalidRequest);
    assert_eq!(m.requests.series_count(), 0);
    assert_eq!(recorded(&m), Vec::<String>::new());
}

/// The stream timings and the gateway's overhead, by provider and model:
/// the lines of `m` for them that are not zero.
fn timings(m: &GatewayMetrics) -> Vec<String> {
    let mut registry = Registry::default();
    m.time_to_first_token.register(&mut registry);
    m.time_per_output_token.register(&mut registry);
    m.gateway_overhead.register(&mut registry);
    support::samples(&registry)
        .into_iter()
        .filter(|l| l.contains("_count") && !l.ends_with(" 0"))
        .collect()
}

#[test]
fn a_stream_records_its_first_token_its_pace_and_the_gateway_s_time() {
    let m = GatewayMetrics::default();
    let mut r = routed(&m);
    r.last_token(5); // no first token yet: nothing
    r.first_token();
    r.first_token(); // once only
    r.last_token(1); // one token has no time between tokens
    r.last_token(40);
    // A provider said to take an hour: what the gateway added saturates at
    // zero, in the first bucket.
    r.set_upstream_duration(std::time::Duration::from_secs(3600));
    r.finish(Status::Success);
    let labels = "provider=\"openai\",model=\"gpt-4o\"";
    assert_eq!(
        timings(&m),
        [
            format!("aigateway_time_to_first_token_seconds_count{{{labels}}} 1"),
            format!("aigateway_time_per_output_token_seconds_count{{{labels}}} 1"),
            format!("aigateway_gateway_overhead_seconds_count{{{labels}}} 1"),
        ]
    );
    let mut registry = Registry::default();
    m.gateway_overhead.register(&mut registry);
    let first_bucket =
        format!("aigateway_gateway_overhead_seconds_bucket{{{labels},le=\"0.0005\"}} 1");
    assert!(support::samples(&registry).contains(&first_bucket));
}

#[test]
fn without_an_upstream_time_or_a_first_token_there_is_no_timing() {
    let m = GatewayMetrics::default();
    routed(&m).finish(Status::Success);
    assert_eq!(timings(&m), Vec::<String>::new());
}
