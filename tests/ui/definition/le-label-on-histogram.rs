use aigateway_metrics::Metric;

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds", buckets = [0.1, 1])]
struct Latency<'a> {
    le: &'a str,
}

fn main() {}
