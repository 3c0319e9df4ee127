//! Recording and exposition, this crate next to prometheus-client,
//! prometheus, metrics and measured, on the same scenarios in one run, one and two
//! threads; ends with a table of ns per record and the ratios that
//! `docs/performance.md` reports.
//!
//! ```text
//! cargo bench -p aigateway-metrics-bench --bench recording
//! BENCH_QUICK=1 cargo bench -p aigateway-metrics-bench --bench recording   # under a minute
//! ```

mod sweep;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering::Relaxed};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use aigateway_metrics::{LabelValue, Metric, Model, ProviderErrorType, TenantId};
use criterion::Criterion;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

const BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];
const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];
const MODELS: [&str; 3] = ["gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro"];

// ---- the heap each library holds ----------------------------------------------

/// The system allocator, counting live bytes while [`live_heap_bytes`]
/// runs; otherwise one load of a flag no thread writes, so that libraries
/// that allocate per record pay nothing for it in the timed scenarios.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call goes to `System` unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, counting the heap from its start, and gives what `f` returns:
/// a count it took with [`live_bytes_now`].
fn live_heap_bytes(f: impl FnOnce() -> isize) -> isize {
    LIVE.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let bytes = f();
    COUNTING.store(false, Relaxed);
    bytes
}

/// The bytes allocated and not freed since [`live_heap_bytes`] started.
fn live_bytes_now() -> isize {
    LIVE.load(Relaxed)
}

// ---- this crate's families -------------------------------------------------

#[derive(
    LabelValue,
    Clone,
    Copy,
    Debug,
    Hash,
    PartialEq,
    Eq,
    EncodeLabelValue,
    measured::FixedCardinalityLabel,
)]
enum Upstream {
    OpenAi,
    Anthropic,
}

#[derive(
    LabelValue,
    Clone,
    Copy,
    Debug,
    Hash,
    PartialEq,
    Eq,
    EncodeLabelValue,
    measured::FixedCardinalityLabel,
)]
enum Outcome {
    Success,
    Error,
}

/// Requests, with two string and two enum labels.
#[derive(Metric)]
#[metric(counter, name = "aigateway_bench_requests_total")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
    provider: Upstream,
    model: Model<'a>,
    status: Outcome,
}

/// Request latency.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_bench_latency_seconds",
    buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
)]
struct Latency<'a> {
    tenant_id: TenantId<'a>,
    provider: Upstream,
    model: Model<'a>,
}

/// Request latency, in native buckets (schema 3, factor 1.09).
#[derive(Metric)]
#[metric(histogram, name = "aigateway_bench_native_seconds", native(schema = 3))]
struct NativeLatency<'a> {
    tenant_id: TenantId<'a>,
    provider: Upstream,
    model: Model<'a>,
}

/// Provider errors: enums only.
#[derive(Metric)]
#[metric(counter, name = "aigateway_bench_errors_total")]
struct Errors {
    provider: Upstream,
    error_type: ProviderErrorType,
}

// ---- the peers' label sets ---------------------------------------------------

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcLabels {
    tenant_id: String,
    provider: Upstream,
    model: String,
    status: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcLatencyLabels {
    tenant_id: String,
    provider: Upstream,
    model: String,
}

/// An exemplar's labels for prometheus-client.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PcTraceLabels {
    trace_id: String,
}

// ---- measured's label groups ----------------------------------------------------
// Its string labels are interned in a `ThreadedRodeo`, as its docs do for
// values not known up front; a series is then found by the interned keys.

#[derive(measured::LabelGroup)]
#[label(set = MeasuredRequestsSet)]
struct MeasuredRequests<'a> {
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    tenant_id: &'a str,
    provider: Upstream,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    model: &'a str,
    status: Outcome,
}

#[derive(measured::LabelGroup)]
#[label(set = MeasuredLatencySet)]
struct MeasuredLatency<'a> {
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    tenant_id: &'a str,
    provider: Upstream,
    #[label(dynamic_with = measured::lasso::ThreadedRodeo, default)]
    model: &'a str,
}

