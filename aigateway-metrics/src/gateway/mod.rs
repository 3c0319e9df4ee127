//! The gateway's metric families, and [`GatewayMetrics`], which records them
//! with one call per event, as the gateway's handlers see events.

mod builder;
mod families;
mod labels;
mod request;
pub mod semconv;
mod series;
mod usage;

use std::time::Duration;

pub use builder::GatewayMetricsBuilder;
pub use families::*;
pub use labels::{
    CircuitState, FallbackModel, FallbackProvider, FallbackReason, Model, Provider,
    ProviderErrorType, RetryReason, Status, TenantId, TokenType,
};
pub use request::RequestRecorder;
pub use series::{RouteSeries, TenantSeries};
pub use usage::{Price, Prices, Usage};

use crate::{GaugeGuard, MetricGroup, Usd, ValueError};
use semconv::{Operation, TokenKind};

/// `aigateway_build_info{version, revision} 1`, for the build running:
/// `version` is the gateway's (`env!("CARGO_PKG_VERSION")`), `revision`
/// its source revision (a git commit, passed in at build time). Register it
/// beside the other families; PromQL joins on it to show which build
/// served what.
///
/// ```
/// use aigateway_metrics::prometheus_client::registry::Registry;
///
/// let mut registry = Registry::default();
/// aigateway_metrics::gateway::build_info("1.4.0", "3f2c1ab").register(&mut registry);
/// let text = aigateway_metrics::encode(&registry, aigateway_metrics::Format::Prometheus);
/// assert!(text.contains("aigateway_build_info{version=\"1.4.0\",revision=\"3f2c1ab\"} 1\n"));
/// ```
pub fn build_info(version: &str, revision: &str) -> BuildInfoFamily {
    let family = BuildInfoFamily::new();
    family.set(version, revision, 1);
    family
}

/// Every family of the gateway. Make one, register it into a registry, and
/// share it (by reference or in an `Arc`) with every handler; several can
/// live in one process, each with its own series.
#[derive(MetricGroup, Clone, Debug)]
pub struct GatewayMetrics {
    /// `aigateway_requests_total`.
    pub requests: RequestsFamily,
    /// `aigateway_request_duration_seconds`.
    pub request_duration: RequestDurationFamily,
    /// `aigateway_tokens_total`.
    pub tokens: TokensFamily,
    /// `aigateway_cost_usd_total`.
    pub cost: CostFamily,
    /// `aigateway_cache_hits_total`.
    pub cache_hits: CacheHitsFamily,
    /// `aigateway_cache_misses_total`.
    pub cache_misses: CacheMissesFamily,
    /// `aigateway_rate_limit_hits_total`.
    pub rate_limit_hits: RateLimitHitsFamily,
    /// `aigateway_circuit_breaker_state`.
    pub circuit_breaker_state: CircuitBreakerStateFamily,
    /// `aigateway_provider_errors_total`.
    pub provider_errors: ProviderErrorsFamily,
    /// `aigateway_retries_total`.
    pub retries: RetriesFamily,
    /// `aigateway_fallbacks_total`.
    pub fallbacks: FallbacksFamily,
    /// `aigateway_active_streams`.
    pub active_streams: ActiveStreamsFamily,
    /// `aigateway_budget_usage_ratio`.
    pub budget_usage: BudgetUsageFamily,
    /// `aigateway_time_to_first_token_seconds`.
    pub time_to_first_token: TimeToFirstTokenFamily,
    /// `aigateway_time_per_output_token_seconds`.
    pub time_per_output_token: TimePerOutputTokenFamily,
    /// `aigateway_gateway_overhead_seconds`.
    pub gateway_overhead: GatewayOverheadFamily,
    /// `gen_ai_client_token_usage`, with
    /// [`otel_semconv`](GatewayMetricsBuilder::otel_semconv), as each
    /// `gen_ai_` family below.
    pub gen_ai_client_token_usage: Option<semconv::ClientTokenUsageFamily>,
    /// `gen_ai_client_operation_duration_seconds`.
    pub gen_ai_client_operation_duration: Option<semconv::ClientOperationDurationFamily>,
    /// `gen_ai_server_request_duration_seconds`.
    pub gen_ai_server_request_duration: Option<semconv::ServerRequestDurationFamily>,
    /// `gen_ai_server_time_to_first_token_seconds`.
    pub gen_ai_server_time_to_first_token: Option<semconv::ServerTimeToFirstTokenFamily>,
    /// `gen_ai_server_time_per_output_token_seconds`.
    pub gen_ai_server_time_per_output_token: Option<semconv::ServerTimePerOutputTokenFamily>,
}

