use aigateway_metrics::{Metric, TenantId};

/// Unit missing.
#[derive(Metric)]
#[metric(counter, name = "aigateway_a_total", expire_after = "30")]
struct A<'a> {
    tenant_id: TenantId<'a>,
}

/// Zero.
#[derive(Metric)]
#[metric(counter, name = "aigateway_b_total", expire_after = "0h")]
struct B<'a> {
    tenant_id: TenantId<'a>,
}

/// No open-set label: one series, which never expires.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_c", expire_after = "15m")]
struct C;

fn main() {}
