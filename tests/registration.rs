//! Every way a user puts families and groups into a registry gives an
//! exposition that `promtool check metrics` and the Python client's parsers
//! accept, with one self-metrics series per family registered.
//!
//! Needs `promtool` and Python's `prometheus_client`; `scripts/test.sh`
//! installs both.

mod support;

use std::borrow::Cow;

use aigateway_metrics::gateway::{CacheHitsFamily, RequestsFamily};
use aigateway_metrics::prometheus_client::encoding::text;
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, Metric, MetricGroup, TenantId};
use support::run_with_stdin;

/// Answers served by the moderation model.
#[derive(Metric)]
#[metric(counter, name = "aigateway_moderation_total")]
struct Moderation<'a> {
    tenant_id: TenantId<'a>,
}

/// Documents embedded.
#[derive(Metric)]
#[metric(counter, name = "aigateway_embedded_documents_total")]
struct EmbeddedDocuments;

#[derive(MetricGroup)]
struct Mine {
    moderation: ModerationFamily,
    embedded: EmbeddedDocumentsFamily,
}

/// The `family` label of every `aigateway_metrics_series_overflow_total`
/// series, in the order written, after checking the exposition with
/// promtool and both Python parsers. `overflow` is the series' name as
/// written (a prefixed registry prefixes it).
fn checked(registry: &Registry, overflow: &str) -> Vec<String> {
    let plain = encode(registry, Format::Prometheus);
    support::assert_promtool_accepts(&plain);
    let openmetrics = encode(registry, Format::OpenMetrics);
    for (format, body) in [("text", &plain), ("openmetrics", &openmetrics)] {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/parse_exposition.py"
        );
        let output = run_with_stdin("python3", &[script, format], body);
        assert!(
            output.status.success(),
            "{format} parser failed:\n{}\n{body}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // prometheus-client's encoder used directly writes the same text.
    let mut direct = String::new();
    text::encode(&mut direct, registry).unwrap();
    assert_eq!(direct, openmetrics);
    // So does a second scrape: nothing of the first one is left over.
    assert_eq!(encode(registry, Format::Prometheus), plain);

    let series = format!("{overflow}{{");
    plain
        .lines()
        .filter(|line| line.starts_with(&series))
        .map(|line| {
            let (_, rest) = line.split_once("family=\"").unwrap();
            rest.split('"').next().unwrap().to_owned()
        })
        .collect()
}

fn gateway_names() -> Vec<String> {
    GatewayMetrics::default()
        .descriptors()
        .iter()
        .map(|d| d.name.to_owned())
        .collect()
}

const OVERFLOW: &str = "aigateway_metrics_series_overflow_total";

#[test]
fn one_group() {
    let mut registry = Registry::default();
    GatewayMetrics::default().register(&mut registry);
    assert_eq!(checked(&registry, OVERFLOW), gateway_names());
}

#[test]
fn two_groups_one_after_the_other() {
    let mut registry = Registry::default();
    GatewayMetrics::default().register(&mut registry);
    Mine::default().register(&mut registry);
    let mut expected = gateway_names();
    expected.extend([
        "aigateway_moderation_total".into(),
        "aigateway_embedded_documents_total".into(),
    ]);
    assert_eq!(checked(&registry, OVERFLOW), expected);
}

#[test]
fn one_family_alone() {
    let mut registry = Registry::default();
    let moderation = ModerationFamily::new();
    moderation.register(&mut registry);
    moderation.inc(TenantId("acme"));
    assert_eq!(checked(&registry, OVERFLOW), ["aigateway_moderation_total"]);
}

#[test]
fn families_before_and_after_a_group() {
    let mut registry = Registry::default();
    RequestsFamily::new().register(&mut registry);
    Mine::default().register(&mut registry);
    CacheHitsFamily::new().register(&mut registry);
    assert_eq!(
        checked(&registry, OVERFLOW),
        [
            "aigateway_requests_total",
            "aigateway_moderation_total",
            "aigateway_embedded_documents_total",
            "aigateway_cache_hits_total",
        ]
    );
}

#[test]
fn a_group_in_a_prefixed_sub_registry_beside_one_at_the_top() {
    let mut registry = Registry::default();
    Mine::default().register(&mut registry);
    GatewayMetrics::default().register(registry.sub_registry_with_prefix("eu"));
    assert_eq!(
        checked(&registry, OVERFLOW),
        [
            "aigateway_moderation_total",
            "aigateway_embedded_documents_total"
        ]
    );
    assert_eq!(
        checked(&registry, &format!("eu_{OVERFLOW}")),
        gateway_names()
    );
}

#[test]
fn a_group_under_constant_labels() {
    let mut registry =
        Registry::with_labels([(Cow::Borrowed("region"), Cow::Borrowed("eu-west-1"))].into_iter());
    GatewayMetrics::default().register(&mut registry);
    Mine::default().register(&mut registry);
    let plain = encode(&registry, Format::Prometheus);
    assert!(plain.contains(
        "aigateway_metrics_series_overflow_total{region=\"eu-west-1\",family=\"aigateway_moderation_total\"} 0\n"
    ));
    assert_eq!(checked(&registry, OVERFLOW).len(), 18);
}

#[test]
fn one_family_in_two_registries() {
    let moderation = ModerationFamily::new();
    let (mut a, mut b) = (Registry::default(), Registry::default());
    moderation.register(&mut a);
    GatewayMetrics::default().register(&mut b);
    moderation.register(&mut b);
    assert_eq!(checked(&a, OVERFLOW), ["aigateway_moderation_total"]);
    let mut expected = gateway_names();
    expected.push("aigateway_moderation_total".into());
    assert_eq!(checked(&b, OVERFLOW), expected);
    assert_eq!(checked(&a, OVERFLOW), ["aigateway_moderation_total"]);
}

#[test]
fn a_group_registered_twice_is_written_once() {
    let mut registry = Registry::default();
    let metrics = GatewayMetrics::default();
    metrics.register(&mut registry);
    metrics.register(&mut registry);
    metrics.requests.register(&mut registry);
    assert_eq!(checked(&registry, OVERFLOW), gateway_names());
    let text = encode(&registry, Format::Prometheus);
    assert_eq!(text.matches("# HELP aigateway_requests_total ").count(), 1);
}

#[test]
fn an_empty_registry_writes_no_self_metrics() {
    let registry = Registry::default();
    assert_eq!(encode(&registry, Format::Prometheus), "");
}
