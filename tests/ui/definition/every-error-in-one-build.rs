use aigateway_metrics::Metric;

#[derive(Metric)]
#[metric(histogram, name = "latency_seconds", buckets = [1, 0.5], colour = "red")]
struct Latency<'a> {
    le: &'a str,
    #[metric(rename = "bad name")]
    model: &'a str,
}

fn main() {}
