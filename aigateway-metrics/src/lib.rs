//! Typed Prometheus metrics for AI gateways.
//!
//! A metric family is declared as a struct whose fields are its labels; the
//! [`Metric`] derive turns it into a handle whose recording methods take
//! those labels as typed parameters. Swapping two labels, leaving one out or
//! passing a string where an enum goes is a compile error, and so is a bad
//! metric name or bucket list. The families are exposed through
//! [`prometheus_client`]'s registry and encoders, in the Prometheus text
//! format or OpenMetrics.
//!
//! The gateway's own families live in [`gateway`]: use a [`GatewayMetrics`]
//! value per registry, or the process-wide one through the free functions
//! such as [`record_request`]. A gateway that keeps state per tenant can
//! keep the tenant's series with it, looked up once
//! ([`GatewayMetrics::tenant_series`], [`GatewayMetrics::route_series`]),
//! and record a request with no lookup at all.
//!
//! ```
//! use aigateway_metrics::{encode, Format, GatewayMetrics, Model, Provider, Status, TenantId};
//! use prometheus_client::registry::Registry;
//!
//! let metrics = GatewayMetrics::default();
//! let mut registry = Registry::default();
//! metrics.register(&mut registry);
//!
//! let (tenant, provider, model) = (TenantId("acme"), Provider("openai"), Model("gpt-4o"));
//! metrics.record_request(tenant, provider, model, Status::Success, 1.5)?;
//! metrics.record_tokens(tenant, provider, model, 100, 50);
//!
//! let text = encode(&registry, Format::Prometheus);
//! assert!(text.contains(
//!     r#"aigateway_requests_total{tenant_id="acme",provider="openai",model="gpt-4o",status="success"} 1"#
//! ));
//! # Ok::<(), aigateway_metrics::ValueError>(())
//! ```

//!
//! # Features
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `axum` | the `/metrics` endpoint and the tenant extractor (module `axum`) |
//! | `process` | client_golang's process metrics, read with procfs (Linux) |
//! | `protobuf` | Prometheus' protobuf format ([`Format`]), which carries native histograms |
//! | `opentelemetry` | exemplars from the current OpenTelemetry context (`Exemplar::current`) |

#![deny(missing_docs)]

// The derive writes `::aigateway_metrics::...` paths; this crate uses it too.
extern crate self as aigateway_metrics;

#[cfg(feature = "axum")]
pub mod axum;
mod bound;
mod cell;
mod descriptor;
mod exemplar;
mod exposition;
mod family;
pub mod gateway;
pub mod global;
mod guard;
mod handle;
mod label;
mod native;
#[cfg(all(feature = "process", target_os = "linux"))]
pub mod process;
mod series;
mod stats;
mod value;

pub use bound::{BoundCounter, BoundFloatGauge, BoundGauge, BoundHistogram};
pub use descriptor::{
    Descriptor, DescriptorError, Expose, LabelDescriptor, MetricKind, DEFAULT_SERIES_LIMIT,
};
pub use exemplar::Exemplar;
pub use exposition::{encode, encode_bytes, encode_to, Format};
pub use family::{MAX_LABEL_VALUE_LEN, OVERFLOW};
pub use gateway::{
    CircuitState, FallbackModel, FallbackProvider, FallbackReason, GatewayMetrics, Model, Provider,
    ProviderErrorType, RequestRecorder, RetryReason, Status, TenantId, TokenType,
};
pub use global::{
    record_cache_hit, record_cache_miss, record_cost, record_provider_error, record_rate_limit_hit,
    record_request, record_tokens, set_budget_usage, set_circuit_breaker_state, stream_started,
};
pub use guard::{GaugeGuard, HistogramTimer};
pub use handle::MetricFamily;
pub use label::{LabelEnum, LabelStr};
pub use native::Native;
pub use prometheus_client;
pub use stats::FamilyStats;
pub use value::{CounterValue, Reason, Usd, ValueError};

