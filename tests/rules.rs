//! The alerting and recording rules pass `promtool check rules`, and their
//! unit tests (`rules/aigateway.rules.test.yml`) pass `promtool test rules`.

use std::process::Command;

fn promtool(args: &[&str]) {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
        .output()
        .expect("run promtool (Debian's `prometheus` package; scripts/test.sh installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool {args:?}:\n{text}");
    assert!(text.contains("SUCCESS"), "promtool {args:?}:\n{text}");
}

#[test]
fn rules_are_valid() {
    promtool(&["check", "rules", "aigateway.rules.yml"]);
}

#[test]
fn rules_unit_tests_pass() {
    promtool(&["test", "rules", "aigateway.rules.test.yml"]);
}
