//! One gateway request's records (count by status, duration, input and
//! output tokens, cost, cache miss), written as a user of each library
//! writes them, over 48, 1,000 and 10,000 routes (tenant, provider, model),
//! each request picking its route by a hash; the live heap each library
//! holds at 10,000 routes; and the exposition of 10,000 tenants.

use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use aigateway_metrics::gateway::{RouteSeries, TenantSeries};
use aigateway_metrics::{GatewayMetrics, Model, Provider, Status, TenantId, Usd};
use criterion::Criterion;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::{bench_threads, live_heap_bytes};

/// The working-set sizes swept.
pub const ROUTES: [usize; 3] = [48, 1_000, 10_000];

/// The libraries, as named in benchmark ids and the report.
pub const LIBRARIES: [&str; 6] = [
    "aigateway_metrics",
    "aigateway_metrics_kept",
    "prometheus_client",
    "prometheus",
    "metrics",
    "measured",
];

/// The seed's request-duration buckets, for every library.
const BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];
/// Four (provider, model) pairs: a route is a tenant and one of them.
const UPSTREAMS: [(&str, &str); 4] = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-3-5-sonnet"),
    ("google", "gemini-1.5-pro"),
];
const COST_USD: f64 = 0.000_012;
const COST_NANO_USD: u64 = 12_000;
const INPUT_TOKENS: u64 = 12;
const OUTPUT_TOKENS: u64 = 40;

/// A route: tenant `n / 4` with upstream `n % 4`.
pub struct Route {
    tenant: String,
    provider: &'static str,
    model: &'static str,
}

pub fn routes(n: usize) -> Vec<Route> {
    (0..n)
        .map(|i| {
            let (provider, model) = UPSTREAMS[i % UPSTREAMS.len()];
            Route {
                tenant: format!("tenant-{:05}", i / UPSTREAMS.len()),
                provider,
                model,
            }
        })
        .collect()
}

/// The route of request `i` of `thread`: a multiplicative hash, so that
/// requests jump across the working set as a gateway's do.
#[inline]
fn pick(routes: usize, thread: usize, i: u64) -> usize {
    let h = (i ^ (thread as u64) << 40).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((h >> 32) as usize * routes) >> 32
}

fn took(i: u64) -> Duration {
    Duration::from_micros(i % 5_000 * 97)
}

// ---- this crate ---------------------------------------------------------------

fn ours(m: &GatewayMetrics, r: &Route, took: Duration) {
    let (t, p, md) = (TenantId(&r.tenant), Provider(r.provider), Model(r.model));
    m.record_request_duration(t, p, md, Status::Success, took);
    m.record_tokens(t, p, md, INPUT_TOKENS, OUTPUT_TOKENS);
    m.record_cost(t, p, md, COST_USD).unwrap();
    m.record_cache_miss(t);
}

/// Each route's series kept, as the example gateway keeps them with the
/// tenant; `record` finds them by the route's index.
pub struct Kept {
    series: Vec<(TenantSeries, Arc<RouteSeries>)>,
    cost: Usd,
}

impl Kept {
    pub fn new(m: &GatewayMetrics, routes: &[Route]) -> Kept {
        let series = routes
            .iter()
            .map(|r| {
                let t = TenantId(&r.tenant);
                let route = m.route_series(t, Provider(r.provider), Model(r.model));
                (m.tenant_series(t), Arc::new(route))
            })
            .collect();
        Kept {
            series,
            cost: Usd::new(COST_USD).unwrap(),
        }
    }

    #[inline]
    fn record(&self, index: usize, took: Duration) {
        let (tenant, route) = &self.series[index];
        route.record_request_duration(Status::Success, took);
        route.record_tokens(INPUT_TOKENS, OUTPUT_TOKENS);
        route.record_cost(self.cost);
        tenant.record_cache_miss();
    }
}