/// [`ProviderErrorType`]'s first three values, for measured, whose derive
/// cannot be put on a type of another crate.
#[derive(Clone, Copy, measured::FixedCardinalityLabel)]
enum MeasuredErrorType {
    Timeout,
    ServerError,
    RateLimited,
}

#[derive(measured::LabelGroup)]
#[label(set = MeasuredErrorsSet)]
struct MeasuredErrors {
    provider: Upstream,
    error_type: MeasuredErrorType,
}

/// prometheus-client's key for a tuple: built per record in the "owned key"
/// scenario, as a handler must, and once beforehand in the others.
fn pc_key(x: &Tuple) -> PcLabels {
    PcLabels {
        tenant_id: x.tenant.to_owned(),
        provider: x.provider,
        model: x.model.to_owned(),
        status: x.status,
    }
}

/// How many live series the counter scenarios have.
const SERIES: usize = 48;

/// One label tuple of the 48 live series.
#[derive(Clone, Copy)]
struct Tuple {
    tenant: &'static str,
    provider: Upstream,
    model: &'static str,
    status: Outcome,
}

impl Upstream {
    fn name(self) -> &'static str {
        match self {
            Upstream::OpenAi => "open_ai",
            Upstream::Anthropic => "anthropic",
        }
    }
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Error => "error",
        }
    }
}

fn tuples() -> Vec<Tuple> {
    let mut all = Vec::new();
    for tenant in TENANTS {
        for provider in [Upstream::OpenAi, Upstream::Anthropic] {
            for model in MODELS {
                for status in [Outcome::Success, Outcome::Error] {
                    all.push(Tuple {
                        tenant,
                        provider,
                        model,
                        status,
                    });
                }
            }
        }
    }
    assert_eq!(all.len(), SERIES);
    all
}

// ---- measuring -------------------------------------------------------------------

/// Per-record time with `threads` threads each recording `iters` times:
/// the slowest thread's time, so that each record is counted once per thread.
fn threaded(threads: usize, iters: u64, record: &(dyn Fn(usize, u64) + Sync)) -> Duration {
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters {
                        record(t, i);
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    })
}

/// Adds a benchmark of `record(thread, i)` to `group`, for 1 and 2 threads.
fn bench_threads(c: &mut Criterion, group: &str, name: &str, record: &(dyn Fn(usize, u64) + Sync)) {
    for threads in [1, 2] {
        c.bench_function(&format!("{group}/{threads}t/{name}"), |b| {
            b.iter_custom(|iters| threaded(threads, iters, record))
        });
    }
}

/// The series a thread records into at step `i`: threads walk the 48
/// series from different starting points, as handlers serving different
/// requests do. Every scenario, the atomic add included, picks its series
/// this way, so that they all pay the same for it.
fn step(thread: usize, i: u64) -> usize {
    (i as usize * 7 + thread * 24) % SERIES
}

/// The label tuple of [`step`].
fn pick(tuples: &[Tuple], thread: usize, i: u64) -> Tuple {
    tuples[step(thread, i)]
}

/// The least a record that looks two string labels up can cost in this
/// harness: not a metrics library, a yardstick for the issue's targets.
/// The 48 series are known before the first record, so the table is built
/// once and only read: no thread-local cache, no lock, no insertion, no
/// series limit, no expiry. A record hashes the two strings (two words of
/// each, one multiply per string, no seed), probes the table, compares the
/// strings and adds. Whatever a real family adds to that, a lookup costs at
/// least this much.
struct LookupFloor {
    /// A power of two of slots, most empty: a record finds its series on
    /// the first probe.
    slots: Vec<Option<FloorSeries>>,
    /// Four cells per series: provider times status.
    cells: Vec<AtomicU64>,
}

struct FloorSeries {
    hash: u64,
    tenant: Box<str>,
    model: Box<str>,
    first_cell: usize,
}

impl LookupFloor {
    fn new() -> Self {
        let mut slots: Vec<Option<FloorSeries>> = (0..1024).map(|_| None).collect();
        let mut first_cell = 0;
        for tenant in TENANTS {
            for model in MODELS {
                let hash = floor_hash(tenant, model);
                let mut i = hash as usize % slots.len();
                while slots[i].is_some() {
                    i = (i + 1) % slots.len();
                }
                slots[i] = Some(FloorSeries {
                    hash,
                    tenant: tenant.into(),
                    model: model.into(),
                    first_cell,
                });
                first_cell += 4;
            }
        }
        let cells = (0..first_cell).map(|_| AtomicU64::new(0)).collect();
        LookupFloor { slots, cells }
    }

