//! What an axum gateway needs besides its families (the `axum` feature): a
//! `/metrics` endpoint, and an extractor for the tenant header.
//!
//! ```
//! use aigateway_metrics::axum::{MetricsEndpoint, TenantHeader};
//! use aigateway_metrics::prometheus_client::registry::Registry;
//! use aigateway_metrics::GatewayMetrics;
//! use axum::{routing::post, Router};
//!
//! async fn chat(tenant: TenantHeader) -> String {
//!     format!("hello, {}\n", tenant.id().0)
//! }
//!
//! let metrics = GatewayMetrics::default();
//! let mut registry = Registry::default();
//! metrics.register(&mut registry);
//! let app: Router = Router::new()
//!     .route("/v1/chat/completions", post(chat))
//!     .route("/metrics", MetricsEndpoint::new(registry).into_route());
//! // axum::serve(listener, app) ...
//! ```
//!
//! `examples/axum.rs` is a whole gateway in about a hundred lines: a
//! handler, a stream, and this endpoint.

use std::sync::Arc;
use std::time::Instant;

use ::axum::extract::FromRequestParts;
use ::axum::http::header::{ACCEPT, CONTENT_TYPE, VARY};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, HeaderValue, StatusCode};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{get, MethodRouter};
use prometheus_client::registry::Registry;
use tower_http::compression::CompressionLayer;

use crate::{encode_bytes, Format, LabelValue, Metric, MetricGroup, TenantId};

/// Why a scrape failed: the `cause` label of
/// `aigateway_metrics_scrape_errors_total`.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrapeError {
    /// A collector failed while the body was written (HTTP 500): `encoding`.
    Encoding,
    /// The `Accept` header allows no format the endpoint writes (HTTP 406):
    /// `not_acceptable`.
    NotAcceptable,
}

/// Time to write a scrape's body, in seconds.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_metrics_scrape_duration_seconds",
    expose = "recorded",
    buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
)]
pub struct ScrapeDuration {
    format: Format,
}

/// Size of the last scrape's body before compression, in bytes.
#[derive(Metric)]
#[metric(
    gauge,
    name = "aigateway_metrics_scrape_size_bytes",
    expose = "recorded"
)]
pub struct ScrapeSize {
    format: Format,
}

/// Scrapes answered with an error, by cause.
#[derive(Metric)]
#[metric(counter, name = "aigateway_metrics_scrape_errors_total")]
pub struct ScrapeErrors {
    cause: ScrapeError,
}

/// The `/metrics` endpoint's own families, as client_golang's promhttp
/// has: scrape duration, body size and errors.
#[derive(MetricGroup, Clone, Debug)]
pub struct ScrapeMetrics {
    /// `aigateway_metrics_scrape_duration_seconds{format}`.
    pub duration: ScrapeDurationFamily,
    /// `aigateway_metrics_scrape_size_bytes{format}`.
    pub size: ScrapeSizeFamily,
    /// `aigateway_metrics_scrape_errors_total{cause}`.
    pub errors: ScrapeErrorsFamily,
}

/// A `/metrics` endpoint serving a registry.
///
/// - `GET` answers in the format the `Accept` header asks for
///   ([`Format::negotiate`]): OpenMetrics for Prometheus' default header,
///   protobuf (with the `protobuf` feature) for Prometheus with native
///   histograms on, the Prometheus text format when the header asks for
///   it, names any wildcard or is absent; `406 Not Acceptable` when it
///   allows none.
/// - The route made by [`MetricsEndpoint::into_route`] gzips the body when
///   the scraper accepts it, as Prometheus does (tower-http's
///   `CompressionLayer`): a scrape of 10,000 tenants is about 24 MB of text,
///   0.6 MB gzipped.
/// - `HEAD` answers what `GET` would, without the body (its
///   `Content-Length` is that of the body, so the body is written).
/// - The body is written on tokio's blocking pool, so that a large scrape
///   does not hold up the requests on its worker thread.
/// - Each scrape is counted in the endpoint's own families
///   ([`ScrapeMetrics`]), registered into the registry by
///   [`MetricsEndpoint::new`]: a scrape shows the ones before it.
#[derive(Clone, Debug)]
pub struct MetricsEndpoint {
    registry: Arc<Registry>,
    scrapes: ScrapeMetrics,
}

