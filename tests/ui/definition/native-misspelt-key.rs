use aigateway_metrics::Metric;

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds", native(shema = 3))]
struct Latency;

/// Latency, with the key left bare.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_bare_seconds", native)]
struct Bare;

fn main() {}
