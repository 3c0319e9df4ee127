//! The official OpenAI Python client works against the example gateway
//! unchanged: plain and streamed completions with usage, and errors.
//! Needs Python's `openai` package; scripts/test.sh installs it.

mod support;

use std::process::Command;

use support::{test_config, Gateway};

#[test]
fn the_official_python_client_works_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(&test_config(dir.path(), 60_000));
    let output = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/openai_client.py"
        ))
        .arg(&gateway.url)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "content: The gateway answers every\n\
         finish_reason: stop\n\
         usage: 3 4 7\n\
         stream content: The gateway answers\n\
         stream finish_reason: stop\n\
         stream usage: 3 3 6\n\
         cached: 2 reasoning: 7\n\
         error: 400 unknown provider `nobody`\n"
    );
    let labels = "tenant_id=\"python\",provider=\"anthropic\",model=\"claude-3-5-haiku\"";
    assert_eq!(
        gateway.sample(&format!(
            "aigateway_requests_total{{{labels},status=\"success\"}}"
        )),
        Some(1.0)
    );
    assert_eq!(
        gateway.sample(&format!(
            "aigateway_tokens_total{{{labels},type=\"output\"}}"
        )),
        Some(3.0)
    );
    // What the client read back, the gateway recorded.
    let mini = "tenant_id=\"python\",provider=\"openai\",model=\"gpt-4o-mini\"";
    for (token_type, count) in [("cached_input", 2.0), ("reasoning", 7.0)] {
        assert_eq!(
            gateway.sample(&format!(
                "aigateway_tokens_total{{{mini},type=\"{token_type}\"}}"
            )),
            Some(count)
        );
    }
}