// ---- prometheus-client: label sets built per call ---------------------------------

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum PcStatus {
    Success,
    Error,
    RateLimited,
    BudgetExceeded,
    InvalidRequest,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum PcTokenType {
    Input,
    Output,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcRoute {
    tenant_id: String,
    provider: String,
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcRequest {
    tenant_id: String,
    provider: String,
    model: String,
    status: PcStatus,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcTokens {
    tenant_id: String,
    provider: String,
    model: String,
    r#type: PcTokenType,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcTenant {
    tenant_id: String,
}

type PcHistograms = Family<PcRoute, Histogram, fn() -> Histogram>;

pub struct PrometheusClient {
    requests: Family<PcRequest, Counter>,
    duration: PcHistograms,
    tokens: Family<PcTokens, Counter>,
    cost: Family<PcRoute, Counter<f64, AtomicU64>>,
    cache_misses: Family<PcTenant, Counter>,
}

impl PrometheusClient {
    pub fn new() -> PrometheusClient {
        PrometheusClient {
            requests: Family::default(),
            duration: Family::new_with_constructor(|| Histogram::new(BUCKETS)),
            tokens: Family::default(),
            cost: Family::default(),
            cache_misses: Family::default(),
        }
    }

    fn register(&self, registry: &mut Registry) {
        let r = registry;
        r.register("aigateway_requests", "Requests.", self.requests.clone());
        r.register(
            "aigateway_request_duration_seconds",
            "Latency.",
            self.duration.clone(),
        );
        r.register("aigateway_tokens", "Tokens.", self.tokens.clone());
        r.register("aigateway_cost_usd", "Cost.", self.cost.clone());
        r.register(
            "aigateway_cache_misses",
            "Misses.",
            self.cache_misses.clone(),
        );
    }

    fn record(&self, r: &Route, took: Duration) {
        let route = || PcRoute {
            tenant_id: r.tenant.clone(),
            provider: r.provider.to_owned(),
            model: r.model.to_owned(),
        };
        let tokens = |r#type| PcTokens {
            tenant_id: r.tenant.clone(),
            provider: r.provider.to_owned(),
            model: r.model.to_owned(),
            r#type,
        };
        self.requests
            .get_or_create(&PcRequest {
                tenant_id: r.tenant.clone(),
                provider: r.provider.to_owned(),
                model: r.model.to_owned(),
                status: PcStatus::Success,
            })
            .inc();
        self.duration
            .get_or_create(&route())
            .observe(took.as_secs_f64());
        self.tokens
            .get_or_create(&tokens(PcTokenType::Input))
            .inc_by(INPUT_TOKENS);
        self.tokens
            .get_or_create(&tokens(PcTokenType::Output))
            .inc_by(OUTPUT_TOKENS);
        self.cost.get_or_create(&route()).inc_by(COST_USD);
        self.cache_misses
            .get_or_create(&PcTenant {
                tenant_id: r.tenant.clone(),
            })
            .inc();
    }
}

// ---- prometheus: `with_label_values` ----------------------------------------------

pub struct Prometheus {
    requests: prometheus::IntCounterVec,
    duration: prometheus::HistogramVec,
    tokens: prometheus::IntCounterVec,
    cost: prometheus::CounterVec,
    cache_misses: prometheus::IntCounterVec,
}

impl Prometheus {
    pub fn new() -> Prometheus {
        let route = ["tenant_id", "provider", "model"];
        let opts = prometheus::Opts::new;
        Prometheus {
            requests: prometheus::IntCounterVec::new(
                opts("aigateway_requests_total", "Requests."),
                &["tenant_id", "provider", "model", "status"],
            )
            .unwrap(),
            duration: prometheus::HistogramVec::new(
                prometheus::HistogramOpts::new("aigateway_request_duration_seconds", "Latency.")
                    .buckets(BUCKETS.to_vec()),
                &route,
            )
            .unwrap(),
            tokens: prometheus::IntCounterVec::new(
                opts("aigateway_tokens_total", "Tokens."),
                &["tenant_id", "provider", "model", "type"],
            )
            .unwrap(),
            cost: prometheus::CounterVec::new(opts("aigateway_cost_usd_total", "Cost."), &route)
                .unwrap(),
            cache_misses: prometheus::IntCounterVec::new(
                opts("aigateway_cache_misses_total", "Misses."),
                &["tenant_id"],
            )
            .unwrap(),
        }
    }

    fn record(&self, r: &Route, took: Duration) {
        let (t, p, md) = (r.tenant.as_str(), r.provider, r.model);
        self.requests
            .with_label_values(&[t, p, md, "success"])
            .inc();
        self.duration
            .with_label_values(&[t, p, md])
            .observe(took.as_secs_f64());
        self.tokens
            .with_label_values(&[t, p, md, "input"])
            .inc_by(INPUT_TOKENS);
        self.tokens
            .with_label_values(&[t, p, md, "output"])
            .inc_by(OUTPUT_TOKENS);
        self.cost.with_label_values(&[t, p, md]).inc_by(COST_USD);
        self.cache_misses.with_label_values(&[t]).inc();
    }
}

// ---- metrics: the macros, through the Prometheus exporter's recorder --------------

fn metrics_record(r: &Route, took: Duration) {
    let route = |name: &'static str| {
        (
            name,
            [
                ("tenant_id", r.tenant.clone()),
                ("provider", r.provider.to_owned()),
                ("model", r.model.to_owned()),
            ],
        )
    };
    metrics::counter!(
        "aigateway_requests_total",
        "tenant_id" => r.tenant.clone(),
        "provider" => r.provider,
        "model" => r.model,
        "status" => "success"
    )
    .increment(1);
    let (name, labels) = route("aigateway_request_duration_seconds");
    metrics::histogram!(name, &labels).record(took.as_secs_f64());
    for (kind, n) in [("input", INPUT_TOKENS), ("output", OUTPUT_TOKENS)] {
        metrics::counter!(
            "aigateway_tokens_total",
            "tenant_id" => r.tenant.clone(),
            "provider" => r.provider,
            "model" => r.model,
            "type" => kind
        )
        .increment(n);
    }
    // The macros' counters are integers: the cost in nano-dollars.
    let (name, labels) = route("aigateway_cost_nano_usd_total");
    metrics::counter!(name, &labels).increment(COST_NANO_USD);
    metrics::counter!("aigateway_cache_misses_total", "tenant_id" => r.tenant.clone()).increment(1);
}

fn metrics_recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap()
        .build_recorder()
}

// ---- measured: string labels interned, as its docs do --------------------------------

#[derive(Clone, Copy, measured::FixedCardinalityLabel)]
enum MeasuredStatus {
    Success,
}

#[derive(Clone, Copy, measured::FixedCardinalityLabel)]
enum MeasuredTokenType {
    Input,
    Output,
}

#[derive(measured::LabelGroup)]
#[label(set = MeasuredRequestSet)]
struct MeasuredRequest<'a> {
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    tenant_id: &'a str,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    provider: &'a str,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    model: &'a str,
    status: MeasuredStatus,
}

