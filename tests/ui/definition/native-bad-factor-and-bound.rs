use aigateway_metrics::Metric;

/// Shrinking buckets.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds", native(factor = 0.9))]
struct Latency;

/// Finer than any schema.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_fine_seconds", native(factor = 1.001))]
struct Fine;

/// No room for a bucket pair.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_narrow_seconds", native(factor = 2, max_buckets = 1))]
struct Narrow;

fn main() {}