    #[inline]
    fn inc(&self, tenant: &str, model: &str, cell: usize) {
        let hash = floor_hash(tenant, model);
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match &self.slots[i] {
                Some(s) if s.hash == hash && *s.tenant == *tenant && *s.model == *model => {
                    self.cells[s.first_cell + cell].fetch_add(1, Relaxed);
                    return;
                }
                Some(_) => i = (i + 1) & mask,
                None => unreachable!("the floor's table holds every series recorded"),
            }
        }
    }
}

/// Two strings' hash, each string's from its first and last bytes and its
/// length, independently (so the two multiplies can run at once).
#[inline(always)]
fn floor_hash(a: &str, b: &str) -> u64 {
    fn words(s: &[u8]) -> (u64, u64) {
        let n = s.len();
        match n {
            8.. => (
                u64::from_le_bytes(s[..8].try_into().unwrap()),
                u64::from_le_bytes(s[n - 8..].try_into().unwrap()),
            ),
            4..=7 => (
                u32::from_le_bytes(s[..4].try_into().unwrap()).into(),
                u32::from_le_bytes(s[n - 4..].try_into().unwrap()).into(),
            ),
            1..=3 => (s[0].into(), u64::from(s[n - 1]) << 8 | u64::from(s[n / 2])),
            0 => (0, 0),
        }
    }
    fn fold(x: u64, y: u64) -> u64 {
        let product = u128::from(x) * u128::from(y);
        product as u64 ^ (product >> 64) as u64
    }
    let one = |s: &str, k: u64| {
        let (first, last) = words(s.as_bytes());
        fold(first ^ k ^ s.len() as u64, last ^ 0x082e_fa98_ec4e_6c89)
    };
    fold(
        one(a, 0x243f_6a88_85a3_08d3) ^ one(b, 0x1319_8a2e_0370_7344).rotate_left(29),
        0xa409_3822_299f_31d0,
    )
}

fn counters(c: &mut Criterion) {
    let tuples = tuples();
    let t = &tuples;

    let atomics: Vec<AtomicU64> = (0..SERIES).map(|_| AtomicU64::new(0)).collect();
    bench_threads(c, "counter", "atomic_add", &|th, i| {
        atomics[step(th, i)].fetch_add(1, Relaxed);
    });

    let ours = RequestsFamily::new();
    bench_threads(c, "counter", "aigateway_metrics", &|th, i| {
        let x = pick(t, th, i);
        ours.inc(TenantId(x.tenant), x.provider, Model(x.model), x.status);
    });

    let floor = LookupFloor::new();
    bench_threads(c, "counter", "lookup_floor", &|th, i| {
        let x = pick(t, th, i);
        floor.inc(
            x.tenant,
            x.model,
            x.provider as usize * 2 + x.status as usize,
        );
    });

    // Handles bound to the 48 series ahead of time: no lookup per record.
    let bound: Vec<_> = tuples
        .iter()
        .map(|x| ours.bind(TenantId(x.tenant), x.provider, Model(x.model), x.status))
        .collect();
    bench_threads(c, "counter", "aigateway_metrics_bound", &|th, i| {
        bound[step(th, i)].inc();
    });

    let pc: Family<PcLabels, Counter> = Family::default();
    bench_threads(c, "counter", "prometheus_client_owned_key", &|th, i| {
        let x = pick(t, th, i);
        pc.get_or_create(&pc_key(&x)).inc();
    });

    let keys: Vec<PcLabels> = tuples.iter().map(pc_key).collect();
    bench_threads(c, "counter", "prometheus_client_prebuilt_key", &|th, i| {
        pc.get_or_create(&keys[step(th, i)]).inc();
    });

    let prom = prometheus::IntCounterVec::new(
        prometheus::Opts::new("bench_requests_total", "Requests."),
        &["tenant_id", "provider", "model", "status"],
    )
    .unwrap();
    bench_threads(c, "counter", "prometheus", &|th, i| {
        let x = pick(t, th, i);
        prom.with_label_values(&[x.tenant, x.provider.name(), x.model, x.status.name()])
            .inc();
    });

    let measured = measured::CounterVec::with_label_set(MeasuredRequestsSet::default());
    bench_threads(c, "counter", "measured", &|th, i| {
        let x = pick(t, th, i);
        measured.inc(MeasuredRequests {
            tenant_id: x.tenant,
            provider: x.provider,
            model: x.model,
            status: x.status,
        });
    });

    bench_threads(c, "counter", "metrics", &|th, i| {
        let x = pick(t, th, i);
        metrics::counter!(
            "bench_requests_total",
            "tenant_id" => x.tenant.to_owned(),
            "provider" => x.provider.name(),
            "model" => x.model.to_owned(),
            "status" => x.status.name()
        )
        .increment(1);
    });
}

