//! [`GatewayMetricsBuilder`]: the gateway's families under another prefix,
//! or with other request-duration buckets.

use super::*;
use crate::{Descriptor, DescriptorError};

/// How to make a [`GatewayMetrics`] other than the default one; from
/// [`GatewayMetrics::builder`].
///
/// ```
/// use aigateway_metrics::GatewayMetrics;
///
/// let metrics = GatewayMetrics::builder()
///     .prefix("myco_")
///     .duration_buckets(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
///     .build()?;
/// assert_eq!(metrics.requests.descriptor().name, "myco_requests_total");
/// assert_eq!(metrics.request_duration.descriptor().buckets.len(), 7);
/// # Ok::<(), aigateway_metrics::DescriptorError>(())
/// ```
///
/// Constant labels (region, instance) need no builder: make the registry
/// with them, `Registry::with_labels(...)`, and every family and
/// self-metric registered into it carries them. So does a prefix added in
/// front of every name, `Registry::with_prefix(...)`; this builder's prefix
/// replaces `aigateway_` instead.
#[derive(Debug, Clone, Default)]
#[must_use = "a builder makes nothing until `build` is called"]
pub struct GatewayMetricsBuilder {
    prefix: Option<String>,
    duration_buckets: Option<Vec<f64>>,
}

impl GatewayMetrics {
    /// A builder of gateway metrics with another prefix or other
    /// request-duration buckets.
    pub fn builder() -> GatewayMetricsBuilder {
        GatewayMetricsBuilder::default()
    }
}

impl GatewayMetricsBuilder {
    /// Names every family with `prefix` in place of `aigateway_`: `myco_`
    /// exposes `myco_requests_total`. The library's self-metrics keep their
    /// names, and the dashboard and rules in this repository name the
    /// default ones.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The bucket bounds of `aigateway_request_duration_seconds`, in
    /// seconds, in place of the seed's (0.1 to 120): finite and strictly
    /// increasing; `+Inf` is added.
    pub fn duration_buckets(mut self, bounds: &[f64]) -> Self {
        self.duration_buckets = Some(bounds.to_vec());
        self
    }

    /// The metrics, or what is wrong with the prefix or the buckets.
    pub fn build(self) -> Result<GatewayMetrics, DescriptorError> {
        let configure = |declared: &'static Descriptor, buckets: Option<&[f64]>| {
            let name = match &self.prefix {
                Some(prefix) => {
                    let rest = declared
                        .name
                        .strip_prefix("aigateway_")
                        .unwrap_or(declared.name);
                    format!("{prefix}{rest}")
                }
                None => declared.name.to_owned(),
            };
            declared.configured(&name, buckets)
        };
        let duration = self.duration_buckets.as_deref();
        Ok(GatewayMetrics {
            requests: RequestsFamily::with_descriptor(configure(
                RequestsFamily::DESCRIPTOR,
                None,
            )?)?,
            request_duration: RequestDurationFamily::with_descriptor(configure(
                RequestDurationFamily::DESCRIPTOR,
                duration,
            )?)?,
            tokens: TokensFamily::with_descriptor(configure(TokensFamily::DESCRIPTOR, None)?)?,
            cost: CostFamily::with_descriptor(configure(CostFamily::DESCRIPTOR, None)?)?,
            cache_hits: CacheHitsFamily::with_descriptor(configure(
                CacheHitsFamily::DESCRIPTOR,
                None,
            )?)?,
            cache_misses: CacheMissesFamily::with_descriptor(configure(
                CacheMissesFamily::DESCRIPTOR,
                None,
            )?)?,
            rate_limit_hits: RateLimitHitsFamily::with_descriptor(configure(
                RateLimitHitsFamily::DESCRIPTOR,
                None,
            )?)?,
            circuit_breaker_state: CircuitBreakerStateFamily::with_descriptor(configure(
                CircuitBreakerStateFamily::DESCRIPTOR,
                None,
            )?)?,
            provider_errors: ProviderErrorsFamily::with_descriptor(configure(
                ProviderErrorsFamily::DESCRIPTOR,
                None,
            )?)?,
            active_streams: ActiveStreamsFamily::with_descriptor(configure(
                ActiveStreamsFamily::DESCRIPTOR,
                None,
            )?)?,
            budget_usage: BudgetUsageFamily::with_descriptor(configure(
                BudgetUsageFamily::DESCRIPTOR,
                None,
            )?)?,
            time_to_first_token: TimeToFirstTokenFamily::with_descriptor(configure(
                TimeToFirstTokenFamily::DESCRIPTOR,
                None,
            )?)?,
            time_per_output_token: TimePerOutputTokenFamily::with_descriptor(configure(
                TimePerOutputTokenFamily::DESCRIPTOR,
                None,
            )?)?,
            gateway_overhead: GatewayOverheadFamily::with_descriptor(configure(
                GatewayOverheadFamily::DESCRIPTOR,
                None,
            )?)?,
        })
    }
}