/// Declares a metric family: a struct whose fields are its labels.
///
/// The derive writes a handle type named after the struct with `Family`
/// appended (`Requests` gives `RequestsFamily`), whose recording methods take
/// the labels as parameters, in field order. It also writes the handle's
/// `DESCRIPTOR`, its `register` method and a [`MetricFamily`] impl.
///
/// # Container attributes: `#[metric(...)]` on the struct
///
/// | key | meaning |
/// | --- | --- |
/// | `counter`, `gauge` or `histogram` | the kind; exactly one |
/// | `name = "..."` | the exposition name, in full: a counter's ends in `_total` |
/// | `buckets = [...]` | a histogram's upper bounds: finite, strictly increasing; `+Inf` is added |
/// | `native(schema = N)` or `native(factor = F)` | a histogram's native buckets ([`Native`]), instead of `buckets` or beside them: bounds are powers of `2^(2^-N)`, N from -4 to 8, or of the largest such factor not above F; `max_buckets = M` (160 when not given) bounds the buckets a series exposes, past which it widens to a coarser schema. Exposed in Prometheus' protobuf format (feature `protobuf`); the text formats show their count and sum |
/// | `prefix = "..."` | the prefix every name must start with; `aigateway_` when not given |
/// | `value = T` | what a counter counts ([`CounterValue`]: `u64`, [`Usd`]) or a gauge holds (`i64`, `f64`, or a type with `Into<i64>`) |
/// | `limit = N` | the most combinations of open-set values kept; [`DEFAULT_SERIES_LIMIT`] when not given |
/// | `expire_after = "..."` | series not recorded into for that long are removed, at scrapes: a whole number and a unit, `ms`, `s`, `m`, `h` or `d` (`"30d"`); kept for good when not given. The same as calling `set_expiry` on a new handle |
/// | `expose = "..."` | which closed-set values of a known combination of open-set values are exposed ([`Expose`]): `"all"`, at zero until recorded, when not given; or `"recorded"`, only those recorded into (`inc_by(0)` counts) |
///
/// The first paragraph of the struct's doc comment is the HELP text; a
/// family without one does not compile.
///
/// # Field attributes: `#[metric(...)]` on a field
///
/// | key | meaning |
/// | --- | --- |
/// | `rename = "..."` | the label name, when not the field's name |
///
/// A field whose type has a lifetime is an open-set label ([`LabelStr`]: a
/// `&'a str` or a newtype over one); a field without is a closed-set label
/// ([`LabelEnum`]: an enum with `#[derive(LabelValue)]`).
///
/// # Methods, by kind
///
/// - counter: `inc(labels...)` (for `u64` counters), `inc_by(labels..., value)`,
///   and for families with closed-set labels
///   `inc_by_each(open labels..., [(closed values, value), ...])`, which adds
///   to several closed-set values of one series with one lookup (a tuple of
///   the closed-set values when there are several; an array or any iterator
///   of pairs);
/// - integer gauge: `set(labels..., value)`, and for plain `i64` gauges
///   `inc`, `dec`, `add(labels..., delta)` and `track(labels...)`, which returns
///   a [`GaugeGuard`];
/// - `f64` gauge: `set(labels..., value) -> Result<(), ValueError>`;
/// - histogram: `observe(labels..., value) -> Result<(), ValueError>`,
///   `observe_duration(labels..., Duration)` and `start_timer(labels...)`,
///   which returns a [`HistogramTimer`];
/// - every kind: `bind(labels...)`, which looks the series up once and
///   returns a [`BoundCounter`], [`BoundGauge`], [`BoundFloatGauge`] or
///   [`BoundHistogram`], whose records skip the lookup.
///
/// # Example
///
/// ```
/// use aigateway_metrics::{encode, Format, LabelValue, Metric, Model};
/// use prometheus_client::registry::Registry;
///
/// #[derive(LabelValue)]
/// enum Outcome {
///     Hit,
///     #[label(rename = "miss_expired")]
///     Expired,
/// }
///
/// /// Embedding lookups served from the vector cache.
/// #[derive(Metric)]
/// #[metric(counter, name = "aigateway_embedding_cache_total")]
/// struct EmbeddingCache<'a> {
///     model: Model<'a>,
///     outcome: Outcome,
/// }
///
/// /// Time to embed one batch.
/// #[derive(Metric)]
/// #[metric(histogram, name = "myco_embed_seconds", prefix = "myco_", buckets = [0.01, 0.1, 1])]
/// struct EmbedSeconds<'a> {
///     #[metric(rename = "model_name")]
///     model: &'a str,
/// }
///
/// let cache = EmbeddingCacheFamily::new();
/// let embed = EmbedSecondsFamily::new();
/// let mut registry = Registry::default();
/// cache.register(&mut registry);
/// embed.register(&mut registry);
///
/// cache.inc(Model("text-embedding-3-small"), Outcome::Expired);
/// embed.observe("text-embedding-3-small", 0.05).unwrap();
/// assert!(embed.observe("text-embedding-3-small", f64::NAN).is_err());
///
/// // The families, then the library's self-metrics about them.
/// let text = encode(&registry, Format::Prometheus);
/// let (families, self_metrics) = text.split_at(text.find("# HELP aigateway_metrics_").unwrap());
/// assert!(self_metrics.contains(
///     "aigateway_metrics_rejected_values_total{family=\"myco_embed_seconds\",reason=\"nan\"} 1\n"
/// ));
/// assert_eq!(
///     families,
///     concat!(
///         "# HELP aigateway_embedding_cache_total Embedding lookups served from the vector cache.\n",
///         "# TYPE aigateway_embedding_cache_total counter\n",
///         "aigateway_embedding_cache_total{model=\"text-embedding-3-small\",outcome=\"hit\"} 0\n",
///         "aigateway_embedding_cache_total{model=\"text-embedding-3-small\",outcome=\"miss_expired\"} 1\n",
///         "# HELP myco_embed_seconds Time to embed one batch.\n",
///         "# TYPE myco_embed_seconds histogram\n",
///         "myco_embed_seconds_bucket{model_name=\"text-embedding-3-small\",le=\"0.01\"} 0\n",
///         "myco_embed_seconds_bucket{model_name=\"text-embedding-3-small\",le=\"0.1\"} 1\n",
///         "myco_embed_seconds_bucket{model_name=\"text-embedding-3-small\",le=\"1\"} 1\n",
///         "myco_embed_seconds_bucket{model_name=\"text-embedding-3-small\",le=\"+Inf\"} 1\n",
///         "myco_embed_seconds_sum{model_name=\"text-embedding-3-small\"} 0.05\n",
///         "myco_embed_seconds_count{model_name=\"text-embedding-3-small\"} 1\n",
///     )
/// );
/// ```
///
/// A gauge of an enum value, and a gauge that tracks work in progress:
///
/// ```
/// use aigateway_metrics::{encode, Format, Metric, Provider};
/// use prometheus_client::registry::Registry;
///
/// #[derive(Clone, Copy)]
/// enum Health { Up = 1, Down = 0 }
/// impl From<Health> for i64 {
///     fn from(h: Health) -> i64 { h as i64 }
/// }
///
/// /// Whether the upstream answers its health check.
/// #[derive(Metric)]
/// #[metric(gauge, name = "aigateway_upstream_up", value = Health)]
/// struct UpstreamUp<'a> {
///     provider: Provider<'a>,
/// }
///
/// /// Requests being served.
/// #[derive(Metric)]
/// #[metric(gauge, name = "aigateway_in_flight")]
/// struct InFlight;
///
/// let (up, in_flight) = (UpstreamUpFamily::new(), InFlightFamily::new());
/// let mut registry = Registry::default();
/// up.register(&mut registry);
/// in_flight.register(&mut registry);
///
/// up.set(Provider("openai"), Health::Down);
/// let guard = in_flight.track();
/// assert!(encode(&registry, Format::Prometheus).contains("aigateway_in_flight 1\n"));
/// drop(guard);
/// assert!(encode(&registry, Format::Prometheus).contains("aigateway_in_flight 0\n"));
/// assert!(encode(&registry, Format::Prometheus).contains("aigateway_upstream_up{provider=\"openai\"} 0\n"));
/// ```
///
/// A stream that counts its output tokens chunk by chunk, through a handle
/// bound once when the stream starts, in a family whose idle tenants expire
/// after a day:
///
/// ```
/// use aigateway_metrics::{encode, Format, Metric, Model, TenantId};
/// use prometheus_client::registry::Registry;
///
/// /// Output tokens streamed to clients.
/// #[derive(Metric)]
/// #[metric(counter, name = "aigateway_streamed_tokens_total", expire_after = "1d")]
/// struct StreamedTokens<'a> {
///     tenant_id: TenantId<'a>,
///     model: Model<'a>,
/// }
///
/// let streamed = StreamedTokensFamily::new();
/// let mut registry = Registry::default();
/// streamed.register(&mut registry);
///
/// let tokens = streamed.bind(TenantId("acme"), Model("gpt-4o"));
/// let mut sent = String::new();
/// for chunk in ["Hel", "lo", ", world"] {
///     sent.push_str(chunk); // to the client
///     tokens.inc(); // one token per chunk here: an add, no lookup
/// }
/// drop(tokens); // the stream ended; the series may expire once idle
/// assert!(encode(&registry, Format::Prometheus).contains(
///     "aigateway_streamed_tokens_total{tenant_id=\"acme\",model=\"gpt-4o\"} 3\n"
/// ));
/// ```
pub use aigateway_metrics_derive::Metric;

