//! A request's tokens by type ([`Usage`]), and what they cost at a model's
//! prices ([`Prices`]), exactly.

use super::TokenType;
use crate::{Usd, ValueError};

/// The tokens of one request, by type, as the provider reported them; the
/// types do not overlap (see [`TokenType`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens neither read from nor written to the prompt cache.
    pub input: u64,
    /// Completion tokens, reasoning aside.
    pub output: u64,
    /// Prompt tokens read from the prompt cache.
    pub cached_input: u64,
    /// Prompt tokens written to the prompt cache.
    pub cache_creation: u64,
    /// Completion tokens spent reasoning.
    pub reasoning: u64,
}

impl Usage {
    /// From OpenAI's `usage`, whose `prompt_tokens` include the
    /// `prompt_tokens_details.cached_tokens` and whose `completion_tokens`
    /// include the `completion_tokens_details.reasoning_tokens`. A detail
    /// larger than its total is taken as the total.
    ///
    /// ```
    /// use aigateway_metrics::gateway::Usage;
    /// let usage = Usage::from_openai(1_000, 300, 800, 200);
    /// assert_eq!((usage.input, usage.cached_input, usage.output, usage.reasoning), (200, 800, 100, 200));
    /// ```
    pub fn from_openai(prompt: u64, completion: u64, cached: u64, reasoning: u64) -> Usage {
        let (cached, reasoning) = (cached.min(prompt), reasoning.min(completion));
        Usage {
            input: prompt - cached,
            output: completion - reasoning,
            cached_input: cached,
            cache_creation: 0,
            reasoning,
        }
    }

    /// From Anthropic's `usage`, whose `input_tokens`,
    /// `cache_read_input_tokens` and `cache_creation_input_tokens` do not
    /// overlap, and whose `output_tokens` include any thinking.
    pub fn from_anthropic(input: u64, output: u64, cache_read: u64, cache_creation: u64) -> Usage {
        Usage {
            input,
            output,
            cached_input: cache_read,
            cache_creation,
            reasoning: 0,
        }
    }

    /// Each type's count, in [`TokenType::ALL`] order.
    pub fn by_type(&self) -> [(TokenType, u64); 5] {
        [
            (TokenType::Input, self.input),
            (TokenType::Output, self.output),
            (TokenType::CachedInput, self.cached_input),
            (TokenType::CacheCreation, self.cache_creation),
            (TokenType::Reasoning, self.reasoning),
        ]
    }

    /// The types to record, with their counts: input and output always (a
    /// route then shows them, at zero if need be), the others when not
    /// zero, so that a route whose provider has no prompt cache shows none.
    pub fn recorded(&self) -> impl Iterator<Item = (TokenType, u64)> {
        self.by_type().into_iter().filter(|&(token_type, count)| {
            count > 0 || matches!(token_type, TokenType::Input | TokenType::Output)
        })
    }

    /// Every prompt token, cached or not: OpenTelemetry's input tokens.
    pub fn prompt(&self) -> u64 {
        self.input + self.cached_input + self.cache_creation
    }

    /// Every completion token, reasoning included: OpenTelemetry's output
    /// tokens.
    pub fn completion(&self) -> u64 {
        self.output + self.reasoning
    }

    /// Every token, each type once.
    pub fn total(&self) -> u64 {
        self.by_type().iter().map(|(_, n)| n).sum()
    }
}

/// A price in US dollars per million tokens, kept in whole nano-dollars
/// per million tokens, so that costs computed from it are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Price {
    nanos_per_million: u64,
}

impl Price {
    /// Dollars per million tokens, rounded to the nano-dollar; NaN,
    /// infinite, negative and unrepresentably large prices are rejected.
    pub fn per_million(usd: f64) -> Result<Price, ValueError> {
        Ok(Price {
            nanos_per_million: Usd::new(usd)?.nanos(),
        })
    }
}

/// A model's prices, by token type. Reasoning tokens are billed as output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prices {
    /// Uncached prompt tokens.
    pub input: Price,
    /// Completion tokens, and reasoning tokens.
    pub output: Price,
    /// Prompt tokens read from the cache.
    pub cached_input: Price,
    /// Prompt tokens written to the cache.
    pub cache_creation: Price,
}

impl Prices {
    /// What `usage` costs, rounded once, to the nearest nano-dollar, from
    /// the exact sum over the types; saturating at `u64::MAX` nano-dollars.
    ///
    /// ```
    /// use aigateway_metrics::gateway::{Price, Prices, Usage};
    /// let prices = Prices {
    ///     input: Price::per_million(2.50)?,
    ///     output: Price::per_million(10.00)?,
    ///     cached_input: Price::per_million(1.25)?,
    ///     cache_creation: Price::per_million(0.0)?,
    /// };
    /// // 200 * 2.50 + 800 * 1.25 + (100 + 200) * 10.00 = 4,500 per million.
    /// let cost = prices.cost(&Usage::from_openai(1_000, 300, 800, 200));
    /// assert_eq!(cost.nanos(), 4_500_000);
    /// # Ok::<(), aigateway_metrics::ValueError>(())
    /// ```
    pub fn cost(&self, usage: &Usage) -> Usd {
        let priced = [
            (u128::from(usage.input), self.input),
            (
                u128::from(usage.output) + u128::from(usage.reasoning),
                self.output,
            ),
            (u128::from(usage.cached_input), self.cached_input),
            (u128::from(usage.cache_creation), self.cache_creation),
        ];
        let per_million: u128 = priced
            .iter()
            .map(|(tokens, price)| tokens * u128::from(price.nanos_per_million))
            .sum();
        let nanos = (per_million + 500_000) / 1_000_000;
        Usd::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}
