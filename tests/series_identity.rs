//! Two label tuples that differ never share a series, however their
//! characters are split between the labels.

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, Model, Provider, Status, TenantId};

/// Every way of cutting `text` into three parts, each recorded once as
/// (tenant, provider, model), gives that many series, each counted once.
#[test]
fn every_split_of_the_same_characters_is_its_own_series() {
    let text = "ab:c,d\"e\\f";
    let chars: Vec<char> = text.chars().collect();
    let m = GatewayMetrics::default();
    let mut splits = Vec::new();
    for i in 0..=chars.len() {
        for j in i..=chars.len() {
            let tenant: String = chars[..i].iter().collect();
            let provider: String = chars[i..j].iter().collect();
            let model: String = chars[j..].iter().collect();
            m.requests.inc(
                TenantId(&tenant),
                Provider(&provider),
                Model(&model),
                Status::Success,
            );
            splits.push((tenant, provider, model));
        }
    }
    let mut registry = Registry::default();
    m.requests.register(&mut registry);
    let exposition = encode(&registry, Format::Prometheus);
    let success: Vec<&str> = exposition
        .lines()
        .filter(|l| l.contains("status=\"success\""))
        .collect();
    assert_eq!(success.len(), splits.len());
    assert!(success.iter().all(|l| l.ends_with("} 1")), "{exposition}");
    let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    for (tenant, provider, model) in &splits {
        let line = format!(
            "aigateway_requests_total{{tenant_id=\"{}\",provider=\"{}\",model=\"{}\",status=\"success\"}} 1",
            escape(tenant),
            escape(provider),
            escape(model)
        );
        assert!(success.contains(&line.as_str()), "missing {line}");
    }
}

/// The same values under different labels of one family are different
/// series: a tenant named like a model is not that model.
#[test]
fn the_same_value_in_another_label_is_another_series() {
    let m = GatewayMetrics::default();
    m.requests
        .inc(TenantId("x"), Provider("y"), Model("x"), Status::Success);
    m.requests
        .inc(TenantId("y"), Provider("x"), Model("x"), Status::Success);
    m.requests
        .inc(TenantId("x"), Provider("x"), Model("y"), Status::Success);
    let mut registry = Registry::default();
    m.requests.register(&mut registry);
    let ones = encode(&registry, Format::Prometheus)
        .lines()
        .filter(|l| l.ends_with("} 1"))
        .count();
    assert_eq!(ones, 3);
}