/// Declares a group of families: a struct whose fields are family handles.
///
/// The derive writes `DESCRIPTORS` (every family's [`Descriptor`], in field
/// order), `register(&self, &mut Registry)`, which registers them all, and
/// [`Default`]. Two families with the same metric name in one group are a
/// compile error.
///
/// Groups and families can share a registry in any number and order
/// (`gateway.register(&mut r); mine.register(&mut r);`): the library's
/// self-metrics, `aigateway_metrics_series_overflow_total` and
/// `aigateway_metrics_rejected_values_total`, are written once per
/// exposition, with a series for every family encoded. [`GatewayMetrics`]
/// is such a group.
///
/// ```
/// use aigateway_metrics::{gateway::RequestsFamily, Metric, MetricGroup};
///
/// /// Answers served by the moderation model.
/// #[derive(Metric)]
/// #[metric(counter, name = "aigateway_moderation_total")]
/// struct Moderation<'a> {
///     tenant_id: aigateway_metrics::TenantId<'a>,
/// }
///
/// #[derive(MetricGroup)]
/// struct MyMetrics {
///     requests: RequestsFamily,
///     moderation: ModerationFamily,
/// }
///
/// let names: Vec<_> = MyMetrics::DESCRIPTORS.iter().map(|d| d.name).collect();
/// assert_eq!(names, ["aigateway_requests_total", "aigateway_moderation_total"]);
/// ```
pub use aigateway_metrics_derive::MetricGroup;

