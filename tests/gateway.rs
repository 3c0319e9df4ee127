//! The example gateway over real HTTP: what it answers, and exactly what it
//! records for each path through a request.

mod support;

use std::io::Read;
use std::time::Duration;

use serde_json::{json, Value};
use support::{chat, stable_part, test_config, wait_for, Gateway};

fn start(cooldown_ms: u64) -> (tempfile::TempDir, Gateway, reqwest::blocking::Client) {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(&test_config(dir.path(), cooldown_ms));
    (dir, gateway, reqwest::blocking::Client::new())
}

fn ask(model: &str, content: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": content }], "max_tokens": 16 })
}

fn error_of(body: &str) -> Value {
    serde_json::from_str::<Value>(body).unwrap()["error"].clone()
}

#[test]
fn requests_without_known_labels_are_refused_in_openai_format_and_not_counted() {
    let (_dir, gw, client) = start(60_000);
    let before = gw.metrics();
    let response = client
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&ask("openai/gpt-4o-mini", "hi"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        error_of(&response.text().unwrap())["type"],
        "invalid_request_error"
    );

    // A tenant header that is not visible ASCII (here invalid UTF-8).
    let response = client
        .post(format!("{}/v1/chat/completions", gw.url))
        .header(
            "x-tenant-id",
            reqwest::header::HeaderValue::from_bytes(b"acme\xff\xfe").unwrap(),
        )
        .json(&ask("openai/gpt-4o-mini", "hi"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);

    let (status, body) = chat(&client, &gw, "acme", ask("mistral/large", "hi"), &[]);
    assert_eq!(
        (status, error_of(&body)["message"].as_str()),
        (400, Some("unknown provider `mistral`"))
    );
    let (status, body) = chat(&client, &gw, "acme", ask("openai/gpt-5", "hi"), &[]);
    assert_eq!(
        (status, error_of(&body)["code"].as_str()),
        (400, Some("model_not_found"))
    );
    let (status, _) = chat(
        &client,
        &gw,
        "acme",
        json!({ "model": "openai/gpt-4o" }),
        &[],
    );
    assert_eq!(status, 400);
    let response = client
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("x-tenant-id", "acme")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        error_of(&response.text().unwrap())["type"],
        "invalid_request_error"
    );
    assert_eq!(stable_part(&gw.metrics()), stable_part(&before));
}

#[test]
fn rate_limit_budget_and_cache_are_counted_exactly() {
    let (_dir, gw, client) = start(60_000);
    let statuses: Vec<u16> = ["one", "two", "three"]
        .iter()
        .map(|c| chat(&client, &gw, "limited", ask("openai/gpt-4o-mini", c), &[]).0)
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(
        gw.sample("aigateway_rate_limit_hits_total{tenant_id=\"limited\"}"),
        Some(1.0)
    );
    let limited = "tenant_id=\"limited\",provider=\"openai\",model=\"gpt-4o-mini\"";
    assert_eq!(
        gw.sample(&format!(
            "aigateway_requests_total{{{limited},status=\"rate_limited\"}}"
        )),
        Some(1.0)
    );
    assert_eq!(
        gw.sample(&format!(
            "aigateway_requests_total{{{limited},status=\"success\"}}"
        )),
        Some(2.0)
    );

    // 4 input and 16 output tokens of gpt-4o cost 0.00017 USD, over a
    // budget of 0.0001: the next request is refused.
    let (first, _) = chat(&client, &gw, "frugal", ask("openai/gpt-4o", "a b c d"), &[]);
    let (second, body) = chat(
        &client,
        &gw,
        "frugal",
        ask("openai/gpt-4o", "other words"),
        &[],
    );
    assert_eq!((first, second), (200, 429));
    assert_eq!(error_of(&body)["code"], "insufficient_quota");
    assert_eq!(
        gw.sample("aigateway_budget_usage_ratio{tenant_id=\"frugal\"}"),
        Some(1.7)
    );
    let frugal = "tenant_id=\"frugal\",provider=\"openai\",model=\"gpt-4o\"";
    assert_eq!(
        gw.sample(&format!("aigateway_cost_usd_total{{{frugal}}}")),
        Some(0.00017)
    );
    assert_eq!(
        gw.sample(&format!(
            "aigateway_requests_total{{{frugal},status=\"budget_exceeded\"}}"
        )),
        Some(1.0)
    );

    for _ in 0..3 {
        assert_eq!(
            chat(
                &client,
                &gw,
                "acme",
                ask("google/gemini-1.5-flash", "same words"),
                &[]
            )
            .0,
            200
        );
    }
    assert_eq!(
        gw.sample("aigateway_cache_hits_total{tenant_id=\"acme\"}"),
        Some(2.0)
    );
    assert_eq!(
        gw.sample("aigateway_cache_misses_total{tenant_id=\"acme\"}"),
        Some(1.0)
    );
    let acme = "tenant_id=\"acme\",provider=\"google\",model=\"gemini-1.5-flash\"";
    // The provider was asked once: tokens count what it was asked for.
    assert_eq!(
        gw.sample(&format!("aigateway_tokens_total{{{acme},type=\"input\"}}")),
        Some(2.0)
    );
    assert_eq!(
        gw.sample(&format!("aigateway_tokens_total{{{acme},type=\"output\"}}")),
        Some(16.0)
    );
    assert_eq!(
        gw.sample(&format!(
            "aigateway_requests_total{{{acme},status=\"success\"}}"
        )),
        Some(3.0)
    );
    assert_eq!(
        gw.sample(&format!(
            "aigateway_request_duration_seconds_count{{{acme}}}"
        )),
        Some(3.0)
    );
}

