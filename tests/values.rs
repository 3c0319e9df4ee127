//! Values that make no sense are rejected with a typed error and change
//! nothing; money adds up exactly.

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, Format, GatewayMetrics, Model, Provider, Reason, Status, TenantId, Usd, ValueError,
};

const ACME: TenantId = TenantId("acme");
const OPENAI: Provider = Provider("openai");
const MINI: Model = Model("gpt-4o-mini");

fn exposition(m: &GatewayMetrics) -> String {
    let mut registry = Registry::default();
    m.register(&mut registry);
    encode(&registry, Format::Prometheus)
}

#[test]
fn a_million_small_costs_add_up_exactly() {
    let m = GatewayMetrics::default();
    for _ in 0..1_000_000 {
        m.record_cost(ACME, OPENAI, MINI, 0.000015).unwrap();
    }
    let text = exposition(&m);
    assert!(
        text.contains("aigateway_cost_usd_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\"} 15.0\n"),
        "{text}"
    );
    // The float sum a CAS loop would have kept is not 15.
    let float_sum: f64 = (0..1_000_000).map(|_| 0.000015).sum();
    assert_ne!(float_sum, 15.0);
}

#[test]
fn usd_rounds_to_the_nano_dollar() {
    assert_eq!(Usd::new(0.000015).unwrap().nanos(), 15_000);
    assert_eq!(Usd::new(0.1 + 0.2).unwrap().nanos(), 300_000_000);
    assert_eq!(Usd::new(0.0).unwrap().nanos(), 0);
    assert_eq!(Usd::new(-0.0).unwrap().nanos(), 0);
    assert_eq!(Usd::new(2.4e-10).unwrap().nanos(), 0);
    assert_eq!(
        Usd::new(1e11),
        Err(ValueError {
            quantity: "USD amount",
            value: 1e11,
            reason: Reason::TooLarge
        })
    );
}

#[test]
fn rejected_values_change_nothing() {
    let m = GatewayMetrics::default();
    let empty = exposition(&m);
    let rejected: Vec<(ValueError, Reason)> = vec![
        (
            m.record_cost(ACME, OPENAI, MINI, -0.01).unwrap_err(),
            Reason::Negative,
        ),
        (
            m.record_cost(ACME, OPENAI, MINI, f64::NAN).unwrap_err(),
            Reason::NaN,
        ),
        (
            m.record_cost(ACME, OPENAI, MINI, f64::INFINITY)
                .unwrap_err(),
            Reason::Infinite,
        ),
        (
            m.record_request(ACME, OPENAI, MINI, Status::Success, f64::NAN)
                .unwrap_err(),
            Reason::NaN,
        ),
        (
            m.record_request(ACME, OPENAI, MINI, Status::Success, -1.0)
                .unwrap_err(),
            Reason::Negative,
        ),
        (
            m.record_request(ACME, OPENAI, MINI, Status::Success, f64::INFINITY)
                .unwrap_err(),
            Reason::Infinite,
        ),
        (m.set_budget_usage(ACME, f64::NAN).unwrap_err(), Reason::NaN),
        (
            m.set_budget_usage(ACME, f64::NEG_INFINITY).unwrap_err(),
            Reason::Infinite,
        ),
        (
            m.set_budget_usage(ACME, -0.5).unwrap_err(),
            Reason::Negative,
        ),
        (
            m.request_duration
                .observe(ACME, OPENAI, MINI, -0.001)
                .unwrap_err(),
            Reason::Negative,
        ),
    ];
    for (err, reason) in &rejected {
        assert_eq!(err.reason, *reason, "{err}");
    }
    // Nothing was recorded, not even the request whose duration was bad...
    let without_self_metrics = |text: String| {
        text.lines()
            .filter(|l| !l.contains("aigateway_metrics_rejected_values"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_self_metrics(exposition(&m)),
        without_self_metrics(empty)
    );
    // ...and every rejection was counted, by family and reason.
    let text = exposition(&m);
    let mut counted: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("aigateway_metrics_rejected_values_total{") && !l.ends_with(" 0"))
        .collect();
    counted.sort();
    assert_eq!(
        counted,
        [
            "aigateway_metrics_rejected_values_total{family=\"aigateway_budget_usage_ratio\",reason=\"infinite\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_budget_usage_ratio\",reason=\"nan\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_budget_usage_ratio\",reason=\"negative\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_cost_usd_total\",reason=\"infinite\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_cost_usd_total\",reason=\"nan\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_cost_usd_total\",reason=\"negative\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_request_duration_seconds\",reason=\"infinite\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_request_duration_seconds\",reason=\"nan\"} 1",
            "aigateway_metrics_rejected_values_total{family=\"aigateway_request_duration_seconds\",reason=\"negative\"} 2",
        ]
    );
}

#[test]
fn errors_say_what_was_rejected() {
    let m = GatewayMetrics::default();
    assert_eq!(
        m.record_request(ACME, OPENAI, MINI, Status::Success, -2.0)
            .unwrap_err()
            .to_string(),
        "aigateway_request_duration_seconds: rejected -2: negative"
    );
    assert_eq!(
        m.record_cost(ACME, OPENAI, MINI, f64::NAN)
            .unwrap_err()
            .to_string(),
        "USD amount: rejected NaN: not a number"
    );
    assert_eq!(
        m.set_budget_usage(ACME, f64::INFINITY)
            .unwrap_err()
            .to_string(),
        "aigateway_budget_usage_ratio: rejected inf: infinite"
    );
}

#[test]
fn over_budget_is_shown_as_is() {
    let m = GatewayMetrics::default();
    m.set_budget_usage(ACME, 0.5).unwrap();
    m.set_budget_usage(ACME, 3.75).unwrap();
    assert!(exposition(&m).contains("aigateway_budget_usage_ratio{tenant_id=\"acme\"} 3.75\n"));
}