impl GatewayMetrics {
    /// Creates a tenant's series of the per-tenant counters at zero: cache
    /// hits and misses, rate-limit hits. Call it when the gateway first sees
    /// a tenant. A counter series that first appears with a value above zero
    /// loses that value in `rate()` and `increase()`, which only see changes
    /// between scrapes.
    pub fn init_tenant(&self, tenant_id: TenantId<'_>) {
        self.cache_hits.inc_by(tenant_id, 0);
        self.cache_misses.inc_by(tenant_id, 0);
        self.rate_limit_hits.inc_by(tenant_id, 0);
    }

    /// Creates a provider's error series, one per error type, at zero; see
    /// [`GatewayMetrics::init_tenant`] for why. Call it for every configured
    /// provider at startup.
    pub fn init_provider(&self, provider: Provider<'_>) {
        // One cell of a series creates all of them: every error type.
        self.provider_errors
            .inc_by(provider, ProviderErrorType::Other, 0);
    }

    /// Records a finished request: its status, and its duration in seconds.
    ///
    /// A NaN, infinite or negative duration is rejected and records nothing,
    /// not even the request.
    pub fn record_request(
        &self,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
        status: Status,
        seconds: f64,
    ) -> Result<(), ValueError> {
        self.request_duration
            .observe(tenant_id, provider, model, seconds)?;
        self.requests.inc(tenant_id, provider, model, status);
        if let Some(semconv) = &self.gen_ai_server_request_duration {
            semconv
                .observe(Operation::Chat, provider, model, status.into(), seconds)
                .expect("checked by the first observe");
        }
        Ok(())
    }

    /// Records a finished request whose duration was measured as a
    /// [`Duration`], which is always valid.
    pub fn record_request_duration(
        &self,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
        status: Status,
        duration: Duration,
    ) {
        self.request_duration
            .observe_duration(tenant_id, provider, model, duration);
        self.requests.inc(tenant_id, provider, model, status);
        if let Some(semconv) = &self.gen_ai_server_request_duration {
            semconv.observe_duration(Operation::Chat, provider, model, status.into(), duration);
        }
    }

    /// Records the input and output tokens of a request.
    pub fn record_tokens(
        &self,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
        input: u64,
        output: u64,
    ) {
        self.tokens.inc_by_each(
            tenant_id,
            provider,
            model,
            [(TokenType::Input, input), (TokenType::Output, output)],
        );
        self.record_token_usage(provider, model, input, output);
    }

    /// Records a request's tokens of every type ([`Usage::recorded`]), with
    /// one lookup.
    pub fn record_usage(
        &self,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
        usage: &Usage,
    ) {
        self.tokens
            .inc_by_each(tenant_id, provider, model, usage.recorded());
        self.record_token_usage(provider, model, usage.prompt(), usage.completion());
    }

    /// `gen_ai_client_token_usage`, if enabled: a request's prompt and
    /// completion tokens.
    #[inline]
    fn record_token_usage(
        &self,
        provider: Provider<'_>,
        model: Model<'_>,
        input: u64,
        output: u64,
    ) {
        if let Some(semconv) = &self.gen_ai_client_token_usage {
            for (kind, tokens) in [(TokenKind::Input, input), (TokenKind::Output, output)] {
                semconv
                    .observe(Operation::Chat, provider, model, kind, tokens as f64)
                    .expect("a token count is finite and not negative");
            }
        }
    }

    /// Records the cost of a request in US dollars, exactly to the
    /// nano-dollar. A NaN, infinite or negative cost is rejected and records
    /// nothing.
    pub fn record_cost(
        &self,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
        usd: f64,
    ) -> Result<(), ValueError> {
        let usd = Usd::new(usd).map_err(|e| self.cost.count_rejected(e))?;
        self.cost.inc_by(tenant_id, provider, model, usd);
        Ok(())
    }

