//! The OpenTelemetry GenAI semantic conventions' metrics, named as an OTLP
//! to Prometheus translation names them, for dashboards and alerts written
//! against the conventions. Opt in with
//! [`GatewayMetricsBuilder::otel_semconv`](super::GatewayMetricsBuilder::otel_semconv):
//! the same calls that record the gateway's families then record these
//! too, by provider and model (the conventions have no tenant).
//!
//! `error_type` is empty for a request that succeeded: Prometheus drops
//! a label with an empty value, so such series have no `error_type`, as
//! the conventions' `error.type` is absent when there was no error.

use super::labels::{Model, Provider, Status};
use crate::Metric;

/// What a request asked the model to do: the `gen_ai_operation_name` label
/// (`gen_ai.operation.name`). The gateway's calls record `chat`; record the
/// others through the families' own methods.
#[derive(crate::LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A chat completion: `chat`.
    Chat,
    /// A (legacy) text completion: `text_completion`.
    TextCompletion,
    /// Embeddings: `embeddings`.
    Embeddings,
    /// Gemini's multimodal generation: `generate_content`.
    GenerateContent,
}

/// `gen_ai_token_type` (`gen_ai.token.type`): prompt tokens, cached ones
/// included, or completion tokens, reasoning ones included, as the
/// conventions count them.
#[derive(crate::LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `input`.
    Input,
    /// `output`.
    Output,
}

/// `error_type` (`error.type`): empty when the request succeeded, else how
/// it ended, as the `status` of `aigateway_requests_total` says.
#[derive(crate::LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// No error: an empty value, which Prometheus reads as no label.
    #[label(rename = "")]
    None,
    /// The provider failed or could not be reached: `error`.
    Error,
    /// `rate_limited`.
    RateLimited,
    /// `budget_exceeded`.
    BudgetExceeded,
    /// `invalid_request`.
    InvalidRequest,
    /// `cancelled`.
    Cancelled,
}

impl From<Status> for ErrorType {
    fn from(status: Status) -> ErrorType {
        match status {
            Status::Success => ErrorType::None,
            Status::Error => ErrorType::Error,
            Status::RateLimited => ErrorType::RateLimited,
            Status::BudgetExceeded => ErrorType::BudgetExceeded,
            Status::InvalidRequest => ErrorType::InvalidRequest,
            Status::Cancelled => ErrorType::Cancelled,
        }
    }
}

/// Number of input and output tokens used: `gen_ai.client.token.usage`.
///
/// One observation per request and token type: input counts every prompt
/// token, output every completion token.
#[derive(Metric)]
#[metric(
    histogram,
    prefix = "gen_ai_",
    name = "gen_ai_client_token_usage",
    expose = "recorded",
    buckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
)]
pub struct ClientTokenUsage<'a> {
    gen_ai_operation_name: Operation,
    gen_ai_provider_name: Provider<'a>,
    gen_ai_request_model: Model<'a>,
    gen_ai_token_type: TokenKind,
}

/// GenAI operation duration: `gen_ai.client.operation.duration`.
///
/// The gateway is the provider's client: this is the time it waited on the
/// provider for a request, retries and fallbacks included.
#[derive(Metric)]
#[metric(
    histogram,
    prefix = "gen_ai_",
    name = "gen_ai_client_operation_duration_seconds",
    expose = "recorded",
    buckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
)]
pub struct ClientOperationDuration<'a> {
    gen_ai_operation_name: Operation,
    gen_ai_provider_name: Provider<'a>,
    gen_ai_request_model: Model<'a>,
    error_type: ErrorType,
}

/// Generative AI server request duration: `gen_ai.server.request.duration`.
///
/// The whole request as the gateway served it.
#[derive(Metric)]
#[metric(
    histogram,
    prefix = "gen_ai_",
    name = "gen_ai_server_request_duration_seconds",
    expose = "recorded",
    buckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
)]
pub struct ServerRequestDuration<'a> {
    gen_ai_operation_name: Operation,
    gen_ai_provider_name: Provider<'a>,
    gen_ai_request_model: Model<'a>,
    error_type: ErrorType,
}

/// Time to generate the first token: `gen_ai.server.time_to_first_token`.
#[derive(Metric)]
#[metric(
    histogram,
    prefix = "gen_ai_",
    name = "gen_ai_server_time_to_first_token_seconds",
    expose = "recorded",
    buckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
)]
pub struct ServerTimeToFirstToken<'a> {
    gen_ai_operation_name: Operation,
    gen_ai_provider_name: Provider<'a>,
    gen_ai_request_model: Model<'a>,
}

/// Time per output token after the first: `gen_ai.server.time_per_output_token`.
#[derive(Metric)]
#[metric(
    histogram,
    prefix = "gen_ai_",
    name = "gen_ai_server_time_per_output_token_seconds",
    expose = "recorded",
    buckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5]
)]
pub struct ServerTimePerOutputToken<'a> {
    gen_ai_operation_name: Operation,
    gen_ai_provider_name: Provider<'a>,
    gen_ai_request_model: Model<'a>,
}
