//! The example gateway over real HTTP, fed tenant ids of any visible ASCII
//! (quotes, backslashes, braces, `=` and `,` included: what a client can put
//! in a header), streamed and whole answers, and bodies and headers that are
//! not requests. A property test: whatever the mix, every request with known
//! labels is counted once under exactly its tenant id, as the official
//! Python parser reads `/metrics` back in both formats; nothing else is
//! counted; and promtool accepts the exposition.

mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};
use support::{run_with_stdin, test_config, wait_for, Gateway};

const MODELS: [(&str, &str); 4] = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-3-5-haiku"),
    ("google", "gemini-1.5-flash"),
];

/// Tenant, provider, model.
type Key = (String, String, String);

/// A tenant id a client can send: visible ASCII, but not the two tenants
/// `test_config` limits.
fn tenant() -> impl Strategy<Value = String> {
    "[!-~]{1,24}".prop_filter("a tenant with limits in the config", |t| {
        t != "limited" && t != "frugal"
    })
}

/// `aigateway_requests_total` per tenant, provider and model (all statuses
/// added), as the Python parser reads `exposition`; panics if a series
/// with records has another status than success.
fn parsed_requests(format: &str, exposition: &str) -> Result<BTreeMap<Key, f64>, String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/tools/parse_exposition.py"
    );
    let output = run_with_stdin("python3", &[script, format, "--json"], exposition);
    if !output.status.success() {
        return Err(format!(
            "the {format} parser failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let sample: Value = serde_json::from_str(line).unwrap();
        if sample[0] != "aigateway_requests_total" {
            continue;
        }
        let label = |name: &str| sample[1][name].as_str().unwrap().to_owned();
        let value = sample[2].as_f64().unwrap();
        if value > 0.0 {
            assert_eq!(label("status"), "success", "{line}");
        }
        *counts
            .entry((label("tenant_id"), label("provider"), label("model")))
            .or_insert(0.0) += value;
    }
    counts.retain(|_, n| *n > 0.0);
    Ok(counts)
}

fn scrape(client: &reqwest::blocking::Client, gateway: &Gateway, accept: &str) -> String {
    client
        .get(format!("{}/metrics", gateway.url))
        .header("accept", accept)
        .send()
        .unwrap()
        .text()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn hostile_tenant_ids_over_http_are_counted_and_read_back_exactly(
        requests in prop::collection::vec((tenant(), any::<bool>(), 0..MODELS.len()), 10..40),
        garbage in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..5),
        non_ascii in prop::collection::vec("[\u{80}-\u{ff}]{1,8}", 1..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let gateway = Gateway::start(&test_config(dir.path(), 60_000));
        let client = reqwest::blocking::Client::new();
        let url = format!("{}/v1/chat/completions", gateway.url);

        let mut expected: BTreeMap<Key, f64> = BTreeMap::new();
        for (i, (tenant, stream, model)) in requests.iter().enumerate() {
            let (provider, name) = MODELS[*model];
            let body = json!({
                "model": format!("{provider}/{name}"),
                "stream": stream,
                "max_tokens": 4,
                "messages": [{ "role": "user", "content": format!("question {i}") }],
            });
            let response = client.post(&url).header("x-tenant-id", tenant.as_str()).json(&body).send().unwrap();
            let status = response.status().as_u16();
            let text = response.text().unwrap();
            prop_assert_eq!(status, 200, "tenant {:?}: {}", tenant, text);
            if *stream {
                prop_assert!(text.ends_with("data: [DONE]\n\n"), "{}", text);
            }
            *expected.entry((tenant.clone(), provider.to_owned(), name.to_owned())).or_insert(0.0) += 1.0;
        }
        // Not requests: none of these is counted.
        for body in &garbage {
            let response = client.post(&url).header("x-tenant-id", "acme").body(body.clone()).send().unwrap();
            prop_assert_eq!(response.status().as_u16(), 400);
        }
        for tenant in &non_ascii {
            let bytes: Vec<u8> = tenant.chars().map(|c| c as u8).collect();
            let response = client
                .post(&url)
                .header("x-tenant-id", reqwest::header::HeaderValue::from_bytes(&bytes).unwrap())
                .json(&json!({ "model": "openai/gpt-4o", "messages": [{ "role": "user", "content": "hi" }] }))
                .send()
                .unwrap();
            prop_assert_eq!(response.status().as_u16(), 400);
        }

        // A stream is counted when it ends, just after its last event.
        let text = wait_for("every request counted", std::time::Duration::from_secs(10), || {
            let text = scrape(&client, &gateway, "text/plain");
            let parsed = parsed_requests("text", &text)?;
            if parsed == expected { Ok(text) } else { Err(format!("{parsed:?}")) }
        });
        let openmetrics = scrape(&client, &gateway, "application/openmetrics-text;version=1.0.0");
        prop_assert_eq!(parsed_requests("openmetrics", &openmetrics).unwrap(), expected);
        let promtool = run_with_stdin("promtool", &["check", "metrics"], &text);
        prop_assert!(
            promtool.status.success() && promtool.stdout.is_empty() && promtool.stderr.is_empty(),
            "promtool: {}{}",
            String::from_utf8_lossy(&promtool.stdout),
            String::from_utf8_lossy(&promtool.stderr)
        );
    }
}
