//! A family struct is a declaration, never built nor read by the user: the
//! derive must not leave it with `dead_code` warnings.
#![deny(warnings)]

use aigateway_metrics::{LabelValue, Metric, TenantId};

#[derive(LabelValue)]
enum Tier {
    Free,
    Paid,
}

/// Sign-ups.
#[derive(Metric)]
#[metric(counter, name = "aigateway_signups_total")]
struct Signups<'a> {
    tenant_id: TenantId<'a>,
    tier: Tier,
}

/// Workers.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_workers")]
struct Workers;

fn main() {
    SignupsFamily::new().inc(TenantId("acme"), Tier::Paid);
    WorkersFamily::new().set(3);
}
