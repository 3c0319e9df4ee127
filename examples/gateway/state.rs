//! What the handlers share: the metrics, and the
//! gateway's policies: rate limits, budgets, the response cache and the
//! circuit breakers.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aigateway_metrics::gateway::{RouteSeries, TenantSeries};
use aigateway_metrics::process::ProcessMetrics;
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{gateway, GatewayMetrics, Model, TenantId, Usd};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lru::LruCache;

use crate::breaker::Breaker;
use crate::config::Config;
use crate::openai::Completion;
use crate::provider::ProviderClient;

/// Cached answers, over all tenants.
const CACHE_ENTRIES: usize = 10_000;

/// Tenants not named in the configuration whose rate limiter and budget are
/// kept at once. Past this, the one seen least recently is dropped, and
/// starts afresh if it comes back: the price of bounded memory when anyone
/// can make up a tenant id. A real gateway authenticates its tenants.
const UNLISTED_TENANTS: usize = 100_000;

pub struct AppState {
    pub config: Config,
    metrics: GatewayMetrics,
    /// Off only with `--no-recording`, which exists to measure what
    /// recording costs the gateway (`scripts/throughput.sh`).
    recording: bool,
    /// How many models the providers have in all: one route each.
    routes: usize,
    pub providers: HashMap<String, Provider>,
    /// The tenants named in the configuration, kept for good.
    listed: HashMap<String, Arc<Tenant>>,
    unlisted: Mutex<LruCache<String, Arc<Tenant>>>,
    cache: Mutex<LruCache<String, Completion>>,
}

pub struct Provider {
    pub client: ProviderClient,
    pub breaker: Breaker,
    /// The route number of the provider's first model; its others follow.
    first_route: usize,
    /// Each model's fallback: a provider's name and its model's index.
    fallbacks: Vec<Option<(String, usize)>>,
}

impl Provider {
    /// The route number of the provider's `model`-th model.
    pub fn route(&self, model: usize) -> usize {
        self.first_route + model
    }

    /// The name of the provider's `model`-th model.
    pub fn model_name(&self, model: usize) -> &str {
        &self.client.config.models[model].name
    }

    /// Where a request for the `model`-th model goes when it fails.
    pub fn fallback(&self, model: usize) -> Option<(&str, usize)> {
        let (provider, model) = self.fallbacks[model].as_ref()?;
        Some((provider, *model))
    }
}

/// A tenant's rate limiter and budget, and its metric series, looked up
/// once and kept here (none with `--no-recording`): a request's records
/// are then atomic adds, with no lookup by label values.
pub struct Tenant {
    pub limiter: DefaultDirectRateLimiter,
    budget_nanos: u64,
    spent_nanos: AtomicU64,
    series: Option<TenantSeries>,
    /// The tenant's series per route (provider and model), by route
    /// number, made on the route's first request; an `Arc`, so that a
    /// stream holds them with one count.
    routes: Box<[OnceLock<Arc<RouteSeries>>]>,
}

impl Tenant {
    pub fn over_budget(&self) -> bool {
        self.spent_nanos.load(Ordering::Relaxed) >= self.budget_nanos
    }

    /// The tenant's series, unless recording is off.
    pub fn series(&self) -> Option<&TenantSeries> {
        self.series.as_ref()
    }

    /// The tenant's series for `route` (see [`Provider::route`]), made by
    /// `bind` on its first use; none if recording is off.
    pub fn route_series(
        &self,
        route: usize,
        bind: impl FnOnce() -> RouteSeries,
    ) -> Option<&Arc<RouteSeries>> {
        let series = self.routes.get(route)?;
        Some(series.get_or_init(|| Arc::new(bind())))
    }

    /// Adds `cost`; returns the share of the budget now spent.
    pub fn spend(&self, cost: Usd) -> f64 {
        let spent = self.spent_nanos.fetch_add(cost.nanos(), Ordering::Relaxed) + cost.nanos();
        spent as f64 / self.budget_nanos as f64
    }
}