    /// Records a request answered from the cache.
    pub fn record_cache_hit(&self, tenant_id: TenantId<'_>) {
        self.cache_hits.inc(tenant_id);
    }

    /// Records a request the cache could not answer.
    pub fn record_cache_miss(&self, tenant_id: TenantId<'_>) {
        self.cache_misses.inc(tenant_id);
    }

    /// Records a request refused by the tenant's rate limit.
    pub fn record_rate_limit_hit(&self, tenant_id: TenantId<'_>) {
        self.rate_limit_hits.inc(tenant_id);
    }

    /// Sets the state of a provider's circuit breaker.
    pub fn set_circuit_breaker_state(&self, provider: Provider<'_>, state: CircuitState) {
        self.circuit_breaker_state.set(provider, state);
    }

    /// Records a failed call to a provider.
    pub fn record_provider_error(&self, provider: Provider<'_>, error_type: ProviderErrorType) {
        self.provider_errors.inc(provider, error_type);
    }

    /// Records a request asked again of the provider and model that failed
    /// it, for `reason`. Record the failure itself with
    /// [`GatewayMetrics::record_provider_error`].
    pub fn record_retry(&self, provider: Provider<'_>, model: Model<'_>, reason: RetryReason) {
        self.retries.inc(provider, model, reason);
    }

    /// Records a request passed on from the provider and model that failed
    /// it (or whose circuit breaker is open) to a fallback. Count the
    /// request under the route that answers it.
    pub fn record_fallback(
        &self,
        provider: Provider<'_>,
        model: Model<'_>,
        fallback_provider: FallbackProvider<'_>,
        fallback_model: FallbackModel<'_>,
        reason: FallbackReason,
    ) {
        self.fallbacks
            .inc(provider, model, fallback_provider, fallback_model, reason);
    }

    /// Sets the share of the tenant's budget spent: 0.0 to 1.0, and above
    /// 1.0 once over budget. A NaN, infinite or negative ratio is rejected
    /// and changes nothing.
    pub fn set_budget_usage(&self, tenant_id: TenantId<'_>, ratio: f64) -> Result<(), ValueError> {
        let ratio = ValueError::non_negative(self.budget_usage.descriptor().name, ratio)
            .map_err(|e| self.budget_usage.count_rejected(e))?;
        self.budget_usage.set(tenant_id, ratio)
    }

    /// Removes every series of a tenant the gateway no longer serves, its
    /// budget gauge included; returns how many series were removed.
    pub fn forget_tenant(&self, tenant_id: TenantId<'_>) -> usize {
        self.requests.forget_tenant_id(tenant_id)
            + self.request_duration.forget_tenant_id(tenant_id)
            + self.tokens.forget_tenant_id(tenant_id)
            + self.cost.forget_tenant_id(tenant_id)
            + self.cache_hits.forget_tenant_id(tenant_id)
            + self.cache_misses.forget_tenant_id(tenant_id)
            + self.rate_limit_hits.forget_tenant_id(tenant_id)
            + self.budget_usage.forget_tenant_id(tenant_id)
    }

    /// Removes, at each scrape, the series of tenants not seen for `after`,
    /// in every per-tenant family; `None`, the default, keeps them. Choose
    /// `after` well beyond your longest range query: a counter that expires
    /// and comes back starts from zero, which `rate()` reads as a reset.
    pub fn set_tenant_expiry(&self, after: Option<Duration>) {
        self.requests.set_expiry(after);
        self.request_duration.set_expiry(after);
        self.tokens.set_expiry(after);
        self.cost.set_expiry(after);
        self.cache_hits.set_expiry(after);
        self.cache_misses.set_expiry(after);
        self.rate_limit_hits.set_expiry(after);
        self.budget_usage.set_expiry(after);
    }

    /// Counts a stream as active until the returned guard is dropped.
    pub fn stream_started(&self) -> GaugeGuard {
        self.active_streams.track()
    }
}
