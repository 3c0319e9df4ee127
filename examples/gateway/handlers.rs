//! The gateway's routes. Every metric is recorded here, and only through
//! the library's typed API.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aigateway_metrics::{
    Exemplar, FallbackModel, FallbackProvider, FallbackReason, GaugeGuard, Model, Provider,
    ProviderErrorType, RequestRecorder, RetryReason, Status, TenantId,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream;
use serde_json::json;

use crate::openai::{self, ApiError, ChatRequest, Completion};
use crate::provider::Simulation;
use crate::state::{AppState, Tenant};

pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `POST /v1/chat/completions`.
pub async fn chat_completions(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match chat(app, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn chat(app: Arc<AppState>, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    // Recorded when dropped: at any return below, or when a stream ends.
    let mut recorder = RequestRecorder::start();
    // A sampled trace the client sends (W3C trace context) is the request's
    // exemplar, for Grafana to link its latency to.
    if let Some(exemplar) = header(headers, "traceparent").and_then(Exemplar::from_traceparent) {
        recorder.set_exemplar(exemplar);
    }
    let tenant_id = header(headers, "x-tenant-id")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::invalid("the x-tenant-id header names the tenant; it is missing")
        })?;
    let request: ChatRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("invalid request body: {e}")))?;
    let (provider_name, model_name) = request.model.split_once('/').ok_or_else(|| {
        ApiError::invalid("`model` is provider/model, such as openai/gpt-4o-mini")
    })?;
    let provider = app
        .providers
        .get(provider_name)
        .ok_or_else(|| ApiError::invalid(format!("unknown provider `{provider_name}`")))?;
    let models = &provider.client.config.models;
    let model_index = models
        .iter()
        .position(|m| m.name == model_name)
        .ok_or_else(|| ApiError {
            code: Some("model_not_found"),
            ..ApiError::invalid(format!(
                "provider `{provider_name}` has no model `{model_name}`"
            ))
        })?;
    let sim = simulation(headers)?;

    // Past this point every request has known labels, and is counted.
    let (t, p, md) = (
        TenantId(tenant_id),
        Provider(provider_name),
        Model(model_name),
    );
    let tenant = app.tenant(tenant_id);
    // Looked up once per tenant and route, and kept with the tenant.
    let route = app.route_series(&tenant, provider, model_index, (t, p, md));
    if let Some(route) = route {
        recorder.set_route_series(Arc::clone(route));
    }
    let series = tenant.series();

    if tenant.limiter.check().is_err() {
        if let Some(series) = series {
            series.record_rate_limit_hit();
        }
        recorder.set_status(Status::RateLimited);
        return Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "rate_limit_error",
            code: Some("rate_limit_exceeded"),
            message: format!("tenant `{tenant_id}` is over its rate limit"),
        });
    }
    if tenant.over_budget() {
        recorder.set_status(Status::BudgetExceeded);
        return Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "insufficient_quota",
            code: Some("insufficient_quota"),
            message: format!("tenant `{tenant_id}` has spent its budget"),
        });
    }
    if request.messages.is_empty() {
        recorder.set_status(Status::InvalidRequest);
        return Err(ApiError::invalid("`messages` is empty"));
    }

    // Streams are not cached; other requests are, per tenant, by exact match.
    let cache_key = (!request.stream).then(|| {
        let max_tokens = request.max_completion_tokens.or(request.max_tokens);
        serde_json::to_string(&(tenant_id, &request.model, &request.messages, max_tokens))
            .expect("JSON values serialize")
    });
    if let Some(key) = &cache_key {
        if let Some(completion) = app.cached(key) {
            if let Some(series) = series {
                series.record_cache_hit();
            }
            recorder.set_status(Status::Success);
            return Ok(completion_response(&request.model, &completion));
        }
        if let Some(series) = series {
            series.record_cache_miss();
        }
    }

    let asked = Route {
        provider: provider_name,
        model: model_index,
    };
    let (served, completion, upstream) =
        match answer(&app, &tenant, &mut recorder, t, asked, &request, sim).await {
            Ok(answered) => answered,
            Err((status, error)) => {
                recorder.set_status(status);
                return Err(error);
            }
        };
    let provider = &app.providers[served.provider];
    let price = &provider.client.config.models[served.model];
    let cost = price.prices().cost(&completion.usage);
    let budget_used = tenant.spend(cost);
    recorder.record_usage(&completion.usage);
    recorder.record_cost(cost);
    if let Some(series) = series {
        series
            .set_budget_usage(budget_used)
            .expect("spent / budget is finite and not negative");
    }
    if let Some(key) = cache_key {
        app.cache(key, completion.clone());
    }

    if !request.stream {
        recorder.set_status(Status::Success);
        return Ok(completion_response(&request.model, &completion));
    }
    let interval = provider.client.token_interval();
    Ok(stream_response(
        &app, &request, completion, recorder, upstream, interval,
    ))
}

