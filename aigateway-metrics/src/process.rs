//! The process's own metrics, read from `/proc` at each scrape, with the
//! names and meanings of client_golang's process collector (the `process`
//! feature; Linux only). prometheus-client has no process collector.
//!
//! | name | type | what |
//! | --- | --- | --- |
//! | `process_cpu_seconds_total` | counter | user and system CPU time |
//! | `process_open_fds` | gauge | open file descriptors |
//! | `process_max_fds` | gauge | the soft limit on open file descriptors |
//! | `process_virtual_memory_bytes` | gauge | virtual memory size |
//! | `process_virtual_memory_max_bytes` | gauge | the soft limit on it (2^64 - 1 when unlimited, as client_golang) |
//! | `process_resident_memory_bytes` | gauge | resident set size |
//! | `process_start_time_seconds` | gauge | start time, in seconds since the Unix epoch |
//!
//! A value that cannot be read at a scrape (a `/proc` without `limits`,
//! say) is left out of that scrape; the others are written.

use std::fmt;

use procfs::process::{LimitValue, Process};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// The process collector: register it once per registry.
///
/// ```
/// use aigateway_metrics::prometheus_client::registry::Registry;
/// use aigateway_metrics::process::ProcessMetrics;
///
/// let mut registry = Registry::default();
/// ProcessMetrics.register(&mut registry);
/// let text = aigateway_metrics::encode(&registry, aigateway_metrics::Format::Prometheus);
/// assert!(text.contains("# TYPE process_resident_memory_bytes gauge\n"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessMetrics;

impl ProcessMetrics {
    /// Adds the process's metrics to `registry`.
    pub fn register(self, registry: &mut Registry) {
        registry.register_collector(Box::new(self));
    }
}

impl Collector for ProcessMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let Ok(process) = Process::myself() else {
            return Ok(());
        };
        if let Ok(stat) = process.stat() {
            let ticks = procfs::ticks_per_second() as f64;
            let cpu = (stat.utime + stat.stime) as f64 / ticks;
            encoder
                .encode_descriptor(
                    "process_cpu_seconds",
                    "Total user and system CPU time spent in seconds.",
                    None,
                    MetricType::Counter,
                )?
                .encode_counter::<NoLabelSet, _, f64>(&cpu, None)?;
            gauge(
                &mut encoder,
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                stat.vsize as f64,
            )?;
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                (stat.rss * procfs::page_size()) as f64,
            )?;
            if let Ok(boot) = procfs::boot_time_secs() {
                gauge(
                    &mut encoder,
                    "process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.",
                    boot as f64 + stat.starttime as f64 / ticks,
                )?;
            }
        }
        if let Ok(open) = process.fd_count() {
            gauge(
                &mut encoder,
                "process_open_fds",
                "Number of open file descriptors.",
                open as f64,
            )?;
        }
        if let Ok(limits) = process.limits() {
            gauge(
                &mut encoder,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                limit(limits.max_open_files.soft_limit),
            )?;
            gauge(
                &mut encoder,
                "process_virtual_memory_max_bytes",
                "Maximum amount of virtual memory available in bytes.",
                limit(limits.max_address_space.soft_limit),
            )?;
        }
        Ok(())
    }
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: f64) -> fmt::Result {
    encoder
        .encode_descriptor(name, help, None, MetricType::Gauge)?
        .encode_gauge(&value)
}

fn limit(value: LimitValue) -> f64 {
    match value {
        LimitValue::Value(n) => n as f64,
        LimitValue::Unlimited => u64::MAX as f64,
    }
}