fn histograms(c: &mut Criterion) {
    let tuples = tuples();
    let t = &tuples;
    let value = |i: u64| (i % 1000) as f64 / 10.0;

    let ours = LatencyFamily::new();
    bench_threads(c, "histogram", "aigateway_metrics", &|th, i| {
        let x = pick(t, th, i);
        ours.observe(TenantId(x.tenant), x.provider, Model(x.model), value(i))
            .unwrap();
    });

    let bound: Vec<_> = tuples
        .iter()
        .map(|x| ours.bind(TenantId(x.tenant), x.provider, Model(x.model)))
        .collect();
    bench_threads(c, "histogram", "aigateway_metrics_bound", &|th, i| {
        bound[step(th, i)].observe(value(i)).unwrap();
    });

    let native = NativeLatencyFamily::new();
    bench_threads(c, "histogram", "aigateway_metrics_native", &|th, i| {
        let x = pick(t, th, i);
        native
            .observe(TenantId(x.tenant), x.provider, Model(x.model), value(i))
            .unwrap();
    });
    let native_bound: Vec<_> = tuples
        .iter()
        .map(|x| native.bind(TenantId(x.tenant), x.provider, Model(x.model)))
        .collect();
    bench_threads(
        c,
        "histogram",
        "aigateway_metrics_bound_native",
        &|th, i| {
            native_bound[step(th, i)].observe(value(i)).unwrap();
        },
    );

    // With an exemplar: a request's trace, as a gateway has it per request.
    let exemplar = |i: u64| {
        let mut trace_id = [7; 16];
        trace_id[..8].copy_from_slice(&i.to_le_bytes());
        aigateway_metrics::Exemplar::new(trace_id, (i | 1).to_le_bytes()).unwrap()
    };
    bench_threads(c, "histogram", "aigateway_metrics_exemplar", &|th, i| {
        let x = pick(t, th, i);
        ours.observe_with_exemplar(
            TenantId(x.tenant),
            x.provider,
            Model(x.model),
            value(i),
            &exemplar(i),
        )
        .unwrap();
    });
    bench_threads(
        c,
        "histogram",
        "aigateway_metrics_bound_exemplar",
        &|th, i| {
            bound[step(th, i)]
                .observe_with_exemplar(value(i), &exemplar(i))
                .unwrap();
        },
    );

    let pc: Family<PcLatencyLabels, Histogram> =
        Family::new_with_constructor(|| Histogram::new(BUCKETS.iter().copied()));
    let pc_latency_key = |x: &Tuple| PcLatencyLabels {
        tenant_id: x.tenant.to_owned(),
        provider: x.provider,
        model: x.model.to_owned(),
    };
    bench_threads(c, "histogram", "prometheus_client_owned_key", &|th, i| {
        let x = pick(t, th, i);
        pc.get_or_create(&pc_latency_key(&x)).observe(value(i));
    });
    let keys: Vec<PcLatencyLabels> = tuples.iter().map(pc_latency_key).collect();
    bench_threads(
        c,
        "histogram",
        "prometheus_client_prebuilt_key",
        &|th, i| {
            pc.get_or_create(&keys[step(th, i)]).observe(value(i));
        },
    );

    // prometheus-client's native histogram, at the same schema.
    let pc_native: Family<PcLatencyLabels, Histogram> = Family::new_with_constructor(|| {
        Histogram::new_native(
            prometheus_client::metrics::histogram::NativeHistogramConfig::with_schema(3),
        )
    });
    bench_threads(c, "histogram", "prometheus_client_native", &|th, i| {
        let x = pick(t, th, i);
        pc_native
            .get_or_create(&pc_latency_key(&x))
            .observe(value(i));
    });

    // prometheus-client's exemplar histogram, whose exemplar labels its
    // users build per record, the trace id as a string.
    let pc_exemplar: Family<PcLatencyLabels, HistogramWithExemplars<PcTraceLabels>> =
        Family::new_with_constructor(|| HistogramWithExemplars::new(BUCKETS.iter().copied()));
    bench_threads(c, "histogram", "prometheus_client_exemplar", &|th, i| {
        let x = pick(t, th, i);
        let trace = PcTraceLabels {
            trace_id: exemplar(i).to_string(),
        };
        pc_exemplar
            .get_or_create(&pc_latency_key(&x))
            .observe(value(i), Some(trace), None);
    });

    let prom = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("bench_latency_seconds", "Latency.")
            .buckets(BUCKETS.to_vec()),
        &["tenant_id", "provider", "model"],
    )
    .unwrap();
    bench_threads(c, "histogram", "prometheus", &|th, i| {
        let x = pick(t, th, i);
        prom.with_label_values(&[x.tenant, x.provider.name(), x.model])
            .observe(value(i));
    });

    let measured = measured::HistogramVec::with_label_set_and_metadata(
        MeasuredLatencySet::default(),
        measured::metric::histogram::Thresholds::with_buckets(BUCKETS),
    );
    bench_threads(c, "histogram", "measured", &|th, i| {
        let x = pick(t, th, i);
        let labels = MeasuredLatency {
            tenant_id: x.tenant,
            provider: x.provider,
            model: x.model,
        };
        measured.observe(labels, value(i));
    });
}

