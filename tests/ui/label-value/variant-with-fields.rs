use aigateway_metrics::LabelValue;

#[derive(LabelValue)]
enum Outcome {
    Hit,
    Miss(u32),
}

fn main() {}
