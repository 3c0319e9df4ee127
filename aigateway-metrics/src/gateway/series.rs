//! A tenant's series, and a tenant's series for one provider and model,
//! looked up once and kept: for a gateway that keeps state per tenant (a
//! rate limiter, a budget) and can keep these beside it. A record through
//! them is an atomic add into the series' cells (a store, for the budget
//! gauge), with no hashing and no lookup; they are
//! [bound handles](crate::BoundCounter), with the same rules: the series do
//! not expire while they live, and if a family was full when they were
//! made, they record into its overflow series.

use std::time::Duration;

use super::semconv::{Operation, TokenKind};
use super::{
    BudgetUsageFamily, GatewayMetrics, Model, Provider, Status, TenantId, TokenType, Usage,
};
use crate::{BoundCounter, BoundFloatGauge, BoundHistogram, Exemplar, LabelEnum, Usd, ValueError};

/// The series of one tenant: cache hits and misses, rate-limit hits and
/// budget usage. Made by [`GatewayMetrics::tenant_series`].
#[derive(Clone, Debug)]
pub struct TenantSeries {
    cache_hits: BoundCounter,
    cache_misses: BoundCounter,
    rate_limit_hits: BoundCounter,
    budget_usage: BoundFloatGauge,
    /// Where a rejected budget ratio is counted.
    budget_family: BudgetUsageFamily,
}

impl TenantSeries {
    /// Records a request answered from the cache.
    #[inline]
    pub fn record_cache_hit(&self) {
        self.cache_hits.inc();
    }

    /// Records a request the cache could not answer.
    #[inline]
    pub fn record_cache_miss(&self) {
        self.cache_misses.inc();
    }

    /// Records a request refused by the tenant's rate limit.
    #[inline]
    pub fn record_rate_limit_hit(&self) {
        self.rate_limit_hits.inc();
    }

    /// Sets the share of the tenant's budget spent, as
    /// [`GatewayMetrics::set_budget_usage`] does: a NaN, infinite or
    /// negative ratio is rejected and changes nothing.
    pub fn set_budget_usage(&self, ratio: f64) -> Result<(), ValueError> {
        let ratio = ValueError::non_negative(self.budget_family.descriptor().name, ratio)
            .map_err(|e| self.budget_family.count_rejected(e))?;
        self.budget_usage.set(ratio)
    }
}

/// The series of one tenant, provider and model: requests by status,
/// request duration, tokens by type and cost. Made by
/// [`GatewayMetrics::route_series`].
#[derive(Clone, Debug)]
pub struct RouteSeries {
    /// One per status, in [`Status::ALL`] order.
    requests: [BoundCounter; Status::ALL.len()],
    request_duration: BoundHistogram,
    /// One per token type, in [`TokenType::ALL`] order.
    tokens: [BoundCounter; TokenType::ALL.len()],
    cost: BoundCounter<Usd>,
    /// By provider and model, shared by every tenant's route to them.
    time_to_first_token: BoundHistogram,
    time_per_output_token: BoundHistogram,
    gateway_overhead: BoundHistogram,
    /// The semantic conventions' series, when the metrics have them.
    semconv: Option<Box<SemconvSeries>>,
}

/// A route's series of the semantic conventions' families, each if the
/// metrics have it; by provider and model.
#[derive(Clone, Debug)]
struct SemconvSeries {
    /// One per status, as error types, in [`Status::ALL`] order.
    server_request_duration: Option<[BoundHistogram; Status::ALL.len()]>,
    client_operation_duration: Option<[BoundHistogram; Status::ALL.len()]>,
    /// Input, then output.
    token_usage: Option<[BoundHistogram; 2]>,
    time_to_first_token: Option<BoundHistogram>,
    time_per_output_token: Option<BoundHistogram>,
}

impl SemconvSeries {
    fn token_usage(&self, input: u64, output: u64) {
        if let Some([i, o]) = &self.token_usage {
            i.observe(input as f64)
                .expect("a count is finite and not negative");
            o.observe(output as f64)
                .expect("a count is finite and not negative");
        }
    }
}

