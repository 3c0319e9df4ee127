use aigateway_metrics::Metric;

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds", native(schema = 9))]
struct Latency;

/// Tokens.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_tokens", native(schema = 1.5))]
struct Tokens;

fn main() {}
