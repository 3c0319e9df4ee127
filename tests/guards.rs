//! The active-streams guard and the histogram timer record on every path out
//! of a scope: early return, error, panic, and a future dropped mid-await.

mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, Model, Provider, TenantId};

fn active_streams(m: &GatewayMetrics) -> String {
    let mut registry = Registry::default();
    m.active_streams.register(&mut registry);
    let text = support::without_self_metrics(&encode(&registry, Format::Prometheus));
    text.lines().last().unwrap().to_owned()
}

fn stream(m: &GatewayMetrics, fail: bool) -> Result<(), &'static str> {
    let _guard = m.stream_started();
    if fail {
        return Err("upstream broke");
    }
    Ok(())
}

#[test]
fn guard_falls_on_return_and_on_error() {
    let m = GatewayMetrics::default();
    stream(&m, false).unwrap();
    stream(&m, true).unwrap_err();
    assert_eq!(active_streams(&m), "aigateway_active_streams 0");
}

#[test]
fn guard_falls_on_panic() {
    let m = GatewayMetrics::default();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _guard = m.stream_started();
        assert_eq!(active_streams(&m), "aigateway_active_streams 1");
        panic!("handler bug");
    }));
    assert!(result.is_err());
    assert_eq!(active_streams(&m), "aigateway_active_streams 0");
}

#[test]
fn guard_falls_when_a_future_is_cancelled() {
    let m = GatewayMetrics::default();
    {
        let mut future = pin!(async {
            let _guard = m.stream_started();
            // Never ready: the client went away while waiting.
            std::future::pending::<()>().await;
        });
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(active_streams(&m), "aigateway_active_streams 1");
    }
    assert_eq!(active_streams(&m), "aigateway_active_streams 0");
}

#[test]
fn timer_observes_once_on_drop_or_observe_and_never_when_discarded() {
    let m = GatewayMetrics::default();
    let labels = (TenantId("acme"), Provider("openai"), Model("m"));
    let timer = m.request_duration.start_timer(labels.0, labels.1, labels.2);
    let elapsed = timer.observe();
    drop(m.request_duration.start_timer(labels.0, labels.1, labels.2));
    m.request_duration
        .start_timer(labels.0, labels.1, labels.2)
        .discard();
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _timer = m.request_duration.start_timer(labels.0, labels.1, labels.2);
        panic!("handler bug");
    }));
    let mut registry = Registry::default();
    m.request_duration.register(&mut registry);
    let text = encode(&registry, Format::Prometheus);
    assert!(
        text.contains("aigateway_request_duration_seconds_count{tenant_id=\"acme\",provider=\"openai\",model=\"m\"} 3\n"),
        "{text}"
    );
    // The sum holds at least the time `observe` returned (it is one of the
    // three observations).
    let sum: f64 = text
        .lines()
        .find(|l| l.starts_with("aigateway_request_duration_seconds_sum{"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(sum >= elapsed.as_secs_f64(), "sum {sum} < {elapsed:?}");
}
