use aigateway_metrics::Metric;

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests<'a> {
    quantile: &'a str,
}

fn main() {}
