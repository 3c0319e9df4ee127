//! Nothing recorded is lost to expiry: a series is removed only when nothing
//! has recorded into it, by any path, for the whole expiry time, and nothing
//! holds it. Each test is a way an earlier storage lost records.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread::sleep;
use std::time::{Duration, Instant};

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{GatewayMetrics, Model, Provider, Status, TenantId};

mod support;
use support::samples;

/// A handle bound while another thread removes idle series holds a series
/// that stays: with an expiry of 1 ns every series not held is idle at
/// once, so an expiry pass that slips between a bind's lookup and its hold
/// removes the series the handle then records into, unseen. Each round
/// binds a new tenant, records, and checks the record is exposed; the
/// family holds one or two series, so that the other thread's passes are
/// short and many.
#[test]
fn a_series_bound_during_an_expiry_pass_is_kept() {
    const ROUNDS: usize = 100_000;
    let m = GatewayMetrics::default();
    m.set_tenant_expiry(Some(Duration::from_nanos(1)));
    let mut registry = Registry::default();
    m.cache_hits.register(&mut registry);
    let done = AtomicBool::new(false);
    let lost = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Relaxed) {
                m.cache_hits.expire_idle();
            }
        });
        let lost: Vec<usize> = (0..ROUNDS)
            .filter(|i| {
                let tenant = format!("tenant-{i}");
                let series = m.tenant_series(TenantId(&tenant));
                series.record_cache_hit();
                let line = format!("aigateway_cache_hits_total{{tenant_id=\"{tenant}\"}} 1");
                !samples(&registry).contains(&line)
            })
            .collect();
        done.store(true, Relaxed);
        lost
    });
    assert_eq!(lost, [0usize; 0], "rounds whose kept series was removed");
}

/// Records through kept series count as activity: a tenant recorded into
/// every few milliseconds for longer than the expiry time, scraped all the
/// while, then let go, is still there at the next scrape, with every record.
#[test]
fn records_through_kept_series_keep_the_series() {
    let m = GatewayMetrics::default();
    m.set_tenant_expiry(Some(Duration::from_millis(200)));
    let mut registry = Registry::default();
    m.cache_hits.register(&mut registry);
    let series = m.tenant_series(TenantId("busy"));
    let start = Instant::now();
    let mut records = 0;
    let mut scraped = Instant::now();
    while start.elapsed() < Duration::from_millis(600) {
        series.record_cache_hit();
        records += 1;
        if scraped.elapsed() > Duration::from_millis(50) {
            samples(&registry);
            scraped = Instant::now();
        }
        sleep(Duration::from_millis(3));
    }
    drop(series);
    assert_eq!(
        samples(&registry),
        [format!(
            "aigateway_cache_hits_total{{tenant_id=\"busy\"}} {records}"
        )]
    );
}

/// A timer held for longer than the expiry time, scraped meanwhile,
/// observes into a series that is still there.
#[test]
fn a_timer_held_past_the_expiry_time_is_observed() {
    let m = GatewayMetrics::default();
    m.set_tenant_expiry(Some(Duration::from_millis(200)));
    let mut registry = Registry::default();
    m.request_duration.register(&mut registry);
    let labels = (TenantId("slow"), Provider("openai"), Model("o1"));
    let timer = m.request_duration.start_timer(labels.0, labels.1, labels.2);
    for _ in 0..6 {
        sleep(Duration::from_millis(50));
        samples(&registry);
    }
    drop(timer);
    let shown = samples(&registry);
    let count = "aigateway_request_duration_seconds_count\
                 {tenant_id=\"slow\",provider=\"openai\",model=\"o1\"} 1";
    assert!(shown.iter().any(|l| l == count), "{shown:#?}");
}

/// Turning expiry on keeps a series recorded a moment before, though it was
/// made longer ago than the expiry time.
#[test]
fn turning_expiry_on_keeps_series_recorded_a_moment_ago() {
    let m = GatewayMetrics::default();
    let mut registry = Registry::default();
    m.requests.register(&mut registry);
    let (t, p, md) = (TenantId("acme"), Provider("openai"), Model("gpt-4o"));
    m.requests.inc(t, p, md, Status::Success);
    sleep(Duration::from_millis(300));
    m.requests.inc(t, p, md, Status::Success);
    m.set_tenant_expiry(Some(Duration::from_millis(200)));
    let shown = samples(&registry);
    let success = "aigateway_requests_total\
                   {tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"success\"} 2";
    assert!(shown.iter().any(|l| l == success), "{shown:#?}");
}