/// A provider, and the index of one of its models.
#[derive(Clone, Copy)]
struct Route<'a> {
    provider: &'a str,
    model: usize,
}

/// Asks the providers for a completion: `route` first, asked again up to
/// its provider's `retries` after a failure that may pass, then its
/// fallback, and so on. Each attempt's failure, retry and fallback is
/// recorded, and the recorder follows the route it is on. Returns the
/// route that answered, its answer, and the time spent waiting on
/// providers; or the status to record and the error to answer with.
async fn answer<'a>(
    app: &'a AppState,
    tenant: &Tenant,
    recorder: &mut RequestRecorder,
    tenant_id: TenantId<'_>,
    mut route: Route<'a>,
    request: &ChatRequest,
    sim: Simulation,
) -> Result<(Route<'a>, Completion, Duration), (Status, ApiError)> {
    let (mut attempts, mut retries) = (0, 0);
    // A retry is counted when it is made: an open breaker turns it into a
    // fallback instead.
    let mut retrying: Option<RetryReason> = None;
    let mut upstream = Duration::ZERO;
    loop {
        let provider = &app.providers[route.provider];
        let model = provider.model_name(route.model);
        let (p, md) = (Provider(route.provider), Model(model));
        let fallback = provider
            .fallback(route.model)
            .map(|(provider, model)| Route { provider, model });
        let fall_back = |recorder: &mut RequestRecorder, reason: FallbackReason, to: Route<'a>| {
            let to_provider = &app.providers[to.provider];
            let to_model = to_provider.model_name(to.model);
            app.record(|m| {
                let fallback = (FallbackProvider(to.provider), FallbackModel(to_model));
                m.record_fallback(p, md, fallback.0, fallback.1, reason)
            });
            let labels = (tenant_id, Provider(to.provider), Model(to_model));
            if let Some(series) = app.route_series(tenant, to_provider, to.model, labels) {
                recorder.set_route_series(Arc::clone(series));
            }
            (to, 0)
        };
        let Some(permit) = provider.breaker.acquire() else {
            retrying = None;
            if let Some(to) = fallback {
                (route, retries) = fall_back(recorder, FallbackReason::CircuitOpen, to);
                continue;
            }
            return Err((
                Status::Error,
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    kind: "upstream_error",
                    code: Some("circuit_open"),
                    message: format!(
                        "provider `{}` is failing; its circuit breaker is open",
                        route.provider
                    ),
                },
            ));
        };
        if let Some(reason) = retrying.take() {
            app.record(|m| m.record_retry(p, md, reason));
        }
        attempts += 1;
        let called = Instant::now();
        let answered = provider
            .client
            .complete(model, request, sim.attempt(attempts))
            .await;
        // What the gateway adds is what it took besides the providers' time.
        upstream += called.elapsed();
        recorder.set_upstream_duration(upstream);
        let failure = match answered {
            Ok(completion) => {
                permit.success();
                return Ok((route, completion, upstream));
            }
            Err(failure) => failure,
        };
        if failure.counts_against_provider() {
            permit.failure();
        } else {
            permit.success();
        }
        app.record(|m| m.record_provider_error(p, failure.error_type));
        if failure.retriable() && retries < provider.client.config.retries {
            retries += 1;
            retrying = Some(failure.error_type.into());
            continue;
        }
        if let Some(to) = fallback.filter(|_| failure.counts_against_provider()) {
            (route, retries) = fall_back(recorder, failure.error_type.into(), to);
            continue;
        }
        let status = if failure.error_type == ProviderErrorType::BadRequest {
            Status::InvalidRequest
        } else {
            Status::Error
        };
        let (http, kind) = failure.http();
        return Err((
            status,
            ApiError {
                status: http,
                kind,
                code: None,
                message: format!(
                    "provider `{}` failed: {:?}",
                    route.provider, failure.error_type
                ),
            },
        ));
    }
}

