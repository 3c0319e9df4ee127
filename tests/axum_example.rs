//! `examples/axum.rs`, run as a user runs it: what each request records,
//! a stream the client leaves counted as `cancelled`, and requests refused
//! before their labels are known not counted at all.

mod support;

use std::io::Read;
use std::time::Duration;

use serde_json::json;
use support::{wait_for, Process};

fn start() -> (Process, String) {
    support::start_example("axum", &["127.0.0.1:0"], &[], "listening on ")
}

fn post(url: &str, tenant: Option<&str>, body: serde_json::Value) -> reqwest::blocking::Response {
    let mut request = reqwest::blocking::Client::new()
        .post(format!("{url}/v1/chat/completions"))
        .json(&body);
    if let Some(tenant) = tenant {
        request = request.header("x-tenant-id", tenant);
    }
    request.send().unwrap()
}

fn chat(model: &str, stream: bool) -> serde_json::Value {
    json!({ "model": model, "stream": stream, "messages": [{ "role": "user", "content": "Hi" }] })
}

/// The sample lines of the gateway's request families that are not zero.
fn recorded(url: &str) -> Vec<String> {
    let text = reqwest::blocking::get(format!("{url}/metrics"))
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .filter(|l| {
            (l.starts_with("aigateway_requests_total")
                || l.starts_with("aigateway_request_duration_seconds_count")
                || l.starts_with("aigateway_tokens_total")
                || l.starts_with("aigateway_time_to_first_token_seconds_count")
                || l.starts_with("aigateway_time_per_output_token_seconds_count"))
                && !l.ends_with(" 0")
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_request_is_recorded_once_with_how_it_ended() {
    let (_process, url) = start();
    let labels = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\"";

    // Refused before the route is known: not counted.
    assert_eq!(
        post(&url, None, chat("openai/gpt-4o-mini", false)).status(),
        400
    );
    assert_eq!(
        post(&url, Some("acme"), chat("mistral/large", false)).status(),
        400
    );
    // Known route, bad request.
    let empty = json!({ "model": "openai/gpt-4o-mini", "messages": [] });
    assert_eq!(post(&url, Some("acme"), empty).status(), 400);
    // Whole, then streamed to the end.
    let whole = post(&url, Some("acme"), chat("openai/gpt-4o-mini", false));
    assert_eq!(
        whole.json::<serde_json::Value>().unwrap()["usage"]["completion_tokens"],
        5
    );
    let streamed = post(&url, Some("acme"), chat("openai/gpt-4o-mini", true))
        .text()
        .unwrap();
    assert!(streamed.ends_with("data: [DONE]\n\n"), "{streamed}");
    // Streamed, and left after the first chunk.
    let mut left = post(&url, Some("acme"), chat("openai/gpt-4o-mini", true));
    let mut first = [0u8; 16];
    left.read_exact(&mut first).unwrap();
    drop(left);

    let expected = [
        format!("aigateway_requests_total{{{labels},status=\"success\"}} 2"),
        format!("aigateway_requests_total{{{labels},status=\"invalid_request\"}} 1"),
        format!("aigateway_requests_total{{{labels},status=\"cancelled\"}} 1"),
        format!("aigateway_request_duration_seconds_count{{{labels}}} 4"),
        format!("aigateway_tokens_total{{{labels},type=\"input\"}} 30"),
        format!("aigateway_tokens_total{{{labels},type=\"output\"}} 15"),
        // Both streams sent a first token; only the one sent to the end
        // has a pace.
        "aigateway_time_to_first_token_seconds_count{provider=\"openai\",model=\"gpt-4o-mini\"} 2".to_owned(),
        "aigateway_time_per_output_token_seconds_count{provider=\"openai\",model=\"gpt-4o-mini\"} 1".to_owned(),
    ];
    // The server sees the client gone when it writes the next chunk.
    wait_for(
        "the stream left to be recorded",
        Duration::from_secs(10),
        || {
            let now = recorded(&url);
            if now == expected {
                Ok(())
            } else {
                Err(format!("{now:#?}"))
            }
        },
    );
}
