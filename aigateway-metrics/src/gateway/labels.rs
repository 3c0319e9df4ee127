//! The label value types of the gateway's families. Each open-set label has
//! its own newtype, so that passing a model where a tenant goes does not
//! compile.

use crate::LabelValue;

/// The tenant a request is served for: the `tenant_id` label.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantId<'a>(pub &'a str);

/// The upstream LLM provider, such as `openai`: the `provider` label.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Provider<'a>(pub &'a str);

/// The model asked for, such as `gpt-4o-mini`: the `model` label.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Model<'a>(pub &'a str);

/// The provider a failed request was passed on to: the `fallback_provider`
/// label of `aigateway_fallbacks_total`. A type of its own, so that the two
/// providers of a fallback cannot be swapped.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FallbackProvider<'a>(pub &'a str);

/// The model a failed request was passed on to: the `fallback_model` label.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FallbackModel<'a>(pub &'a str);

/// How a request ended: the `status` label of `aigateway_requests_total`.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The provider answered: `success`.
    Success,
    /// The provider failed or could not be reached: `error`.
    Error,
    /// Refused by the tenant's rate limit: `rate_limited`.
    RateLimited,
    /// Refused because the tenant's budget is spent: `budget_exceeded`.
    BudgetExceeded,
    /// Refused because the request was malformed: `invalid_request`.
    InvalidRequest,
    /// The client went away before the answer was complete (a dropped
    /// connection, a stream closed early): `cancelled`.
    Cancelled,
}

impl Status {
    /// Every status, in [`LabelEnum::VALUES`](crate::LabelEnum::VALUES)
    /// order: `ALL[s.index()] == s`.
    pub const ALL: [Status; 6] = [
        Status::Success,
        Status::Error,
        Status::RateLimited,
        Status::BudgetExceeded,
        Status::InvalidRequest,
        Status::Cancelled,
    ];
}

/// Which tokens: the `type` label of `aigateway_tokens_total`. The types
/// do not overlap, so that a request's tokens of every type add up to what
/// it was billed for, each token once.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// Prompt tokens, those read from or written to the provider's prompt
    /// cache aside: `input`.
    Input,
    /// Completion tokens, reasoning tokens aside: `output`.
    Output,
    /// Prompt tokens read from the provider's prompt cache, billed at its
    /// cached price: `cached_input`.
    CachedInput,
    /// Prompt tokens written to the provider's prompt cache:
    /// `cache_creation`.
    CacheCreation,
    /// Completion tokens the model spent reasoning, not shown in its
    /// answer: `reasoning`.
    Reasoning,
}

impl TokenType {
    /// Every type, in [`LabelEnum::VALUES`](crate::LabelEnum::VALUES)
    /// order.
    pub const ALL: [TokenType; 5] = [
        TokenType::Input,
        TokenType::Output,
        TokenType::CachedInput,
        TokenType::CacheCreation,
        TokenType::Reasoning,
    ];
}

/// How a provider failed: the `error_type` label of
/// `aigateway_provider_errors_total`.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderErrorType {
    /// No answer in time: `timeout`.
    Timeout,
    /// The provider's own rate limit (HTTP 429): `rate_limited`.
    RateLimited,
    /// The provider failed (HTTP 5xx): `server_error`.
    ServerError,
    /// The connection failed or broke: `connection`.
    Connection,
    /// The provider refused the request (HTTP 4xx but 401, 403, 429): `bad_request`.
    BadRequest,
    /// The provider refused the gateway's credentials (HTTP 401, 403): `authentication`.
    Authentication,
    /// Anything else: `other`.
    Other,
}

/// Why a request was asked again of the same provider and model: the
/// `reason` label of `aigateway_retries_total`.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryReason {
    /// No answer in time: `timeout`.
    Timeout,
    /// The provider's own rate limit (HTTP 429): `rate_limited`.
    RateLimited,
    /// The provider failed (HTTP 5xx): `server_error`.
    ServerError,
    /// The connection failed or broke: `connection`.
    Connection,
    /// Anything else: `other`.
    Other,
}

impl From<ProviderErrorType> for RetryReason {
    /// The reason to retry after a provider error. Refusals (a bad
    /// request, the gateway's credentials) do not pass on their own; a
    /// gateway that retries them anyway records `other`.
    fn from(error: ProviderErrorType) -> RetryReason {
        match error {
            ProviderErrorType::Timeout => RetryReason::Timeout,
            ProviderErrorType::RateLimited => RetryReason::RateLimited,
            ProviderErrorType::ServerError => RetryReason::ServerError,
            ProviderErrorType::Connection => RetryReason::Connection,
            ProviderErrorType::BadRequest
            | ProviderErrorType::Authentication
            | ProviderErrorType::Other => RetryReason::Other,
        }
    }
}

/// Why a request was passed on to another provider or model: the `reason`
/// label of `aigateway_fallbacks_total`.
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FallbackReason {
    /// No answer in time: `timeout`.
    Timeout,
    /// The provider's own rate limit (HTTP 429): `rate_limited`.
    RateLimited,
    /// The provider failed (HTTP 5xx): `server_error`.
    ServerError,
    /// The connection failed or broke: `connection`.
    Connection,
    /// The provider refused the gateway's credentials: `authentication`.
    Authentication,
    /// The provider's circuit breaker is open, so it was not asked:
    /// `circuit_open`.
    CircuitOpen,
    /// Anything else: `other`.
    Other,
}

impl From<ProviderErrorType> for FallbackReason {
    /// The reason to fall back after a provider error; a bad request is the
    /// client's and normally answered, not passed on: `other` if it is.
    fn from(error: ProviderErrorType) -> FallbackReason {
        match error {
            ProviderErrorType::Timeout => FallbackReason::Timeout,
            ProviderErrorType::RateLimited => FallbackReason::RateLimited,
            ProviderErrorType::ServerError => FallbackReason::ServerError,
            ProviderErrorType::Connection => FallbackReason::Connection,
            ProviderErrorType::Authentication => FallbackReason::Authentication,
            ProviderErrorType::BadRequest | ProviderErrorType::Other => FallbackReason::Other,
        }
    }
}

/// The state of a provider's circuit breaker, exposed by
/// `aigateway_circuit_breaker_state` as 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Requests flow: 0.
    Closed,
    /// A trial request is let through: 1.
    HalfOpen,
    /// Requests are refused without asking the provider: 2.
    Open,
}

impl From<CircuitState> for i64 {
    fn from(state: CircuitState) -> i64 {
        match state {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }
}
