//! A fleet, with real components from Debian's packages: three gateway
//! replicas; two Prometheus agents, each scraping its share of them
//! (`hashmod` relabelling) and remote-writing to a central Prometheus,
//! which runs the repository's rules (a test copy with `for` shortened) and
//! sends alerts to Alertmanager, which posts them to this test's webhook.
//!
//! The test sends traffic through every replica (part of it with the
//! official `openai` client), then asks the central server for exact totals
//! across replicas, the seed's and the dashboard's queries and the
//! recording rules; forces a failure storm on one provider and waits for
//! its alert at the webhook; and kills a replica, whose `up` goes to 0
//! while the others' counts stay exact.
//!
//! Needs `prometheus`, `prometheus-alertmanager` and Python's `openai`;
//! `scripts/test.sh` installs them. Every wait has a deadline.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::prometheus::{dashboard_queries, map, Prometheus, SEED_QUERIES};
use support::{chat, free_port, read_log, test_config, wait_for, Gateway, Process};

/// The replica label of each gateway, and the agent whose share it is:
/// `hashmod` of "0" and "2" is 0, of "1" is 1 (md5, modulus 2).
const REPLICAS: [(&str, &str); 3] = [("0", "a"), ("1", "b"), ("2", "a")];

/// The W3C trace context of the one traced request.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn agent_config(shard: usize, gateways: &[Gateway], central: &str) -> String {
    let targets: String = gateways
        .iter()
        .zip(REPLICAS)
        .map(|(gw, (replica, _))| {
            format!(
                "      - targets: ['{}']\n        labels: {{replica: '{replica}'}}\n",
                gw.host_port()
            )
        })
        .collect();
    let agent = ["a", "b"][shard];
    format!(
        "global:\n  scrape_interval: 1s\n  external_labels: {{agent: '{agent}'}}\n\
         scrape_configs:\n  - job_name: aigateway\n    static_configs:\n{targets}\
         \x20   relabel_configs:\n\
         \x20     - {{source_labels: [replica], modulus: 2, target_label: __tmp_shard, action: hashmod}}\n\
         \x20     - {{source_labels: [__tmp_shard], regex: '{shard}', action: keep}}\n\
         remote_write:\n  - url: {central}/api/v1/write\n    send_exemplars: true\n\
         \x20   queue_config: {{batch_send_deadline: 1s}}\n"
    )
}

/// The repository's rules with every `for` shortened to a second, so that
/// an alert fires within the test.
fn rules_for_test(dir: &Path) -> String {
    let rules = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/aigateway.rules.yml"
    ))
    .unwrap();
    let shortened: String = rules
        .lines()
        .map(|line| match line.trim_start().strip_prefix("for: ") {
            Some(_) => format!("{}for: 1s\n", &line[..line.len() - line.trim_start().len()]),
            None => format!("{line}\n"),
        })
        .collect();
    let path = dir.join("rules.yml");
    std::fs::write(&path, shortened).unwrap();
    path.display().to_string()
}

struct Alertmanager {
    url: String,
    log: std::path::PathBuf,
    _process: Process,
}

impl Alertmanager {
    fn start(dir: &Path, webhook: &str) -> Alertmanager {
        let config = dir.join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: test\n  group_by: [alertname, provider]\n  group_wait: 0s\n  group_interval: 1s\n\
                 receivers:\n  - name: test\n    webhook_configs:\n      - url: '{webhook}'\n        send_resolved: false\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let log = dir.join("alertmanager.log");
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.join("alertmanager-data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("run prometheus-alertmanager (Debian's package; scripts/test.sh installs it)");
        let alertmanager = Alertmanager {
            url: format!("http://127.0.0.1:{port}"),
            log,
            _process: Process {
                child,
                name: "alertmanager",
            },
        };
        wait_for("Alertmanager to be ready", Duration::from_secs(20), || {
            match reqwest::blocking::get(format!("{}/-/ready", alertmanager.url)) {
                Ok(r) if r.status().is_success() => Ok(()),
                other => Err(format!("{other:?}\n{}", read_log(&alertmanager.log))),
            }
        });
        alertmanager
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("Alertmanager log:\n{}", read_log(&self.log));
        }
    }
}

/// The test's webhook: every body Alertmanager posts, parsed.
fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let store = Arc::clone(&received);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new().route(
                "/alerts",
                axum::routing::post(move |axum::Json(body): axum::Json<Value>| async move {
                    store.lock().unwrap().push(body);
                }),
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    (url, received)
}

fn ask(model: &str, stream: bool) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": "a b" }], "max_tokens": 4, "stream": stream })
}

