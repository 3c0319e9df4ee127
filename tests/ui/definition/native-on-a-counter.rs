use aigateway_metrics::Metric;

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total", native(schema = 3))]
struct Requests;

fn main() {}
