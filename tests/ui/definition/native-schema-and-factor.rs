use aigateway_metrics::Metric;

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds", native(schema = 3, factor = 1.1))]
struct Latency;

/// Neither.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_other_seconds", native(max_buckets = 100))]
struct Other;

fn main() {}