impl RouteSeries {
    /// Records a finished request: its status, and its duration in seconds,
    /// as [`GatewayMetrics::record_request`] does. A NaN, infinite or
    /// negative duration is rejected and records nothing, not even the
    /// request.
    pub fn record_request(&self, status: Status, seconds: f64) -> Result<(), ValueError> {
        self.request_duration.observe(seconds)?;
        self.requests[status.index()].inc();
        if let Some(semconv) = self.server_request_duration(status) {
            semconv
                .observe(seconds)
                .expect("checked by the first observe");
        }
        Ok(())
    }

    /// Records a finished request whose duration was measured as a
    /// [`Duration`], which is always valid.
    #[inline]
    pub fn record_request_duration(&self, status: Status, duration: Duration) {
        self.request_duration.observe_duration(duration);
        self.requests[status.index()].inc();
        if let Some(semconv) = self.server_request_duration(status) {
            semconv.observe_duration(duration);
        }
    }

    /// Records a finished request, as
    /// [`record_request_duration`](Self::record_request_duration) does,
    /// with `exemplar` (the request's trace) on both its count and its
    /// duration's bucket.
    pub fn record_request_duration_with_exemplar(
        &self,
        status: Status,
        duration: Duration,
        exemplar: &Exemplar,
    ) {
        self.request_duration
            .observe_duration_with_exemplar(duration, exemplar);
        self.requests[status.index()].inc_by_with_exemplar(1, exemplar);
        if let Some(semconv) = self.server_request_duration(status) {
            semconv.observe_duration_with_exemplar(duration, exemplar);
        }
    }

    /// Records the input and output tokens of a request.
    #[inline]
    pub fn record_tokens(&self, input: u64, output: u64) {
        self.tokens[TokenType::Input.index()].inc_by(input);
        self.tokens[TokenType::Output.index()].inc_by(output);
        if let Some(semconv) = self.semconv() {
            semconv.token_usage(input, output);
        }
    }

    /// Records a request's tokens of every type ([`Usage::recorded`]), as
    /// [`GatewayMetrics::record_usage`] does.
    #[inline]
    pub fn record_usage(&self, usage: &Usage) {
        for (token_type, count) in usage.recorded() {
            self.tokens[token_type.index()].inc_by(count);
        }
        if let Some(semconv) = self.semconv() {
            semconv.token_usage(usage.prompt(), usage.completion());
        }
    }

    /// Records the cost of a request, checked already by [`Usd::new`].
    #[inline]
    pub fn record_cost(&self, usd: Usd) {
        self.cost.inc_by(usd);
    }

    /// Records the time from a request to its first streamed token.
    #[inline]
    pub fn record_time_to_first_token(&self, took: Duration) {
        self.time_to_first_token.observe_duration(took);
        if let Some(semconv) = self.semconv().and_then(|s| s.time_to_first_token.as_ref()) {
            semconv.observe_duration(took);
        }
    }

    /// Records the time per output token after the first of a stream.
    #[inline]
    pub fn record_time_per_output_token(&self, took: Duration) {
        self.time_per_output_token.observe_duration(took);
        if let Some(semconv) = self
            .semconv()
            .and_then(|s| s.time_per_output_token.as_ref())
        {
            semconv.observe_duration(took);
        }
    }

    /// Records the time the gateway added to a request: its duration less
    /// the provider's.
    #[inline]
    pub fn record_gateway_overhead(&self, took: Duration) {
        self.gateway_overhead.observe_duration(took);
    }

    /// Records how long the gateway waited on providers for a request that
    /// ended with `status`: `gen_ai_client_operation_duration_seconds`, if
    /// the metrics have the semantic conventions' families (otherwise
    /// nothing).
    #[inline]
    pub fn record_upstream_duration(&self, status: Status, took: Duration) {
        if let Some(by_status) = self
            .semconv()
            .and_then(|s| s.client_operation_duration.as_ref())
        {
            by_status[status.index()].observe_duration(took);
        }
    }