#[derive(measured::LabelGroup)]
#[label(set = MeasuredRouteSet)]
struct MeasuredRoute<'a> {
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    tenant_id: &'a str,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    provider: &'a str,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    model: &'a str,
}

#[derive(measured::LabelGroup)]
#[label(set = MeasuredTokensSet)]
struct MeasuredTokens<'a> {
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    tenant_id: &'a str,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    provider: &'a str,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    model: &'a str,
    #[label(rename = "type")]
    kind: MeasuredTokenType,
}

#[derive(measured::LabelGroup)]
#[label(set = MeasuredTenantSet)]
struct MeasuredTenant<'a> {
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    tenant_id: &'a str,
}

pub struct Measured {
    requests: measured::CounterVec<MeasuredRequestSet>,
    duration: measured::HistogramVec<MeasuredRouteSet, 10>,
    tokens: measured::CounterVec<MeasuredTokensSet>,
    cost: measured::CounterVec<MeasuredRouteSet>,
    cache_misses: measured::CounterVec<MeasuredTenantSet>,
}

impl Measured {
    pub fn new() -> Measured {
        Measured {
            requests: measured::CounterVec::with_label_set(MeasuredRequestSet::default()),
            duration: measured::HistogramVec::with_label_set_and_metadata(
                MeasuredRouteSet::default(),
                measured::metric::histogram::Thresholds::with_buckets(BUCKETS),
            ),
            tokens: measured::CounterVec::with_label_set(MeasuredTokensSet::default()),
            cost: measured::CounterVec::with_label_set(MeasuredRouteSet::default()),
            cache_misses: measured::CounterVec::with_label_set(MeasuredTenantSet::default()),
        }
    }

    fn record(&self, r: &Route, took: Duration) {
        let (tenant_id, provider, model) = (r.tenant.as_str(), r.provider, r.model);
        let route = || MeasuredRoute {
            tenant_id,
            provider,
            model,
        };
        self.requests.inc(MeasuredRequest {
            tenant_id,
            provider,
            model,
            status: MeasuredStatus::Success,
        });
        self.duration.observe(route(), took.as_secs_f64());
        for (kind, n) in [
            (MeasuredTokenType::Input, INPUT_TOKENS),
            (MeasuredTokenType::Output, OUTPUT_TOKENS),
        ] {
            let labels = MeasuredTokens {
                tenant_id,
                provider,
                model,
                kind,
            };
            self.tokens.inc_by(labels, n);
        }
        self.cost.inc_by(route(), COST_NANO_USD);
        self.cache_misses.inc(MeasuredTenant { tenant_id });
    }
}

// ---- the sweep -----------------------------------------------------------------------

