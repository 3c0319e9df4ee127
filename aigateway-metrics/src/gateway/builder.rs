//! [`GatewayMetricsBuilder`]: the gateway's families under another prefix,
//! or with other request-duration buckets.

use super::GatewayMetrics;
use crate::{DescriptorError, MetricFamily};

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
    otel_semconv: bool,
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

    /// Adds the OpenTelemetry GenAI semantic conventions' families
    /// ([`semconv`](super::semconv)), recorded by the same calls as the
    /// gateway's: `gen_ai_client_token_usage`,
    /// `gen_ai_client_operation_duration_seconds`,
    /// `gen_ai_server_request_duration_seconds`,
    /// `gen_ai_server_time_to_first_token_seconds` and
    /// `gen_ai_server_time_per_output_token_seconds`. Their names are the
    /// conventions', whatever the [`prefix`](Self::prefix).
    pub fn otel_semconv(mut self) -> Self {
        self.otel_semconv = true;
        self
    }

    /// The metrics, or what is wrong with the prefix or the buckets.
    pub fn build(self) -> Result<GatewayMetrics, DescriptorError> {
        let duration = self.duration_buckets.as_deref();
        Ok(GatewayMetrics {
            requests: self.family(None)?,
            request_duration: self.family(duration)?,
            tokens: self.family(None)?,
            cost: self.family(None)?,
            cache_hits: self.family(None)?,
            cache_misses: self.family(None)?,
            rate_limit_hits: self.family(None)?,
            circuit_breaker_state: self.family(None)?,
            provider_errors: self.family(None)?,
            retries: self.family(None)?,
            fallbacks: self.family(None)?,
            active_streams: self.family(None)?,
            budget_usage: self.family(None)?,
            time_to_first_token: self.family(None)?,
            time_per_output_token: self.family(None)?,
            gateway_overhead: self.family(None)?,
            gen_ai_client_token_usage: self.semconv(),
            gen_ai_client_operation_duration: self.semconv(),
            gen_ai_server_request_duration: self.semconv(),
            gen_ai_server_time_to_first_token: self.semconv(),
            gen_ai_server_time_per_output_token: self.semconv(),
        })
    }

    /// Semantic-convention family `F`, if asked for: as declared.
    fn semconv<F: MetricFamily>(&self) -> Option<F> {
        self.otel_semconv.then(F::default)
    }

    /// Family `F` under the builder's prefix, with `buckets` if given.
    fn family<F: MetricFamily>(&self, buckets: Option<&[f64]>) -> Result<F, DescriptorError> {
        let declared = F::DESCRIPTOR;
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
        F::with_descriptor(declared.configured(&name, buckets)?)
    }
}
