//! What the library says about itself: how many records went to a family's
//! overflow series, and how many values were rejected. Exposed as
//! `aigateway_metrics_series_overflow_total{family}` and
//! `aigateway_metrics_rejected_values_total{family,reason}`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::value::{Reason, ValueError};

/// The library's counts about one family.
#[derive(Debug)]
pub struct FamilyStats {
    name: &'static str,
    overflowed: AtomicU64,
    rejected: [AtomicU64; Reason::ALL.len()],
}

impl FamilyStats {
    pub(crate) fn new(name: &'static str) -> FamilyStats {
        FamilyStats {
            name,
            overflowed: AtomicU64::new(0),
            rejected: Default::default(),
        }
    }

    /// The family's metric name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Records that went to the overflow series because the family was full.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Relaxed)
    }

    /// Values rejected for `reason`.
    pub fn rejected(&self, reason: Reason) -> u64 {
        self.rejected[reason as usize].load(Relaxed)
    }

    pub(crate) fn count_overflow(&self) {
        self.overflowed.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_rejected(&self, error: &ValueError) {
        self.rejected[error.reason as usize].fetch_add(1, Relaxed);
    }
}

/// The collector of the self-metrics of a set of families.
#[derive(Debug, Clone)]
pub struct SelfMetrics {
    families: Vec<Arc<FamilyStats>>,
}

impl SelfMetrics {
    /// The self-metrics of these families.
    pub fn new(families: Vec<Arc<FamilyStats>>) -> SelfMetrics {
        SelfMetrics { families }
    }

    /// The self-metrics of these families and of `other`'s, to register
    /// once for several groups sharing a registry: each self-metric family
    /// may appear only once in an exposition.
    pub fn and(mut self, other: SelfMetrics) -> SelfMetrics {
        self.families.extend(other.families);
        self
    }

    /// Adds the self-metrics to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(self.clone()));
    }
}

impl Collector for SelfMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let mut overflow = encoder.encode_descriptor(
            "aigateway_metrics_series_overflow",
            "Records that went to a family's overflow series because the family had reached its series limit.",
            None,
            MetricType::Counter,
        )?;
        for stats in &self.families {
            let labels = [("family", stats.name)];
            overflow
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, f64>(&stats.overflowed(), None)?;
        }
        let mut rejected = encoder.encode_descriptor(
            "aigateway_metrics_rejected_values",
            "Values rejected by a family (NaN, infinite, negative or too large), which changed nothing.",
            None,
            MetricType::Counter,
        )?;
        for stats in &self.families {
            for reason in Reason::ALL {
                let labels = [("family", stats.name), ("reason", reason.label())];
                rejected
                    .encode_family(&labels)?
                    .encode_counter::<NoLabelSet, _, f64>(&stats.rejected(reason), None)?;
            }
        }
        Ok(())
    }
}