impl MetricsEndpoint {
    /// An endpoint serving `registry`, with the endpoint's own families
    /// added to it.
    pub fn new(mut registry: Registry) -> MetricsEndpoint {
        let scrapes = ScrapeMetrics::default();
        scrapes.register(&mut registry);
        MetricsEndpoint {
            registry: Arc::new(registry),
            scrapes,
        }
    }

    /// The registry served, the endpoint's own families included.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The endpoint's own families.
    pub fn scrape_metrics(&self) -> &ScrapeMetrics {
        &self.scrapes
    }

    /// The answer to a `GET` with these headers. Must run within a tokio
    /// runtime, as axum handlers do.
    pub async fn respond(&self, headers: &HeaderMap) -> Response {
        let accept = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(format) = Format::negotiate(accept) else {
            self.scrapes.errors.inc(ScrapeError::NotAcceptable);
            let offered: Vec<&str> = Format::ALL.iter().map(|f| f.content_type()).collect();
            let offered = format!("this endpoint answers one of: {}\n", offered.join(", "));
            return (StatusCode::NOT_ACCEPTABLE, offered).into_response();
        };
        let headers = [
            (
                CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (VARY, HeaderValue::from_static("accept")),
        ];
        let registry = Arc::clone(&self.registry);
        let started = Instant::now();
        let written = tokio::task::spawn_blocking(move || encode_bytes(&registry, format)).await;
        match written {
            Ok(Ok(body)) => {
                self.scrapes
                    .duration
                    .observe_duration(format, started.elapsed());
                self.scrapes
                    .size
                    .set(format, i64::try_from(body.len()).unwrap_or(i64::MAX));
                (headers, body).into_response()
            }
            // A collector failed, or panicked.
            Ok(Err(_)) | Err(_) => {
                self.scrapes.errors.inc(ScrapeError::Encoding);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the metrics could not be written\n",
                )
                    .into_response()
            }
        }
    }

    /// The endpoint as an axum route for `GET` (and so `HEAD`), gzipped
    /// when the scraper accepts it: `.route("/metrics", endpoint.into_route())`.
    pub fn into_route<S: Clone + Send + Sync + 'static>(self) -> MethodRouter<S> {
        let endpoint = Arc::new(self);
        get(move |headers: HeaderMap| async move { endpoint.respond(&headers).await })
            .layer(CompressionLayer::new())
    }
}

/// The tenant of a request, from its `x-tenant-id` header: an extractor.
///
/// It holds the header's value, shared with the request rather than copied
/// (no allocation), and is owned, so it moves into a stream or a task. A
/// request without the header, or with an empty one or one that is not
/// visible ASCII, is refused with `400 Bad Request`. For another header,
/// write an extractor of your own in the same few lines.
#[derive(Debug, Clone)]
pub struct TenantHeader(HeaderValue);

impl TenantHeader {
    /// The header read.
    pub const NAME: &'static str = "x-tenant-id";

    /// The tenant, as the `tenant_id` label.
    pub fn id(&self) -> TenantId<'_> {
        TenantId(self.0.to_str().expect("checked when extracted"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TenantHeader {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(TenantHeader::NAME) {
            Some(value) if !value.is_empty() && value.to_str().is_ok() => {
                Ok(TenantHeader(value.clone()))
            }
            _ => Err((
                StatusCode::BAD_REQUEST,
                "the x-tenant-id header names the tenant: it is missing, empty or not visible ASCII\n",
            )),
        }
    }
}
