//! Scrapes running while both cores record: no deadlock, no torn histogram
//! (in every scrape the count equals the `+Inf` bucket and buckets never
//! decrease), and no counter going down between two scrapes. Bounded: the
//! recorders stop after a fixed time, and a watchdog fails the test if the
//! threads do not finish.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, Model, Provider, Status, TenantId};

const RUN_FOR: Duration = Duration::from_millis(1500);

/// `series -> value` of every sample line.
fn samples(text: &str) -> HashMap<&str, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series, value.parse().unwrap())
        })
        .collect()
}

/// The checks on one scrape, against the scrape before it.
fn check_scrape(current: &HashMap<&str, f64>, previous: &HashMap<String, f64>) {
    for (series, value) in current {
        if series.contains("_bucket{") && series.contains("le=\"+Inf\"") {
            let count = series
                .replace("_bucket{", "_count{")
                .replace(",le=\"+Inf\"", "");
            assert_eq!(current[count.as_str()], *value, "torn histogram: {series}");
        }
        let counter =
            series.contains("_total{") || series.contains("_count{") || series.contains("_bucket{");
        if let (true, Some(before)) = (counter, previous.get(*series)) {
            assert!(value >= before, "{series} went down: {before} -> {value}");
        }
    }
    // Cumulative buckets never decrease with `le`.
    let mut by_series: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
    for (series, value) in current {
        if let Some((head, le)) = series.split_once(",le=\"") {
            let le = le.trim_end_matches("\"}");
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            by_series.entry(head).or_default().push((le, *value));
        }
    }
    for (head, mut bounds) in by_series {
        bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            bounds.windows(2).all(|w| w[0].1 <= w[1].1),
            "{head}: {bounds:?}"
        );
    }
}

#[test]
fn scrapes_during_recording_never_see_torn_or_falling_values() {
    let m = GatewayMetrics::default();
    let mut registry = Registry::default();
    m.register(&mut registry);
    let stop = AtomicBool::new(false);
    let (done, finished) = mpsc::channel();
    let scrapes = thread::scope(|s| {
        for t in 0..2 {
            let (m, stop, done) = (&m, &stop, done.clone());
            s.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Relaxed) {
                    // Mostly existing series; every 1024th record a new
                    // tenant, so that series are created while scrapes read.
                    let tenant = if i.is_multiple_of(1024) {
                        format!("new-{t}-{i}")
                    } else {
                        format!("t{}", i % 4)
                    };
                    let (tn, p, md) = (TenantId(&tenant), Provider("openai"), Model("m"));
                    let seconds = (i % 1000) as f64 / 10.0;
                    m.record_request(tn, p, md, Status::Success, seconds)
                        .unwrap();
                    m.record_tokens(tn, p, md, 1, 2);
                    let _stream = m.stream_started();
                    i += 1;
                }
                done.send(()).unwrap();
            });
        }
        let (stop, registry) = (&stop, &registry);
        let scraper = s.spawn(move || {
            let started = Instant::now();
            let mut previous: HashMap<String, f64> = HashMap::new();
            let mut scrapes = 0;
            while started.elapsed() < RUN_FOR {
                let text = encode(registry, Format::Prometheus);
                let current = samples(&text);
                check_scrape(&current, &previous);
                previous = current
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                scrapes += 1;
            }
            stop.store(true, Relaxed);
            scrapes
        });
        for _ in 0..2 {
            finished
                .recv_timeout(RUN_FOR + Duration::from_secs(20))
                .expect("a recorder did not stop: deadlock?");
        }
        scraper.join().unwrap()
    });
    // Two scrapes at least, or no counter was compared with an earlier one.
    assert!(scrapes >= 2, "only {scrapes} scrapes");
    // Everything recorded is there once the recorders stopped.
    let text = encode(&registry, Format::Prometheus);
    let all = samples(&text);
    let requests: f64 = all
        .iter()
        .filter(|(s, _)| s.starts_with("aigateway_requests_total{"))
        .map(|(_, v)| v)
        .sum();
    let durations: f64 = all
        .iter()
        .filter(|(s, _)| s.starts_with("aigateway_request_duration_seconds_count{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(requests, durations);
    assert_eq!(all["aigateway_active_streams"], 0.0);
    println!("{scrapes} scrapes, {requests} requests");
}