#[test]
fn circuit_breaker_opens_goes_half_open_and_closes() {
    let (_dir, gw, client) = start(300);
    let state = || gw.sample("aigateway_circuit_breaker_state{provider=\"google\"}");
    let fail = [("x-simulate-error", "server_error")];
    assert_eq!(
        state(),
        Some(0.0),
        "healthy providers show as closed from the start"
    );
    for _ in 0..3 {
        assert_eq!(
            chat(
                &client,
                &gw,
                "acme",
                ask("google/gemini-1.5-flash", "x"),
                &fail
            )
            .0,
            502
        );
    }
    assert_eq!(state(), Some(2.0));
    let (status, body) = chat(
        &client,
        &gw,
        "acme",
        ask("google/gemini-1.5-flash", "x"),
        &[],
    );
    assert_eq!(
        (status, error_of(&body)["code"].as_str()),
        (503, Some("circuit_open"))
    );

    // After the cooldown one trial goes through; it fails, and the breaker opens again.
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(
        chat(
            &client,
            &gw,
            "acme",
            ask("google/gemini-1.5-flash", "x"),
            &fail
        )
        .0,
        502
    );
    assert_eq!(state(), Some(2.0));
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(
        chat(
            &client,
            &gw,
            "acme",
            ask("google/gemini-1.5-flash", "x"),
            &[]
        )
        .0,
        200
    );
    assert_eq!(state(), Some(0.0));

    assert_eq!(
        gw.sample(
            "aigateway_provider_errors_total{provider=\"google\",error_type=\"server_error\"}"
        ),
        Some(4.0)
    );
    let labels = "tenant_id=\"acme\",provider=\"google\",model=\"gemini-1.5-flash\"";
    assert_eq!(
        gw.sample(&format!(
            "aigateway_requests_total{{{labels},status=\"error\"}}"
        )),
        Some(5.0)
    );
    assert_eq!(
        gw.sample("aigateway_circuit_breaker_state{provider=\"openai\"}"),
        Some(0.0)
    );
}

