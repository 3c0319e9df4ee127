//! Handles bound to one series: what they record is exposed exactly as the
//! family's own records are, added to them; they keep their series from
//! expiring; made past the series limit, they record into the overflow
//! series; a rejected observation changes nothing and is counted.

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
    encode(&registry, Format::Prometheus)
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
            "aigateway_tokens_total{tenant_id=\"__overflow__\",provider=\"__overflow__\",model=\"__overflow__\",type=\"input\"} 0",
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
    assert_eq!(m.tokens.forget("tenant_id", "acme"), 1);
    output.inc_by(20);
    assert_eq!(samples(&m.tokens), Vec::<String>::new());
    m.tokens.inc_by(t, p, md, TokenType::Output, 1);
    assert_eq!(
        samples(&m.tokens),
        [
            "aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\",type=\"input\"} 0",
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
