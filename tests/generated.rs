//! The files generated from the families' descriptors are up to date: the
//! Grafana dashboard and the README's metrics reference.

mod support;

use std::process::Command;

#[test]
fn dashboard_and_readme_reference_are_not_stale() {
    let output = Command::new(support::example_binary("generate"))
        .arg("--check")
        .output()
        .expect("run the generate example");
    assert!(
        output.status.success(),
        "{}run `cargo run --example generate` and commit the result",
        String::from_utf8_lossy(&output.stderr)
    );
}
