// A counter counts whole units: `f64` is pointed to `Usd` or an integer.
use aigateway_metrics::{Metric, TenantId};

/// Spend.
#[derive(Metric)]
#[metric(counter, name = "aigateway_spend_total", value = f64)]
struct Spend<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {
    SpendFamily::new().inc_by(TenantId("acme"), 0.5);
}
