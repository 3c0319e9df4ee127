//! [`RequestRecorder`]: a request's status and duration, recorded once, when
//! the request's handler, future or stream is done with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{GatewayMetrics, Model, Provider, RouteSeries, Status, TenantId};
use crate::Exemplar;

/// A request being served. Made when the request starts, given its route
/// (tenant, provider, model) once the handler knows it, and told how the
/// request ended; when dropped, it records the request into
/// `aigateway_requests_total` and `aigateway_request_duration_seconds`,
/// once.
///
/// It owns its series, so it moves into a `'static` stream or a spawned
/// task with the rest of the request's state. The status it records is the
/// last one set; if none was, the request did not finish: `cancelled` (the
/// client went away and the future or stream was dropped), or `error` when
/// dropped by a panic. A recorder never given a route records nothing: a
/// request refused before its labels were known has no series to count in.
///
/// ```
/// use aigateway_metrics::{GatewayMetrics, Model, Provider, RequestRecorder, Status, TenantId};
/// # use aigateway_metrics::prometheus_client::registry::Registry;
///
/// let metrics = GatewayMetrics::default();
/// # let mut registry = Registry::default();
/// # metrics.register(&mut registry);
/// let mut request = RequestRecorder::start();
/// request.set_route(&metrics, TenantId("acme"), Provider("openai"), Model("gpt-4o"));
/// let stream = async move {
///     // ... tokens go to the client; if it disconnects, this future is
///     // dropped here and the request counts as `cancelled` ...
///     request.record_tokens(12, 40);
///     request.set_status(Status::Success);
/// };
/// # drop(stream);
/// # let text = aigateway_metrics::encode(&registry, aigateway_metrics::Format::Prometheus);
/// # assert!(text.contains(r#"aigateway_requests_total{tenant_id="acme",provider="openai",model="gpt-4o",status="cancelled"} 1"#));
/// ```
#[derive(Debug)]
#[must_use = "a request is recorded when its recorder is dropped"]
pub struct RequestRecorder {
    started: Instant,
    route: Option<Route>,
    status: Option<Status>,
    first_token: Option<Instant>,
    upstream: Option<Duration>,
    exemplar: Option<Exemplar>,
}

// Inline rather than boxed: a recorder made per request allocates nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Route {
    Owned(RouteSeries),
    Shared(Arc<RouteSeries>),
}

impl RequestRecorder {
    /// A request starting now.
    pub fn start() -> RequestRecorder {
        RequestRecorder {
            started: Instant::now(),
            route: None,
            status: None,
            first_token: None,
            upstream: None,
            exemplar: None,
        }
    }

    /// Sets the request's route: looks its series up in `metrics`, once, and
    /// binds them: sixteen cells of seven families, each a lookup and a
    /// reference count, where the seed's calls for a request look up five.
    /// A gateway that keeps state per tenant keeps the route's series with
    /// it and uses [`set_route_series`](Self::set_route_series), which
    /// looks nothing up, as `examples/gateway` does.
    pub fn set_route(
        &mut self,
        metrics: &GatewayMetrics,
        tenant_id: TenantId<'_>,
        provider: Provider<'_>,
        model: Model<'_>,
    ) {
        self.route = Some(Route::Owned(
            metrics.route_series(tenant_id, provider, model),
        ));
    }

    /// Sets the request's route to series the gateway keeps (with its
    /// tenant's state, say): no lookup at all.
    pub fn set_route_series(&mut self, series: Arc<RouteSeries>) {
        self.route = Some(Route::Shared(series));
    }

    /// The series of the request's route, once set: to record its tokens
    /// and cost.
    pub fn route(&self) -> Option<&RouteSeries> {
        match self.route.as_ref()? {
            Route::Owned(series) => Some(series),
            Route::Shared(series) => Some(series),
        }
    }

    /// Sets the trace the request is served in (from its `traceparent`
    /// header: [`Exemplar::from_traceparent`], say): its count and its
    /// duration are recorded with it as their exemplar, which OpenMetrics
    /// exposes and Grafana links to the trace.
    pub fn set_exemplar(&mut self, exemplar: Exemplar) {
        self.exemplar = Some(exemplar);
    }

    /// Sets how the request ended; the last status set is recorded.
    pub fn set_status(&mut self, status: Status) {
        self.status = Some(status);
    }

    /// Records the request now, with `status`.
    pub fn finish(mut self, status: Status) {
        self.status = Some(status);
    }

    /// The time since the request started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Records the request's input and output tokens, if its route is set.
    pub fn record_tokens(&self, input: u64, output: u64) {
        if let Some(route) = self.route() {
            route.record_tokens(input, output);
        }
    }

    /// Notes that the first token of a streamed answer is going out now, and
    /// records the time to it; later calls change nothing.
    pub fn first_token(&mut self) {
        if self.first_token.is_some() {
            return;
        }
        let now = Instant::now();
        self.first_token = Some(now);
        if let Some(route) = self.route() {
            route.record_time_to_first_token(now - self.started);
        }
    }

    /// Notes that the last of `tokens` output tokens went out now, and
    /// records the time per token after the first: the time since
    /// [`first_token`](Self::first_token) over `tokens - 1`. Nothing without
    /// a first token, or with fewer than two tokens.
    pub fn last_token(&self, tokens: u64) {
        let (Some(first), Some(route)) = (self.first_token, self.route()) else {
            return;
        };
        if let Some(after_first) = tokens.checked_sub(1).filter(|n| *n > 0) {
            let per_token = first.elapsed().div_f64(after_first as f64);
            route.record_time_per_output_token(per_token);
        }
    }

    /// Sets how long the provider took, so that the time the gateway added
    /// (the request's duration less this) is recorded with the request, and
    /// the provider's time itself as `gen_ai_client_operation_duration_seconds`
    /// when the metrics have the semantic conventions' families.
    pub fn set_upstream_duration(&mut self, took: Duration) {
        self.upstream = Some(took);
    }

    /// Records the request's tokens of every type, if its route is set.
    pub fn record_usage(&self, usage: &super::Usage) {
        if let Some(route) = self.route() {
            route.record_usage(usage);
        }
    }

    /// Records the request's cost, if its route is set.
    pub fn record_cost(&self, usd: crate::Usd) {
        if let Some(route) = self.route() {
            route.record_cost(usd);
        }
    }
}

impl Drop for RequestRecorder {
    fn drop(&mut self) {
        let Some(route) = self.route() else {
            return;
        };
        let status = self.status.unwrap_or(if std::thread::panicking() {
            Status::Error
        } else {
            Status::Cancelled
        });
        let took = self.started.elapsed();
        match &self.exemplar {
            Some(exemplar) => route.record_request_duration_with_exemplar(status, took, exemplar),
            None => route.record_request_duration(status, took),
        }
        if let Some(upstream) = self.upstream {
            route.record_gateway_overhead(took.saturating_sub(upstream));
            route.record_upstream_duration(status, upstream);
        }
    }
}
