//! Handles bound to one series: what they record is exposed exactly as the
//! family's own records are, added to them; they keep their series from
//! expiring; made past the series limit, they record into the overflow
//! series; a rejected observation changes nothing and is counted.

mod support;

use std::time::Duration;

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, CircuitState, Format, GatewayMetrics, MetricFamily, Model, Provider, Reason, TenantId,
    TokenType, Usd,
};

const LABELS: (TenantId<'static>, Provider<'static>, Model<'static>) =
    (TenantId("acme"), Provider("openai"), Model("gpt-4o"));

fn exposition(family: &impl MetricFamily) -> String {
    let mut registry = Registry::default();
    family.register(&mut registry);
    support::without_self_metrics(&encode(&registry, Format::Prometheus))
}

/// The sample lines, without `# HELP` and `# TYPE`.
fn samples(family: &impl MetricFamily) -> Vec<String> {
    exposition(family)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_bound_counter_adds_to_its_series_beside_the_family_s_records() {
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    let output = m.tokens.bind(t, p, md, TokenType::Output);
    for chunk in [3, 5, 8] {
        output.inc_by(chunk);
    }
    output.clone().inc_by(100);
    m.tokens.inc_by(t, p, md, TokenType::Output, 1000);
    m.tokens.inc_by(t, p, md, TokenType::Input, 7);
    assert_eq!(
        samples(&m.tokens),
        [
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"input\"} 7",
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"output\"} 1116",
        ]
    );
}

#[test]
fn a_bound_cost_counter_takes_dollars() {
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    let cost = m.cost.bind(t, p, md);
    cost.inc_by(Usd::new(0.25).unwrap());
    cost.inc_by(Usd::from_nanos(1));
    assert_eq!(
        samples(&m.cost),
        ["aigateway_cost_usd_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"} 0.250000001"]
    );
}

#[test]
fn a_bound_histogram_observes_into_its_series_and_rejects_what_the_family_rejects() {
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    let duration = m.request_duration.bind(t, p, md);
    duration.observe(0.3).unwrap();
    duration.observe_duration(Duration::from_secs(2));
    let error = duration.observe(f64::NAN).unwrap_err();
    assert_eq!(error.reason, Reason::NaN);
    duration.observe(-1.0).unwrap_err();
    m.request_duration.observe(t, p, md, 200.0).unwrap();
    let series = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"";
    let buckets = [
        ("0.1", 0),
        ("0.25", 0),
        ("0.5", 1),
        ("1", 1),
        ("2.5", 2),
        ("5", 2),
        ("10", 2),
        ("30", 2),
        ("60", 2),
        ("120", 2),
        ("+Inf", 3),
    ];
    let mut expected: Vec<String> = buckets
        .iter()
        .map(|(le, n)| {
            format!("aigateway_request_duration_seconds_bucket{{{series},le=\"{le}\"}} {n}")
        })
        .collect();
    expected.push(format!(
        "aigateway_request_duration_seconds_sum{{{series}}} 202.3"
    ));
    expected.push(format!(
        "aigateway_request_duration_seconds_count{{{series}}} 3"
    ));
    assert_eq!(samples(&m.request_duration), expected);
    let stats = m.request_duration.stats();
    assert_eq!(
        (
            stats.rejected(Reason::NaN),
            stats.rejected(Reason::Negative)
        ),
        (1, 1)
    );
}

#[test]
fn a_series_does_not_expire_while_a_handle_to_it_lives() {
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    m.tokens.set_expiry(Some(Duration::from_nanos(1)));
    let output = m.tokens.bind(t, p, md, TokenType::Output);
    output.inc();
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(m.tokens.expire_idle(), 0, "held by the handle");
    assert_eq!(m.tokens.series_count(), 1);
    drop(output);
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(m.tokens.expire_idle(), 1, "idle and no longer held");
    assert_eq!(m.tokens.series_count(), 0);
}

#[test]
fn a_handle_made_past_the_series_limit_records_into_the_overflow_series() {
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    m.tokens.set_series_limit(0);
    let output = m.tokens.bind(t, p, md, TokenType::Output);
    output.inc_by(4);
    output.inc_by(5);
    assert_eq!(m.tokens.series_count(), 0);
    assert_eq!(
        samples(&m.tokens),
        [
            "aigateway_tokens_total{tenant_id=\"__overflow__\",provider=\"__overflow__\",model=\"__overflow__\",type=\"output\"} 9",
        ]
    );
    assert_eq!(m.tokens.stats().overflowed(), 1, "counted once, when bound");
}

#[test]
fn bound_gauges_set_and_add_like_their_families() {
    let m = GatewayMetrics::default();
    let streams = m.active_streams.bind();
    streams.inc();
    streams.inc();
    streams.dec();
    streams.add(5);
    let breaker = m.circuit_breaker_state.bind(Provider("openai"));
    breaker.set(CircuitState::HalfOpen);
    breaker.set(CircuitState::Open);
    let budget = m.budget_usage.bind(TenantId("acme"));
    budget.set(0.5).unwrap();
    assert_eq!(
        budget.set(f64::INFINITY).unwrap_err().reason,
        Reason::Infinite
    );
    assert_eq!(
        (
            samples(&m.active_streams),
            samples(&m.circuit_breaker_state),
            samples(&m.budget_usage),
        ),
        (
            vec!["aigateway_active_streams 6".to_owned()],
            vec!["aigateway_circuit_breaker_state{provider=\"openai\"} 2".to_owned()],
            vec!["aigateway_budget_usage_ratio{tenant_id=\"acme\"} 0.5".to_owned()],
        )
    );
    assert_eq!(m.budget_usage.stats().rejected(Reason::Infinite), 1);
}

/// `forget` removes the series a handle holds: what the handle records
/// afterwards is not exposed, and the family's next record starts a new
/// series from zero.
#[test]
fn a_handle_kept_past_forget_records_into_the_removed_series() {
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    let output = m.tokens.bind(t, p, md, TokenType::Output);
    output.inc_by(10);
    assert_eq!(m.tokens.forget_tenant_id(TenantId("acme")), 1);
    output.inc_by(20);
    assert_eq!(samples(&m.tokens), Vec::<String>::new());
    m.tokens.inc_by(t, p, md, TokenType::Output, 1);
    assert_eq!(
        samples(&m.tokens),
        [
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"output\"} 1",
        ]
    );
}

/// Handles move into spawned tasks and threads.
#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<aigateway_metrics::BoundCounter>();
    send_sync::<aigateway_metrics::BoundCounter<Usd>>();
    send_sync::<aigateway_metrics::BoundHistogram>();
    send_sync::<aigateway_metrics::BoundGauge>();
    send_sync::<aigateway_metrics::BoundGauge<CircuitState>>();
    send_sync::<aigateway_metrics::BoundFloatGauge>();
}

/// The whole exposition of a gateway group, self-metrics included.
fn gateway_exposition(m: &GatewayMetrics) -> String {
    let mut registry = Registry::default();
    m.register(&mut registry);
    encode(&registry, Format::Prometheus)
}

/// A tenant's and a route's series, kept by the gateway, expose exactly
/// what the same records through `GatewayMetrics`' own methods expose,
/// byte for byte, once the tenant and the route are made at zero in both.
#[test]
fn tenant_and_route_series_record_what_the_gateway_methods_record() {
    use aigateway_metrics::Status;
    let (t, p, md) = LABELS;
    let (kept, looked_up) = (GatewayMetrics::default(), GatewayMetrics::default());
    let tenant = kept.tenant_series(t);
    let route = kept.route_series(t, p, md);
    // What making the kept series does to the other group: every series at
    // zero.
    looked_up.init_tenant(t);
    looked_up.set_budget_usage(t, 0.0).unwrap();
    for status in Status::ALL {
        looked_up.requests.inc_by(t, p, md, status, 0);
    }
    looked_up.tokens.inc_by(t, p, md, TokenType::Input, 0);
    looked_up.cost.inc_by(t, p, md, Usd::from_nanos(0));
    looked_up.request_duration.bind(t, p, md);
    looked_up.time_to_first_token.bind(p, md);
    looked_up.time_per_output_token.bind(p, md);
    looked_up.gateway_overhead.bind(p, md);

    for (i, status) in Status::ALL.into_iter().enumerate() {
        let took = Duration::from_millis(40 * i as u64 + 30);
        route.record_request_duration(status, took);
        looked_up.record_request_duration(t, p, md, status, took);
    }
    route.record_request(Status::Success, 2.5).unwrap();
    looked_up
        .record_request(t, p, md, Status::Success, 2.5)
        .unwrap();
    route.record_tokens(12, 40);
    looked_up.record_tokens(t, p, md, 12, 40);
    let cost = Usd::new(0.000_012).unwrap();
    route.record_cost(cost);
    looked_up.cost.inc_by(t, p, md, cost);
    tenant.record_cache_hit();
    looked_up.record_cache_hit(t);
    for _ in 0..2 {
        tenant.record_cache_miss();
        looked_up.record_cache_miss(t);
    }
    tenant.record_rate_limit_hit();
    looked_up.record_rate_limit_hit(t);
    tenant.set_budget_usage(0.75).unwrap();
    looked_up.set_budget_usage(t, 0.75).unwrap();

    let text = gateway_exposition(&kept);
    assert_eq!(text, gateway_exposition(&looked_up));
    for line in [
        "aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"success\"} 2",
        "aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"invalid_request\"} 1",
        "aigateway_request_duration_seconds_count{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"} 7",
        "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"output\"} 40",
        "aigateway_cost_usd_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"} 0.000012",
        "aigateway_cache_misses_total{tenant_id=\"acme\"} 2",
        "aigateway_budget_usage_ratio{tenant_id=\"acme\"} 0.75",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
}

/// A rejected value through a kept series changes nothing and is counted
/// in the family's self-metrics, as through the gateway's methods.
#[test]
fn kept_series_reject_what_the_gateway_methods_reject() {
    use aigateway_metrics::Status;
    let m = GatewayMetrics::default();
    let (t, p, md) = LABELS;
    let (tenant, route) = (m.tenant_series(t), m.route_series(t, p, md));
    tenant.set_budget_usage(0.5).unwrap();
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        tenant.set_budget_usage(bad).unwrap_err();
        route.record_request(Status::Success, bad).unwrap_err();
    }
    let text = gateway_exposition(&m);
    assert!(text.contains("aigateway_budget_usage_ratio{tenant_id=\"acme\"} 0.5\n"));
    assert!(text.contains(
        "aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",status=\"success\"} 0\n"
    ));
    for family in [
        "aigateway_budget_usage_ratio",
        "aigateway_request_duration_seconds",
    ] {
        for reason in ["nan", "infinite", "negative"] {
            let line = format!(
                "aigateway_metrics_rejected_values_total{{family=\"{family}\",reason=\"{reason}\"}} 1"
            );
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }
}
