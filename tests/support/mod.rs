//! Running the example gateway and Prometheus from tests: processes that are
//! killed when the test ends, whether it passes or panics.

#![allow(dead_code)] // Each test binary uses a part of this module.

pub mod prometheus;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed on drop.
pub struct Process {
    pub child: Child,
    pub name: &'static str,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An example's binary, built first: `cargo test --test NAME` builds no
/// examples, and would otherwise run a stale one.
pub fn example_binary(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let profile_dir = deps.parent().unwrap().parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "--example", name]);
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    profile_dir.join("examples").join(name)
}

/// Starts example `name` with `args` and `env`, and reads the URL it
/// listens on from its first line, which starts with `announce`.
pub fn start_example(
    name: &'static str,
    args: &[&str],
    env: &[(&str, &str)],
    announce: &str,
) -> (Process, String) {
    let mut child = Command::new(example_binary(name))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start the {name} example: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix(announce)
        .unwrap_or_else(|| panic!("unexpected first line from {name}: {line:?}"))
        .to_owned();
    (Process { child, name }, url)
}

/// A gateway started with `config` on a free loopback port.
pub struct Gateway {
    pub url: String,
    pub process: Process,
}

impl Gateway {
    pub fn start(config: &Path) -> Gateway {
        Gateway::start_with_env(config, &[])
    }

    /// Started with these environment variables set, for it alone.
    pub fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Gateway {
        let config = config.to_str().unwrap();
        let args = ["--listen", "127.0.0.1:0", "--config", config];
        let (process, url) = start_example("gateway", &args, env, "gateway listening on ");
        Gateway { url, process }
    }

    /// The address without the scheme, for a scrape target.
    pub fn host_port(&self) -> &str {
        self.url.strip_prefix("http://").unwrap()
    }

    pub fn metrics(&self) -> String {
        reqwest::blocking::get(format!("{}/metrics", self.url))
            .unwrap()
            .text()
            .unwrap()
    }

    /// The value of the sample line starting with `series` (name and labels).
    pub fn sample(&self, series: &str) -> Option<f64> {
        let text = self.metrics();
        let line = text
            .lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))?;
        Some(line.rsplit(' ').next().unwrap().parse().unwrap())
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` until it returns `Some`, or panics after `timeout` with
/// `what` and the last value seen.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out waiting for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The whole content of a log file, for failure messages.
pub fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

/// A gateway configuration for tests: fast simulated providers, breakers
/// that open after three failures, and tenants with known limits.
pub fn test_config(dir: &Path, cooldown_ms: u64) -> PathBuf {
    let path = dir.join("gateway.toml");
    let text = format!(
        r#"
otel_semconv = true

[defaults]
rate_limit_rps = 1000.0
rate_limit_burst = 1000
budget_usd = 100.0

# Two requests at once, then one every 1000 s.
[tenants.limited]
rate_limit_rps = 0.001
rate_limit_burst = 2

# Spent after one request of 16 output tokens of gpt-4o (0.00016 USD).
[tenants.frugal]
budget_usd = 0.0001

[[providers]]
name = "openai"
latency_ms = 2
token_interval_ms = 1
failure_threshold = 3
cooldown_ms = {cooldown_ms}
retries = 1
models = [
  {{ name = "gpt-4o-mini", input_usd_per_mtok = 0.15, output_usd_per_mtok = 0.60, cached_input_usd_per_mtok = 0.075, fallback = "anthropic/claude-3-5-haiku" }},
  {{ name = "gpt-4o", input_usd_per_mtok = 2.50, output_usd_per_mtok = 10.00 }},
]

[[providers]]
name = "anthropic"
latency_ms = 2
token_interval_ms = 1
failure_threshold = 3
cooldown_ms = {cooldown_ms}
models = [{{ name = "claude-3-5-haiku", input_usd_per_mtok = 0.80, output_usd_per_mtok = 4.00 }}]

[[providers]]
name = "google"
latency_ms = 2
token_interval_ms = 1
failure_threshold = 3
cooldown_ms = {cooldown_ms}
models = [{{ name = "gemini-1.5-flash", input_usd_per_mtok = 0.075, output_usd_per_mtok = 0.30 }}]
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Sends a chat completion; returns the status and body.
pub fn chat(
    client: &reqwest::blocking::Client,
    gateway: &Gateway,
    tenant: &str,
    body: serde_json::Value,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut request = client
        .post(format!("{}/v1/chat/completions", gateway.url))
        .header("x-tenant-id", tenant)
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

/// Runs `program` with `args`, writing `stdin` to it; panics, naming the
/// script that installs it, when it cannot be started.
pub fn run_with_stdin(program: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); scripts/test.sh installs it"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Panics, with what it said, unless `promtool check metrics` accepts
/// `text` without a word.
pub fn assert_promtool_accepts(text: &str) {
    let output = run_with_stdin("promtool", &["check", "metrics"], text);
    assert!(
        output.status.success() && output.stdout.is_empty() && output.stderr.is_empty(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `text` without the library's self-metrics, which are written after
/// every family; an OpenMetrics text keeps its `# EOF`.
pub fn without_self_metrics(text: &str) -> String {
    match text.find("# HELP aigateway_metrics_series_overflow") {
        Some(at) if text.ends_with("# EOF\n") => format!("{}# EOF\n", &text[..at]),
        Some(at) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

/// `text` without what changes between two scrapes with nothing recorded
/// between them: the `/metrics` endpoint's own families, and the process's.
pub fn stable_part(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.contains("aigateway_metrics_scrape_")
                && !l.contains(" process_")
                && !l.starts_with("process_")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The sample lines of `registry`'s families in the Prometheus text format,
/// without `# HELP`, `# TYPE` and the self-metrics.
pub fn samples(registry: &aigateway_metrics::prometheus_client::registry::Registry) -> Vec<String> {
    without_self_metrics(&aigateway_metrics::encode(
        registry,
        aigateway_metrics::Format::Prometheus,
    ))
    .lines()
    .filter(|l| !l.starts_with('#'))
    .map(str::to_owned)
    .collect()
}
