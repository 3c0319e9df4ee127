//! A gateway request's records, written once for the benchmark's `request`
//! scenarios and for `examples/cold_requests.rs`, so that both measure the
//! same five calls: through `GatewayMetrics`' methods, which look the labels
//! up, or through each tenant's kept series, as the example gateway records.

use std::time::Duration;

use aigateway_metrics::gateway::{RouteSeries, TenantSeries};
use aigateway_metrics::{GatewayMetrics, Model, Provider, Status, TenantId, Usd};

/// The cost every request records.
const COST_USD: f64 = 0.000_012;

/// 100 tenants, each with its series kept for one route.
pub struct RequestScenario {
    /// The families both ways record into.
    pub metrics: GatewayMetrics,
    tenants: Vec<String>,
    model: &'static str,
    kept: Vec<(TenantSeries, RouteSeries)>,
    /// `COST_USD`, checked once, as a gateway checks a cost before
    /// recording it through kept series.
    cost: Usd,
}

impl RequestScenario {
    /// The tenants, asking `openai` for `model`, with their series bound.
    pub fn new(model: &'static str) -> RequestScenario {
        let metrics = GatewayMetrics::default();
        let tenants: Vec<String> = (0..100).map(|i| format!("tenant-{i}")).collect();
        let kept = tenants
            .iter()
            .map(|t| {
                let t = TenantId(t);
                let route = metrics.route_series(t, Provider("openai"), Model(model));
                (metrics.tenant_series(t), route)
            })
            .collect();
        RequestScenario {
            metrics,
            tenants,
            model,
            kept,
            cost: Usd::new(COST_USD).expect("a valid cost"),
        }
    }

    /// Tenant `n` (modulo their number)'s request records, looked up by
    /// label values.
    #[inline]
    pub fn record(&self, n: usize, took: Duration) {
        let m = &self.metrics;
        let t = TenantId(&self.tenants[n % self.tenants.len()]);
        let (p, md) = (Provider("openai"), Model(self.model));
        m.record_request_duration(t, p, md, Status::Success, took);
        m.record_cache_miss(t);
        m.record_tokens(t, p, md, 12, 40);
        m.record_cost(t, p, md, COST_USD).unwrap();
        m.set_budget_usage(t, 0.25).unwrap();
    }

    /// The same records through tenant `n`'s kept series.
    #[inline]
    pub fn record_kept(&self, n: usize, took: Duration) {
        let (tenant, route) = &self.kept[n % self.kept.len()];
        route.record_request_duration(Status::Success, took);
        tenant.record_cache_miss();
        route.record_tokens(12, 40);
        route.record_cost(self.cost);
        tenant.set_budget_usage(0.25).unwrap();
    }
}