#[test]
fn a_stream_ends_with_usage_and_done() {
    let (_dir, gw, client) = start(60_000);
    let body = json!({
        "model": "anthropic/claude-3-5-haiku",
        "messages": [{ "role": "user", "content": "stream three words" }],
        "max_tokens": 3,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    let (status, text) = chat(&client, &gw, "acme", body, &[]);
    assert_eq!(status, 200);
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"].get(0)?["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "The gateway answers");
    assert_eq!(
        chunks.last().unwrap()["usage"],
        json!({
            "prompt_tokens": 3,
            "completion_tokens": 3,
            "total_tokens": 6,
            "prompt_tokens_details": { "cached_tokens": 0 },
            "completion_tokens_details": { "reasoning_tokens": 0 },
        })
    );
    // Stream timings are by provider and model.
    let labels = "provider=\"anthropic\",model=\"claude-3-5-haiku\"";
    assert_eq!(
        gw.sample(&format!(
            "aigateway_time_to_first_token_seconds_count{{{labels}}}"
        )),
        Some(1.0)
    );
    assert_eq!(
        gw.sample(&format!(
            "aigateway_time_per_output_token_seconds_count{{{labels}}}"
        )),
        Some(1.0)
    );
    // Recorded once the stream ends, through the tenant's kept series; the
    // time the gateway added, once, beside the provider's.
    assert_eq!(
        gw.sample(&format!(
            "aigateway_gateway_overhead_seconds_count{{{labels}}}"
        )),
        Some(1.0)
    );
    let labels = format!("tenant_id=\"acme\",{labels}");
    for (sample, value) in [
        (
            format!("aigateway_requests_total{{{labels},status=\"success\"}}"),
            1.0,
        ),
        (
            format!("aigateway_requests_total{{{labels},status=\"error\"}}"),
            0.0,
        ),
        (
            format!("aigateway_request_duration_seconds_count{{{labels}}}"),
            1.0,
        ),
        (
            format!("aigateway_tokens_total{{{labels},type=\"output\"}}"),
            3.0,
        ),
    ] {
        assert_eq!(gw.sample(&sample), Some(value), "{sample}");
    }
    assert_eq!(gw.sample("aigateway_active_streams"), Some(0.0));
}

#[test]
fn active_streams_fall_when_the_client_leaves_mid_stream() {
    let (_dir, gw, client) = start(60_000);
    let body = json!({
        "model": "openai/gpt-4o-mini",
        "messages": [{ "role": "user", "content": "a long answer please" }],
        "max_tokens": 100_000,
        "stream": true,
    });
    let mut response = client
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("x-tenant-id", "acme")
        .json(&body)
        .send()
        .unwrap();
    let mut first = [0u8; 64];
    response.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"data: "));
    assert_eq!(gw.sample("aigateway_active_streams"), Some(1.0));
    drop(response);
    wait_for(
        "active streams to fall to 0",
        Duration::from_secs(10),
        || match gw.sample("aigateway_active_streams") {
            Some(0.0) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    // The provider answered, but the client did not get the answer.
    let labels = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\"";
    for (status, count) in [("cancelled", 1.0), ("success", 0.0)] {
        assert_eq!(
            gw.sample(&format!(
                "aigateway_requests_total{{{labels},status=\"{status}\"}}"
            )),
            Some(count),
            "{status}"
        );
    }
}

/// A fake OpenAI-compatible upstream on loopback: answers each request with
/// `answer(path, body)`, and keeps what it was sent.
fn fake_upstream(
    answer: fn(&str, &Value) -> (u16, Value),
) -> (
    String,
    std::sync::mpsc::Receiver<(String, Option<String>, Value)>,
) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let path = request_line
                .split(' ')
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let (mut length, mut auth) = (0, None);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(": ").unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap(),
                    "authorization" => auth = Some(value.to_owned()),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap();
            let (status, reply) = answer(&path, &body);
            let reply = reply.to_string();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            )
            .unwrap();
            sent.send((path, auth, body)).unwrap();
        }
    });
    (url, received)
}

