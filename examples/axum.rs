//! A gateway's metrics in an axum app: an OpenAI-style chat handler over a
//! simulated provider, answering whole or streamed (SSE), and `/metrics`.
//! Copy it as a start; `examples/gateway/` is the full reference gateway.
//!
//! ```text
//! cargo run --example axum -- [ADDR]        # 127.0.0.1:3000 when not given
//! curl -s localhost:3000/v1/chat/completions -H 'x-tenant-id: acme' \
//!   -d '{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}'
//! curl -s localhost:3000/metrics
//! ```

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use aigateway_metrics::axum::{MetricsEndpoint, TenantHeader};
use aigateway_metrics::process::ProcessMetrics;
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{GatewayMetrics, Model, Provider, RequestRecorder, Status, Usd};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct ChatRequest {
    model: String,
    #[serde(default)]
    stream: bool,
    messages: Vec<serde_json::Value>,
}

#[tokio::main]
async fn main() {
    let metrics = GatewayMetrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    ProcessMetrics.register(&mut registry);
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/metrics", MetricsEndpoint::new(registry).into_route())
        .with_state(Arc::new(metrics));
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    println!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}

async fn chat(
    State(metrics): State<Arc<GatewayMetrics>>,
    tenant: TenantHeader,
    Json(chat): Json<ChatRequest>,
) -> Response {
    // Recorded when dropped: on every return below, or mid-stream.
    let mut request = RequestRecorder::start();
    let route = chat.model.split_once('/');
    let Some((provider @ ("openai" | "anthropic"), model)) = route else {
        // No route, so no series: refused before it is counted.
        return (
            StatusCode::BAD_REQUEST,
            "model is openai/... or anthropic/...",
        )
            .into_response();
    };
    request.set_route(&metrics, tenant.id(), Provider(provider), Model(model));
    if chat.messages.is_empty() {
        request.set_status(Status::InvalidRequest);
        return (StatusCode::BAD_REQUEST, "messages is empty").into_response();
    }

    // The simulated provider: one word per token, $1 per million tokens.
    let answer = "Hello from a simulated provider.";
    let words: Vec<String> = answer.split(' ').map(|w| format!("{w} ")).collect();
    let (input, output) = (chat.messages.len() as u64 * 10, words.len() as u64);
    request.record_tokens(input, output);
    request.record_cost(Usd::new((input + output) as f64 / 1e6).expect("not negative"));

    if !chat.stream {
        request.set_status(Status::Success);
        let usage = json!({ "prompt_tokens": input, "completion_tokens": output });
        let message = json!({ "role": "assistant", "content": answer });
        return Json(json!({ "choices": [{ "message": message }], "usage": usage }))
            .into_response();
    }
    // The recorder moves into the stream: it times the first token and
    // the pace, and records `success` once `[DONE]` is sent, `cancelled` if
    // the client goes away before.
    let events = stream::unfold(
        (words.into_iter(), Some(request)),
        move |(mut words, request)| async move {
            let mut request = request?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            request.first_token();
            let data = match words.next() {
                Some(word) => json!({ "choices": [{ "delta": { "content": word } }] }).to_string(),
                None => {
                    request.last_token(output);
                    request.finish(Status::Success);
                    let done = Event::default().data("[DONE]");
                    return Some((Ok::<_, Infallible>(done), (words, None)));
                }
            };
            Some((Ok(Event::default().data(data)), (words, Some(request))))
        },
    );
    Sse::new(events).into_response()
}
