//! Arbitrary input through the public API without the derive: the `Accept`
//! negotiation, and label values and numbers into every recording call of
//! `GatewayMetrics`. Whatever the input, nothing panics, and the exposition
//! keeps what a scraper relies on: every sample line is a series of ours (no
//! value can inject one), OpenMetrics ends in `# EOF`, and the request
//! counter adds up to the records that were accepted.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run api -- -max_total_time=60

#![no_main]

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, CircuitState, Format, GatewayMetrics, Model, Provider, ProviderErrorType, Status,
    TenantId, Usd,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Fields are separated by U+0001: first an Accept header, then records
    // of (tenant, provider, model, number).
    let mut fields = text.split('\u{1}');
    let accept = fields.next().unwrap_or_default();
    // Must not panic, whatever the header.
    Format::from_accept(accept);

    let m = GatewayMetrics::default();
    m.requests.set_series_limit(3);
    let fields: Vec<&str> = fields.collect();
    let mut accepted = 0u64;
    for record in fields.chunks(4) {
        let get = |i: usize| record.get(i).copied().unwrap_or_default();
        let (t, p, md) = (TenantId(get(0)), Provider(get(1)), Model(get(2)));
        let number: f64 = get(3).trim().parse().unwrap_or(f64::NAN);
        if m.record_request(t, p, md, Status::Success, number).is_ok() {
            accepted += 1;
        }
        let _ = m.record_cost(t, p, md, number);
        let _ = m.set_budget_usage(t, number);
        let _ = Usd::new(number);
        m.record_tokens(t, p, md, get(0).len() as u64, get(2).len() as u64);
        m.record_cache_hit(t);
        m.set_circuit_breaker_state(p, CircuitState::HalfOpen);
        m.record_provider_error(p, ProviderErrorType::Other);
        let _guard = m.stream_started();
        if number > 1e6 {
            m.forget_tenant(t);
        }
    }

    let mut registry = Registry::default();
    m.register(&mut registry);
    for format in [Format::Prometheus, Format::OpenMetrics] {
        let exposition = encode(&registry, format);
        let mut requests = 0.0;
        for line in exposition.lines() {
            if line.starts_with('#') {
                continue;
            }
            assert!(line.starts_with("aigateway_"), "injected line: {line:?}");
            if line.starts_with("aigateway_requests_total{") {
                requests += line.rsplit(' ').next().unwrap().parse::<f64>().unwrap();
            }
        }
        if format == Format::OpenMetrics {
            assert!(exposition.ends_with("# EOF\n"));
        }
        // Forgetting a tenant removes its requests; without it they add up.
        if !fields.chunks(4).any(|r| {
            r.get(3)
                .and_then(|n| n.trim().parse::<f64>().ok())
                .is_some_and(|n| n > 1e6)
        }) {
            assert_eq!(requests, accepted as f64);
        }
    }
});
