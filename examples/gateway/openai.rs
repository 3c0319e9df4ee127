//! The OpenAI chat-completions wire format: what clients send, and what the
//! gateway answers, so that the official OpenAI clients work unchanged.

use aigateway_metrics::gateway::Usage;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<u64>,
    pub max_completion_tokens: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Message {
    pub role: String,
    #[serde(default)]
    pub content: Value,
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

impl ChatRequest {
    /// The text of every message: plain string contents, and the `text`
    /// parts of multi-part contents.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().flat_map(|m| match &m.content {
            Value::String(s) => vec![s.as_str()],
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p.get("text")?.as_str())
                .collect(),
            _ => Vec::new(),
        })
    }

    pub fn wants_usage_chunk(&self) -> bool {
        self.stream_options
            .as_ref()
            .is_some_and(|o| o.include_usage)
    }
}

/// What a provider answered.
#[derive(Debug, Clone)]
pub struct Completion {
    pub content: String,
    pub usage: Usage,
}

/// OpenAI's `usage`: prompt tokens count the cached ones, completion tokens
/// the reasoning ones, and the details say how many.
pub fn usage(c: &Completion) -> Value {
    let u = &c.usage;
    let prompt = u.input + u.cached_input + u.cache_creation;
    let completion = u.output + u.reasoning;
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": { "cached_tokens": u.cached_input },
        "completion_tokens_details": { "reasoning_tokens": u.reasoning },
    })
}

pub fn completion_body(id: &str, created: u64, model: &str, c: &Completion) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": c.content },
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": usage(c),
    })
}

/// One `chat.completion.chunk`; `delta` and `finish_reason` as OpenAI sends them.
pub fn chunk(
    id: &str,
    created: u64,
    model: &str,
    delta: Value,
    finish_reason: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason }],
    })
}

/// The chunk that carries usage when `stream_options.include_usage` is set.
pub fn usage_chunk(id: &str, created: u64, model: &str, c: &Completion) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage(c),
    })
}

/// An error in OpenAI's format.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": { "message": self.message, "type": self.kind, "param": null, "code": self.code }
        });
        (self.status, Json(body)).into_response()
    }
}
