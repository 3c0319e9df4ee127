//! The gateway's configuration: providers with their models and prices, and
//! per-tenant rate limits and budgets. TOML; `default.toml` is built in.

use aigateway_metrics::gateway::{Price, Prices};
use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

/// The built-in configuration.
pub const DEFAULT: &str = include_str!("default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Whether `/metrics` also has the OpenTelemetry GenAI semantic
    /// conventions' families (`gen_ai_*`).
    #[serde(default)]
    pub otel_semconv: bool,
    pub defaults: TenantLimits,
    #[serde(default)]
    pub tenants: HashMap<String, TenantOverrides>,
    pub providers: Vec<ProviderConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantLimits {
    pub rate_limit_rps: f64,
    pub rate_limit_burst: u32,
    pub budget_usd: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantOverrides {
    pub rate_limit_rps: Option<f64>,
    pub rate_limit_burst: Option<u32>,
    pub budget_usd: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub name: String,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub token_interval_ms: u64,
    pub failure_threshold: u32,
    pub cooldown_ms: u64,
    /// How many times a request is asked again of the same model after a
    /// timeout, a rate limit, a server or a connection error.
    #[serde(default)]
    pub retries: u32,
    /// A real OpenAI-compatible API (its base URL, ending in `/v1`) instead
    /// of the simulation.
    pub upstream: Option<String>,
    /// The environment variable holding the upstream's API key.
    pub api_key_env: Option<String>,
    pub models: Vec<ModelConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub name: String,
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
    /// Prompt tokens read from the provider's cache; the input price when
    /// not given.
    pub cached_input_usd_per_mtok: Option<f64>,
    /// Prompt tokens written to the provider's cache; the input price when
    /// not given.
    pub cache_creation_usd_per_mtok: Option<f64>,
    /// Another route, `provider/model`, to pass a request on to when this
    /// one fails it (past its retries) or its breaker is open.
    pub fallback: Option<String>,
}

impl ModelConfig {
    /// The model's prices, checked by `Config::load`.
    pub fn prices(&self) -> Prices {
        let price = |usd: f64| Price::per_million(usd).expect("checked by Config::load");
        let input = self.input_usd_per_mtok;
        Prices {
            input: price(input),
            output: price(self.output_usd_per_mtok),
            cached_input: price(self.cached_input_usd_per_mtok.unwrap_or(input)),
            cache_creation: price(self.cache_creation_usd_per_mtok.unwrap_or(input)),
        }
    }
}

impl Config {
    pub fn load(path: Option<&Path>) -> Result<Config, String> {
        let text = match path {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => DEFAULT.to_owned(),
        };
        let config: Config = toml::from_str(&text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        let limits = std::iter::once((
            "defaults",
            Some(self.defaults.rate_limit_rps),
            Some(self.defaults.rate_limit_burst),
            Some(self.defaults.budget_usd),
        ))
        .chain(self.tenants.iter().map(|(name, t)| {
            (
                name.as_str(),
                t.rate_limit_rps,
                t.rate_limit_burst,
                t.budget_usd,
            )
        }));
        for (name, rps, burst, budget) in limits {
            if rps.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
                return Err(format!("{name}: rate_limit_rps must be a positive number"));
            }
            if burst == Some(0) {
                return Err(format!("{name}: rate_limit_burst must be at least 1"));
            }
            if budget.is_some_and(|b| !(b.is_finite() && b > 0.0)) {
                return Err(format!("{name}: budget_usd must be a positive number"));
            }
        }
        for provider in &self.providers {
            if provider.failure_threshold == 0 {
                return Err(format!(
                    "provider {}: failure_threshold must be at least 1",
                    provider.name
                ));
            }
            for model in &provider.models {
                let prices = [
                    Some(model.input_usd_per_mtok),
                    Some(model.output_usd_per_mtok),
                    model.cached_input_usd_per_mtok,
                    model.cache_creation_usd_per_mtok,
                ];
                if prices
                    .into_iter()
                    .flatten()
                    .any(|usd| Price::per_million(usd).is_err())
                {
                    return Err(format!(
                        "model {}/{}: prices must be zero or more",
                        provider.name, model.name
                    ));
                }
            }
        }
        for provider in &self.providers {
            for model in &provider.models {
                self.check_fallbacks(&provider.name, &model.name)?;
            }
        }
        Ok(())
    }

    /// Follows the fallbacks from `provider/model`: each must name a
    /// configured route, and none may lead back to one already on the way.
    fn check_fallbacks(&self, provider: &str, model: &str) -> Result<(), String> {
        let mut seen = vec![format!("{provider}/{model}")];
        let mut at = self.model(provider, model);
        while let Some(next) = at.and_then(|m| m.fallback.as_deref()) {
            let from = seen.last().expect("starts with one").clone();
            if seen.iter().any(|s| s == next) {
                return Err(format!(
                    "model {from}: fallback {next} leads back to itself"
                ));
            }
            at = next.split_once('/').and_then(|(p, m)| self.model(p, m));
            if at.is_none() {
                return Err(format!(
                    "model {from}: fallback {next} is not a configured provider/model"
                ));
            }
            seen.push(next.to_owned());
        }
        Ok(())
    }

    fn model(&self, provider: &str, model: &str) -> Option<&ModelConfig> {
        let provider = self.providers.iter().find(|p| p.name == provider)?;
        provider.models.iter().find(|m| m.name == model)
    }

    /// The limits of `tenant`: its overrides over the defaults.
    pub fn limits(&self, tenant: &str) -> TenantLimits {
        let overrides = self.tenants.get(tenant).cloned().unwrap_or_default();
        TenantLimits {
            rate_limit_rps: overrides
                .rate_limit_rps
                .unwrap_or(self.defaults.rate_limit_rps),
            rate_limit_burst: overrides
                .rate_limit_burst
                .unwrap_or(self.defaults.rate_limit_burst),
            budget_usd: overrides.budget_usd.unwrap_or(self.defaults.budget_usd),
        }
    }
}