/// Each library's request at each size, on one and two threads, every
/// route recorded once beforehand so that the timed requests find their
/// series (as a gateway's do, once warm).
pub fn bench(c: &mut Criterion) {
    for n in ROUTES {
        let routes = routes(n);
        let rs = &routes;
        let m = GatewayMetrics::default();
        let kept = Kept::new(&m, rs);
        let pc = PrometheusClient::new();
        let prom = Prometheus::new();
        let measured = Measured::new();
        type Record<'a> = Box<dyn Fn(usize, Duration) + Sync + 'a>;
        let libraries: [(&str, Record<'_>); 6] = [
            (
                "aigateway_metrics",
                Box::new(|i, took| ours(&m, &rs[i], took)),
            ),
            (
                "aigateway_metrics_kept",
                Box::new(|i, took| kept.record(i, took)),
            ),
            (
                "prometheus_client",
                Box::new(|i, took| pc.record(&rs[i], took)),
            ),
            ("prometheus", Box::new(|i, took| prom.record(&rs[i], took))),
            ("metrics", Box::new(|i, took| metrics_record(&rs[i], took))),
            (
                "measured",
                Box::new(|i, took| measured.record(&rs[i], took)),
            ),
        ];
        for (library, record) in &libraries {
            (0..n).for_each(|i| record(i, Duration::ZERO));
            bench_threads(c, &format!("sweep_{n}"), library, &|th, i| {
                record(pick(n, th, i), took(i));
            });
        }
    }
}

/// The live heap bytes per route that one library holds with 10,000
/// routes recorded into from two threads, measured while both threads
/// live (their per-thread state included).
fn per_route<L: Sync>(make: impl Fn() -> L, record: impl Fn(&L, &Route) + Sync) -> f64 {
    const N: usize = 10_000;
    let routes = routes(N);
    let bytes = live_heap_bytes(|| {
        let library = make();
        let (ready, measured) = (Barrier::new(3), Barrier::new(3));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    routes.iter().for_each(|r| record(&library, r));
                    ready.wait();
                    measured.wait();
                });
            }
            ready.wait();
            let bytes = crate::live_bytes_now();
            measured.wait();
            bytes
        })
    });
    bytes as f64 / N as f64
}

/// [`per_route`] of each library but kept series (which add their handles
/// to what the lookups hold).
pub fn memory() -> Vec<(&'static str, f64)> {
    let zero = Duration::ZERO;
    vec![
        (
            "aigateway_metrics",
            per_route(GatewayMetrics::default, |m, r| ours(m, r, zero)),
        ),
        (
            "prometheus_client",
            per_route(PrometheusClient::new, |l, r| l.record(r, zero)),
        ),
        (
            "prometheus",
            per_route(Prometheus::new, |l, r| l.record(r, zero)),
        ),
        (
            "metrics",
            per_route(metrics_recorder, |recorder, r| {
                metrics::with_local_recorder(recorder, || metrics_record(r, zero))
            }),
        ),
        (
            "measured",
            per_route(Measured::new, |l, r| l.record(r, zero)),
        ),
    ]
}

/// The exposition of 10,000 tenants, one route each, one request each:
/// this crate's `GatewayMetrics` against prometheus-client holding the same
/// samples (a request series per status, as ours exposes them).
pub fn exposition(c: &mut Criterion) -> Exposition {
    let routes: Vec<Route> = routes(40_000)
        .into_iter()
        .step_by(UPSTREAMS.len())
        .collect();
    assert_eq!(routes.len(), 10_000);
    let took = Duration::from_millis(800);
    let m = GatewayMetrics::default();
    routes.iter().for_each(|r| ours(&m, r, took));
    let mut registry = Registry::default();
    m.register(&mut registry);

    let pc = PrometheusClient::new();
    for r in &routes {
        pc.record(r, took);
        for status in [
            PcStatus::Error,
            PcStatus::RateLimited,
            PcStatus::BudgetExceeded,
            PcStatus::InvalidRequest,
        ] {
            let _ = pc.requests.get_or_create(&PcRequest {
                tenant_id: r.tenant.clone(),
                provider: r.provider.to_owned(),
                model: r.model.to_owned(),
                status,
            });
        }
    }
    let mut pc_registry = Registry::default();
    pc.register(&mut pc_registry);
    let ours_text = || aigateway_metrics::encode(&registry, aigateway_metrics::Format::Prometheus);
    let pc_text = || {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &pc_registry).unwrap();
        out
    };
    c.bench_function("exposition_10k_tenants/aigateway_metrics", |b| {
        b.iter(|| black_box(ours_text()))
    });
    c.bench_function("exposition_10k_tenants/aigateway_metrics_gzip", |b| {
        b.iter(|| black_box(gzip(ours_text().as_bytes())))
    });
    c.bench_function("exposition_10k_tenants/prometheus_client", |b| {
        b.iter(|| black_box(pc_text()))
    });
    let samples = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    let (text, pc_text) = (ours_text(), pc_text());
    Exposition {
        bytes: text.len(),
        gzip_bytes: gzip(text.as_bytes()).len(),
        samples: samples(&text),
        pc_bytes: pc_text.len(),
        pc_samples: samples(&pc_text),
    }
}

/// What the exposition of 10,000 tenants holds.
pub struct Exposition {
    pub bytes: usize,
    pub gzip_bytes: usize,
    pub samples: usize,
    pub pc_bytes: usize,
    pub pc_samples: usize,
}

/// `text` gzipped at flate2's default level, as a scrape answer would be.
fn gzip(text: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text).unwrap();
    encoder.finish().unwrap()
}