#[test]
fn a_fleet_behind_agents_adds_up_alerts_and_survives_a_lost_replica() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 60_000);
    let gateways: Vec<Gateway> = (0..3).map(|_| Gateway::start(&config)).collect();
    let (hook, received) = webhook();
    let alertmanager = Alertmanager::start(dir.path(), &hook);
    let central_config = format!(
        "global:\n  evaluation_interval: 1s\n\
         rule_files: ['{}']\n\
         alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{}']\n",
        rules_for_test(dir.path()),
        alertmanager.url.trim_start_matches("http://"),
    );
    let central = Prometheus::start_with(
        dir.path(),
        "central",
        &central_config,
        &[
            "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        ],
    );
    let _agents: Vec<Prometheus> = (0..2)
        .map(|shard| {
            Prometheus::start_with(
                dir.path(),
                ["agent-a", "agent-b"][shard],
                &agent_config(shard, &gateways, &central.url),
                &[
                    "--enable-feature=agent",
                    "--enable-feature=exemplar-storage",
                ],
            )
        })
        .collect();

    // Each replica is scraped by exactly one agent, its share.
    wait_for(
        "every replica to be up",
        Duration::from_secs(30),
        || match central.try_query("up{job=\"aigateway\"} == 1") {
            Ok(up) if up.len() == 3 => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let shares: BTreeMap<String, f64> = central
        .query("up{job=\"aigateway\"}")
        .into_iter()
        .map(|(labels, _)| (format!("{}/{}", labels["replica"], labels["agent"]), 1.0))
        .collect();
    let expected_shares: Vec<(String, f64)> = REPLICAS
        .iter()
        .map(|(replica, agent)| (format!("{replica}/{agent}"), 1.0))
        .collect();
    assert_eq!(shares, expected_shares.into_iter().collect());

    // Traffic through every replica: replica i serves tenant t{i} twice,
    // once whole and once streamed, and acme once; one more from the
    // official client on replica 1.
    let client = reqwest::blocking::Client::new();
    let send = |gw: &Gateway, tenant: &str, body: Value, headers: &[(&str, &str)], status: u16| {
        let (got, text) = chat(&client, gw, tenant, body, headers);
        assert_eq!(got, status, "{tenant}: {text}");
    };
    for (i, gw) in gateways.iter().enumerate() {
        let tenant = format!("t{i}");
        send(gw, &tenant, ask("openai/gpt-4o-mini", false), &[], 200);
        send(
            gw,
            &tenant,
            ask("anthropic/claude-3-5-haiku", true),
            &[],
            200,
        );
        // Replica 0's is traced: its exemplar goes through its agent.
        let traced = [("traceparent", TRACEPARENT)];
        let headers: &[(&str, &str)] = if i == 0 { &traced } else { &[] };
        send(gw, "acme", ask("openai/gpt-4o", false), headers, 200);
    }
    let python = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/openai_client.py"
        ))
        .arg(&gateways[1].url)
        .output()
        .expect("run python3");
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    central.wait_for_requests(12.0);

    assert_eq!(
        central.by("tenant_id", "sum by (tenant_id) (aigateway_requests_total)"),
        map(&[
            ("acme", 3.0),
            ("python", 3.0),
            ("t0", 2.0),
            ("t1", 2.0),
            ("t2", 2.0)
        ])
    );
    // Exemplars travel in remote write beside the samples, and may come a
    // send later.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let expected = vec![(
        json!("0"),
        json!("a"),
        vec![(
            json!({"trace_id": trace_id, "span_id": "00f067aa0ba902b7"}),
            1.0,
        )],
    )];
    wait_for(
        "replica 0's exemplar at the centre",
        Duration::from_secs(15),
        || {
            let traced: Vec<_> = central
                .exemplars("aigateway_requests_total")
                .into_iter()
                .map(|(series, exemplars)| {
                    (
                        series["replica"].clone(),
                        series["agent"].clone(),
                        exemplars,
                    )
                })
                .collect();
            if traced == expected {
                Ok(())
            } else {
                Err(format!("{traced:?}"))
            }
        },
    );
    assert_eq!(
        central.by("replica", "sum by (replica) (aigateway_requests_total)"),
        map(&[("0", 3.0), ("1", 6.0), ("2", 3.0)])
    );
    assert_eq!(
        central.by_pair(
            "tenant_id",
            "status",
            "sum by (tenant_id, status) (aigateway_requests_total) > 0"
        ),
        map(&[
            ("acme/success", 3.0),
            ("python/success", 3.0),
            ("t0/success", 2.0),
            ("t1/success", 2.0),
            ("t2/success", 2.0),
        ])
    );

    // A failure storm on google, through every replica: three failures
    // open each replica's breaker, the fourth is refused; all are errors.
    // The first failures make the series; once the centre has them, the
    // rest make them move, for rate() to see.
    let storm = |gw: &Gateway| {
        let failure = [("x-simulate-error", "server_error")];
        send(
            gw,
            "storm",
            ask("google/gemini-1.5-flash", false),
            &failure,
            502,
        );
    };
    gateways.iter().for_each(storm);
    // And on replica 0, openai fails a request and its retry; its fallback,
    // anthropic, answers.
    let failover = [
        ("x-simulate-error", "server_error"),
        ("x-simulate-error-attempts", "2"),
    ];
    send(
        &gateways[0],
        "failover",
        ask("openai/gpt-4o-mini", false),
        &failover,
        200,
    );
    central.wait_for_requests(16.0);
    std::thread::sleep(Duration::from_millis(1_500));
    for gw in &gateways {
        storm(gw);
        storm(gw);
        send(gw, "storm", ask("google/gemini-1.5-flash", false), &[], 503);
    }
    central.wait_for_requests(25.0);
    assert_eq!(
        central.by(
            "replica",
            "sum by (replica) (aigateway_fallbacks_total{reason=\"server_error\"})"
        ),
        map(&[("0", 1.0)])
    );
    assert_eq!(
        central.by(
            "status",
            "sum by (status) (aigateway_requests_total{tenant_id=\"storm\"}) > 0"
        ),
        map(&[("error", 12.0)])
    );

    // The recording rules run on the remote-written series.
    wait_for(
        "the error ratio rule to see the storm",
        Duration::from_secs(20),
        || match central
            .try_query("provider:aigateway_requests:error_ratio_rate5m{provider=\"google\"}")
        {
            Ok(v) if v.first().is_some_and(|s| s.1 > 0.05) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    assert_eq!(
        central.by(
            "provider",
            "max by (provider) (aigateway_circuit_breaker_state)"
        ),
        map(&[("anthropic", 0.0), ("google", 2.0), ("openai", 0.0)])
    );

    // The alert fires, and reaches the webhook through Alertmanager.
    let alert = wait_for(
        "the provider alert at the webhook",
        Duration::from_secs(40),
        || {
            let bodies = received.lock().unwrap();
            bodies
                .iter()
                .flat_map(|b| b["alerts"].as_array().cloned().unwrap_or_default())
                .find(|a| a["labels"]["alertname"] == "AIGatewayProviderErrorRatioHigh")
                .ok_or_else(|| format!("{} posts so far", bodies.len()))
        },
    );
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["provider"], "google");
    assert_eq!(alert["labels"]["severity"], "page");

    // The seed's queries and every dashboard query answer at the centre.
    for promql in SEED_QUERIES {
        assert!(!central.query(promql).is_empty(), "{promql}");
    }
    for (title, promql) in dashboard_queries() {
        assert!(!central.query(&promql).is_empty(), "{title:?}: {promql}");
    }

    // Replica 2 is lost: its up goes to 0, and the others' counts stay.
    let mut gateways = gateways;
    drop(gateways.pop());
    wait_for(
        "the lost replica's up to be 0",
        Duration::from_secs(20),
        || match central.try_query("up{replica=\"2\"}") {
            Ok(v) if v.first().is_some_and(|s| s.1 == 0.0) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    for gw in &gateways {
        send(gw, "after", ask("openai/gpt-4o-mini", false), &[], 200);
    }
    wait_for(
        "the requests after the loss",
        Duration::from_secs(20),
        || match central.try_query("sum(aigateway_requests_total{tenant_id=\"after\"})") {
            Ok(v) if v.first().map(|s| s.1) == Some(2.0) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    assert_eq!(
        central.by(
            "replica",
            "sum by (replica) (aigateway_requests_total{replica!=\"2\"})"
        ),
        map(&[("0", 9.0), ("1", 11.0)])
    );
    assert_eq!(central.scalar("count(up{job=\"aigateway\"} == 1)"), 2.0);
}