fn enums_only(c: &mut Criterion) {
    let types = [
        ProviderErrorType::Timeout,
        ProviderErrorType::ServerError,
        ProviderErrorType::RateLimited,
    ];
    let ours = ErrorsFamily::new();
    bench_threads(c, "enum_counter", "aigateway_metrics", &|th, i| {
        let provider = if (i as usize + th).is_multiple_of(2) {
            Upstream::OpenAi
        } else {
            Upstream::Anthropic
        };
        ours.inc(provider, types[i as usize % 3]);
    });
    let measured = measured::CounterVec::with_label_set(MeasuredErrorsSet::default());
    let measured_types = [
        MeasuredErrorType::Timeout,
        MeasuredErrorType::ServerError,
        MeasuredErrorType::RateLimited,
    ];
    bench_threads(c, "enum_counter", "measured", &|th, i| {
        let provider = if (i as usize + th).is_multiple_of(2) {
            Upstream::OpenAi
        } else {
            Upstream::Anthropic
        };
        measured.inc(MeasuredErrors {
            provider,
            error_type: measured_types[i as usize % 3],
        });
    });
    let atomics: Vec<AtomicU64> = (0..14).map(|_| AtomicU64::new(0)).collect();
    bench_threads(c, "enum_counter", "atomic_add", &|th, i| {
        atomics[((i as usize + th) % 2) * 7 + i as usize % 3].fetch_add(1, Relaxed);
    });
}

// ---- the report ----------------------------------------------------------------------

fn criterion_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
}

