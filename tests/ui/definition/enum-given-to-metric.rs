use aigateway_metrics::Metric;

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
enum Requests {
    Ok,
    Failed,
}

fn main() {}