#[test]
fn a_provider_can_point_at_a_real_upstream() {
    let (upstream, received) = fake_upstream(|_, body| match body["model"].as_str() {
        Some("busy-model") => (429, json!({ "error": { "message": "slow down" } })),
        _ => (
            200,
            json!({
                "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{ "index": 0, "message": { "role": "assistant", "content": "from upstream" }, "finish_reason": "stop" }],
                "usage": { "prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13 },
            }),
        ),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[defaults]
rate_limit_rps = 100.0
rate_limit_burst = 100
budget_usd = 10.0

[[providers]]
name = "real"
upstream = "{upstream}"
api_key_env = "FAKE_UPSTREAM_KEY"
failure_threshold = 5
cooldown_ms = 1000
models = [
  {{ name = "small-model", input_usd_per_mtok = 1.0, output_usd_per_mtok = 2.0 }},
  {{ name = "busy-model", input_usd_per_mtok = 1.0, output_usd_per_mtok = 2.0 }},
]
"#
        ),
    )
    .unwrap();
    let gw = Gateway::start_with_env(&config, &[("FAKE_UPSTREAM_KEY", "sk-test")]);
    let client = reqwest::blocking::Client::new();

    let (status, body) = chat(&client, &gw, "acme", ask("real/small-model", "hello"), &[]);
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], "from upstream");
    let (path, auth, sent) = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!(
        sent["model"], "small-model",
        "the provider prefix is not sent upstream"
    );
    assert_eq!(
        sent["messages"],
        json!([{ "role": "user", "content": "hello" }])
    );

    assert_eq!(
        chat(&client, &gw, "acme", ask("real/busy-model", "hello"), &[]).0,
        429
    );
    let labels = "tenant_id=\"acme\",provider=\"real\",model=\"small-model\"";
    assert_eq!(
        gw.sample(&format!(
            "aigateway_tokens_total{{{labels},type=\"input\"}}"
        )),
        Some(11.0)
    );
    assert_eq!(
        gw.sample(&format!(
            "aigateway_tokens_total{{{labels},type=\"output\"}}"
        )),
        Some(2.0)
    );
    assert_eq!(
        gw.sample(&format!("aigateway_cost_usd_total{{{labels}}}")),
        Some(0.000015)
    );
    assert_eq!(
        gw.sample("aigateway_provider_errors_total{provider=\"real\",error_type=\"rate_limited\"}"),
        Some(1.0)
    );
}