/// Declares a label value type.
///
/// On an enum of unit variants, a closed set ([`LabelEnum`]): each variant's
/// value is its name in snake case (`HalfOpen` is `half_open`), or the
/// `#[label(rename = "...")]` of the variant. On a newtype over a borrowed
/// string, an open set ([`LabelStr`]).
///
/// ```
/// use aigateway_metrics::{LabelEnum, LabelStr, LabelValue};
///
/// #[derive(LabelValue)]
/// enum Route {
///     ChatCompletions,
///     #[label(rename = "embeddings_v1")]
///     Embeddings,
/// }
///
/// #[derive(LabelValue, Clone, Copy)]
/// struct Region<'a>(&'a str);
///
/// assert_eq!(Route::VALUES, ["chat_completions", "embeddings_v1"]);
/// assert_eq!(Route::Embeddings.as_str(), "embeddings_v1");
/// assert_eq!(Region("eu-west-1").as_str(), "eu-west-1");
/// ```
pub use aigateway_metrics_derive::LabelValue;

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What the derived code uses; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::cell::{CounterCell, GaugeCell, HistogramCell};
    pub use crate::family::{Family, SeriesCell};
    pub use prometheus_client::registry::Registry;
    pub use std::sync::Arc;

    use crate::{Descriptor, Expose, MetricKind, ValueError};

    #[inline]
    pub fn finite(quantity: &'static str, value: f64) -> Result<f64, ValueError> {
        ValueError::finite(quantity, value)
    }

    #[inline]
    pub fn non_negative(quantity: &'static str, value: f64) -> Result<f64, ValueError> {
        ValueError::non_negative(quantity, value)
    }

    /// Whether two names are equal; for the group's compile-time check.
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The descriptor of a family whose derive failed; never used at run
    /// time, since the build fails.
    pub const fn fallback_descriptor(name: &'static str) -> Descriptor {
        Descriptor {
            name,
            kind: MetricKind::Counter,
            help: "",
            labels: &[],
            buckets: &[],
            series_limit: 0,
            expose: Expose::All,
            native: None,
        }
    }
}
