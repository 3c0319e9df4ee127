use aigateway_metrics::Metric;

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests {
    attempt: u32,
}

fn main() {}