/// The gateway's own `/metrics` (two groups in one registry) is valid in
/// both formats by tools we did not write, and lists each self-metric
/// family once, covering all of the gateway's families.
#[test]
fn the_gateways_metrics_pass_promtool_and_the_python_parsers() {
    let (_dir, gw, client) = start(60_000);
    // With a trace: its exemplars are in the OpenMetrics the parser reads.
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    chat(
        &client,
        &gw,
        "acme",
        ask("openai/gpt-4o-mini", "hi"),
        &[("traceparent", traceparent)],
    );
    let stream = json!({
        "model": "anthropic/claude-3-5-haiku", "stream": true, "max_tokens": 3,
        "messages": [{ "role": "user", "content": "hi" }],
    });
    chat(&client, &gw, "acme", stream, &[]);
    chat(
        &client,
        &gw,
        "globex",
        ask("google/gemini-1.5-flash", "x"),
        &[("x-simulate-error", "timeout")],
    );

    let text = gw.metrics();
    support::assert_promtool_accepts(&text);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/tools/parse_exposition.py"
    );
    let openmetrics = client
        .get(format!("{}/metrics", gw.url))
        .header("accept", "application/openmetrics-text;version=1.0.0")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(openmetrics.ends_with("# EOF\n"));
    let exemplar =
        " # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"}";
    // On the request's count, its duration's bucket, and its bucket of
    // gen_ai_server_request_duration_seconds.
    assert_eq!(openmetrics.matches(exemplar).count(), 3, "{openmetrics}");
    assert!(!text.contains(exemplar));
    for (format, body) in [("text", &text), ("openmetrics", &openmetrics)] {
        let output = support::run_with_stdin("python3", &[script, format], body);
        assert!(
            output.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for family in [
        "aigateway_metrics_series_overflow_total",
        "aigateway_metrics_rejected_values_total",
    ] {
        let help = format!("# HELP {family} ");
        assert_eq!(text.matches(&help).count(), 1, "{family}");
    }
    let overflow_families = text
        .lines()
        .filter(|l| l.starts_with("aigateway_metrics_series_overflow_total{"))
        .count();
    // The gateway's sixteen, the semantic conventions' five, its build info
    // and the endpoint's three.
    assert_eq!(overflow_families, 25);
}

/// `/metrics` is gzipped for a scraper that accepts it, as Prometheus does,
/// and sent as text to one that does not; both carry the same exposition.
#[test]
fn metrics_are_gzipped_when_accepted() {
    use std::io::Read;
    let (_dir, gw, client) = start(1_000);
    for tenant in ["acme", "globex"] {
        let (status, _) = chat(&client, &gw, tenant, ask("openai/gpt-4o-mini", "hi"), &[]);
        assert_eq!(status, 200);
    }
    let scrape = |encoding: &str| {
        let response = client
            .get(format!("{}/metrics", gw.url))
            .header("accept-encoding", encoding)
            .send()
            .unwrap();
        let header = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        (header, response.bytes().unwrap().to_vec())
    };
    let (plain_encoding, plain) = scrape("identity");
    let (gzip_encoding, gzipped) = scrape("gzip, deflate");
    assert_eq!(plain_encoding, None);
    assert_eq!(gzip_encoding.as_deref(), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(
        stable_part(&text),
        stable_part(&String::from_utf8(plain).unwrap())
    );
    assert!(text.contains("aigateway_requests_total{tenant_id=\"globex\""));
    assert!(
        gzipped.len() * 4 < text.len(),
        "{} of {} bytes",
        gzipped.len(),
        text.len()
    );
}

/// A provider's cached and reasoning tokens: reported in OpenAI's usage
/// details, recorded as their own token types, and priced apart, exactly.
#[test]
fn cached_and_reasoning_tokens_are_reported_recorded_and_priced() {
    let (_dir, gw, client) = start(60_000);
    let simulate = [
        ("x-simulate-cached-tokens", "2"),
        ("x-simulate-reasoning-tokens", "5"),
    ];
    let (status, body) = chat(
        &client,
        &gw,
        "acme",
        ask("openai/gpt-4o-mini", "one two three"),
        &simulate,
    );
    assert_eq!(status, 200, "{body}");
    let usage = &serde_json::from_str::<Value>(&body).unwrap()["usage"];
    assert_eq!(
        *usage,
        json!({
            "prompt_tokens": 3,
            "completion_tokens": 21,
            "total_tokens": 24,
            "prompt_tokens_details": { "cached_tokens": 2 },
            "completion_tokens_details": { "reasoning_tokens": 5 },
        })
    );
    let labels = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\"";
    for (token_type, count) in [
        ("input", 1.0),
        ("output", 16.0),
        ("cached_input", 2.0),
        ("reasoning", 5.0),
    ] {
        let series = format!("aigateway_tokens_total{{{labels},type=\"{token_type}\"}}");
        assert_eq!(gw.sample(&series), Some(count), "{series}");
    }
    assert_eq!(
        gw.sample(&format!(
            "aigateway_tokens_total{{{labels},type=\"cache_creation\"}}"
        )),
        None
    );
    // (1 * 0.15 + 2 * 0.075 + (16 + 5) * 0.60) / 1e6 dollars.
    assert_eq!(
        gw.sample(&format!("aigateway_cost_usd_total{{{labels}}}")),
        Some(0.0000129)
    );
}

/// Retries and fallbacks (`openai/gpt-4o-mini` retries once, then falls
/// back to `anthropic/claude-3-5-haiku`, which does neither): each attempt's
/// error, each retry and fallback by reason, and the request once, under
/// the route that answered it.
#[test]
fn retries_and_fallbacks_are_counted_by_reason_and_route() {
    let (_dir, gw, client) = start(60_000);
    let mini = "openai/gpt-4o-mini";
    let send = |tenant: &str, headers: &[(&str, &str)]| {
        chat(&client, &gw, tenant, ask(mini, "x"), headers).0
    };
    let fail = |error, attempts| {
        [
            ("x-simulate-error", error),
            ("x-simulate-error-attempts", attempts),
        ]
    };

    // Fails once, answers when asked again.
    assert_eq!(send("retry", &fail("server_error", "1")), 200);
    // Fails twice: the fallback answers.
    assert_eq!(send("fallback", &fail("timeout", "2")), 200);
    // The client's bad request is neither retried nor passed on.
    assert_eq!(send("refused", &[("x-simulate-error", "bad_request")]), 400);
    // Every provider fails: the last route tried counts the error.
    assert_eq!(send("down", &[("x-simulate-error", "server_error")]), 502);
    // openai's third failure in a row opens its breaker, so the retry
    // becomes a fallback; and so does the next request, not failed at all.
    assert_eq!(send("open", &fail("server_error", "1")), 200);
    assert_eq!(send("skipped", &[]), 200);

    let text = gw.metrics();
    let family = |name: &str| -> Vec<&str> {
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
            .collect()
    };
    let route = "provider=\"openai\",model=\"gpt-4o-mini\"";
    let retries: Vec<String> = [
        ("timeout", 1),
        ("rate_limited", 0),
        ("server_error", 2),
        ("connection", 0),
        ("other", 0),
    ]
    .iter()
    .map(|(reason, n)| format!("aigateway_retries_total{{{route},reason=\"{reason}\"}} {n}"))
    .collect();
    assert_eq!(family("aigateway_retries_total"), retries);
    let to = "fallback_provider=\"anthropic\",fallback_model=\"claude-3-5-haiku\"";
    let fallbacks: Vec<String> = [
        ("timeout", 1),
        ("rate_limited", 0),
        ("server_error", 1),
        ("connection", 0),
        ("authentication", 0),
        ("circuit_open", 2),
        ("other", 0),
    ]
    .iter()
    .map(|(reason, n)| format!("aigateway_fallbacks_total{{{route},{to},reason=\"{reason}\"}} {n}"))
    .collect();
    assert_eq!(family("aigateway_fallbacks_total"), fallbacks);

    let requests = |tenant: &str, route: &str, status: &str| {
        gw.sample(&format!(
            "aigateway_requests_total{{tenant_id=\"{tenant}\",{route},status=\"{status}\"}}"
        ))
    };
    let haiku = "provider=\"anthropic\",model=\"claude-3-5-haiku\"";
    assert_eq!(requests("retry", route, "success"), Some(1.0));
    assert_eq!(requests("fallback", haiku, "success"), Some(1.0));
    assert_eq!(requests("refused", route, "invalid_request"), Some(1.0));
    assert_eq!(requests("down", haiku, "error"), Some(1.0));
    assert_eq!(requests("open", haiku, "success"), Some(1.0));
    assert_eq!(requests("skipped", haiku, "success"), Some(1.0));
    // The requests that moved are not counted under the route they left
    // (whose series the gateway bound, at zero, when the request came).
    for tenant in ["fallback", "down", "open", "skipped"] {
        let prefix = format!("aigateway_requests_total{{tenant_id=\"{tenant}\",{route}");
        let counted = text
            .lines()
            .filter(|l| l.starts_with(&prefix) && !l.ends_with(" 0"));
        assert_eq!(counted.count(), 0, "{tenant} counted under openai");
    }
    // Tokens and cost go to the route that answered, at its price: one
    // input word at 0.80 and 16 output tokens at 4.00 per million.
    assert_eq!(
        gw.sample(&format!(
            "aigateway_cost_usd_total{{tenant_id=\"fallback\",{haiku}}}"
        )),
        Some(0.0000648)
    );
    let errors = |provider: &str, error_type: &str| {
        gw.sample(&format!(
            "aigateway_provider_errors_total{{provider=\"{provider}\",error_type=\"{error_type}\"}}"
        ))
    };
    assert_eq!(errors("openai", "server_error"), Some(4.0));
    assert_eq!(errors("openai", "timeout"), Some(2.0));
    assert_eq!(errors("openai", "bad_request"), Some(1.0));
    assert_eq!(errors("anthropic", "server_error"), Some(1.0));
    assert_eq!(
        gw.sample("aigateway_circuit_breaker_state{provider=\"openai\"}"),
        Some(2.0)
    );
}

/// A fallback that names no configured route, or leads back to where it
/// started, is refused at startup, with the route that has it.
#[test]
fn fallbacks_that_go_nowhere_or_in_a_circle_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(test_config(dir.path(), 60_000)).unwrap();
    let cases = [
        (
            "fallback = \"anthropic/claude-3-5-haiku\"",
            "fallback = \"anthropic/claude-9\"",
            "model openai/gpt-4o-mini: fallback anthropic/claude-9 is not a configured provider/model",
        ),
        (
            "name = \"claude-3-5-haiku\",",
            "name = \"claude-3-5-haiku\", fallback = \"openai/gpt-4o-mini\",",
            "model anthropic/claude-3-5-haiku: fallback openai/gpt-4o-mini leads back to itself",
        ),
    ];
    for (from, to, message) in cases {
        assert!(base.contains(from), "{from}");
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, base.replace(from, to)).unwrap();
        let output = std::process::Command::new(support::example_binary("gateway"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--config",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(!output.status.success());
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!("gateway: bad configuration: {message}\n")
        );
    }
}
