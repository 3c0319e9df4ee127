// A group's fields are handles: options belong on the family's declaration.
use aigateway_metrics::gateway::RequestsFamily;
use aigateway_metrics::MetricGroup;

#[derive(MetricGroup)]
struct Mine {
    #[metric(limit = 10)]
    requests: RequestsFamily,
}

fn main() {}
