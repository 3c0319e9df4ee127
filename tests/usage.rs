//! Token types beyond input and output: a typed usage recorded in one
//! call, exposed only for the types a route has seen, and its cost at a
//! model's prices, exact to the nano-dollar.

mod support;

use aigateway_metrics::gateway::{Price, Prices, Usage};
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{GatewayMetrics, Model, Provider, RequestRecorder, Status, TenantId};

const ROUTE: (TenantId<'static>, Provider<'static>, Model<'static>) =
    (TenantId("acme"), Provider("openai"), Model("o3"));

fn tokens(m: &GatewayMetrics) -> Vec<String> {
    let mut registry = Registry::default();
    m.tokens.register(&mut registry);
    support::samples(&registry)
}

fn line(token_type: &str, value: u64) -> String {
    format!("aigateway_tokens_total{{tenant_id=\"acme\",provider=\"openai\",model=\"o3\",type=\"{token_type}\"}} {value}")
}

#[test]
fn only_the_types_a_route_has_seen_are_exposed() {
    let m = GatewayMetrics::default();
    let (t, p, md) = ROUTE;
    m.record_tokens(t, p, md, 100, 50);
    assert_eq!(tokens(&m), [line("input", 100), line("output", 50)]);
    // OpenAI's usage of a reasoning model with a cache hit.
    m.record_usage(t, p, md, &Usage::from_openai(1_000, 300, 800, 200));
    assert_eq!(
        tokens(&m),
        [
            line("input", 300),
            line("output", 150),
            line("cached_input", 800),
            line("reasoning", 200),
        ]
    );
    m.record_usage(t, p, md, &Usage::from_anthropic(10, 20, 30, 40));
    assert_eq!(
        tokens(&m),
        [
            line("input", 310),
            line("output", 170),
            line("cached_input", 830),
            line("cache_creation", 40),
            line("reasoning", 200),
        ]
    );
}

#[test]
fn kept_series_and_the_recorder_record_what_the_gateway_method_records() {
    let (kept, looked_up) = (GatewayMetrics::default(), GatewayMetrics::default());
    let (t, p, md) = ROUTE;
    let usage = Usage::from_openai(1_000, 300, 800, 200);
    let route = kept.route_series(t, p, md);
    // Made, a route shows input and output at zero, and nothing else.
    assert_eq!(tokens(&kept), [line("input", 0), line("output", 0)]);
    route.record_usage(&usage);
    let mut request = RequestRecorder::start();
    request.set_route(&kept, t, p, md);
    request.record_usage(&usage);
    request.finish(Status::Success);
    looked_up.record_usage(t, p, md, &usage);
    looked_up.record_usage(t, p, md, &usage);
    assert_eq!(tokens(&kept), tokens(&looked_up));
    assert_eq!(tokens(&kept)[2], line("cached_input", 1_600));
}

#[test]
fn usage_reads_each_provider_without_counting_a_token_twice() {
    let openai = Usage::from_openai(1_000, 300, 800, 200);
    assert_eq!(openai.total(), 1_300);
    // A detail larger than its total is taken as the total.
    let odd = Usage::from_openai(10, 5, 50, 9);
    assert_eq!(
        (odd.input, odd.cached_input, odd.output, odd.reasoning),
        (0, 10, 0, 5)
    );
    let anthropic = Usage::from_anthropic(10, 20, 30, 40);
    assert_eq!(anthropic.total(), 100);
}

#[test]
fn cost_is_exact_and_prices_cached_tokens_apart() {
    let prices = Prices {
        input: Price::per_million(3.00).unwrap(),
        output: Price::per_million(15.00).unwrap(),
        cached_input: Price::per_million(0.30).unwrap(),
        cache_creation: Price::per_million(3.75).unwrap(),
    };
    // (10 * 3 + 20 * 15 + 30 * 0.30 + 40 * 3.75) / 1e6 = $0.000489.
    let cost = prices.cost(&Usage::from_anthropic(10, 20, 30, 40));
    assert_eq!(cost.nanos(), 489_000);
    let one_cached = Usage {
        cached_input: 1,
        ..Usage::default()
    };
    assert_eq!(prices.cost(&one_cached).nanos(), 300);
    // A cost is rounded once, to the nano-dollar, from the exact sum: at
    // $0.0004 per million a token is 0.4 nano-dollars, so one costs 0 and
    // a thousand exactly 400.
    let tiny = Prices {
        input: Price::per_million(0.0004).unwrap(),
        ..Prices::default()
    };
    let input = |input| Usage {
        input,
        ..Usage::default()
    };
    assert_eq!(tiny.cost(&input(1)).nanos(), 0);
    assert_eq!(tiny.cost(&input(2)).nanos(), 1);
    assert_eq!(tiny.cost(&input(1_000)).nanos(), 400);
    // Reasoning tokens are billed as output.
    let reasoning = Usage {
        reasoning: 1_000_000,
        ..Usage::default()
    };
    assert_eq!(prices.cost(&reasoning).nanos(), 15_000_000_000);
    // Prices that make no sense are refused.
    assert!(Price::per_million(-1.0).is_err() && Price::per_million(f64::NAN).is_err());
    // The largest counts do not overflow: the cost saturates.
    let huge = Usage {
        input: u64::MAX,
        output: u64::MAX,
        reasoning: u64::MAX,
        ..Usage::default()
    };
    assert_eq!(prices.cost(&huge).nanos(), u64::MAX);
}