/// A whole (not streamed) answer.
fn completion_response(model: &str, completion: &Completion) -> Response {
    Json(openai::completion_body(&new_id(), now(), model, completion)).into_response()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn simulation(headers: &HeaderMap) -> Result<Simulation, ApiError> {
    let error = header(headers, "x-simulate-error")
        .map(|v| {
            Simulation::parse_error(v)
                .ok_or_else(|| ApiError::invalid(format!("unknown x-simulate-error `{v}`")))
        })
        .transpose()?;
    let latency = header(headers, "x-simulate-latency-ms")
        .map(|v| {
            v.parse().map(Duration::from_millis).map_err(|_| {
                ApiError::invalid(format!("x-simulate-latency-ms is milliseconds, not `{v}`"))
            })
        })
        .transpose()?;
    let count = |name: &str| {
        header(headers, name)
            .map(|v| {
                v.parse()
                    .map_err(|_| ApiError::invalid(format!("{name} is a token count, not `{v}`")))
            })
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let error_attempts = header(headers, "x-simulate-error-attempts")
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::invalid(format!("x-simulate-error-attempts is a count, not `{v}`"))
            })
        })
        .transpose()?;
    Ok(Simulation {
        error,
        error_attempts,
        latency,
        cached_tokens: count("x-simulate-cached-tokens")?,
        reasoning_tokens: count("x-simulate-reasoning-tokens")?,
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("chatcmpl-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A stream in flight. It holds the active-streams guard and the request's
/// recorder, which records the request when the stream is dropped:
/// `success` after `[DONE]`, `cancelled` when the client goes away before.
struct Streaming {
    recorder: RequestRecorder,
    /// The provider's answer, and when its tokens started going out: the
    /// pacing of the tokens stands for the provider's own streaming, so it
    /// counts as upstream time.
    upstream: Duration,
    streaming_since: Instant,
    interval: Duration,
    id: String,
    created: u64,
    model: String,
    completion: Completion,
    words: Vec<String>,
    include_usage: bool,
    step: Step,
    _active: Option<GaugeGuard>,
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Role,
    Token(usize),
    Stop,
    Usage,
    Done,
    End,
}

fn stream_response(
    app: &AppState,
    request: &ChatRequest,
    completion: Completion,
    recorder: RequestRecorder,
    upstream: Duration,
    interval: Duration,
) -> Response {
    let words = completion
        .content
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                w.to_owned()
            } else {
                format!(" {w}")
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    let state = Streaming {
        _active: app.record(|m| m.stream_started()),
        recorder,
        upstream,
        streaming_since: Instant::now(),
        interval,
        id: new_id(),
        created: now(),
        model: request.model.clone(),
        completion,
        words,
        include_usage: request.wants_usage_chunk(),
        step: Step::Role,
    };
    let events = stream::unfold(state, |mut s| async move {
        let event = s.next_event().await?;
        Some((Ok::<_, Infallible>(event), s))
    });
    Sse::new(events).into_response()
}

impl Streaming {
    async fn next_event(&mut self) -> Option<Event> {
        let (id, created, model) = (&self.id, self.created, &self.model);
        let data = match self.step {
            Step::Role => {
                self.step = if self.words.is_empty() {
                    Step::Stop
                } else {
                    Step::Token(0)
                };
                openai::chunk(
                    id,
                    created,
                    model,
                    json!({ "role": "assistant", "content": "" }),
                    None,
                )
            }
            Step::Token(i) => {
                if i > 0 {
                    tokio::time::sleep(self.interval).await;
                } else {
                    self.recorder.first_token();
                }
                let upstream = self.upstream + self.streaming_since.elapsed();
                self.recorder.set_upstream_duration(upstream);
                self.step = if i + 1 < self.words.len() {
                    Step::Token(i + 1)
                } else {
                    Step::Stop
                };
                openai::chunk(
                    id,
                    created,
                    model,
                    json!({ "content": self.words[i] }),
                    None,
                )
            }
            Step::Stop => {
                self.step = if self.include_usage {
                    Step::Usage
                } else {
                    Step::Done
                };
                openai::chunk(id, created, model, json!({}), Some("stop"))
            }
            Step::Usage => {
                self.step = Step::Done;
                openai::usage_chunk(id, created, model, &self.completion)
            }
            Step::Done => {
                self.step = Step::End;
                self.recorder.last_token(self.words.len() as u64);
                self.recorder.set_status(Status::Success);
                return Some(Event::default().data("[DONE]"));
            }
            Step::End => return None,
        };
        Some(Event::default().data(data.to_string()))
    }
}
