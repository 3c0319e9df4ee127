//! Idle series expire when expiry is on, at a scrape; series in use by a
//! guard are kept; an expired counter that comes back starts from zero.
//! Scrapes are what see records, so a series expires at the first scrape
//! more than the expiry time after the scrape that last saw it recorded.

use std::thread::sleep;
use std::time::Duration;

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, Metric, Provider, TenantId};

mod support;
use support::samples;

const EXPIRY: Duration = Duration::from_millis(200);

#[test]
fn idle_series_expire_at_a_scrape_and_come_back_from_zero() {
    let m = GatewayMetrics::default();
    let mut registry = Registry::default();
    m.cache_hits.register(&mut registry);
    m.cache_hits.set_expiry(Some(EXPIRY));
    m.record_cache_hit(TenantId("idle"));
    m.record_cache_hit(TenantId("busy"));
    m.record_cache_hit(TenantId("busy"));
    assert_eq!(
        samples(&registry),
        [
            "aigateway_cache_hits_total{tenant_id=\"busy\"} 2",
            "aigateway_cache_hits_total{tenant_id=\"idle\"} 1",
        ]
    );
    sleep(EXPIRY + Duration::from_millis(100));
    m.record_cache_hit(TenantId("busy"));
    assert_eq!(
        samples(&registry),
        ["aigateway_cache_hits_total{tenant_id=\"busy\"} 3"]
    );
    // Back after it expired: from zero, even from a thread that had it cached.
    m.record_cache_hit(TenantId("idle"));
    assert_eq!(
        samples(&registry),
        [
            "aigateway_cache_hits_total{tenant_id=\"busy\"} 3",
            "aigateway_cache_hits_total{tenant_id=\"idle\"} 1",
        ]
    );
}

#[test]
fn expiry_is_off_by_default_and_can_be_turned_off() {
    let m = GatewayMetrics::default();
    m.record_cache_hit(TenantId("a"));
    sleep(Duration::from_millis(50));
    assert_eq!(m.cache_hits.expire_idle(), 0);
    m.cache_hits.set_expiry(Some(Duration::from_millis(10)));
    sleep(Duration::from_millis(30));
    m.cache_hits.set_expiry(None);
    assert_eq!(m.cache_hits.expire_idle(), 0);
    assert_eq!(m.cache_hits.series_count(), 1);
    m.cache_hits.set_expiry(Some(Duration::from_millis(10)));
    // Never scraped while expiry was on, it was last seen when made.
    assert_eq!(m.cache_hits.expire_idle(), 1);
}

/// Streams in progress, per provider.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_streams_by_provider")]
struct StreamsByProvider<'a> {
    provider: Provider<'a>,
}

#[test]
fn a_series_held_by_a_guard_does_not_expire() {
    let streams = StreamsByProviderFamily::new();
    streams.set_expiry(Some(Duration::from_millis(10)));
    let guard = streams.track(Provider("openai"));
    streams.set(Provider("google"), 0);
    // A scrape sees the records; both are idle from then on.
    assert_eq!(streams.expire_idle(), 0);
    sleep(Duration::from_millis(50));
    // google is idle and expires; openai is held by the guard.
    assert_eq!(streams.expire_idle(), 1);
    let mut registry = Registry::default();
    streams.register(&mut registry);
    assert_eq!(
        samples(&registry),
        ["aigateway_streams_by_provider{provider=\"openai\"} 1"]
    );
    // Once the guard is gone the series, idle for long, expires too; the
    // guard's decrement went to it first, so nothing is left wrong.
    drop(guard);
    assert_eq!(samples(&registry), Vec::<String>::new());
}

#[test]
fn tenant_expiry_covers_every_per_tenant_family() {
    let m = GatewayMetrics::default();
    m.set_tenant_expiry(Some(Duration::from_millis(10)));
    m.record_cost(
        TenantId("gone"),
        Provider("openai"),
        aigateway_metrics::Model("m"),
        0.1,
    )
    .unwrap();
    m.set_budget_usage(TenantId("gone"), 0.2).unwrap();
    m.init_tenant(TenantId("gone"));
    let mut registry = Registry::default();
    m.register(&mut registry);
    assert!(encode(&registry, Format::Prometheus).contains("\"gone\""));
    sleep(Duration::from_millis(50));
    let text = encode(&registry, Format::Prometheus);
    assert!(!text.contains("\"gone\""), "{text}");
}

/// Sessions per tenant, expired after 200 ms by its declaration.
#[derive(Metric)]
#[metric(
    counter,
    name = "aigateway_test_sessions_total",
    expire_after = "200ms"
)]
struct Sessions<'a> {
    tenant_id: TenantId<'a>,
}

#[test]
fn a_family_declared_with_expire_after_expires_without_a_call() {
    let sessions = SessionsFamily::new();
    let mut registry = Registry::default();
    sessions.register(&mut registry);
    sessions.inc(TenantId("idle"));
    assert_eq!(
        samples(&registry),
        ["aigateway_test_sessions_total{tenant_id=\"idle\"} 1"]
    );
    sleep(EXPIRY + Duration::from_millis(100));
    assert_eq!(samples(&registry), Vec::<String>::new());
    assert_eq!(sessions.series_count(), 0);
}
