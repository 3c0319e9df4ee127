//! Native histograms: declared in `#[metric(...)]`, recorded without a
//! lock, exposed in Prometheus' protobuf format (decoded here with
//! prometheus-client's own types) and, as their count and sum, in the text
//! formats; and, end to end, Prometheus 2.42 with
//! `--enable-feature=native-histograms` scraping them and answering
//! `histogram_quantile` within the schema's error.
//!
//! Needs `prometheus`; `scripts/test.sh` installs it.

mod support;

use std::time::Duration;

use aigateway_metrics::axum::MetricsEndpoint;
use aigateway_metrics::prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::{
    BucketSpan, MetricFamily,
};
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, encode_bytes, Format, Metric, Native};
use prost::Message;
use support::prometheus::Prometheus;
use support::without_self_metrics;

/// A model call's latency, in native buckets only.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_test_latency_seconds", native(schema = 3))]
struct Latency<'a> {
    route: &'a str,
}

/// A call's latency, in classic and native buckets.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_test_both_seconds",
    buckets = [0.5, 1],
    native(factor = 1.1, max_buckets = 40)
)]
struct Both;

/// Tokens of a request, in native buckets that must widen to fit.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_test_tokens",
    native(schema = 8, max_buckets = 20)
)]
struct Tokens;

/// The protobuf families of `registry`, decoded.
fn decoded(registry: &Registry) -> Vec<MetricFamily> {
    let bytes = encode_bytes(registry, Format::Protobuf).unwrap();
    let mut buf = bytes.as_slice();
    let mut families = Vec::new();
    while !buf.is_empty() {
        families.push(MetricFamily::decode_length_delimited(&mut buf).unwrap());
    }
    families
}

fn span(offset: i32, length: u32) -> BucketSpan {
    BucketSpan { offset, length }
}

#[test]
fn the_descriptor_says_what_was_declared() {
    assert_eq!(
        LatencyFamily::DESCRIPTOR.native,
        Some(Native {
            schema: 3,
            max_buckets: 160
        })
    );
    assert!(LatencyFamily::DESCRIPTOR.buckets.is_empty());
    // A factor of 1.1 is schema 3's 1.0905.
    assert_eq!(BothFamily::DESCRIPTOR.native.unwrap().schema, 3);
    assert_eq!(BothFamily::DESCRIPTOR.native.unwrap().max_buckets, 40);
}

/// Powers of two are bucket bounds at every schema: 1 is the upper bound
/// of bucket 0, 2 of bucket 8 at schema 3; 0 is in the zero bucket.
#[test]
fn native_buckets_are_exposed_exactly_in_protobuf_and_as_a_count_in_text() {
    let latency = LatencyFamily::new();
    for value in [1.0, 1.0, 2.0, 0.0] {
        latency.observe("chat", value).unwrap();
    }
    latency.observe("chat", f64::NAN).unwrap_err();
    let mut registry = Registry::default();
    latency.register(&mut registry);

    let families = decoded(&registry);
    let family = families
        .iter()
        .find(|f| f.name == "aigateway_test_latency_seconds")
        .unwrap();
    let histogram = family.metric[0].histogram.as_ref().unwrap();
    assert_eq!(family.metric[0].label[0].name, "route");
    assert_eq!(family.metric[0].label[0].value, "chat");
    assert_eq!(histogram.sample_count, 4);
    assert_eq!(histogram.sample_sum, 4.0);
    assert_eq!(histogram.schema, 3);
    assert_eq!(histogram.zero_count, 1);
    assert_eq!(histogram.zero_threshold, 2f64.powi(-128));
    assert_eq!(histogram.positive_span, [span(0, 1), span(7, 1)]);
    assert_eq!(histogram.positive_delta, [2, -1]);
    assert!(histogram.negative_span.is_empty());

    let text = without_self_metrics(&encode(&registry, Format::Prometheus));
    assert_eq!(
        text,
        "# HELP aigateway_test_latency_seconds A model call's latency, in native buckets only.\n\
         # TYPE aigateway_test_latency_seconds histogram\n\
         aigateway_test_latency_seconds_bucket{route=\"chat\",le=\"+Inf\"} 4\n\
         aigateway_test_latency_seconds_sum{route=\"chat\"} 4.0\n\
         aigateway_test_latency_seconds_count{route=\"chat\"} 4\n"
    );
}