    #[inline]
    fn semconv(&self) -> Option<&SemconvSeries> {
        self.semconv.as_deref()
    }

    /// `gen_ai_server_request_duration_seconds` of a request that ended
    /// with `status`, if the metrics have it.
    #[inline]
    fn server_request_duration(&self, status: Status) -> Option<&BoundHistogram> {
        let by_status = self.semconv()?.server_request_duration.as_ref()?;
        Some(&by_status[status.index()])
    }
}

impl GatewayMetrics {
    /// The series of `tenant_id`, looked up once, to keep with the tenant's
    /// state; see [`TenantSeries`]. It creates the tenant's counters at
    /// zero, as [`GatewayMetrics::init_tenant`] does, and its budget usage
    /// gauge at zero.
    pub fn tenant_series(&self, tenant_id: TenantId<'_>) -> TenantSeries {
        TenantSeries {
            cache_hits: self.cache_hits.bind(tenant_id),
            cache_misses: self.cache_misses.bind(tenant_id),
            rate_limit_hits: self.rate_limit_hits.bind(tenant_id),
            budget_usage: self.budget_usage.bind(tenant_id),
            budget_family: self.budget_usage.clone(),
        }
    }

    /// The series of `tenant_id`'s requests to `model` of `provider`,
    /// looked up once, to keep with the tenant's state; see
    /// [`RouteSeries`]. It creates them, at zero: requests of every status,
    /// the duration histogram, input and output tokens (the other token
    /// types once recorded) and the cost; and the stream timings and
    /// gateway overhead of the provider and model, shared by every
    /// tenant's route to them.
    pub fn route_series(
        &self,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
    ) -> RouteSeries {
        let (t, p, md) = (tenant_id, provider, model);
        RouteSeries {
            requests: Status::ALL.map(|status| self.requests.bind(t, p, md, status)),
            request_duration: self.request_duration.bind(t, p, md),
            tokens: TokenType::ALL.map(|token_type| {
                let tokens = self.tokens.bind(t, p, md, token_type);
                if matches!(token_type, TokenType::Input | TokenType::Output) {
                    tokens.inc_by(0); // exposed from now, at zero
                }
                tokens
            }),
            cost: self.cost.bind(t, p, md),
            time_to_first_token: self.time_to_first_token.bind(p, md),
            time_per_output_token: self.time_per_output_token.bind(p, md),
            gateway_overhead: self.gateway_overhead.bind(p, md),
            semconv: self.semconv_series(p, md),
        }
    }

    /// A route's series of the semantic conventions' families, if the
    /// metrics have any; shared by every tenant of the provider and model.
    fn semconv_series(&self, p: Provider<'_>, md: Model<'_>) -> Option<Box<SemconvSeries>> {
        let op = Operation::Chat;
        let series = SemconvSeries {
            server_request_duration: self
                .gen_ai_server_request_duration
                .as_ref()
                .map(|f| Status::ALL.map(|status| f.bind(op, p, md, status.into()))),
            client_operation_duration: self
                .gen_ai_client_operation_duration
                .as_ref()
                .map(|f| Status::ALL.map(|status| f.bind(op, p, md, status.into()))),
            token_usage: self
                .gen_ai_client_token_usage
                .as_ref()
                .map(|f| [TokenKind::Input, TokenKind::Output].map(|kind| f.bind(op, p, md, kind))),
            time_to_first_token: self
                .gen_ai_server_time_to_first_token
                .as_ref()
                .map(|f| f.bind(op, p, md)),
            time_per_output_token: self
                .gen_ai_server_time_per_output_token
                .as_ref()
                .map(|f| f.bind(op, p, md)),
        };
        let any = series.server_request_duration.is_some()
            || series.client_operation_duration.is_some()
            || series.token_usage.is_some()
            || series.time_to_first_token.is_some()
            || series.time_per_output_token.is_some();
        any.then(|| Box::new(series))
    }
}
