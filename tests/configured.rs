//! The gateway's families under another prefix and with other duration
//! buckets: exactly what is exposed, the mistakes refused, and descriptors
//! made once however often they are asked for.
//!
//! Needs `promtool`; `scripts/test.sh` installs it.

mod support;

use aigateway_metrics::gateway::{CostFamily, RequestDurationFamily};
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, DescriptorError, Format, GatewayMetrics, Model, Provider, Status, TenantId,
};

const ROUTE: (TenantId<'static>, Provider<'static>, Model<'static>) =
    (TenantId("acme"), Provider("openai"), Model("gpt-4o"));

#[test]
fn a_prefix_and_buckets_change_exactly_the_names_and_bounds() {
    let metrics = GatewayMetrics::builder()
        .prefix("myco_")
        .duration_buckets(&[0.05, 0.5, 5.0])
        .build()
        .unwrap();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let (t, p, md) = ROUTE;
    for seconds in [0.07, 0.3, 7.0] {
        metrics
            .record_request(t, p, md, Status::Success, seconds)
            .unwrap();
    }
    metrics.record_cost(t, p, md, 0.25).unwrap();
    assert!(metrics
        .record_request(t, p, md, Status::Success, -1.0)
        .is_err());

    let text = encode(&registry, Format::Prometheus);
    let labels = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"";
    for line in [
        format!("myco_requests_total{{{labels},status=\"success\"}} 3"),
        format!("myco_request_duration_seconds_bucket{{{labels},le=\"0.05\"}} 0"),
        format!("myco_request_duration_seconds_bucket{{{labels},le=\"0.5\"}} 2"),
        format!("myco_request_duration_seconds_bucket{{{labels},le=\"5\"}} 2"),
        format!("myco_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 3"),
        format!("myco_request_duration_seconds_count{{{labels}}} 3"),
        format!("myco_cost_usd_total{{{labels}}} 0.25"),
        "aigateway_metrics_rejected_values_total{family=\"myco_request_duration_seconds\",reason=\"negative\"} 1".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
    }
    // Every family is renamed; only the library's self-metrics keep theirs.
    assert!(!text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l.starts_with("aigateway_") && !l.starts_with("aigateway_metrics_")));
    support::assert_promtool_accepts(&text);
}

#[test]
fn bad_prefixes_and_buckets_are_refused() {
    let error =
        |builder: aigateway_metrics::gateway::GatewayMetricsBuilder| builder.build().unwrap_err();
    assert_eq!(
        error(GatewayMetrics::builder().prefix("my-co_")),
        DescriptorError::Name("my-co_requests_total".into())
    );
    assert_eq!(
        error(GatewayMetrics::builder().prefix("9_")),
        DescriptorError::Name("9_requests_total".into())
    );
    for bounds in [&[][..], &[1.0, 0.5], &[0.1, f64::INFINITY], &[0.1, 0.1]] {
        assert_eq!(
            error(GatewayMetrics::builder().duration_buckets(bounds)),
            DescriptorError::Buckets(bounds.to_vec())
        );
    }
    // A descriptor of another family does not fit.
    let cost = CostFamily::DESCRIPTOR
        .configured("myco_cost_usd_total", None)
        .unwrap();
    assert_eq!(
        RequestDurationFamily::with_descriptor(cost).unwrap_err(),
        DescriptorError::Mismatch {
            name: "myco_cost_usd_total".into(),
            declared: "aigateway_request_duration_seconds".into()
        }
    );
    assert_eq!(
        CostFamily::DESCRIPTOR
            .configured("myco_cost_usd", None)
            .unwrap_err(),
        DescriptorError::Total("myco_cost_usd".into())
    );
}

#[test]
fn a_descriptor_is_made_once_for_the_same_values() {
    let declared = RequestDurationFamily::DESCRIPTOR;
    let a = declared.configured("x_seconds", Some(&[1.0, 2.0])).unwrap();
    let b = declared.configured("x_seconds", Some(&[1.0, 2.0])).unwrap();
    let c = declared.configured("x_seconds", Some(&[1.0, 3.0])).unwrap();
    assert!(std::ptr::eq(a, b));
    assert!(!std::ptr::eq(a, c));
    for _ in 0..1_000 {
        GatewayMetrics::builder().prefix("again_").build().unwrap();
    }
    let first = GatewayMetrics::builder().prefix("again_").build().unwrap();
    let second = GatewayMetrics::builder().prefix("again_").build().unwrap();
    assert!(std::ptr::eq(
        first.requests.descriptor(),
        second.requests.descriptor()
    ));
}