#[test]
fn classic_and_native_buckets_both_count_every_value() {
    let both = BothFamily::new();
    for value in [0.25, 0.75, 1.0, 3.0] {
        both.observe(value).unwrap();
    }
    let mut registry = Registry::default();
    both.register(&mut registry);
    let families = decoded(&registry);
    let histogram = families[0].metric[0].histogram.as_ref().unwrap();
    let classic: Vec<(f64, u64)> = histogram
        .bucket
        .iter()
        .map(|b| (b.upper_bound, b.cumulative_count))
        .collect();
    assert_eq!(classic, [(0.5, 1), (1.0, 3), (f64::INFINITY, 4)]);
    assert_eq!(histogram.sample_count, 4);
    assert_eq!(histogram.schema, 3);
    // 0.25 = 2^-2 is bucket -16; 0.75 is bucket -3 (2^(-4/8) < 0.75 <=
    // 2^(-3/8)); 1 is bucket 0; 3 is bucket 13 (2^(12/8) < 3 <= 2^(13/8)).
    assert_eq!(
        histogram.positive_span,
        [span(-16, 1), span(12, 1), span(2, 1), span(12, 1)]
    );
    assert_eq!(histogram.positive_delta, [1, 0, 0, 0]);

    let text = without_self_metrics(&encode(&registry, Format::OpenMetrics));
    assert!(
        text.contains("aigateway_test_both_seconds_bucket{le=\"1.0\"} 3\n"),
        "{text}"
    );
    assert!(
        text.contains("aigateway_test_both_seconds_count 4\n"),
        "{text}"
    );
}

/// Values spread wider than 20 buckets at schema 8 widen the series to a
/// coarser schema, where they fit in 20; none is lost.
#[test]
fn a_series_past_its_bucket_bound_widens_and_keeps_every_count() {
    let tokens = TokensFamily::new();
    let values: Vec<f64> = (0..2_000)
        .map(|i| 1.0 + f64::from(i % 997) * 13.0)
        .collect();
    for value in &values {
        tokens.observe(*value).unwrap();
    }
    let mut registry = Registry::default();
    tokens.register(&mut registry);
    let families = decoded(&registry);
    let histogram = families[0].metric[0].histogram.as_ref().unwrap();
    assert_eq!(histogram.sample_count, 2_000);
    assert_eq!(histogram.sample_sum, values.iter().sum::<f64>());
    let buckets: u32 = histogram.positive_span.iter().map(|s| s.length).sum();
    let counted: i64 = histogram
        .positive_delta
        .iter()
        .scan(0, |count, delta| {
            *count += delta;
            Some(*count)
        })
        .sum();
    assert_eq!(counted, 2_000);
    // 1 to 12,949 is 13.7 octaves: 20 buckets hold it at schema 0.
    assert_eq!(histogram.schema, 0);
    assert!(buckets <= 20, "{buckets} buckets");
}

#[test]
fn prometheus_with_native_histograms_is_answered_in_protobuf() {
    // What Prometheus 2.42 sends with --enable-feature=native-histograms.
    let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                  encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
                  application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(Format::negotiate(accept), Some(Format::Protobuf));
    assert_eq!(
        Format::negotiate("application/vnd.google.protobuf;proto=other.Message"),
        None
    );
}

/// Serves `registry` at `/metrics` on a thread of its own; its address.
fn serve(registry: Registry) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let app =
                axum::Router::new().route("/metrics", MetricsEndpoint::new(registry).into_route());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender
                .send(listener.local_addr().unwrap().to_string())
                .unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    receiver.recv().unwrap()
}

/// Prometheus scrapes the native histogram in protobuf, and its quantiles
/// of 1,000 recorded latencies are within schema 3's relative error
/// (2^(1/8) - 1, 9.05%) of the values' own.
#[test]
fn prometheus_reads_the_native_histogram_and_its_quantiles_are_within_the_schemas_error() {
    let latency = LatencyFamily::new();
    let mut values: Vec<f64> = (0..1_000).map(|i| 0.005 * 1.007f64.powi(i)).collect();
    for value in &values {
        latency.observe("chat", *value).unwrap();
    }
    let mut registry = Registry::default();
    latency.register(&mut registry);
    let address = serve(registry);
    let dir = tempfile::tempdir().unwrap();
    let prometheus = Prometheus::scraping(
        dir.path(),
        &[&address],
        &["--enable-feature=native-histograms"],
    );
    support::wait_for(
        "a native histogram sample",
        Duration::from_secs(20),
        || match prometheus.try_query("histogram_count(aigateway_test_latency_seconds)") {
            Ok(v) if v.first().map(|s| s.1) == Some(1_000.0) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    assert_eq!(
        prometheus.scalar("histogram_sum(aigateway_test_latency_seconds)"),
        values.iter().sum::<f64>()
    );
    // No classic series: the histogram is native only.
    assert!(prometheus
        .query("aigateway_test_latency_seconds_bucket")
        .is_empty());
    values.sort_by(f64::total_cmp);
    let error = 2f64.powf(1.0 / 8.0) - 1.0;
    for q in [0.5, 0.9, 0.99] {
        let exact = values[(q * values.len() as f64) as usize - 1];
        let estimate = prometheus.scalar(&format!(
            "histogram_quantile({q}, aigateway_test_latency_seconds)"
        ));
        let relative = (estimate - exact).abs() / exact;
        assert!(
            relative <= error,
            "q{q}: {estimate} for {exact}, {relative:.4} > {error:.4}"
        );
    }
}
