use aigateway_metrics::{Metric, Status, TenantId};

/// Not a choice.
#[derive(Metric)]
#[metric(counter, name = "aigateway_a_total", expose = "nonzero")]
struct A<'a> {
    tenant_id: TenantId<'a>,
    status: Status,
}

/// No closed-set label: nothing to choose from.
#[derive(Metric)]
#[metric(counter, name = "aigateway_b_total", expose = "recorded")]
struct B<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {}
