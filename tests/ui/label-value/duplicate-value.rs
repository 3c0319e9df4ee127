use aigateway_metrics::LabelValue;

#[derive(LabelValue)]
enum Outcome {
    Hit,
    #[label(rename = "hit")]
    Stale,
}

fn main() {}
