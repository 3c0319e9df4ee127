//! End to end: two gateway instances scraped every second by a real
//! Prometheus (Debian's `prometheus` package), a known mix of traffic sent
//! with a real HTTP client, then Prometheus' HTTP API asked for exact totals
//! summed across both instances, and for every PromQL query of the seed
//! document and of the dashboard.
//!
//! Bounded in time (about 20 s; every wait has a deadline), and every process
//! is killed when the test ends. On failure the message carries Prometheus'
//! own log.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::prometheus::{dashboard_queries, map, Prometheus, SEED_QUERIES};
use support::{chat, test_config, Gateway};

fn ask(model: &str, content: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [{ "role": "user", "content": content }],
        "max_tokens": 16,
        "stream": stream,
    })
}

#[test]
fn two_gateways_scraped_by_prometheus_add_up_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 60_000);
    let (a, b) = (Gateway::start(&config), Gateway::start(&config));
    let prometheus = Prometheus::start(dir.path(), &[a.host_port(), b.host_port()]);
    let client = reqwest::blocking::Client::new();
    let send =
        |gw: &Gateway, tenant: &str, body: Value, headers: &[(&str, &str)], expected: u16| {
            let (status, text) = chat(&client, gw, tenant, body, headers);
            assert_eq!(status, expected, "{tenant}: {text}");
        };
    let server_error = [("x-simulate-error", "server_error")];
    let bad_request = [("x-simulate-error", "bad_request")];
    // Fails openai twice (the request and its retry); the fallback answers.
    let failover = [
        ("x-simulate-error", "server_error"),
        ("x-simulate-error-attempts", "2"),
    ];

    // Phase 1 creates the series; once Prometheus has scraped them, phase 2
    // makes them move, so that the seed's rate() queries have a change to see.
    send(
        &a,
        "acme",
        ask("openai/gpt-4o-mini", "hello there world", false),
        &[],
        200,
    );
    send(
        &a,
        "acme",
        ask("anthropic/claude-3-5-haiku", "one two", true),
        &[],
        200,
    );
    send(
        &a,
        "globex",
        ask("anthropic/claude-3-5-haiku", "hi", true),
        &[],
        200,
    );
    send(
        &a,
        "limited",
        ask("openai/gpt-4o-mini", "x1", false),
        &[],
        200,
    );
    send(&b, "acme", ask("openai/gpt-4o", "a b", false), &[], 200);
    send(
        &b,
        "globex",
        ask("google/gemini-1.5-flash", "boom", false),
        &server_error,
        502,
    );
    send(
        &a,
        "failover",
        ask("openai/gpt-4o-mini", "f1", false),
        &failover,
        200,
    );
    prometheus.wait_for_requests(7.0);

    send(
        &a,
        "acme",
        ask("openai/gpt-4o-mini", "hello there world", false),
        &[],
        200,
    ); // cache hit
    send(
        &a,
        "acme",
        ask("openai/gpt-4o-mini", "hello there world", false),
        &[],
        200,
    ); // cache hit
    send(
        &a,
        "acme",
        ask("anthropic/claude-3-5-haiku", "three four five", true),
        &[],
        200,
    );
    send(
        &a,
        "limited",
        ask("openai/gpt-4o-mini", "x2", false),
        &[],
        200,
    );
    send(
        &a,
        "limited",
        ask("openai/gpt-4o-mini", "x3", false),
        &[],
        429,
    ); // burst of 2 spent
    send(
        &a,
        "failover",
        ask("openai/gpt-4o-mini", "f2", false),
        &failover,
        200,
    );
    send(
        &b,
        "globex",
        ask("google/gemini-1.5-flash", "boom", false),
        &server_error,
        502,
    );
    send(
        &b,
        "globex",
        ask("google/gemini-1.5-flash", "boom", false),
        &server_error,
        502,
    ); // opens
    send(
        &b,
        "globex",
        ask("google/gemini-1.5-flash", "boom", false),
        &[],
        503,
    ); // circuit open
    send(
        &b,
        "acme",
        ask("openai/gpt-4o", "a b c", false),
        &bad_request,
        400,
    );

    prometheus.wait_for_requests(17.0);
    // Two more scrapes, so that every series has samples on both sides of a change.
    std::thread::sleep(Duration::from_millis(2_500));

    assert_eq!(prometheus.scalar("count(up{job=\"aigateway\"} == 1)"), 2.0);
    assert_eq!(
        prometheus.by("tenant_id", "sum by (tenant_id) (aigateway_requests_total)"),
        map(&[
            ("acme", 7.0),
            ("failover", 2.0),
            ("globex", 5.0),
            ("limited", 3.0)
        ])
    );
    assert_eq!(
        prometheus.by_pair(
            "tenant_id",
            "status",
            "sum by (tenant_id, status) (aigateway_requests_total) > 0"
        ),
        map(&[
            ("acme/success", 6.0),
            ("acme/invalid_request", 1.0),
            ("failover/success", 2.0),
            ("globex/success", 1.0),
            ("globex/error", 4.0),
            ("limited/success", 2.0),
            ("limited/rate_limited", 1.0),
        ])
    );
    // Input tokens are the words sent to a provider: 3 + 2 + 1 + 1 + 2 + 1
    // + 3, and 1 for each fallback.
    assert_eq!(
        prometheus.by("type", "sum by (type) (aigateway_tokens_total)"),
        map(&[("input", 15.0), ("output", 9.0 * 16.0)])
    );
    // Per million tokens: mini 3*0.15+16*0.6, haiku 2*0.8+64, haiku 1*0.8+64,
    // mini 1*0.15+9.6 (twice), gpt-4o 2*2.5+160, haiku 3*0.8+64, and the
    // fallbacks at haiku's price, 1*0.8+64 (twice).
    let cost = prometheus.scalar("sum(aigateway_cost_usd_total)");
    let expected_cost = (10.05 + 65.6 + 64.8 + 9.75 + 9.75 + 165.0 + 66.4 + 64.8 + 64.8) / 1e6;
    assert!(
        (cost - expected_cost).abs() < 1e-15,
        "cost {cost} != {expected_cost}"
    );
    assert_eq!(
        prometheus.scalar(
            "sum(aigateway_cache_hits_total) / (sum(aigateway_cache_hits_total) + sum(aigateway_cache_misses_total))"
        ),
        2.0 / 13.0
    );
    assert_eq!(
        prometheus.scalar("sum(aigateway_rate_limit_hits_total)"),
        1.0
    );
    assert_eq!(
        prometheus.by(
            "error_type",
            "sum by (error_type) (aigateway_provider_errors_total) > 0"
        ),
        map(&[("bad_request", 1.0), ("server_error", 7.0)])
    );
    // Each failover request: one retry of openai, then one fallback.
    assert_eq!(
        prometheus.by(
            "reason",
            "sum by (reason) (aigateway_retries_total{provider=\"openai\"}) > 0"
        ),
        map(&[("server_error", 2.0)])
    );
    assert_eq!(
        prometheus.by(
            "fallback_model",
            "sum by (fallback_model) (aigateway_fallbacks_total{provider=\"openai\",reason=\"server_error\"})"
        ),
        map(&[("claude-3-5-haiku", 2.0)])
    );
    let b_target = b.host_port();
    assert_eq!(
        prometheus.by(
            "instance",
            "aigateway_circuit_breaker_state{provider=\"google\"}"
        ),
        map(&[(a.host_port(), 0.0), (b_target, 2.0)])
    );
    assert_eq!(prometheus.scalar("sum(aigateway_active_streams)"), 0.0);
    assert_eq!(
        prometheus.scalar("sum(aigateway_time_to_first_token_seconds_count)"),
        3.0
    );
    assert_eq!(
        prometheus.scalar("sum(aigateway_request_duration_seconds_count)"),
        17.0
    );

    // The seed's queries evaluate, over the series they should cover.
    let requests = prometheus.query(SEED_QUERIES[0]);
    assert_eq!(
        requests.len(),
        prometheus.query("aigateway_requests_total").len()
    );
    assert!(requests
        .iter()
        .any(|(l, v)| l["tenant_id"] == "acme" && l["status"] == "success" && *v > 0.0));
    let p99 = prometheus.query(SEED_QUERIES[1]);
    // A quantile lies within the buckets (NaN where a series saw nothing
    // in the window); how fast the simulated calls were is not asserted.
    assert!(
        !p99.is_empty()
            && p99
                .iter()
                .all(|(_, v)| v.is_nan() || (*v > 0.0 && *v <= 120.0)),
        "{p99:?}"
    );
    let ratio = prometheus.scalar(SEED_QUERIES[2]);
    assert!(ratio > 0.0 && ratio < 1.0, "cache hit ratio {ratio}");
    let cost_per_hour = prometheus.by("tenant_id", SEED_QUERIES[3]);
    assert_eq!(
        cost_per_hour.keys().collect::<Vec<_>>(),
        ["acme", "failover", "globex", "limited"]
    );
    // Phase 2 added 66.4e-6 for acme; increase() extrapolates a little.
    assert!(
        (66.4e-6..2.0 * 66.4e-6).contains(&cost_per_hour["acme"]),
        "{cost_per_hour:?}"
    );
    let errors = prometheus.by("provider", SEED_QUERIES[4]);
    // Every query of the dashboard evaluates, with its variables at "All",
    // to a result.
    let mut evaluated = 0;
    for (title, promql) in dashboard_queries() {
        let result = prometheus.query(&promql);
        assert!(
            !result.is_empty(),
            "panel {title:?}: {promql} gave no result"
        );
        evaluated += 1;
    }
    // The five seed queries and thirty-nine family targets (three per
    // histogram).
    assert_eq!(evaluated, 44);

    // The semantic conventions' families, fed by the same records: every
    // request's duration, those that succeeded with no error_type label;
    // the tokens as the gateway's own families count them.
    assert_eq!(
        prometheus.scalar("sum(gen_ai_server_request_duration_seconds_count)"),
        17.0
    );
    assert_eq!(
        prometheus.scalar("sum(gen_ai_server_request_duration_seconds_count{error_type=\"\"})"),
        11.0
    );
    assert_eq!(
        prometheus.by(
            "gen_ai_token_type",
            "sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum)"
        ),
        map(&[("input", 15.0), ("output", 9.0 * 16.0)])
    );

    // The recording rules run on the live data: google failed all its
    // phase-2 requests, anthropic none of its.
    let error_ratio = prometheus.by("provider", "provider:aigateway_requests:error_ratio_rate5m");
    assert!(
        error_ratio["google"] > 0.0 && error_ratio["anthropic"] == 0.0,
        "{error_ratio:?}"
    );

    // Every configured provider is there from startup, at zero while healthy.
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        ["anthropic", "google", "openai"]
    );
    assert!(
        errors["google"] > 0.0 && errors["openai"] > 0.0 && errors["anthropic"] == 0.0,
        "{errors:?}"
    );
}

