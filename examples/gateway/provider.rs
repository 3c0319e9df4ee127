//! Providers: a deterministic simulation, or a real OpenAI-compatible
//! upstream. Either answers a whole completion or fails with a typed error.

use aigateway_metrics::gateway::Usage;
use std::time::Duration;

use aigateway_metrics::ProviderErrorType;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::config::ProviderConfig;
use crate::openai::{ChatRequest, Completion};

/// How a provider call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub error_type: ProviderErrorType,
}

impl Failure {
    /// The status the gateway answers with, and OpenAI's error type.
    pub fn http(self) -> (StatusCode, &'static str) {
        match self.error_type {
            ProviderErrorType::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            ProviderErrorType::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error"),
            ProviderErrorType::BadRequest => (StatusCode::BAD_REQUEST, "invalid_request_error"),
            ProviderErrorType::Authentication => {
                (StatusCode::BAD_GATEWAY, "upstream_authentication_error")
            }
            ProviderErrorType::ServerError
            | ProviderErrorType::Connection
            | ProviderErrorType::Other => (StatusCode::BAD_GATEWAY, "upstream_error"),
        }
    }

    /// Whether the failure says the provider is unhealthy; a bad request is
    /// the client's doing and does not count against the breaker.
    pub fn counts_against_provider(self) -> bool {
        self.error_type != ProviderErrorType::BadRequest
    }

    /// Whether asking again may answer: a failure that can pass, not a
    /// refusal of the request or of the gateway's credentials.
    pub fn retriable(self) -> bool {
        matches!(
            self.error_type,
            ProviderErrorType::Timeout
                | ProviderErrorType::RateLimited
                | ProviderErrorType::ServerError
                | ProviderErrorType::Connection
        )
    }
}

/// What a test forces on one request, from `x-simulate-*` headers.
#[derive(Debug, Default, Clone, Copy)]
pub struct Simulation {
    pub error: Option<ProviderErrorType>,
    /// How many of the request's calls to providers fail with `error`, the
    /// first ones (retries and fallbacks included); all when not given.
    pub error_attempts: Option<u32>,
    pub latency: Option<Duration>,
    /// Prompt tokens read from the provider's cache, at most the prompt's.
    pub cached_tokens: u64,
    /// Completion tokens spent reasoning, on top of the answer's.
    pub reasoning_tokens: u64,
}

impl Simulation {
    /// `x-simulate-error: timeout|rate_limited|server_error|connection|bad_request`.
    pub fn parse_error(value: &str) -> Option<ProviderErrorType> {
        Some(match value {
            "timeout" => ProviderErrorType::Timeout,
            "rate_limited" => ProviderErrorType::RateLimited,
            "server_error" => ProviderErrorType::ServerError,
            "connection" => ProviderErrorType::Connection,
            "bad_request" => ProviderErrorType::BadRequest,
            _ => return None,
        })
    }

    /// The simulation of the request's `attempt`-th call (from 1).
    pub fn attempt(self, attempt: u32) -> Simulation {
        let fails = self.error_attempts.is_none_or(|n| attempt <= n);
        Simulation {
            error: self.error.filter(|_| fails),
            ..self
        }
    }
}

/// The words of simulated answers.
const WORDS: [&str; 8] = [
    "The",
    "gateway",
    "answers",
    "every",
    "request",
    "with",
    "simulated",
    "tokens.",
];

pub struct ProviderClient {
    pub config: ProviderConfig,
    http: reqwest::Client,
}

impl ProviderClient {
    pub fn new(config: ProviderConfig, http: reqwest::Client) -> ProviderClient {
        ProviderClient { config, http }
    }

    pub fn token_interval(&self) -> Duration {
        Duration::from_millis(self.config.token_interval_ms)
    }

    /// Asks for a whole completion of `request` from `model` (the name
    /// without the provider).
    pub async fn complete(
        &self,
        model: &str,
        request: &ChatRequest,
        sim: Simulation,
    ) -> Result<Completion, Failure> {
        match &self.config.upstream {
            Some(url) if sim.error.is_none() && sim.latency.is_none() => {
                self.upstream(url, model, request).await
            }
            _ => self.simulate(request, sim).await,
        }
    }

    /// Input tokens are the words of the messages, of which the simulated
    /// cached tokens come from the cache; output tokens are `max_tokens` (16
    /// when not given), and the simulated reasoning tokens come on top; a
    /// forced error fails after the latency, as a real provider would.
    async fn simulate(
        &self,
        request: &ChatRequest,
        sim: Simulation,
    ) -> Result<Completion, Failure> {
        let latency = sim
            .latency
            .unwrap_or(Duration::from_millis(self.config.latency_ms));
        tokio::time::sleep(latency).await;
        if let Some(error_type) = sim.error {
            return Err(Failure { error_type });
        }
        let prompt_tokens: u64 = request
            .texts()
            .map(|t| t.split_whitespace().count() as u64)
            .sum();
        let output_tokens = request
            .max_completion_tokens
            .or(request.max_tokens)
            .unwrap_or(16);
        let content = (0..output_tokens as usize)
            .map(|i| WORDS[i % WORDS.len()])
            .collect::<Vec<_>>()
            .join(" ");
        let cached = sim.cached_tokens.min(prompt_tokens);
        Ok(Completion {
            content,
            usage: Usage {
                input: prompt_tokens - cached,
                output: output_tokens,
                cached_input: cached,
                reasoning: sim.reasoning_tokens,
                ..Usage::default()
            },
        })
    }

    /// A real upstream, asked without streaming; a stream to the client is
    /// then cut from the whole answer.
    async fn upstream(
        &self,
        url: &str,
        model: &str,
        request: &ChatRequest,
    ) -> Result<Completion, Failure> {
        let mut body = json!({ "model": model, "messages": request.messages, "stream": false });
        if let Some(max) = request.max_completion_tokens.or(request.max_tokens) {
            body["max_tokens"] = json!(max);
        }
        let mut call = self
            .http
            .post(format!("{}/chat/completions", url.trim_end_matches('/')))
            .json(&body);
        if let Some(key) = self
            .config
            .api_key_env
            .as_ref()
            .and_then(|v| std::env::var(v).ok())
        {
            call = call.bearer_auth(key);
        }
        let fail = |error_type| Failure { error_type };
        let response = call.send().await.map_err(|e| {
            fail(if e.is_timeout() {
                ProviderErrorType::Timeout
            } else if e.is_connect() {
                ProviderErrorType::Connection
            } else {
                ProviderErrorType::Other
            })
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(match status.as_u16() {
                429 => ProviderErrorType::RateLimited,
                401 | 403 => ProviderErrorType::Authentication,
                400..=499 => ProviderErrorType::BadRequest,
                _ => ProviderErrorType::ServerError,
            }));
        }
        let answer: Value = response
            .json()
            .await
            .map_err(|_| fail(ProviderErrorType::Other))?;
        let content = answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let usage = &answer["usage"];
        let tokens = |value: &Value| value.as_u64().unwrap_or(0);
        Ok(Completion {
            content,
            usage: Usage::from_openai(
                tokens(&usage["prompt_tokens"]),
                tokens(&usage["completion_tokens"]),
                tokens(&usage["prompt_tokens_details"]["cached_tokens"]),
                tokens(&usage["completion_tokens_details"]["reasoning_tokens"]),
            ),
        })
    }
}
