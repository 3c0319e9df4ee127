//! A Prometheus server or agent (Debian's `prometheus` package) run by a
//! test, killed when it ends, and asked through its HTTP API.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{free_port, read_log, wait_for, Process};

/// The PromQL queries of the seed document, as written there.
pub const SEED_QUERIES: [&str; 5] = [
    "rate(aigateway_requests_total[5m])",
    "histogram_quantile(0.99, rate(aigateway_request_duration_seconds_bucket[5m]))",
    "sum(rate(aigateway_cache_hits_total[5m])) / \
     (sum(rate(aigateway_cache_hits_total[5m])) + sum(rate(aigateway_cache_misses_total[5m])))",
    "sum by (tenant_id) (increase(aigateway_cost_usd_total[1h]))",
    "sum by (provider) (rate(aigateway_provider_errors_total[5m]))",
];

/// One series of a query result: its labels and value.
pub type Sample = (BTreeMap<String, String>, f64);

pub struct Prometheus {
    pub url: String,
    pub log: std::path::PathBuf,
    _process: Process,
}

impl Prometheus {
    /// A server scraping `targets` every second as job `aigateway`, with
    /// the repository's rules.
    pub fn start(dir: &Path, targets: &[&str]) -> Prometheus {
        Prometheus::scraping(dir, targets, &[])
    }

    /// [`Prometheus::start`], with these flags (`--enable-feature=...`).
    pub fn scraping(dir: &Path, targets: &[&str], args: &[&str]) -> Prometheus {
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: ['{}/rules/aigateway.rules.yml']\n\
             scrape_configs:\n  - job_name: aigateway\n    static_configs:\n      - targets: [{}]\n",
            env!("CARGO_MANIFEST_DIR"),
            targets.join(", ")
        );
        Prometheus::start_with(dir, "prometheus", &config, args)
    }

    /// A server (or an agent, given `--enable-feature=agent`) named `name`
    /// under `dir`, with this configuration and these flags.
    pub fn start_with(dir: &Path, name: &str, config: &str, args: &[&str]) -> Prometheus {
        let config_path = dir.join(format!("{name}.yml"));
        std::fs::write(&config_path, config).unwrap();
        let agent = args.contains(&"--enable-feature=agent");
        let storage = if agent {
            "--storage.agent.path"
        } else {
            "--storage.tsdb.path"
        };
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "{storage}={}",
                dir.join(format!("{name}-data")).display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("run prometheus (Debian's `prometheus` package; scripts/test.sh installs it)");
        let prometheus = Prometheus {
            url: format!("http://127.0.0.1:{port}"),
            log,
            _process: Process {
                child,
                name: "prometheus",
            },
        };
        wait_for(
            &format!("{name} to be ready"),
            Duration::from_secs(20),
            || {
                let ready = reqwest::blocking::get(format!("{}/-/ready", prometheus.url));
                match ready {
                    Ok(r) if r.status().is_success() => Ok(()),
                    other => Err(format!("{other:?}\n{}", read_log(&prometheus.log))),
                }
            },
        );
        prometheus
    }

    /// An instant query; panics when it fails.
    pub fn query(&self, promql: &str) -> Vec<Sample> {
        self.try_query(promql)
            .unwrap_or_else(|e| panic!("query {promql:?} failed: {e}"))
    }

    pub fn try_query(&self, promql: &str) -> Result<Vec<Sample>, String> {
        let response: Value = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", promql)])
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        if response["status"] != "success" {
            return Err(response.to_string());
        }
        let data = &response["data"];
        let as_f64 = |v: &Value| v[1].as_str().unwrap().parse::<f64>().unwrap();
        Ok(match data["resultType"].as_str() {
            Some("vector") => data["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let labels = s["metric"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect();
                    (labels, as_f64(&s["value"]))
                })
                .collect(),
            Some("scalar") => vec![(BTreeMap::new(), as_f64(&data["result"]))],
            other => return Err(format!("unexpected result type {other:?}")),
        })
    }

    /// Waits until Prometheus has scraped `total` requests from the gateways.
    pub fn wait_for_requests(&self, total: f64) {
        wait_for(
            &format!("Prometheus to scrape {total} requests"),
            Duration::from_secs(15),
            || match self.try_query("sum(aigateway_requests_total)") {
                Ok(v) if v.first().map(|s| s.1) == Some(total) => Ok(()),
                other => Err(format!("{other:?}")),
            },
        );
    }

    /// The exemplars of the series `selector` selects, over the last
    /// minute: each series' labels, and its exemplars' labels and values.
    pub fn exemplars(&self, selector: &str) -> Vec<(Value, Vec<(Value, f64)>)> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let (start, end) = ((now - 60.0).to_string(), (now + 1.0).to_string());
        let response: Value = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/query_exemplars", self.url))
            .query(&[("query", selector), ("start", &start), ("end", &end)])
            .send()
            .and_then(|r| r.json())
            .unwrap();
        assert_eq!(response["status"], "success", "{response}");
        response["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|series| {
                let exemplars = series["exemplars"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        (
                            e["labels"].clone(),
                            e["value"].as_str().unwrap().parse().unwrap(),
                        )
                    })
                    .collect();
                (series["seriesLabels"].clone(), exemplars)
            })
            .collect()
    }

    /// A query whose result is one number.
    pub fn scalar(&self, promql: &str) -> f64 {
        match self.query(promql).as_slice() {
            [(_, value)] => *value,
            other => panic!("{promql} gave {other:?}"),
        }
    }

    /// A query aggregated by one label: label value -> number.
    pub fn by(&self, label: &str, promql: &str) -> BTreeMap<String, f64> {
        self.query(promql)
            .into_iter()
            .map(|(labels, value)| (labels.get(label).cloned().unwrap_or_default(), value))
            .collect()
    }

    /// A query aggregated by two labels: "first/second" -> number.
    pub fn by_pair(&self, first: &str, second: &str, promql: &str) -> BTreeMap<String, f64> {
        self.query(promql)
            .into_iter()
            .map(|(labels, value)| (format!("{}/{}", labels[first], labels[second]), value))
            .collect()
    }
}

/// `entries` as a map, to compare with [`Prometheus::by`].
pub fn map(entries: &[(&str, f64)]) -> BTreeMap<String, f64> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Every query of the generated dashboard, with its variables at "All"
/// and its rate interval at one minute, each with its panel's title.
pub fn dashboard_queries() -> Vec<(String, String)> {
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/dashboards/aigateway.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let promql = target["expr"]
                .as_str()
                .unwrap()
                .replace("$tenant", ".*")
                .replace("$provider", ".*")
                .replace("$model", ".*")
                .replace("$__rate_interval", "1m");
            queries.push((panel["title"].as_str().unwrap_or("").to_owned(), promql));
        }
    }
    queries
}

impl Drop for Prometheus {
    /// Whatever failed, Prometheus' own log goes with the failure.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("Prometheus log:\n{}", read_log(&self.log));
        }
    }
}