/// The median of a benchmark, in ns, from criterion's estimates.
fn median_ns(id: &str) -> f64 {
    let path = criterion_dir()
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let path = if path.exists() {
        path
    } else {
        criterion_dir().join(id).join("new/estimates.json")
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["median"]["point_estimate"].as_f64().unwrap()
}

/// The ratios the gateway-scale targets are set as, at every size and
/// thread count: (what, numerator, denominator, target, at least).
const SWEEP_TARGETS: [(&str, &str, &str, f64, bool); 3] = [
    (
        "prometheus / ours, looked up",
        "prometheus",
        "aigateway_metrics",
        2.0,
        true,
    ),
    (
        "prometheus-client / ours, looked up",
        "prometheus_client",
        "aigateway_metrics",
        3.0,
        true,
    ),
    (
        "prometheus / ours, kept",
        "prometheus",
        "aigateway_metrics_kept",
        5.0,
        true,
    ),
];

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The results section of `docs/performance.md`, from this run.
fn report(memory: &[(&str, f64)], exposition: &sweep::Exposition) -> String {
    use std::fmt::Write;
    let ns = |id: &str| median_ns(id);
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown processor".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(
        out,
        "Commit {}, {}, {cores} cores, {}{}.\n",
        command_output("git", &["rev-parse", "--short", "HEAD"]),
        cpu,
        command_output("date", &["-u", "+%Y-%m-%d"]),
        if std::env::var_os("BENCH_QUICK").is_some() {
            ", BENCH_QUICK"
        } else {
            ""
        },
    );

    let _ = writeln!(
        out,
        "### A request, by working set: ns per request per thread (median)\n"
    );
    let _ = writeln!(out, "| routes | library | 1 thread | 2 threads | 2t / 1t |");
    let _ = writeln!(out, "| ---: | --- | ---: | ---: | ---: |");
    let sweep = |n: usize, lib: &str, t: usize| ns(&format!("sweep_{n}/{t}t/{lib}"));
    for n in sweep::ROUTES {
        for lib in sweep::LIBRARIES {
            let (one, two) = (sweep(n, lib, 1), sweep(n, lib, 2));
            let _ = writeln!(
                out,
                "| {n} | {lib} | {one:.1} | {two:.1} | {:.2} |",
                two / one
            );
        }
    }

    let _ = writeln!(out, "\n### Ratios against the targets\n");
    let _ = writeln!(
        out,
        "| ratio | target | 48, 1t | 48, 2t | 1,000, 1t | 1,000, 2t | 10,000, 1t | 10,000, 2t |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let cells = |f: &dyn Fn(usize, usize) -> f64, target: f64, at_least: bool| {
        let mut row = String::new();
        for n in sweep::ROUTES {
            for t in [1, 2] {
                let v = f(n, t);
                let met = if at_least { v >= target } else { v <= target };
                let _ = write!(row, " {v:.2}{} |", if met { "" } else { " ✗" });
            }
        }
        row
    };
    for (what, num, den, target, at_least) in SWEEP_TARGETS {
        let row = cells(
            &|n, t| sweep(n, num, t) / sweep(n, den, t),
            target,
            at_least,
        );
        let _ = writeln!(out, "| {what} | ≥ {target} |{row}");
    }
    for lib in ["aigateway_metrics", "aigateway_metrics_kept"] {
        let mut row = String::new();
        for n in sweep::ROUTES {
            let v = sweep(n, lib, 2) / sweep(n, lib, 1);
            let _ = write!(row, " | {v:.2}{}", if v <= 1.3 { "" } else { " ✗" });
        }
        let _ = writeln!(
            out,
            "| {lib}: 2 threads / 1 thread | ≤ 1.3 | {} |",
            &row[3..].replace(" | ", " | | ")
        );
    }
    for t in [1, 2] {
        let v = ns(&format!("counter/{t}t/aigateway_metrics_bound"))
            / ns(&format!("counter/{t}t/atomic_add"));
        let _ = writeln!(
            out,
            "| bound counter / atomic add, 48 series, {t}t | ≤ 1.2 | {v:.2}{} | | | | | |",
            if v <= 1.2 { "" } else { " ✗" }
        );
    }

    let _ = writeln!(
        out,
        "\n### Memory at 10,000 routes, two recording threads\n"
    );
    let _ = writeln!(
        out,
        "| library | live heap bytes per route | / prometheus-client |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: |");
    let pc = memory
        .iter()
        .find(|(l, _)| *l == "prometheus_client")
        .map_or(f64::NAN, |m| m.1);
    for (lib, bytes) in memory {
        let _ = writeln!(out, "| {lib} | {bytes:.0} | {:.2} |", bytes / pc);
    }

    let _ = writeln!(out, "\n### Exposition of 10,000 tenants (one route each)\n");
    let e = exposition;
    let (ours, gz, pcn) = (
        ns("exposition_10k_tenants/aigateway_metrics"),
        ns("exposition_10k_tenants/aigateway_metrics_gzip"),
        ns("exposition_10k_tenants/prometheus_client"),
    );
    let _ = writeln!(out, "| | samples | bytes | ms |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    let _ = writeln!(
        out,
        "| aigateway_metrics, text | {} | {} | {:.1} |",
        e.samples,
        e.bytes,
        ours / 1e6
    );
    let _ = writeln!(
        out,
        "| aigateway_metrics, gzipped | {} | {} ({:.1}x smaller) | {:.1} |",
        e.samples,
        e.gzip_bytes,
        e.bytes as f64 / e.gzip_bytes as f64,
        gz / 1e6
    );
    let _ = writeln!(
        out,
        "| prometheus_client, text | {} | {} | {:.1} |",
        e.pc_samples,
        e.pc_bytes,
        pcn / 1e6
    );
    let _ = writeln!(out, "\nOurs / prometheus-client, time: {:.2} (target ≤ 1); gzipped / text: {:.3} (target ≤ 0.125).", ours / pcn, e.gzip_bytes as f64 / e.bytes as f64);

    let _ = writeln!(out, "\n### One record, 48 series: ns per record (median)\n");
    let _ = writeln!(
        out,
        "| scenario | 1 thread | 2 threads |\n| --- | ---: | ---: |"
    );
    for (group, peers) in [
        (
            "counter",
            &[
                "atomic_add",
                "aigateway_metrics",
                "aigateway_metrics_bound",
                "lookup_floor",
                "prometheus_client_owned_key",
                "prometheus_client_prebuilt_key",
                "prometheus",
                "metrics",
                "measured",
            ][..],
        ),
        (
            "histogram",
            &[
                "aigateway_metrics",
                "aigateway_metrics_bound",
                "aigateway_metrics_exemplar",
                "aigateway_metrics_bound_exemplar",
                "aigateway_metrics_native",
                "aigateway_metrics_bound_native",
                "prometheus_client_owned_key",
                "prometheus_client_prebuilt_key",
                "prometheus_client_exemplar",
                "prometheus_client_native",
                "prometheus",
                "measured",
            ][..],
        ),
        (
            "enum_counter",
            &["atomic_add", "aigateway_metrics", "measured"][..],
        ),
    ] {
        for peer in peers {
            let _ = writeln!(
                out,
                "| {group} / {peer} | {:.1} | {:.1} |",
                ns(&format!("{group}/1t/{peer}")),
                ns(&format!("{group}/2t/{peer}"))
            );
        }
    }
    out
}