/// A request's trace (its `traceparent` header) reaches Prometheus as the
/// exemplar of its count and of its duration's bucket, through the
/// OpenMetrics scrape, with `--enable-feature=exemplar-storage`.
#[test]
fn a_requests_trace_id_is_stored_as_its_exemplar() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&test_config(dir.path(), 60_000));
    let prometheus = Prometheus::scraping(
        dir.path(),
        &[gw.host_port()],
        &["--enable-feature=exemplar-storage"],
    );
    let client = reqwest::blocking::Client::new();
    let (trace_id, span_id) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let traceparent = format!("00-{trace_id}-{span_id}-01");
    let traced = [("traceparent", traceparent.as_str())];
    let (status, _) = chat(
        &client,
        &gw,
        "traced",
        ask("openai/gpt-4o-mini", "hi", false),
        &traced,
    );
    assert_eq!(status, 200);
    // Not sampled: no exemplar.
    let unsampled = traceparent.replace("-01", "-00");
    let headers = [("traceparent", unsampled.as_str())];
    let (status, _) = chat(
        &client,
        &gw,
        "untraced",
        ask("openai/gpt-4o-mini", "hi", false),
        &headers,
    );
    assert_eq!(status, 200);
    prometheus.wait_for_requests(2.0);

    let ids = json!({ "trace_id": trace_id, "span_id": span_id });
    let requests = prometheus.exemplars("aigateway_requests_total");
    assert_eq!(requests.len(), 1, "{requests:?}");
    let (series, exemplars) = &requests[0];
    assert_eq!(
        (&series["tenant_id"], &series["status"]),
        (&json!("traced"), &json!("success"))
    );
    assert_eq!(exemplars, &[(ids.clone(), 1.0)]);

    let buckets = prometheus.exemplars("aigateway_request_duration_seconds_bucket");
    assert_eq!(buckets.len(), 1, "{buckets:?}");
    let (series, exemplars) = &buckets[0];
    assert_eq!(series["tenant_id"], "traced");
    assert_eq!(exemplars.len(), 1);
    let (labels, seconds) = &exemplars[0];
    assert_eq!(labels, &ids);
    // The simulated provider answers after 2 ms; the exemplar is in the
    // bucket its value falls in.
    let le: f64 = series["le"].as_str().unwrap().parse().unwrap();
    assert!(*seconds > 0.002 && *seconds <= le, "{seconds} in le={le}");
}