impl AppState {
    /// The state, and the registry of its metrics, for `/metrics`.
    pub fn new(config: Config, recording: bool) -> (AppState, Registry) {
        let mut metrics = GatewayMetrics::builder();
        if config.otel_semconv {
            metrics = metrics.otel_semconv();
        }
        let metrics = metrics
            .build()
            .expect("the default names and buckets are valid");
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        // The build's revision is passed in at build time, when it is known.
        let revision = option_env!("GATEWAY_REVISION").unwrap_or("unset");
        gateway::build_info(env!("CARGO_PKG_VERSION"), revision).register(&mut registry);
        ProcessMetrics.register(&mut registry);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client without TLS builds");
        let mut routes = 0;
        let providers = config
            .providers
            .iter()
            .map(|p| {
                let first_route = routes;
                routes += p.models.len();
                if recording {
                    metrics.init_provider(aigateway_metrics::Provider(&p.name));
                }
                let breaker = Breaker::new(
                    &p.name,
                    p.failure_threshold,
                    Duration::from_millis(p.cooldown_ms),
                    recording.then(|| metrics.clone()),
                );
                let fallbacks = p
                    .models
                    .iter()
                    .map(|m| {
                        let (provider, model) = m.fallback.as_deref()?.split_once('/')?;
                        let target = config.providers.iter().find(|p| p.name == provider)?;
                        let index = target.models.iter().position(|m| m.name == model)?;
                        Some((provider.to_owned(), index))
                    })
                    .collect();
                let client = ProviderClient::new(p.clone(), http.clone());
                let provider = Provider {
                    client,
                    breaker,
                    first_route,
                    fallbacks,
                };
                (p.name.clone(), provider)
            })
            .collect();
        let mut state = AppState {
            config,
            metrics,
            recording,
            routes,
            providers,
            listed: HashMap::new(),
            unlisted: Mutex::new(LruCache::new(
                UNLISTED_TENANTS.try_into().expect("not zero"),
            )),
            cache: Mutex::new(LruCache::new(CACHE_ENTRIES.try_into().expect("not zero"))),
        };
        let listed = state
            .config
            .tenants
            .keys()
            .map(|id| (id.clone(), state.new_tenant(id)))
            .collect();
        state.listed = listed;
        (state, registry)
    }

    /// Calls `record` with the metrics, unless recording is off.
    #[inline]
    pub fn record<R>(&self, record: impl FnOnce(&GatewayMetrics) -> R) -> Option<R> {
        self.recording.then(|| record(&self.metrics))
    }

    /// `tenant`'s series for the `model`-th model of `provider`, bound on
    /// the route's first request; none if recording is off.
    pub fn route_series<'t>(
        &self,
        tenant: &'t Tenant,
        provider: &Provider,
        model: usize,
        labels: (TenantId<'_>, aigateway_metrics::Provider<'_>, Model<'_>),
    ) -> Option<&'t Arc<RouteSeries>> {
        let (t, p, md) = labels;
        tenant.route_series(provider.route(model), || {
            self.metrics.route_series(t, p, md)
        })
    }

    /// The tenant's limiter and budget, made on first sight.
    pub fn tenant(&self, id: &str) -> Arc<Tenant> {
        if let Some(tenant) = self.listed.get(id) {
            return Arc::clone(tenant);
        }
        let mut unlisted = self.unlisted.lock().unwrap();
        if let Some(tenant) = unlisted.get(id) {
            return Arc::clone(tenant);
        }
        let tenant = self.new_tenant(id);
        unlisted.push(id.to_owned(), Arc::clone(&tenant));
        tenant
    }

    fn new_tenant(&self, id: &str) -> Arc<Tenant> {
        let limits = self.config.limits(id);
        let burst = NonZeroU32::new(limits.rate_limit_burst).expect("checked by Config");
        let period = Duration::from_secs_f64(1.0 / limits.rate_limit_rps);
        let quota = Quota::with_period(period)
            .expect("checked by Config")
            .allow_burst(burst);
        let series = self.record(|m| m.tenant_series(TenantId(id)));
        let routes = if self.recording { self.routes } else { 0 };
        Arc::new(Tenant {
            limiter: RateLimiter::direct(quota),
            budget_nanos: Usd::new(limits.budget_usd)
                .expect("checked by Config")
                .nanos(),
            spent_nanos: AtomicU64::new(0),
            series,
            routes: (0..routes).map(|_| OnceLock::new()).collect(),
        })
    }

    pub fn cached(&self, key: &str) -> Option<Completion> {
        self.cache.lock().unwrap().get(key).cloned()
    }

    pub fn cache(&self, key: String, completion: Completion) {
        self.cache.lock().unwrap().put(key, completion);
    }
}