/// Replaces what lies between the results markers of `docs/performance.md`
/// with `results`.
fn write_docs(results: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/performance.md");
    let page = std::fs::read_to_string(&path).expect("docs/performance.md");
    let (begin, end) = ("<!-- results: begin -->\n", "<!-- results: end -->");
    let start = page.find(begin).expect("a results: begin marker") + begin.len();
    let stop = page.find(end).expect("a results: end marker");
    let page = format!("{}{results}{}", &page[..start], &page[stop..]);
    std::fs::write(&path, page).expect("write docs/performance.md");
}

fn main() {
    // The metrics crate records through the global recorder: its
    // Prometheus exporter's, as a gateway using it would install.
    metrics::set_global_recorder(
        metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
    )
    .expect("no recorder installed yet");
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let mut c = Criterion::default()
        .output_directory(&criterion_dir())
        .configure_from_args();
    if quick {
        c = c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300));
    }
    let memory = sweep::memory();
    sweep::bench(&mut c);
    counters(&mut c);
    histograms(&mut c);
    enums_only(&mut c);
    let exposition = sweep::exposition(&mut c);
    c.final_summary();
    let results = report(&memory, &exposition);
    println!("\n{results}");
    if std::env::var_os("BENCH_WRITE_DOCS").is_some() {
        write_docs(&results);
    }
}
